"""The sockets' trips to the database thread (realtime.db): a connection's health is checked
at most once a second, not at every trip; a broken one is still replaced."""

import pytest
from django.db import connection

from realtime import db
from realtime.db import database_sync_to_async

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def _queries_of_a_trip():
    """The SQL one trip sends for one query of its own."""
    executed = []
    with connection.execute_wrapper(lambda execute, sql, params, many, context: executed.append(sql) or execute(sql, params, many, context)):
        sent = []
        real_is_usable = connection.is_usable

        def is_usable():
            sent.append("SELECT 1")
            return real_is_usable()

        connection.is_usable = is_usable
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 2")
        finally:
            del connection.is_usable
    return sent + executed


@pytest.fixture
def health_checks(settings):
    if connection.vendor != "postgresql":
        pytest.skip("the health check is PostgreSQL's (CONN_HEALTH_CHECKS)")
    assert connection.settings_dict["CONN_HEALTH_CHECKS"]


async def test_a_trip_checks_the_connection_only_when_the_last_check_is_a_second_old(health_checks, monkeypatch):
    clock = [db._now()]
    monkeypatch.setattr(db, "_now", lambda: clock[0])
    await _queries_of_a_trip()  # the thread's connection, made or checked
    clock[0] += db.HEALTH_CHECK_SECONDS
    assert await _queries_of_a_trip() == ["SELECT 1", "SELECT 2"]  # a second since: checked
    assert await _queries_of_a_trip() == ["SELECT 2"]  # within that second: not
    clock[0] += db.HEALTH_CHECK_SECONDS
    assert await _queries_of_a_trip() == ["SELECT 1", "SELECT 2"]  # a second later: again
