"""
deploy/nginx.conf for real, in front of two production server processes (chat@.service's command,
chatsite.servers.command(PRODUCTION, proxy_headers=True), with DEBUG=0): TLS pages and the
redirect to them, static files, the WebSocket upgrade and a chat across the two processes, the client's own address in the logs and the login throttle, and
the body limit (an attachment at the limit passes; one over it is refused by nginx with 413).
"""

import asyncio
import json
import os
import re
import ssl
import uuid

import pytest
import websockets
from asgiref.sync import sync_to_async
from django.conf import settings

from chatsite.tests.topology import MARKS, SITE_HOST, Client, Nginx, production_env
from conftest import PASSWORD, LiveServer
from rooms.models import Message
from rooms.tests.test_multiprocess import friends_in_a_room, session_for  # noqa: F401 (fixture)

pytestmark = MARKS


@pytest.fixture(scope="module")
def site(tmp_path_factory, django_db_setup, django_db_blocker):
    """Started once for the module: two processes and nginx take a few seconds."""
    tmp_path = tmp_path_factory.mktemp("site")
    with django_db_blocker.unblock():
        env = production_env(tmp_path)
    servers = [LiveServer(env, tmp_path / f"server-{n}.log", proxy_headers=True) for n in range(2)]
    nginx = Nginx(tmp_path / "nginx", [server.port for server in servers], tmp_path / "media")
    yield nginx, servers
    nginx.stop()
    for server in servers:
        server.stop()


async def open_socket(nginx, session_key):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    socket = await websockets.connect(
        f"wss://{SITE_HOST}:{nginx.https_port}/ws/chat/",
        host="127.0.0.1",  # chat.example.com is this machine
        port=nginx.https_port,
        ssl=context,
        additional_headers={"Cookie": f"sessionid={session_key}"},
        origin=f"https://{SITE_HOST}",
        open_timeout=20,
    )
    return socket, socket.response.headers["X-Upstream"]


async def frame_with(socket, text, timeout=10):
    async with asyncio.timeout(timeout):
        while True:
            frame = await socket.recv()
            if text in frame:
                return frame


def test_pages_static_files_and_the_redirect_to_https(site):
    nginx, _ = site
    client = Client(nginx)
    status, _, page = client.get("/accounts/login/")
    assert status == 200 and b'id="login-form"' in page
    stylesheet = re.search(rb'href="(/static/css/site\.[0-9a-f]+\.css)"', page).group(1).decode()
    status, headers, _ = client.get(stylesheet)
    assert status == 200 and headers["Content-Type"].startswith("text/css")
    assert "max-age=315360000" in headers["Cache-Control"]  # hashed names are cached for good

    import http.client

    plain = http.client.HTTPConnection("127.0.0.1", nginx.http_port, timeout=10)
    plain.request("GET", "/chat/", headers={"Host": SITE_HOST})
    response = plain.getresponse()
    assert (response.status, response.getheader("Location")) == (301, f"https://{SITE_HOST}/chat/")


async def test_sockets_upgrade_through_nginx_and_a_chat_crosses_the_two_processes(site, alice, bob, friends_in_a_room):
    nginx, servers = site
    room = friends_in_a_room
    alice_socket, alice_upstream = await open_socket(nginx, await sync_to_async(session_for)(alice))
    bob_sockets = []
    try:
        # nginx balances round robin: open bob's tabs until one is on the other process.
        while True:
            socket, upstream = await open_socket(nginx, await sync_to_async(session_for)(bob))
            bob_sockets.append(socket)
            if upstream != alice_upstream:
                break
            assert len(bob_sockets) < 4, "nginx sent every socket to one process"
        assert {alice_upstream, upstream} == {f"127.0.0.1:{server.port}" for server in servers}
        await alice_socket.send(json.dumps({"type": "send", "room": room.pk, "body": "across nginx", "client_id": str(uuid.uuid4())}))
        await frame_with(bob_sockets[-1], "across nginx")
    finally:
        await asyncio.gather(alice_socket.close(), *(socket.close() for socket in bob_sockets))


def test_the_logs_and_the_throttle_see_the_client_address_not_nginx(site, alice):
    nginx, servers = site
    attacker, bystander = Client(nginx, "127.0.0.2"), Client(nginx, "127.0.0.3")
    logged_before = [len(server.log_text()) for server in servers]
    for n in range(settings.LOGIN_FAILURE_LIMIT):
        token = attacker.csrf("/accounts/login/")
        status, _, page = attacker.post("/accounts/login/", {"csrfmiddlewaretoken": token, "username": f"nobody{n}", "password": "wrong"})
        assert status == 422 and b"Wrong username, email or password." in page
    token = attacker.csrf("/accounts/login/")
    status, _, page = attacker.post("/accounts/login/", {"csrfmiddlewaretoken": token, "username": alice.username, "password": PASSWORD})
    assert b"Too many failed logins" in page, "the attacker's address should be throttled"

    token = bystander.csrf("/accounts/login/")
    status, headers, _ = bystander.post("/accounts/login/", {"csrfmiddlewaretoken": token, "username": alice.username, "password": PASSWORD})
    assert status == 302, "another address is not throttled by the attacker's failures"

    logged = [server.log_text()[start:] for server, start in zip(servers, logged_before)]
    lines = [json.loads(line) for text in logged for line in text.splitlines() if line.startswith("{")]
    clients = {line.get("client") for line in lines if line.get("path") == "/accounts/login/"}
    assert {"127.0.0.2", "127.0.0.3"} <= clients and "127.0.0.1" not in clients


def test_an_attachment_at_the_limit_passes_and_one_over_it_is_refused_by_nginx(site, alice, bob, friends_in_a_room):
    nginx, _ = site
    room = friends_in_a_room
    client = Client(nginx)
    client.cookies["sessionid"] = session_for(alice)
    path = f"/chat/{room.pk}/"
    token = client.csrf(path)
    at_limit = os.urandom(settings.ATTACHMENT_MAX_BYTES)
    status, headers, _ = client.post(
        f"/chat/{room.pk}/files/", {"csrfmiddlewaretoken": token}, files={"file": ("big.bin", at_limit, "application/octet-stream")}, referer_path=path
    )
    assert status == 302, status
    stored = Message.objects.get(room=room)
    assert (stored.sender, stored.kind, stored.body) == (alice, Message.Kind.FILE, "big.bin")

    over = os.urandom(settings.UPLOAD_MAX_BYTES + 1)
    status, _, body = client.post(
        f"/chat/{room.pk}/files/", {"csrfmiddlewaretoken": token}, files={"file": ("bigger.bin", over, "application/octet-stream")}, referer_path=path
    )
    assert status == 413 and b"nginx" in body, "nginx itself refuses a body over client_max_body_size"
    assert Message.objects.filter(room=room).count() == 1
