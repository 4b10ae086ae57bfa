"""The fan-out benchmark's baseline (bench/textbook.py, the Channels tutorial's consumer) still
delivers what the product publishes: a baseline that silently receives nothing makes every
ratio of `bench/fanout.py --compare` meaningless."""

import importlib.util
import uuid
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from .conftest import befriend
from .sockets import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

TEXTBOOK = Path(__file__).resolve().parents[2] / "bench" / "textbook.py"


def textbook_application():
    spec = importlib.util.spec_from_file_location("bench_textbook", TEXTBOOK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.application


async def test_the_textbook_consumer_gets_a_message_posted_to_its_room(alice, bob):
    from rooms.models import Room

    room = await sync_to_async(lambda: befriend(alice, bob) or Room.objects.create_group(alice, "Baseline", [bob]))()
    application = textbook_application()
    sockets = []
    for user in (alice, bob):
        cookie = await session_cookie(user)
        socket = WebsocketCommunicator(application, "/ws/chat/", headers=[(b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={cookie}".encode())])
        assert (await socket.connect())[0]
        sockets.append(socket)
    try:
        await sockets[0].send_json_to({"type": "send", "room": room.pk, "body": "from the baseline", "client_id": str(uuid.uuid4())})
        for socket in sockets:
            frame = await socket.receive_from(timeout=5)
            assert "from the baseline" in frame and frame.lstrip().startswith("<")
    finally:
        for socket in sockets:
            await socket.disconnect()
