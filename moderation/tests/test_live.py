"""
Moderation reaches open sockets at once: a ban from the admin closes every tab of that
person, and a message deleted in the admin is replaced on every open page of its room.
Driven like rooms/tests/test_consumer.py: the full ASGI stack, real session cookies.
"""

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.contrib.admin.models import LogEntry
from django.test import Client

from accounts.models import User
from realtime.protocol import CLOSE_DEACTIVATED
from rooms.models import Message
from moderation.models import Report
from rooms.tests.conftest import befriend

from rooms.tests.sockets import connect, frame_with, until_sentinel
from .helpers import run_action

pytestmark = pytest.mark.django_db(transaction=True)

@pytest.fixture
def layer():
    return get_channel_layer()


@sync_to_async
def as_moderator(moderator, model, action, objects):
    client = Client()
    client.force_login(moderator)
    return run_action(client, model, action, objects)


async def test_the_ban_action_closes_every_tab_of_that_person_and_is_logged(layer, moderator, alice, bob):
    first_tab, second_tab, bob_socket = await connect(alice), await connect(alice), await connect(bob)

    response = await as_moderator(moderator, User, "ban", [alice])

    assert "1 user banned" in response.text
    for tab in (first_tab, second_tab):
        closed = await tab.receive_output(timeout=3)
        assert (closed["type"], closed["code"]) == ("websocket.close", CLOSE_DEACTIVATED)
    await until_sentinel(bob_socket, bob)  # bob's tab stays open: the marker reaches it
    entry = await sync_to_async(LogEntry.objects.select_related("user").get)(object_id=str(alice.pk))
    assert (entry.user.username, entry.change_message) == ("mod", "Banned: deactivated, open connections closed.")
    for socket in (first_tab, second_tab, bob_socket):
        await socket.disconnect()


async def test_banning_the_sender_of_a_report_closes_their_tabs(layer, moderator, alice, bob):
    @sync_to_async
    def report():
        befriend(alice, bob)
        from rooms.models import Room

        room, _ = Room.objects.get_or_create_direct(alice, bob)
        rude = Message.objects.post(room, bob, "rude words")
        return Report.objects.file(rude, alice, Report.Reason.HARASSMENT)

    filed = await report()
    bob_socket = await connect(bob)

    await as_moderator(moderator, Report, "ban_senders", [filed])

    closed = await bob_socket.receive_output(timeout=3)
    assert (closed["type"], closed["code"]) == ("websocket.close", CLOSE_DEACTIVATED)
    assert (await sync_to_async(Report.objects.get)()).status == Report.Status.SENDER_BANNED
    await bob_socket.disconnect()


async def test_a_message_deleted_in_the_admin_disappears_from_open_tabs(layer, moderator, alice, bob):
    @sync_to_async
    def rude_message():
        befriend(alice, bob)
        from rooms.models import Room

        room, _ = Room.objects.get_or_create_direct(alice, bob)
        return Message.objects.post(room, bob, "rude words")

    rude = await rude_message()
    alice_socket = await connect(alice)

    await as_moderator(moderator, Message, "delete_messages", [rude])

    frame = await frame_with(alice_socket, f'id="message-{rude.pk}"')  # the message replaces itself
    assert "rude words" not in frame
    await alice_socket.disconnect()
