"""Deleting an account closes every open socket of the person at once (the others' stay open)."""

import json

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from accounts.tests.factories import PASSWORD
from realtime.protocol import CLOSE_DEACTIVATED, CLOSE_UNAUTHENTICATED
from accounts.actions import delete_account
from accounts.models import User
from rooms.models import Message, Room
from rooms.tests.conftest import befriend
from rooms.tests.sockets import connect, frame_with, message_ids, until_sentinel

pytestmark = pytest.mark.django_db(transaction=True)


async def closed_with(socket, timeout=3):
    """The close code socket gets, past whatever frames come before it."""
    while True:
        output = await socket.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return output["code"]


@sync_to_async
def logged_in(user):
    client = Client()
    assert client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


async def test_deleting_the_account_closes_every_tab_of_every_session(alice, bob, sockets):
    @sync_to_async
    def chatting():
        befriend(alice, bob)
        room, _ = Room.objects.get_or_create_direct(alice, bob)
        return room

    room = await chatting()
    laptop, phone = await logged_in(alice), await logged_in(alice)
    tabs = [await sockets(alice, cookie=c.cookies["sessionid"].value) for c in (laptop, laptop, phone)]
    bobs_tab = await sockets(bob)

    response = await sync_to_async(laptop.post)("/accounts/delete/", {"password": PASSWORD})

    assert response.status_code == 302
    for tab in tabs:
        assert await closed_with(tab) == CLOSE_DEACTIVATED
    await until_sentinel(bobs_tab, bob)  # bob's tab is still open: the marker reaches it
    # and his room with her is still there for him.
    assert await sync_to_async(Room.objects.filter(pk=room.pk, memberships__user=bob).exists)()


async def test_a_socket_opened_with_her_old_session_is_refused(alice):
    laptop = await logged_in(alice)
    cookie = laptop.cookies["sessionid"].value
    await sync_to_async(laptop.post)("/accounts/delete/", {"password": PASSWORD})

    from channels.testing import WebsocketCommunicator

    from chatsite.asgi import application

    socket = WebsocketCommunicator(application, "/ws/chat/", headers=[(b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={cookie}".encode())])
    connected, _ = await socket.connect()
    assert connected  # accepted only to say why it closes
    assert await closed_with(socket) == CLOSE_UNAUTHENTICATED
    await socket.disconnect()


@pytest.mark.parametrize("live_replacements", [50, 2], ids=["each replaced", "too many: the room reloads"])
async def test_her_deleted_messages_are_replaced_on_bobs_open_page(alice, bob, sockets, monkeypatch, live_replacements):
    monkeypatch.setattr("rooms.actions.LIVE_REPLACEMENTS", live_replacements)

    @sync_to_async
    def chatting():
        befriend(alice, bob)
        room, _ = Room.objects.get_or_create_direct(alice, bob)
        ids = [Message.objects.create(room=room, sender=alice, body=f"note {n}").pk for n in range(3)]
        Message.objects.create(room=room, sender=bob, body="his own")
        return room, ids

    room, ids = await chatting()
    bobs_tab = await sockets(bob)
    await bobs_tab.send_to(text_data=json.dumps({"type": "resume", "room": room.pk, "after": 0}))
    await frame_with(bobs_tab, "his own")

    await sync_to_async(delete_account)(alice, delete_messages=True)

    frames = await until_sentinel(bobs_tab, bob)
    replaced = [pk for pk in message_ids(frames)]
    if live_replacements >= len(ids):
        assert replaced == ids and not [f for f in frames if '"reload"' in f]
    else:
        assert replaced == ids[-live_replacements:]
        assert json.loads(next(f for f in frames if '"reload"' in f)) == {"type": "reload", "room": room.pk}
    assert all("This message was deleted" in f for f in frames if 'id="message-' in f)


async def test_her_reactions_leave_the_counts_on_bobs_open_page(alice, bob, sockets):
    @sync_to_async
    def chatting():
        befriend(alice, bob)
        room, _ = Room.objects.get_or_create_direct(alice, bob)
        his = Message.objects.post(room, bob, "summit at noon")
        his.react(alice, "👍")
        his.react(bob, "🙏")
        return room, his

    room, his = await chatting()
    bobs_tab = await sockets(bob)
    await bobs_tab.send_to(text_data=json.dumps({"type": "resume", "room": room.pk, "after": 0}))
    await frame_with(bobs_tab, "summit at noon")

    await sync_to_async(delete_account)(alice)

    frames = [f for f in await until_sentinel(bobs_tab, bob) if f"reactions-{his.pk}" in f]
    assert frames and "🙏" in frames[-1] and "👍" not in frames[-1]


async def test_her_last_tab_closing_leaves_no_last_seen_on_the_deleted_account(alice):
    tab = await connect(alice)
    await sync_to_async(delete_account)(alice)
    assert await closed_with(tab) == CLOSE_DEACTIVATED

    await tab.disconnect()  # the browser's side of the close: her last tab is gone

    assert await sync_to_async(lambda: User.objects.get(pk=alice.pk).last_seen_at)() is None
