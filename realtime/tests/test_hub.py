"""The hub's joins and leaves reach the layer together when many come at once (a reconnect storm)."""

import asyncio

import pytest
from channels.layers import get_channel_layer

from realtime.hub import Hub


class Reader:
    """What the hub needs of a socket: who it is, its language, and where its frames go."""

    user_id = None
    language = "en"

    def __init__(self):
        self.frames = []
        self.got = asyncio.Event()

    def write_now(self, frames):  # a socket that cannot be written to at once: the hub awaits it
        return False

    async def hub_message(self, message, outgoing=None):
        self.frames.append(outgoing.text)
        self.got.set()


@pytest.fixture
async def hub():
    hub = Hub(get_channel_layer())
    await hub.start()
    yield hub
    await hub.stop()


def counting(monkeypatch, batched):
    """The batches a Batched layer call of the hub (its _add or _discard) makes, as lists of groups."""
    calls, real = [], batched.run

    async def counted(groups):
        calls.append(list(groups))
        await real(groups)

    monkeypatch.setattr(batched, "run", counted)
    return calls


async def send(group, text):
    await get_channel_layer().group_send(group, {"type": "hub.message", "group": group, "html": text})


async def test_fifty_sockets_joining_at_once_are_a_few_layer_calls_and_each_gets_its_frames(monkeypatch, hub):
    adds = counting(monkeypatch, hub._add)
    readers = {f"test-hub.{n}": Reader() for n in range(50)}
    await asyncio.gather(*(hub.join(reader, group) for group, reader in readers.items()))
    assert sorted(group for call in adds for group in call) == sorted(readers)
    assert len(adds) <= 3  # the first alone, the rest while it was on its way

    for group in readers:
        await send(group, f"<p>{group}</p>")
    for group, reader in readers.items():
        await asyncio.wait_for(reader.got.wait(), 5)
        assert reader.frames == [f"<p>{group}</p>"]


async def test_fifty_sockets_leaving_at_once_are_a_few_layer_calls_and_get_nothing_more(monkeypatch, hub):
    readers = {f"test-hub.{n}": Reader() for n in range(50)}
    await asyncio.gather(*(hub.join(reader, group) for group, reader in readers.items()))
    staying = Reader()
    await hub.join(staying, "test-hub.staying")
    discards = counting(monkeypatch, hub._discard)

    await asyncio.gather(*(hub.leave(reader, group) for group, reader in readers.items()))
    assert sorted(group for call in discards for group in call) == sorted(readers)
    assert len(discards) <= 3
    for group in readers:
        await send(group, "<p>too late</p>")
    await send("test-hub.staying", "<p>sentinel</p>")
    await asyncio.wait_for(staying.got.wait(), 5)
    assert all(reader.frames == [] for reader in readers.values())


class Writer(Reader):
    """A socket that takes frames as the product's does: several at once where they come together."""

    def __init__(self, user_id=None, language="en"):
        super().__init__()
        self.user_id, self.language = user_id, language
        self.writes = []

    async def hub_frames(self, frames):
        self.writes.append([frame.text for frame in frames])
        self.got.set()


async def test_a_run_of_frames_reaches_each_socket_in_one_write_in_order_in_its_language(hub):
    english, chinese, author = Writer(1), Writer(2, "zh-hans"), Writer(3)
    for reader in (english, chinese, author):
        await hub.join(reader, "test-hub.room")
    parts = [
        {"type": "hub.message", "group": "test-hub.room", "html": {"en": f"<p>{n}</p>", "zh-hans": f"<p>第{n}条</p>"}, "exclude_user": 3 if n == 1 else None}
        for n in range(3)
    ]
    await get_channel_layer().group_send("test-hub.room", {"type": "hub.message", "group": "test-hub.room", "parts": parts})
    for reader in (english, chinese, author):
        await asyncio.wait_for(reader.got.wait(), 5)
    assert english.writes == [["<p>0</p>", "<p>1</p>", "<p>2</p>"]]
    assert chinese.writes == [["<p>第0条</p>", "<p>第1条</p>", "<p>第2条</p>"]]
    assert author.writes == [["<p>0</p>", "<p>2</p>"]]  # not their own post back


async def test_a_run_with_an_event_goes_part_by_part(hub):
    reader = Writer(1)
    events = []

    async def hub_message(message, outgoing=None):
        events.append((message.get("event"), outgoing.text if outgoing else None))
        if len(events) == 2:
            reader.got.set()

    reader.hub_message = hub_message
    await hub.join(reader, "test-hub.room")
    parts = [
        {"type": "hub.message", "group": "test-hub.room", "html": "<p>joined</p>", "event": {"kind": "room.joined"}},
        {"type": "hub.message", "group": "test-hub.room", "html": "<p>hello</p>"},
    ]
    await get_channel_layer().group_send("test-hub.room", {"type": "hub.message", "group": "test-hub.room", "parts": parts})
    await asyncio.wait_for(reader.got.wait(), 5)
    assert events == [({"kind": "room.joined"}, "<p>joined</p>"), (None, "<p>hello</p>")]
    assert reader.writes == []


async def test_a_frame_goes_straight_to_a_connection_that_takes_it_and_an_event_by_the_socket(hub):
    """No coroutine per socket for a frame alone (`write_now`); an event still reaches the socket's handler."""
    taken, handled, done = [], [], asyncio.Event()

    class Direct(Reader):
        def write_now(self, frames):
            taken.extend(frame.text for frame in frames)
            return True

        async def hub_message(self, message, outgoing=None):
            handled.append((message.get("event"), outgoing.text if outgoing else None))
            done.set()

    await hub.join(Direct(), "test-hub.direct")
    await send("test-hub.direct", "<p>straight</p>")
    await get_channel_layer().group_send(
        "test-hub.direct", {"type": "hub.message", "group": "test-hub.direct", "html": "<p>with it</p>", "event": {"kind": "sentinel"}}
    )
    await asyncio.wait_for(done.wait(), 5)
    assert taken == ["<p>straight</p>"]
    assert handled == [({"kind": "sentinel"}, "<p>with it</p>")]
