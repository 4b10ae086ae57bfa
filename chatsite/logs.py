"""
Structured logs: one JSON object per line on stdout, and one line per HTTP request with its
method, path, status, user id and latency. Errors carry their traceback inside the line.
"""

import json
import logging
import time

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.utils.functional import SimpleLazyObject, empty

from core import context, metrics

request_log = logging.getLogger("chatsite.request")

# Attributes every LogRecord has; anything else was passed with `extra=` and is kept.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record):
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class RequestLogMiddleware:
    """Log every request once it is answered: method, path, status, user id, milliseconds."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        started, token = time.perf_counter(), self._begin(request)
        try:
            response = self.get_response(request)
            self._log(request, response, started, getattr(request, "user", None))
        finally:
            context.current.reset(token)
        return response

    async def __acall__(self, request):
        started, token = time.perf_counter(), self._begin(request)
        try:
            response = await self.get_response(request)
            self._log(request, response, started, await _auser(request))
        finally:
            context.current.reset(token)
        return response

    @staticmethod
    def _begin(request):
        """The request's id (nginx's X-Request-ID, else a new one), current for its log lines."""
        request.id = context.accept_id(request.headers.get("X-Request-ID"))
        return context.current.set(request.id)

    def _log(self, request, response, started, user):
        response["X-Request-ID"] = request.id
        seconds = time.perf_counter() - started
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match is not None else "<unresolved>"
        metrics.requests_by_view.labels(view, request.scheme, request.method).inc()
        metrics.responses_by_status.labels(str(response.status_code), view, request.method).inc()
        metrics.request_latency.labels(view, request.method).observe(seconds)
        request_log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "user_id": user.pk if user is not None and user.is_authenticated else None,
                "client": request.META.get("REMOTE_ADDR"),
                "ms": round(seconds * 1000, 1),
            },
        )


async def _auser(request):
    """
    The request's user on the async path, never with a query on the event loop: the user a
    view or middleware already loaded (or logged in or out), else `request.auser()`, which
    loads it off the loop. Reading a lazy `request.user` here would query the session and
    the user table on the loop: SynchronousOnlyOperation, a 500 for every page without a
    view (a 404, a redirect to the slash, a CSRF rejection).
    """
    user = getattr(request, "user", None)
    if not (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return user
    return await request.auser()
