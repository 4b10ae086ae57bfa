"""
Request bodies are refused by size while they stream in, before Django buffers them.

An HTTP request whose body is over UPLOAD_MAX_BYTES (the largest attachment and the form
around it) is answered 413 as soon as that is known: from its Content-Length before any body
is read, or, without one, at the chunk that crosses the limit. In production nginx refuses it
first (`client_max_body_size` in deploy/nginx.conf is the same number), before daphne buffers
it; this holds where nothing is in front (`make run`, a proxy set up otherwise).
"""

from django.conf import settings


class BodyTooLarge(Exception):
    pass


def _too_large_text():
    return (
        f"This request is too large: uploads can be at most {settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB.\n"
    ).encode()


class RequestBodyLimit:
    """ASGI middleware around Django's HTTP application."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.application(scope, receive, send)
        limit = settings.UPLOAD_MAX_BYTES
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await self._refuse(send)
        received = 0

        async def receive_within_limit():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        try:
            await self.application(scope, receive_within_limit, send)
        except BodyTooLarge:  # raised while Django reads the body: nothing was sent yet
            await self._refuse(send)

    async def _refuse(self, send):
        body = _too_large_text()
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
