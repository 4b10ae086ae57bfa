"""Talking to the chat socket in tests: the full ASGI stack, with real session cookies."""

import asyncio
import json
import re

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from chatsite.asgi import application

QUIET = 0.3  # seconds of silence that count as "nothing arrived"


@sync_to_async
def session_cookie(user):
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def connect(user):
    headers = [(b"origin", b"http://127.0.0.1")]
    if user is not None:
        headers.append((b"cookie", f"sessionid={await session_cookie(user)}".encode()))
    socket = WebsocketCommunicator(application, "/ws/chat/", headers=headers)
    connected, _ = await socket.connect()
    assert connected
    return socket


async def send(socket, **frame):
    await socket.send_to(text_data=json.dumps(frame))


async def frame_with(socket, text, timeout=3):
    """The next frame containing text (frames without it are skipped)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        frame = await socket.receive_from(timeout=max(0.01, deadline - loop.time()))
        if text in frame:
            return frame


async def frames_until_quiet(socket):
    """Every frame that arrives until the socket has been quiet for a moment."""
    frames = []
    while not await socket.receive_nothing(timeout=QUIET):
        frames.append(await socket.receive_from())
    return frames


def message_ids(frames):
    return [int(i) for frame in frames for i in re.findall(r'id="message-(\d+)"', frame)]
