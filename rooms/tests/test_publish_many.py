"""A publication to many groups at once (a person's presence to every friend): one layer
message per process, and each socket in any of the groups gets the frame once."""

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from realtime.protocol import notice
from realtime.publish import apublish_many, user_group
from rooms.groups import room_group

from .conftest import befriend

pytestmark = pytest.mark.django_db(transaction=True)


async def test_each_socket_in_any_of_the_groups_gets_the_frame_once(alice, bob, carol, sockets):
    from rooms.models import Room

    room = await sync_to_async(lambda: befriend(alice, bob) or Room.objects.create_group(alice, "Walks", [bob]))()
    alices, bobs, carols = await sockets(alice), await sockets(bob), await sockets(carol)
    # alice is in both groups, bob in the room's only, carol in neither.
    await apublish_many([user_group(alice.pk), room_group(room.pk)], "<p id='many'>once</p>")
    await sync_to_async(async_to_sync(apublish_many))([user_group(alice.pk), user_group(bob.pk), user_group(carol.pk)], notice("sentinel"))
    for socket, expected in ((alices, ["<p id='many'>once</p>"]), (bobs, ["<p id='many'>once</p>"]), (carols, [])):
        assert await until_marker(socket) == expected


async def until_marker(socket):
    """The frames before the sentinel, presence news aside (they come and go with the tabs)."""
    frames = []
    while '"sentinel"' not in (frame := await socket.receive_from()):
        if '"type":"presence"' not in frame:
            frames.append(frame)
    return frames

async def test_a_friend_hears_of_a_person_coming_online_and_going_offline(alice, bob, sockets):
    await sync_to_async(befriend)(alice, bob)
    bobs = await sockets(bob)
    alices = await sockets(alice)
    assert f'"type":"presence","user":{alice.pk},"online":true' in await bobs.receive_from()
    await alices.disconnect()
    assert f'"type":"presence","user":{alice.pk},"online":false' in await bobs.receive_from()


async def test_publications_made_together_all_arrive_in_order_in_fewer_layer_messages(alice, bob, carol, sockets, monkeypatch):
    """A thousand people coming online at once: what is published while the last layer message
    is on its way goes in the next one, each part to its own groups, in the order made."""
    from channels.layers import get_channel_layer

    alices, bobs = await sockets(alice), await sockets(bob)
    layer = get_channel_layer()
    sent = []
    real_group_send = layer.group_send

    async def counting_group_send(group, message):
        sent.append(message)
        await asyncio.sleep(0.01)  # a Redis round trip: the next publications queue meanwhile
        await real_group_send(group, message)

    monkeypatch.setattr(layer, "group_send", counting_group_send)
    both, bob_only = [user_group(alice.pk), user_group(bob.pk)], [user_group(bob.pk), user_group(carol.pk)]
    await asyncio.gather(*(apublish_many(both if n % 2 else bob_only, f"<p>{n}</p>") for n in range(40)))
    await apublish_many(both, notice("sentinel"))
    assert await until_marker(alices) == [f"<p>{n}</p>" for n in range(40) if n % 2]
    assert await until_marker(bobs) == [f"<p>{n}</p>" for n in range(40)]
    assert len(sent) < 10
