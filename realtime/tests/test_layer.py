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


async def test_many_groups_are_joined_and_left_in_one_call_each(layers):
    one, two = layers
    here, there = await one.new_channel("hub."), await two.new_channel("hub.")
    rooms = [f"room.{n}" for n in range(20)]
    redis = one.connection(0)
    await one.group_add_many(rooms, here)
    assert [await redis.zcard(one._group_key(room)) for room in rooms] == [1] * 20
    assert 0 < await redis.ttl(one._group_key("room.19")) <= one.group_expiry
    for n in range(3):  # the channel's capacity
        await two.group_send(rooms[n], {"type": "hub.message", "n": n})
    assert [(await one.receive(here))["n"] for _ in range(3)] == [0, 1, 2]

    await one.group_discard_many(rooms[1:], here)  # still in room.0
    assert [await redis.zcard(one._group_key(room)) for room in rooms] == [1] + [0] * 19
    await two.group_add("room.0", there)
    for room in reversed(rooms):
        await two.group_send(room, {"type": "hub.message", "n": room})
    assert (await one.receive(here))["n"] == "room.0"  # nothing of the rooms it left came first
    assert (await two.receive(there))["n"] == "room.0"


def _count_pops(layer, monkeypatch):
    """The pop commands layer sends, in order (one Redis connection for all its receives)."""
    redis = layer.connection(0)
    pops = []
    for name in ("bzmpop", "zpopmin", "bzpopmin"):
        real = getattr(redis, name)
        monkeypatch.setattr(redis, name, lambda *args, real=real, name=name, **kwargs: pops.append(name) or real(*args, **kwargs))
    monkeypatch.setattr(layer, "connection", lambda index: redis)
    return redis, pops


async def _a_backlog(layers, messages):
    """`messages` sent by the first layer to a channel of the second's: (its layer, the channel)."""
    one, two = layers
    one.capacity = two.capacity = 100
    channel = await two.new_channel("hub.")
    await two.group_add("room.1", channel)
    for n in range(messages):
        await one.group_send("room.1", {"type": "hub.message", "n": n})
    return two, channel


async def test_a_backlog_is_received_whole_in_order_in_one_round_trip(layers, monkeypatch):
    two, channel = await _a_backlog(layers, 50)
    _redis, pops = _count_pops(two, monkeypatch)

    assert [(await two.receive(channel))["n"] for _ in range(50)] == list(range(50))
    assert pops == ["bzmpop"]


async def test_a_hub_that_has_caught_up_waits_with_one_command_per_message(layers, monkeypatch):
    """Nothing waiting: one blocking pop (BZMPOP) waits for the next message and takes what
    came with it, no pop that finds nothing first."""
    import asyncio

    one, two = layers
    channel = await two.new_channel("hub.")
    await two.group_add("room.1", channel)
    _redis, pops = _count_pops(two, monkeypatch)
    for n in range(3):
        waiting = asyncio.ensure_future(two.receive(channel))
        await asyncio.sleep(0.05)  # the receive is blocked in Redis
        await one.group_send("room.1", {"type": "hub.message", "n": n})
        assert (await waiting)["n"] == n
    assert pops == ["bzmpop"] * 3


async def test_against_a_redis_without_bzmpop_it_pops_then_waits(layers, monkeypatch):
    """Redis before 7 has no BZMPOP: the layer falls back to ZPOPMIN, then BZPOPMIN."""
    from redis.exceptions import ResponseError

    one = layers[0]
    two, channel = await _a_backlog(layers, 5)
    redis, pops = _count_pops(two, monkeypatch)

    async def unknown(*args, **kwargs):
        pops.append("bzmpop")
        raise ResponseError("unknown command 'BZMPOP', with args beginning with: ")

    monkeypatch.setattr(redis, "bzmpop", unknown)
    assert [(await two.receive(channel))["n"] for _ in range(5)] == list(range(5))
    await one.group_send("room.1", {"type": "hub.message", "n": "later"})
    assert (await two.receive(channel))["n"] == "later"
    assert pops == ["bzmpop", "zpopmin", "zpopmin"]  # asked once; "later" found by the pop


async def test_what_came_with_a_message_is_handed_over_at_once_each_to_its_channel(layers):
    one, two = layers
    one.capacity = two.capacity = 100
    hub, other = await two.new_channel("hub."), await two.new_channel("hub.")
    await two.group_add("room.1", hub)
    await two.group_add("room.2", other)
    for n in range(5):
        await one.group_send("room.1", {"type": "hub.message", "n": n})
    await one.group_send("room.2", {"type": "hub.message", "n": "other"})
    await one.group_send("room.1", {"type": "hub.message", "n": 5})

    assert (await two.receive(hub))["n"] == 0
    assert [message["n"] for message in two.receive_waiting(hub, 3)] == [1, 2, 3]
    assert [message["n"] for message in two.receive_waiting(hub, 100)] == [4, 5]
    assert two.receive_waiting(hub, 100) == []  # nothing more, and no waiting for it
    assert (await two.receive(other))["n"] == "other"  # set aside for its own channel


async def test_a_hub_behind_delivers_its_backlog_in_one_write_per_socket_in_order(layers):
    """While a burst lasts the hub falls behind: each socket gets all it missed at once."""
    from realtime.hub import Hub

    from .test_hub import Writer

    one, two = layers
    one.capacity = two.capacity = 100
    hub = Hub(two)
    hub.channel = await two.new_channel("hub.")  # not started: the test receives for it
    reader, author = Writer(1), Writer(2)
    for socket in (reader, author):
        await hub.join(socket, "room.1")
    for n in range(4):
        await one.group_send("room.1", {"type": "hub.message", "group": "room.1", "html": f"<p>{n}</p>", "exclude_user": 2 if n == 1 else None})
    await one.group_send("room.1", {"type": "hub.message", "group": "room.1", "parts": [
        {"type": "hub.message", "group": "room.1", "html": f"<p>{n}</p>"} for n in (4, 5)
    ]})  # fmt: skip

    await hub.deliver(hub._with_backlog(await two.receive(hub.channel)))
    assert reader.writes == [[f"<p>{n}</p>" for n in range(6)]]
    assert author.writes == [["<p>0</p>", "<p>2</p>", "<p>3</p>", "<p>4</p>", "<p>5</p>"]]
    await one.group_send("room.1", {"type": "hub.message", "group": "room.1", "html": "<p>alone</p>"})
    await hub.deliver(hub._with_backlog(await two.receive(hub.channel)))
    assert reader.frames == ["<p>alone</p>"] and len(reader.writes) == 1  # a lone message goes as it came
