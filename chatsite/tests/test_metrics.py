"""
/metrics: Prometheus' text format for the bearer of METRICS_TOKEN only (a 404 for everyone
else, and for everyone when no token is set), counting requests by view; every request and
its log lines carry one id, nginx's X-Request-ID when it sends a well-formed one.
"""

import logging

import pytest
from django.test import override_settings

from core.context import LogContext

TOKEN = "s3cret-metrics-token"


@pytest.mark.parametrize(
    "token, header",
    [("", None), ("", "Bearer "), (TOKEN, None), (TOKEN, "Bearer wrong"), (TOKEN, TOKEN), (TOKEN, f"Basic {TOKEN}")],
)
def test_metrics_are_a_404_without_the_right_bearer_token(client, db, token, header):
    with override_settings(METRICS_TOKEN=token):
        headers = {"HTTP_AUTHORIZATION": header} if header is not None else {}
        response = client.get("/metrics", **headers)
    assert response.status_code == 404
    assert b"chat_" not in response.content


@override_settings(METRICS_TOKEN=TOKEN)
def test_metrics_count_requests_by_view_for_the_bearer(client, alice):
    client.force_login(alice)
    client.get("/accounts/profile/")
    client.get("/accounts/profile/")
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    text = response.content.decode()
    line = next(line for line in text.splitlines() if line.startswith("django_http_requests_total_by_view_transport_method_total{") and 'view="accounts:profile"' in line)
    assert float(line.rsplit(" ", 1)[1]) >= 2
    for name in ("chat_websockets_open", "chat_messages_stored_total", "chat_deliveries_total", "django_http_requests_latency_seconds_by_view_method_bucket"):
        assert name in text


def test_a_request_gets_an_id_in_its_response_and_its_log_lines(client, db, caplog):
    caplog.handler.addFilter(LogContext())
    with caplog.at_level(logging.INFO, logger="chatsite.request"):
        given = client.get("/healthz", HTTP_X_REQUEST_ID="nginx-1b2c3d4e5f")
        made = client.get("/healthz", HTTP_X_REQUEST_ID="<script>")
    assert given["X-Request-ID"] == "nginx-1b2c3d4e5f"
    assert made["X-Request-ID"] != "<script>" and len(made["X-Request-ID"]) == 32
    ids = [r.request_id for r in caplog.records if r.name == "chatsite.request"]
    assert ids == ["nginx-1b2c3d4e5f", made["X-Request-ID"]]


# --- The dashboard and the scrape configuration ----------------------------------------------


def test_the_dashboard_is_a_grafana_dashboard_whose_queries_name_the_sites_metrics(client, db, settings):
    import json
    import re
    from pathlib import Path

    deploy = Path(__file__).resolve().parent.parent.parent / "deploy"
    dashboard = json.loads((deploy / "grafana-dashboard.json").read_text())
    # The dashboard model's required fields (Grafana's dashboard JSON schema, v39).
    assert {"title", "uid", "schemaVersion", "panels", "time", "templating", "annotations"} <= set(dashboard)
    assert isinstance(dashboard["schemaVersion"], int) and dashboard["schemaVersion"] >= 36
    settings.METRICS_TOKEN = TOKEN
    exposed = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    names = set(re.findall(r"^# TYPE (\S+) (\w+)", exposed, re.M))
    series = {name for name, kind in names} | {f"{name}_{suffix}" for name, kind in names if kind == "histogram" for suffix in ("bucket", "sum", "count")} | {f"{name}_total" for name, kind in names if kind == "counter"}
    ids, shown = set(), set()
    for panel in dashboard["panels"]:
        assert panel["id"] not in ids and {"type", "title", "gridPos", "targets", "datasource"} <= set(panel)
        ids.add(panel["id"])
        assert {"h", "w", "x", "y"} <= set(panel["gridPos"]) and panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        for target in panel["targets"]:
            assert target["refId"] and target["datasource"]["type"] == "prometheus"
            used = set(re.findall(r"\b(chat_\w+|django_\w+)\b", target["expr"]))
            assert used and used <= series, f"{panel['title']}: {used - series} are not metrics of the site"
            shown |= used
    for wanted in ("chat_websockets_open", "chat_deliveries_total", "chat_delivery_seconds_bucket", "chat_websocket_handshakes_total", "chat_layer_errors_total", "django_http_requests_latency_seconds_by_view_method_bucket"):
        assert wanted in shown


