import asyncio
import hmac
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from core import metrics as core_metrics

logger = logging.getLogger(__name__)

HEALTHZ_TIMEOUT_SECONDS = 3


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
    """
    The channel layer answers. On Redis, a PING to every host through the layer's own pools:
    a round trip through layer.receive() would queue behind the socket hub, which holds the
    process's one receive loop (after a Sentinel failover it never got its turn).
    """
    layer = get_channel_layer()

    async def answers():
        async with asyncio.timeout(HEALTHZ_TIMEOUT_SECONDS):
            if hasattr(layer, "connection"):
                for index in range(len(layer.hosts)):
                    await layer.connection(index).ping()
                return True
            channel = await layer.new_channel()
            await layer.send(channel, {"type": "healthz"})
            return await layer.receive(channel) == {"type": "healthz"}

    try:
        return async_to_sync(answers)()
    except Exception:
        logger.exception("healthz: channel layer unreachable")
        return False


def _cache_ok():
    """The cache answers (rate limits, presence and codes live there)."""
    try:
        cache.set("healthz", "ok", 10)
        return cache.get("healthz") == "ok"
    except Exception:
        logger.exception("healthz: cache unreachable")
        return False


@login_not_required
@require_GET
def healthz(request):
    """200 when the database, the channel layer and the cache answer, 503 naming what failed."""
    checks = {"database": _database_ok(), "channel_layer": _channel_layer_ok(), "cache": _cache_ok()}
    failed = [name for name, ok in checks.items() if not ok]
    body = {"status": "ok" if not failed else "unavailable", "failed": failed}
    if pool := getattr(connection, "pool", None):
        stats = pool.get_stats()
        body["database_pool"] = {
            "size": stats.get("pool_size", 0),
            "available": stats.get("pool_available", 0),
            "max_size": pool.max_size,
            "waiting": stats.get("requests_waiting", 0),
        }
    return JsonResponse(body, status=503 if failed else 200)


@login_not_required
@require_GET
def metrics(request):
    """Prometheus' scrape: every server process's metrics, for the bearer of METRICS_TOKEN only."""
    expected = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if not expected or not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
        raise Http404  # nothing here says that metrics exist
    return HttpResponse(core_metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
