import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@require_GET
def home(request):
    return redirect("rooms:chat")


@login_not_required
@require_GET
def favicon(request):
    """/favicon.ico, for clients that ask for it without reading the page's <link rel="icon">."""
    return redirect(static("favicon.ico"))


def _database_ok():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        logger.exception("healthz: database unreachable")
        return False


def _channel_layer_ok():
    try:
        layer = get_channel_layer()
        channel = async_to_sync(layer.new_channel)()
        async_to_sync(layer.send)(channel, {"type": "healthz"})
        return async_to_sync(layer.receive)(channel) == {"type": "healthz"}
    except Exception:
        logger.exception("healthz: channel layer unreachable")
        return False


@login_not_required
@require_GET
def healthz(request):
    """200 when the database and the channel layer answer, 503 naming what failed."""
    checks = {"database": _database_ok(), "channel_layer": _channel_layer_ok()}
    failed = [name for name, ok in checks.items() if not ok]
    body = {"status": "ok" if not failed else "unavailable", "failed": failed}
    return JsonResponse(body, status=503 if failed else 200)
