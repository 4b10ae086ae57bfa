import pytest
import websockets
from channels.testing import WebsocketCommunicator

from chatsite.asgi import application
from realtime.protocol import CLOSE_UNAUTHENTICATED


def communicator_for(headers=()):
    return WebsocketCommunicator(application, "/ws/chat/", headers=[(b"origin", b"http://127.0.0.1"), *headers])


async def opens(origin, host=None):
    """Whether a socket from a page at origin (None: no Origin header) gets past the handshake."""
    headers = [(b"origin", origin.encode())] if origin is not None else []
    if host:
        headers.append((b"host", host.encode()))
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=headers)
    connected, _ = await communicator.connect()
    await communicator.disconnect()
    return connected


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


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "origin, accepted",
    [
        ("https://chat.example.com", True),
        ("https://chat.example.com:443", True),
        ("HTTPS://Chat.Example.com", True),
        ("http://chat.example.com", False),  # the same host over plain http
        ("https://chat.example.com:8443", False),  # another port of the host
        ("https://evil.chat.example.com", False),
        ("https://chat.example.com.evil.example", False),
        ("http://127.0.0.1:9999", False),
        ("null", False),
        (None, False),
    ],
)
async def test_in_production_only_the_sites_trusted_origins_open_a_socket(settings, origin, accepted):
    settings.DEBUG = False
    settings.CSRF_TRUSTED_ORIGINS = ["https://chat.example.com"]
    settings.ALLOWED_HOSTS = ["chat.example.com", "127.0.0.1"]
    assert await opens(origin, host="chat.example.com") is accepted


@pytest.mark.django_db(transaction=True)
async def test_a_wildcard_trusted_origin_takes_subdomains_on_its_scheme_and_port_only(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.example.com"]
    assert await opens("https://chat.example.com")
    assert not await opens("http://chat.example.com")
    assert not await opens("https://chat.example.com:8443")
    assert not await opens("https://example.com.evil.example")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "origin, host, accepted",
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000", True),  # a page of the dev server itself
        ("http://localhost:8000", "localhost:8000", True),
        ("http://127.0.0.1:9999", "127.0.0.1:8000", False),  # another server on the machine
        ("https://127.0.0.1:8000", "127.0.0.1:8000", False),
        ("http://localhost:8000", "127.0.0.1:8000", False),
        ("http://rebound.example:8000", "rebound.example:8000", False),  # not an allowed host
    ],
)
async def test_with_debug_the_dev_servers_own_origin_opens_a_socket_and_no_other(settings, origin, host, accepted):
    settings.DEBUG = True
    settings.CSRF_TRUSTED_ORIGINS = []
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    assert await opens(origin, host=host) is accepted


async def test_through_daphne_the_dev_servers_origin_opens_and_another_port_is_refused(live_url):
    """The live server runs with DEBUG=1, as `make run` does."""
    url = live_url.replace("http://", "ws://") + "/ws/chat/"
    async with websockets.connect(url, origin=live_url) as socket:
        with pytest.raises(websockets.ConnectionClosed):
            await socket.recv()  # anonymous: accepted, then closed with 4401
        assert socket.close_code == CLOSE_UNAUTHENTICATED
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(url, origin="http://127.0.0.1:9999"):
            pass
    assert refused.value.response.status_code == 403


@pytest.mark.django_db(transaction=True)
async def test_a_socket_anywhere_but_the_chat_path_is_refused(alice):
    from .sockets import session_cookie

    cookie = await session_cookie(alice)
    communicator = WebsocketCommunicator(
        application, "/ws/elsewhere/", headers=[(b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={cookie}".encode())]
    )
    connected, _ = await communicator.connect()
    assert not connected
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_session_whose_password_changed_since_opens_no_socket(alice):
    """The session's auth hash is checked at the handshake, as for a page."""
    from asgiref.sync import sync_to_async

    from .sockets import session_cookie

    cookie = await session_cookie(alice)

    @sync_to_async
    def change_password():
        alice.set_password("a whole new secret 123")
        alice.save()

    await change_password()
    communicator = communicator_for([(b"cookie", f"sessionid={cookie}".encode())])
    connected, _ = await communicator.connect()
    assert connected
    closed = await communicator.receive_output()
    assert (closed["type"], closed["code"]) == ("websocket.close", CLOSE_UNAUTHENTICATED)
    await communicator.disconnect()
