"""Deleting an account closes every open socket of the person at once (the others' stay open)."""

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from accounts.tests.factories import PASSWORD
from realtime.protocol import CLOSE_DEACTIVATED, CLOSE_UNAUTHENTICATED
from rooms.models import Room
from rooms.tests.conftest import befriend
from rooms.tests.sockets import connect, until_sentinel

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
