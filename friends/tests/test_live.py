"""The friend list follows live: every open tab of both people hears when they become friends or part."""

import json

import pytest
from asgiref.sync import sync_to_async

from friends.models import FriendRequest, Friendship
from rooms.tests.sockets import connect, frame_with, send

pytestmark = pytest.mark.django_db(transaction=True)


async def test_accepting_a_request_tells_both_friend_lists(sockets, alice, bob):
    request = await sync_to_async(FriendRequest.objects.send)(alice, bob)
    alice_socket, bob_socket = await sockets(alice), await sockets(bob)
    await sync_to_async(request.accept)(by=bob)
    for socket in (alice_socket, bob_socket):
        assert json.loads(await frame_with(socket, '"type":"friends"')) == {"type": "friends"}


async def test_removing_a_friend_tells_both_and_nobody_else(sockets, alice, bob, carol):
    await sync_to_async(Friendship.objects.befriend)(alice, bob)
    alice_socket, bob_socket, carol_socket = await sockets(alice), await sockets(bob), await sockets(carol)
    await sync_to_async(Friendship.objects.unfriend)(alice, bob)
    for socket in (alice_socket, bob_socket):
        await frame_with(socket, '"type":"friends"')
    # Carol's socket: the answer to a later frame of hers comes with nothing about friends before it.
    await send(carol_socket, type="sentinel")
    answer = json.loads(await carol_socket.receive_from())
    assert answer["type"] == "error" and "Unknown frame type" in answer["text"]


async def test_befriending_again_or_unfriending_strangers_says_nothing(sockets, alice, bob):
    await sync_to_async(Friendship.objects.befriend)(alice, bob)
    alice_socket = await sockets(alice)
    await sync_to_async(Friendship.objects.befriend)(alice, bob)  # already friends: no change
    await sync_to_async(Friendship.objects.unfriend)(alice, alice.__class__(pk=10**9))
    await send(alice_socket, type="sentinel")
    assert "Unknown frame type" in await alice_socket.receive_from()
