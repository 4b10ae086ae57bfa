"""
Talking to the chat socket in tests: the full ASGI stack, with real session cookies.

`sockets` (the fixture in the root conftest) opens logged-in sockets and closes them after
the test. An absence check ends with a sentinel (`until_sentinel`): a marker is published to
the person's tabs after whatever must not arrive, and everything before the marker is what
arrived; nothing is concluded from a quiet moment.
"""

import asyncio
import json
import re
import uuid

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from chatsite.asgi import application
from realtime.protocol import notice
from realtime.publish import publish, user_group

# Handshake headers of a Chinese and an English browser (`sockets(alice, headers=CHINESE)`).
CHINESE = [(b"accept-language", b"zh-CN,zh;q=0.9,en;q=0.5")]
ENGLISH = [(b"accept-language", b"en-GB,en;q=0.9")]


@sync_to_async
def session_cookie(user):
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def connect(user, cookie=None, headers=()):
    """A socket of user's (or of the session with this cookie; anonymous when both are None),
    with any more `headers` (`[(b"accept-language", b"zh-CN")]`, say)."""
    headers = [(b"origin", b"http://127.0.0.1"), *headers]
    if user is not None and cookie is None:
        cookie = await session_cookie(user)
    if cookie is not None:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    socket = WebsocketCommunicator(application, "/ws/chat/", headers=headers)
    connected, _ = await socket.connect()
    assert connected
    return socket


async def until_sentinel(socket, user, timeout=3):
    """
    Every frame socket (one of user's) receives before a marker published to user's tabs now:
    what reached it of everything published before this call.
    """
    marker = f"sentinel-{uuid.uuid4().hex}"
    await sync_to_async(publish)(user_group(user.pk), notice(marker))
    frames = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        frame = await socket.receive_from(timeout=max(0.01, deadline - loop.time()))
        if marker in frame:
            return frames
        frames.append(frame)


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


async def handled(socket):
    """Frames are handled in order: once the answer to a later bad frame is back, every frame
    sent on socket before it was handled (and what it published, published)."""
    await send(socket, type="sentinel")
    await frame_with(socket, "Unknown frame type")


def message_ids(frames):
    return [int(i) for frame in frames for i in re.findall(r'id="message-(\d+)"', frame)]
