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
