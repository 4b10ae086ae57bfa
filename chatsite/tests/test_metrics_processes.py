"""
/metrics adds up every server process of the machine: after a chat across two processes, either
one answers with the counts of both (prometheus_client's multiprocess mode).
"""

import os
import re
import urllib.request
import uuid

import pytest
from asgiref.sync import sync_to_async

from conftest import LiveServer, server_env
from rooms.tests.test_multiprocess import Tab, friends_in_a_room, session_for  # noqa: F401 (fixture)

REDIS_URL = os.environ.get("REDIS_URL", "")
TOKEN = "metrics-across-processes"

pytestmark = [
    pytest.mark.multiprocess,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not REDIS_URL, reason="needs Redis (set REDIS_URL): processes share the Redis channel layer"),
]


def scrape(server):
    request = urllib.request.Request(server.url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def value(text, name, **labels):
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = rf"^{re.escape(name)}" + (rf"\{{{re.escape(wanted)}\}}" if labels else r"(?:\{\})?") + r" (\S+)$"
    found = re.search(pattern, text, re.M)
    return float(found.group(1)) if found else 0.0


@pytest.fixture
def servers(tmp_path):
    env = server_env({"REDIS_URL": REDIS_URL, "METRICS_TOKEN": TOKEN, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")})
    started = [LiveServer(env, tmp_path / f"server-{n}.log") for n in range(2)]
    yield started
    for server in started:
        server.stop()


async def test_either_process_answers_with_the_counts_of_both(servers, alice, bob, friends_in_a_room):
    room = friends_in_a_room
    first, second = servers
    alice_tab = await Tab.open(first, await sync_to_async(session_for)(alice))
    bob_tab = await Tab.open(second, await sync_to_async(session_for)(bob))
    try:
        await alice_tab.send(type="send", room=room.pk, body="from the first", client_id=str(uuid.uuid4()))
        await bob_tab.frame_with("from the first")
        await bob_tab.send(type="send", room=room.pk, body="from the second", client_id=str(uuid.uuid4()))
        await alice_tab.frame_with("from the second")
        await bob_tab.frame_with("from the second")  # his own copy: every delivery has happened

        for server in servers:
            text = await sync_to_async(scrape)(server)
            assert value(text, "chat_messages_stored_total", kind="text") == 2  # one stored by each process
            assert value(text, "chat_deliveries_total") >= 4  # each message to both sockets, on two processes
            assert value(text, "chat_websockets_open") == 2
            assert value(text, "chat_websocket_handshakes_total") == 2
    finally:
        await alice_tab.close()
        await bob_tab.close()
