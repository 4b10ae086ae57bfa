"""
A new socket takes what it joins from the cache (realtime.consumer, core.cached) when the
person's rooms and friends have not changed since their last socket: every change forgets it,
so a new tab is never left out of a room it just joined, or in one it left, or deaf to a new
friend's presence. Each test first opens a socket, so the answer is in the cache, then
changes the rooms or friends, then opens another.
"""

import json

import pytest
from asgiref.sync import sync_to_async

from friends.models import Friendship
from realtime.publish import publish
from rooms import actions
from rooms.groups import room_group
from rooms.models import Room

from .sockets import connect, frame_with, until_sentinel

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_new_tab_joins_a_group_made_since_the_last_tab_opened(sockets, alice, bob):
    await sync_to_async(Friendship.objects.befriend)(alice, bob)
    await sockets(bob)  # bob's groups, as they were, in the cache
    room = await sync_to_async(actions.create_group)(alice, "Since", [bob])  # memberships in bulk

    new_tab = await sockets(bob)
    await sync_to_async(publish)(room_group(room.pk), "<p>in-the-new-group</p>")
    assert "in-the-new-group" in await frame_with(new_tab, "in-the-new-group")


async def test_a_new_tab_is_not_in_a_group_left_since_the_last_tab_opened(sockets, alice, bob, carol):
    await sync_to_async(Friendship.objects.befriend)(alice, bob)
    room = await sync_to_async(Room.objects.create_group)(alice, "Leaving", [bob])
    await sockets(bob)
    await sync_to_async(actions.leave_group)(room, bob)

    new_tab = await sockets(bob)
    await sync_to_async(publish)(room_group(room.pk), "<p>after-bob-left</p>")
    assert not [frame for frame in await until_sentinel(new_tab, bob) if "after-bob-left" in frame]


async def test_a_new_tab_tells_a_friend_made_since_the_last_tab_opened(sockets, alice, bob):
    before = await connect(bob)
    await before.disconnect()  # bob offline again, his answer (no friends) in the cache
    await sync_to_async(Friendship.objects.befriend)(alice, bob)
    alice_tab = await sockets(alice)

    await sockets(bob)
    online = json.loads(await frame_with(alice_tab, f'"type":"presence","user":{bob.pk},'))
    assert online == {"type": "presence", "user": bob.pk, "online": True}
