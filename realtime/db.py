"""
The sockets' trips to the database thread: `database_sync_to_async`, as Channels' own, with
the connection's health check at most once a second instead of at every trip.

Channels tidies the connections before and after each call as Django does around a request
(`close_old_connections`: one that failed or outlived CONN_MAX_AGE is closed), and that also
makes the next query of each connection ask PostgreSQL "SELECT 1" first (CONN_HEALTH_CHECKS).
A socket's frame is not a page: a post made two trips (the active check, the post), a
handshake one or two, each paying that extra round trip on the thread every socket of the
process queues for. Here a connection checked in the last HEALTH_CHECK_SECONDS is not checked
again; a failed or old one is still closed at once, and one that failed since its check is
checked again (Django's own `errors_occurred` test).
"""

import threading
import time

from asgiref.sync import SyncToAsync
from django.db import close_old_connections, connections

HEALTH_CHECK_SECONDS = 1.0

_now = time.monotonic
_checks = threading.local()  # per thread (connections are): alias -> when its connection was last checked


def _tidy_before():
    close_old_connections()
    checked_at = _checks.__dict__
    now = _now()
    for connection in connections.all(initialized_only=True):
        if connection.connection is None or connection.health_check_done:
            continue
        if now - checked_at.get(connection.alias, -HEALTH_CHECK_SECONDS) < HEALTH_CHECK_SECONDS:
            connection.health_check_done = True
        else:
            checked_at[connection.alias] = now  # its next query checks it


class DatabaseSyncToAsync(SyncToAsync):
    def thread_handler(self, loop, *args, **kwargs):
        _tidy_before()
        try:
            return super().thread_handler(loop, *args, **kwargs)
        finally:
            close_old_connections()


database_sync_to_async = DatabaseSyncToAsync
