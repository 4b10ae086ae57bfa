"""
Redis failover: the channel layer and the cache behind three sentinels. The master dies without
warning; a sentinel promotes the replica; live delivery comes back within 15 s, every page is
told to resync, and nothing stored is lost or doubled.
"""

import json
import time
import uuid

import pytest
from asgiref.sync import sync_to_async

from chatsite.tests.topology import MARKS, SentinelSet, wait_until
from conftest import LiveServer, server_env
from rooms.models import Message
from rooms.tests.test_multiprocess import Tab, friends_in_a_room, session_for  # noqa: F401 (fixture)

pytestmark = MARKS


@pytest.fixture
def sentinels(tmp_path):
    started = SentinelSet(tmp_path / "redis")
    yield started
    started.stop()


@pytest.fixture
def server(sentinels, tmp_path):
    env = server_env(
        {"REDIS_URL": "", "REDIS_SENTINELS": sentinels.addresses, "REDIS_MASTER_NAME": SentinelSet.MASTER_NAME, "CHAT_RATE_LIMIT": "1000"}
    )
    started = LiveServer(env, tmp_path / "daphne.log")
    yield started
    started.stop()


def healthz(server):
    import urllib.request

    try:
        with urllib.request.urlopen(server.url + "/healthz", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


async def test_live_delivery_resumes_within_15_seconds_of_the_master_dying(sentinels, server, alice, bob, friends_in_a_room):
    room = friends_in_a_room
    old_master = sentinels.master.port
    alice_tab = await Tab.open(server, await sync_to_async(session_for)(alice))
    bob_tab = await Tab.open(server, await sync_to_async(session_for)(bob))
    try:
        await alice_tab.send(type="send", room=room.pk, body="before the failover", client_id=str(uuid.uuid4()))
        await bob_tab.frame_with("before the failover")
        last_seen = max(bob_tab.message_ids())

        killed = time.monotonic()
        await sync_to_async(sentinels.master.kill)()
        await alice_tab.send(type="send", room=room.pk, body="during the failover", client_id=str(uuid.uuid4()))
        await alice_tab.frame_with("during the failover")  # stored, and her own copy comes back

        # A sentinel promotes the replica; the hub reconnects through the sentinels and tells
        # every page to catch up.
        for tab in (alice_tab, bob_tab):
            await tab.frame_with('{"type":"resync"}', timeout=15 - (time.monotonic() - killed))
        await bob_tab.send(type="resume", room=room.pk, after=last_seen)
        await bob_tab.frame_with("during the failover")
        await alice_tab.send(type="send", room=room.pk, body="after the failover", client_id=str(uuid.uuid4()))
        await bob_tab.frame_with("after the failover")
        back = time.monotonic() - killed
        assert back < 15, f"live delivery came back after {back:.1f}s"
        print(f"live delivery back {back:.1f}s after the master was killed")

        assert await sync_to_async(sentinels.master_port)() == sentinels.replica.port != old_master
        # The cache followed the master too: the health check and presence use it.
        assert await sync_to_async(wait_until)(lambda: healthz(server), 10, "/healthz 200 after the failover")

        stored = await sync_to_async(lambda: list(Message.objects.filter(room=room).order_by("pk").values_list("pk", "body")))()
        assert [body for _, body in stored] == ["before the failover", "during the failover", "after the failover"]
        # What bob's page shows: every stored message once. A frame may come twice (a resume and
        # a redelivery after the failover both carry it); the page keeps the first, by id.
        received = bob_tab.message_ids()
        assert sorted(set(received)) == [pk for pk, _ in stored]
    finally:
        await alice_tab.close()
        await bob_tab.close()
