import json
import logging

import pytest

from chatsite.logs import JsonFormatter


def test_each_request_is_logged_with_path_user_and_latency(client, alice, caplog):
    client.force_login(alice)
    with caplog.at_level(logging.INFO, logger="chatsite.request"):
        client.get("/accounts/profile/")
    record = next(r for r in caplog.records if r.name == "chatsite.request")
    assert (record.method, record.path, record.status, record.user_id) == ("GET", "/accounts/profile/", 200, alice.pk)
    assert record.ms >= 0


def test_anonymous_requests_log_no_user(client, db, caplog):
    with caplog.at_level(logging.INFO, logger="chatsite.request"):
        client.get("/healthz")
    record = next(r for r in caplog.records if r.name == "chatsite.request")
    assert record.user_id is None and record.status == 200


def test_a_log_line_is_one_json_object_with_the_traceback_inside():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("chatsite", logging.ERROR, __file__, 1, "it failed for %s", ("alice",), sys.exc_info())
    record.path = "/chat/1/"
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["message"] == "it failed for alice"
    assert parsed["path"] == "/chat/1/"
    assert "ValueError: boom" in parsed["traceback"]


# --- The async path (daphne): the same log line, and no query on the event loop -------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/no-such-page/", "/chat", "/favicon.ico"])
async def test_requests_without_a_view_are_logged_with_the_user_on_the_async_path(async_client, alice, caplog, path):
    # Nothing loaded the user for these (no view ran, or a redirect came first): logging must
    # not query the database on the event loop (SynchronousOnlyOperation, a 500).
    await async_client.aforce_login(alice)
    with caplog.at_level(logging.INFO, logger="chatsite.request"):
        response = await async_client.get(path)
    assert response.status_code < 500
    record = next(r for r in caplog.records if r.name == "chatsite.request")
    assert (record.path, record.status, record.user_id) == (path, response.status_code, alice.pk)


@pytest.mark.django_db(transaction=True)
async def test_a_csrf_rejection_on_the_async_path_is_a_403(async_client, alice, caplog):
    async_client.handler.enforce_csrf_checks = True
    await async_client.aforce_login(alice)
    with caplog.at_level(logging.INFO, logger="chatsite.request"):
        response = await async_client.post("/friends/add/", {"username": "bob"})
    assert response.status_code == 403
    record = next(r for r in caplog.records if r.name == "chatsite.request")
    assert (record.status, record.user_id) == (403, alice.pk)