def test_prometheus_scrapes_metrics_with_the_token():
    from pathlib import Path

    config = (Path(__file__).resolve().parent.parent.parent / "deploy" / "prometheus.yml").read_text()
    lines = {line.split("#")[0].strip() for line in config.splitlines()}
    assert {"metrics_path: /metrics", "type: Bearer", "- job_name: chat"} <= lines


# --- What the sockets count -------------------------------------------------------------------


def sample(name, **labels):
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0


@pytest.mark.django_db(transaction=True)
async def test_a_chat_counts_the_message_stored_its_deliveries_and_their_time(alice, bob):
    import uuid

    from asgiref.sync import sync_to_async

    from core import metrics
    from friends.models import Friendship
    from rooms.models import Room
    from rooms.tests.sockets import connect, frame_with, send

    def room():
        Friendship.objects.befriend(alice, bob)
        return Room.objects.get_or_create_direct(alice, bob)[0]

    direct = await sync_to_async(room)()
    SENT = metrics.DELIVERY_SAMPLE_EVERY // 2  # under the send rate limit
    before = {name: sample(name) for name in ("chat_deliveries_total", "chat_delivery_seconds_count")}
    stored_before = sample("chat_messages_stored_total", kind="text")
    alice_socket, bob_socket = await connect(alice), await connect(bob)
    try:
        for n in range(SENT):
            await send(alice_socket, type="send", room=direct.pk, body=f"counted {n}", client_id=str(uuid.uuid4()))
            await frame_with(bob_socket, f"counted {n}")
            await frame_with(alice_socket, f"counted {n}")
    finally:
        await alice_socket.disconnect()
        await bob_socket.disconnect()
    assert sample("chat_messages_stored_total", kind="text") - stored_before == SENT
    # Each message reached two sockets: 16 deliveries, so one of them was timed (one in 16).
    assert sample("chat_deliveries_total") - before["chat_deliveries_total"] >= 2 * SENT
    assert sample("chat_delivery_seconds_count") - before["chat_delivery_seconds_count"] >= 1


@pytest.mark.django_db(transaction=True)
async def test_a_sockets_frames_and_their_broadcast_log_under_the_sockets_id(alice, bob, monkeypatch):
    import uuid

    from asgiref.sync import sync_to_async

    from friends.models import Friendship
    from realtime import publish
    from rooms.models import Room
    from rooms.tests.sockets import connect, frame_with, send

    def room():
        Friendship.objects.befriend(alice, bob)
        return Room.objects.get_or_create_direct(alice, bob)[0]

    direct = await sync_to_async(room)()
    socket = await connect(alice)

    class Down:
        async def group_send(self, group, message):
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379")

    class Lines(logging.Handler):
        records = []

        def emit(self, record):
            self.records.append(record)

    lines = Lines()
    lines.addFilter(LogContext())  # as the site's handler has it (settings.LOGGING)
    logging.getLogger("realtime").addHandler(lines)
    monkeypatch.setattr(publish, "get_channel_layer", lambda: Down())
    try:
        await send(socket, type="send", room=direct.pk, body="logged under the socket", client_id=str(uuid.uuid4()))
        await frame_with(socket, '"type":"notice"')  # stored; live delivery degraded
    finally:
        logging.getLogger("realtime").removeHandler(lines)
        await socket.disconnect()
    (failed,) = [r for r in lines.records if "publishing to" in r.getMessage()]  # the on-commit broadcast
    assert failed.request_id and failed.request_id.startswith("ws-")


def test_cache_failures_are_counted_by_where_and_the_site_goes_on(alice, monkeypatch):
    """Redis down: presence says nobody is online, the logged-in user is read from the
    database, and chat_cache_errors_total says which of them went without the cache."""
    from core import cached
    from realtime.presence import presence

    class Down:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise ConnectionError("the cache is down")

            return fail

    before = {where: sample("chat_cache_errors_total", where=where) or 0 for where in ("presence", "user")}
    monkeypatch.setattr(cached, "_shared", Down())
    assert presence.online([alice.pk]) == set()
    from accounts.backends import UsernameOrEmailBackend

    assert UsernameOrEmailBackend().get_user(alice.pk) == alice
    assert sample("chat_cache_errors_total", where="presence") == before["presence"] + 1
    assert sample("chat_cache_errors_total", where="user") == before["user"] + 1
