"""
The chat socket's origin check: a socket opens only from a page of this site.

Accepted are exactly the origins in CSRF_TRUSTED_ORIGINS, compared by scheme, host and port
("https://*.example.com" also takes its subdomains, as in Django's CSRF check), and, with
DEBUG on, the dev server's own origin: the socket request's scheme and Host header, when that
host is in ALLOWED_HOSTS. Anything else (another port of the same host, http for an https
site, a missing or "null" Origin) is refused at the handshake (HTTP 403), before the session
is read. A page elsewhere cannot open a socket that carries the person's cookie.
"""

import functools
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


@functools.lru_cache(maxsize=1024)
def parse_origin(value):
    """(scheme, host, port) of an origin, lower-cased with its port made explicit, or None."""
    try:
        parts = urlsplit(value.strip().lower())
        port = parts.port
    except (AttributeError, ValueError):
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def _matches(origin, trusted):
    scheme, host, port = trusted
    if origin[0] != scheme or origin[2] != port:
        return False
    if host.startswith("*."):
        return origin[1].endswith(host[1:])
    return origin[1] == host


def _dev_server_origin(scope):
    """The origin of the pages the dev server serves: this request's scheme and Host."""
    host = dict(scope.get("headers", ())).get(b"host", b"").decode("latin-1")
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    return parse_origin(f"{scheme}://{host}")


def allowed_origin(scope):
    """Whether the socket request in scope comes from a page of this site."""
    origin = parse_origin(dict(scope.get("headers", ())).get(b"origin", b"").decode("latin-1"))
    if origin is None:
        return False
    trusted = _trusted(tuple(settings.CSRF_TRUSTED_ORIGINS))
    if settings.DEBUG and (own := _dev_server_origin(scope)):
        trusted = [*trusted, own]
    return any(_matches(origin, candidate) for candidate in trusted)


@functools.lru_cache(maxsize=16)
def _trusted(values):
    """The parsed CSRF_TRUSTED_ORIGINS (kept per value of the setting: parsed once, not per socket)."""
    return [parsed for value in values if (parsed := parse_origin(value))]


class SiteOriginValidator:
    """ASGI middleware: the WebSocket application behind it sees only sockets from the site's pages."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not allowed_origin(scope):
            denier = WebsocketDenier()
            return await denier(scope, receive, send)
        return await self.application(scope, receive, send)
