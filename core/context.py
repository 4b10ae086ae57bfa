"""
The id of what the process is doing now: an HTTP request or a socket (and the frame it is
handling). Every log line carries it (`LogContext`, a logging filter), so one request's or one
socket's lines can be followed through views, on-commit broadcasts and the threads that
sync_to_async runs them in (contextvars follow both).

An id comes from nginx (`X-Request-ID`, deploy/nginx.conf) when it is well formed, else it is
made here.
"""

import contextvars
import logging
import re
import uuid

current = contextvars.ContextVar("chat_request_id", default=None)

_WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{8,64}")


def new_id():
    return uuid.uuid4().hex


def accept_id(header_value):
    """The client's or proxy's id when it looks like one (nothing else reaches the logs), else a new one."""
    if header_value and _WELL_FORMED.fullmatch(header_value):
        return header_value
    return new_id()


class LogContext(logging.Filter):
    """Adds `request_id` to every record made while an id is current."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = current.get()
        return True
