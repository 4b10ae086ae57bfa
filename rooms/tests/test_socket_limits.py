"""
The socket's limits: an oversized frame closes the socket the way daphne accepts (4009, or
daphne's own 1009 past 1 MB) and the person goes offline for their friends; one person has
at most CHAT_SOCKETS_PER_PERSON sockets open. The frame size through a real daphne process,
where the WebSocket library decides which close codes exist.
"""

import asyncio
import json

import pytest
import websockets
from asgiref.sync import sync_to_async
from django.test import Client

from accounts.tests.factories import PASSWORD
from realtime.protocol import CLOSE_TOO_BIG, CLOSE_TOO_MANY

from .conftest import befriend
from .sockets import connect, frame_with

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def session_key(user):
    client = Client()
    assert client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    return client.cookies["sessionid"].value


async def daphne_tab(live_url, user):
    return await websockets.connect(
        live_url.replace("http://", "ws://") + "/ws/chat/",
        origin=live_url,
        additional_headers={"Cookie": f"sessionid={await session_key(user)}"},
        max_size=None,
    )


async def next_frame_with(socket, text, timeout=10):
    async with asyncio.timeout(timeout):
        while text not in (frame := await socket.recv()):
            pass
    return frame


async def closed_code(socket, timeout=10):
    with pytest.raises(websockets.ConnectionClosed):
        async with asyncio.timeout(timeout):
            while True:
                await socket.recv()
    return socket.close_code


@pytest.mark.parametrize(
    "size, codes",
    [
        (65 * 1024, {CLOSE_TOO_BIG}),
        # Past the server's own limit (1 MiB, chatsite/servers.py) its WebSocket library fails
        # the connection with 1009, and may drop it before the client has read that frame (1006).
        (1024 * 1024 + 1, {1009, 1006}),
    ],
    ids=["over-64-kb", "over-daphnes-1-mb"],
)
async def test_an_oversized_frame_closes_the_socket_and_its_owner_goes_offline(live_url, alice, bob, size, codes):
    await sync_to_async(befriend)(alice, bob)
    bob_tab = await daphne_tab(live_url, bob)
    alice_tab = await daphne_tab(live_url, alice)
    await next_frame_with(bob_tab, f'"type":"presence","user":{alice.pk},"online":true')

    try:
        await alice_tab.send(json.dumps({"type": "send", "room": 1, "body": "x" * size}))
    except websockets.ConnectionClosed:
        pass  # the server may close (1009) while the megabyte is still going out: its code is below

    assert await closed_code(alice_tab) in codes
    offline = await next_frame_with(bob_tab, f'"type":"presence","user":{alice.pk},')
    assert json.loads(offline) == {"type": "presence", "user": alice.pk, "online": False}
    # The server still serves alice: a new tab of hers connects and she is online again.
    alice_again = await daphne_tab(live_url, alice)
    assert json.loads(await next_frame_with(bob_tab, f'"type":"presence","user":{alice.pk},'))["online"] is True
    for socket in (alice_again, bob_tab):
        await socket.close()


async def test_one_socket_over_the_per_person_cap_is_told_why_and_closed(settings, alice, bob):
    settings.CHAT_SOCKETS_PER_PERSON = 3
    tabs = [await connect(alice) for _ in range(3)]

    one_too_many = await connect(alice)

    notice = json.loads(await frame_with(one_too_many, '"type":"notice"'))
    assert "more than 3 tabs of this site open" in notice["text"]
    closed = await one_too_many.receive_output(timeout=3)
    assert (closed["type"], closed["code"]) == ("websocket.close", CLOSE_TOO_MANY)
    await one_too_many.disconnect()
    # Others are not counted against her, and a tab she closes makes room for a new one.
    bob_tab = await connect(bob)
    await tabs.pop().disconnect()
    replacement = await connect(alice)
    await replacement.send_to(text_data=json.dumps({"type": "typing", "room": 999999}))
    reply = await replacement.receive_output(timeout=3)
    assert reply["type"] == "websocket.send"  # an error frame about the room: the socket is open
    for socket in (*tabs, replacement, bob_tab):
        await socket.disconnect()
