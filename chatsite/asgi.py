"""ASGI entry point: HTTP to Django, WebSockets (origin-checked, session-authenticated) to realtime."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")

# Django must be set up before the consumers (and their models) are imported.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from chatsite.bodies import RequestBodyLimit  # noqa: E402
from realtime.consumer import KeepServerSend  # noqa: E402
from realtime.origins import SiteOriginValidator  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": RequestBodyLimit(django_asgi_app),
        "websocket": KeepServerSend(SiteOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))),
    }
)
