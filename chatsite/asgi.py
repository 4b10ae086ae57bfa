"""ASGI entry point: HTTP to Django, WebSockets (origin-checked, session-authenticated) to realtime."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")

# Django must be set up before the consumers (and their models) are imported.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from chatsite.bodies import RequestBodyLimit  # noqa: E402
from realtime.consumer import SocketConsumer  # noqa: E402
from realtime.entry import SocketEntry  # noqa: E402
from rooms import frames  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": RequestBodyLimit(django_asgi_app),
        # /ws/chat/ only: origin, session and user checked in one step (realtime.entry).
        "websocket": SocketEntry(SocketConsumer.as_asgi()),
    }
)

# A process's first message compiles nothing (and what compiling made is frozen below).
frames.warm_up()

# What the start made (Django, every app's modules, the URL and template machinery: about
# 100,000 objects) lives as long as the process: out of the collector's full passes, which
# otherwise walk all of it and stopped the process for 25-140 ms at a time under load (the
# fan-out benchmark's p99: 90-125 ms with them, 51 ms without; README "Performance").
gc.freeze()
