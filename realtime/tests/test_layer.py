"""The Redis channel layer with pipelined group calls (realtime.layer): what channels-redis's
own calls do, as two processes see it."""

import os

import pytest

from realtime.layer import RedisLayer

REDIS_URL = os.environ.get("REDIS_URL", "")

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="the Redis layer needs Redis (set REDIS_URL)")


@pytest.fixture
async def layers():
    """Two layers on one Redis, as two server processes have, with a prefix of this test's."""
    config = {"hosts": [REDIS_URL], "prefix": "test-layer", "capacity": 3, "expiry": 60}
    made = [RedisLayer(**config), RedisLayer(**config)]
    await made[0].flush()
    yield made
    await made[0].flush()
    for layer in made:
        await layer.close_pools()


async def test_a_group_send_reaches_each_member_channel_on_either_process_until_it_leaves(layers):
    one, two = layers
    here, there, elsewhere = await one.new_channel("hub."), await two.new_channel("hub."), await two.new_channel("hub.")
    await one.group_add("room.1", here)
    await two.group_add("room.1", there)
    await two.group_add("room.2", elsewhere)
    await one.group_send("room.1", {"type": "hub.message", "n": 1})
    assert [(await one.receive(here))["n"], (await two.receive(there))["n"]] == [1, 1]

    await two.group_discard("room.1", there)
    await one.group_send("room.1", {"type": "hub.message", "n": 2})
    await two.group_send("room.2", {"type": "hub.message", "n": "sentinel"})
    assert (await one.receive(here))["n"] == 2
    assert (await two.receive(elsewhere))["n"] == "sentinel"
    await two.group_add("room.2", there)  # `there` got nothing of room.1 after it left:
    await one.group_send("room.2", {"type": "hub.message", "n": "after"})
    assert (await two.receive(there))["n"] == "after"


async def test_a_full_channel_drops_what_is_past_its_capacity_and_the_group_expires(layers):
    one, _ = layers
    channel = await one.new_channel("hub.")
    await one.group_add("room.1", channel)
    for n in range(5):
        await one.group_send("room.1", {"type": "hub.message", "n": n})
    assert [(await one.receive(channel))["n"] for _ in range(3)] == [0, 1, 2]
    await one.group_send("room.1", {"type": "hub.message", "n": "sentinel"})
    assert (await one.receive(channel))["n"] == "sentinel"  # 3 and 4 were dropped
    key = one._group_key("room.1")
    assert 0 < await one.connection(0).ttl(key) <= one.group_expiry


async def test_publications_sent_together_cross_redis_whole(layers):
    """A layer message of parts (realtime.publish: runs of posts, presence batches), each with
    its frame per language, arrives on the other process as it was sent."""
    one, two = layers
    channel = await two.new_channel("hub.")
    await two.group_add("room.1", channel)
    parts = [
        {"type": "hub.message", "group": "room.1", "html": {"en": f"<p>{n}</p>", "zh-hans": f"<p>第{n}条</p>"}, "event": None, "exclude_user": None, "at": 1.5}
        for n in range(3)
    ]
    await one.group_send("room.1", {"type": "hub.message", "group": "room.1", "parts": parts})
    received = await two.receive(channel)
    assert received["parts"] == parts
