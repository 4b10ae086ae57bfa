import json
import logging

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
