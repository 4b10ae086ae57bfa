import pytest
from channels.testing import WebsocketCommunicator

from chatsite.asgi import application
from rooms.consumers import CLOSE_UNAUTHENTICATED


def communicator_for(headers=()):
    return WebsocketCommunicator(application, "/ws/chat/", headers=[(b"origin", b"http://127.0.0.1"), *headers])


@pytest.mark.django_db(transaction=True)
async def test_anonymous_socket_is_closed_with_4401():
    communicator = communicator_for()
    connected, _ = await communicator.connect()
    assert connected
    closed = await communicator.receive_output()
    assert closed["type"] == "websocket.close"
    assert closed["code"] == CLOSE_UNAUTHENTICATED
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_socket_from_a_foreign_origin_is_refused():
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=[(b"origin", b"http://evil.example")])
    connected, _ = await communicator.connect()
    assert not connected
    await communicator.disconnect()
