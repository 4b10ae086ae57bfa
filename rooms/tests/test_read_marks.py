"""
Read marks over the socket: a message shown live in the open room of a visible tab is read.
The page says so with a `read` frame (static/js/live.js); the mark only moves forward, never
past the room's newest message, and a resume (a hidden tab reconnecting) reads nothing.
"""

import pytest
from asgiref.sync import sync_to_async

from rooms.models import Membership, Message, Room

from .conftest import befriend
from .sockets import connect, frame_with, handled, message_ids, send

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def direct_room(alice, bob):
    befriend(alice, bob)
    room, _ = Room.objects.get_or_create_direct(alice, bob)
    return room


@sync_to_async
def unread(user, room):
    return Room.objects.for_user(user).get(pk=room.pk).unread_count


@sync_to_async
def read_mark(user, room):
    return Membership.objects.get(room=room, user=user).last_read_message_id


async def bob_says(bob_socket, room, *bodies):
    for body in bodies:
        await send(bob_socket, type="send", room=room.pk, body=body)
    return message_ids([await frame_with(bob_socket, f">{body}<") for body in bodies])


async def test_messages_read_live_no_longer_count_as_unread(sockets, alice, bob, direct_room):
    alice_socket, bob_socket = await sockets(alice), await sockets(bob)
    first, second = await bob_says(bob_socket, direct_room, "one", "two")
    await frame_with(alice_socket, ">two<")
    assert await unread(alice, direct_room) == 2

    await send(alice_socket, type="read", room=direct_room.pk, up_to=second)
    await handled(alice_socket)
    assert await unread(alice, direct_room) == 0
    assert await read_mark(alice, direct_room) == second


async def test_the_read_mark_moves_forward_only(sockets, alice, bob, direct_room):
    alice_socket, bob_socket = await sockets(alice), await sockets(bob)
    first, second = await bob_says(bob_socket, direct_room, "one", "two")
    await send(alice_socket, type="read", room=direct_room.pk, up_to=second)
    await send(alice_socket, type="read", room=direct_room.pk, up_to=first)
    await handled(alice_socket)
    assert await read_mark(alice, direct_room) == second


async def test_the_read_mark_never_passes_the_newest_message(sockets, alice, bob, direct_room):
    alice_socket, bob_socket = await sockets(alice), await sockets(bob)
    (only,) = await bob_says(bob_socket, direct_room, "one")
    await send(alice_socket, type="read", room=direct_room.pk, up_to=only + 1000)
    await send(alice_socket, type="read", room=direct_room.pk, up_to="9" * 25)
    await handled(alice_socket)
    assert await read_mark(alice, direct_room) == only
    await bob_says(bob_socket, direct_room, "later")
    assert await unread(alice, direct_room) == 1  # a message sent afterwards is unread


async def test_a_group_message_read_live_is_read(sockets, alice, bob, carol, group):
    carol_socket, bob_socket = await sockets(carol), await sockets(bob)
    (said,) = await bob_says(bob_socket, group, "hello all")
    await frame_with(carol_socket, ">hello all<")
    await send(carol_socket, type="read", room=group.pk, up_to=said)
    await handled(carol_socket)
    assert await unread(carol, group) == 0


async def test_a_resume_shows_messages_but_reads_none(sockets, alice, bob, direct_room):
    # A tab that reconnects while hidden catches up; the page says when they are seen.
    @sync_to_async
    def bob_wrote():
        return [Message.objects.post(direct_room, bob, f"m{n}").pk for n in range(2)]

    ids = await bob_wrote()
    alice_socket = await sockets(alice)
    await send(alice_socket, type="resume", room=direct_room.pk, after=0)
    assert message_ids([await frame_with(alice_socket, ">m1<")]) == ids
    assert await unread(alice, direct_room) == 2


@pytest.mark.parametrize("frame", [{"up_to": "soon"}, {"up_to": None}, {"up_to": [1]}])
async def test_a_malformed_read_frame_says_why(sockets, alice, direct_room, frame):
    alice_socket = await sockets(alice)
    await send(alice_socket, type="read", room=direct_room.pk, **frame)
    assert "`up_to` must be a message id." in await frame_with(alice_socket, '"type":"error"')


async def test_reading_a_room_you_are_not_in_is_not_found(sockets, carol, direct_room, bob):
    carol_socket = await sockets(carol)
    await send(carol_socket, type="read", room=direct_room.pk, up_to=1)
    assert "This room does not exist." in await frame_with(carol_socket, '"type":"error"')
