"""A publication to many groups at once (a person's presence to every friend): one layer
message per process, and each socket in any of the groups gets the frame once."""

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
