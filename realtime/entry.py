"""
The way into the chat socket: one ASGI application in front of the consumer
(`SocketEntry(SocketConsumer.as_asgi())`, wired in chatsite.asgi).

It does what Channels' stack (`AuthMiddlewareStack(URLRouter(...))`, with the origin check
and a middleware keeping the server's `send`) did, in this order: the path must be the
socket's, the origin a page of this site (`realtime.origins`: refused with HTTP 403 before
the session is read), then the session from its cookie. The difference is the cost per open
socket: each of those six layers copied the scope and kept its coroutine frame alive for the
socket's lifetime, about 5 KB per socket (10,000 sockets, 50 MB); here the server's own
scope, made for this connection, is filled in place.

The scope gets `cookies`, `session` (not loaded yet) and SERVER_SEND, the server's own
`send`, so that the hub's frames go to it directly (SocketConsumer.hub_message). The
logged-in user is not loaded here but in the consumer's handshake, in the same trip to the
database thread as the rest of what a new socket needs (`realtime.consumer._handshake`: the
session's auth hash checked as for a page; without a valid session the consumer accepts and
closes with 4401). A scope that already has a `user` keeps it.
"""

from importlib import import_module

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http import parse_cookie

from .origins import allowed_origin

SERVER_SEND = "realtime.server_send"


class SocketEntry:
    def __init__(self, consumer, path="/ws/chat/"):
        self.consumer = consumer
        self.path = path
        self.store = import_module(settings.SESSION_ENGINE).SessionStore

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError(f"SocketEntry serves WebSockets, not {scope['type']!r}")
        if scope.get("path") != self.path or not allowed_origin(scope):
            return await WebsocketDenier()(scope, receive, send)
        cookie = b"".join(value for name, value in scope.get("headers", ()) if name == b"cookie")
        scope["cookies"] = cookies = parse_cookie(cookie.decode("latin-1"))
        scope["session"] = self.store(cookies.get(settings.SESSION_COOKIE_NAME))
        scope[SERVER_SEND] = send
        return await self.consumer(scope, receive, send)
