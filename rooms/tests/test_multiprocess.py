"""
Several daphne processes on the Redis channel layer, as in production: a message sent through
one process reaches a socket on another, presence counts tabs on both, idle sockets stay up,
a mass disconnect leaves no stale group members, and a Redis outage loses nothing.

These run in the PostgreSQL + Redis pass of CI (REDIS_URL set); without Redis they are
skipped with that reason.
"""

import asyncio
import json
import os
import re
import shutil
import subprocess
import time
import uuid

import pytest
import redis
import websockets
from asgiref.sync import sync_to_async
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from accounts.sessions import SessionStore

from accounts.tests.factories import UserFactory
from conftest import LiveServer, free_port, server_env
from friends.models import Friendship
from rooms.models import Membership, Message, Room

REDIS_URL = os.environ.get("REDIS_URL", "")

pytestmark = [
    pytest.mark.multiprocess,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not REDIS_URL, reason="needs Redis (set REDIS_URL): processes share the Redis channel layer"),
]


def session_for(user):
    """A logged-in session, as the login form would make it."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "accounts.backends.UsernameOrEmailBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


class Tab:
    """One browser tab's socket, spoken to as the page does."""

    def __init__(self, socket):
        self.socket = socket
        self.frames = []

    @classmethod
    async def open(cls, server, session_key):
        socket = await websockets.connect(
            server.url.replace("http://", "ws://") + "/ws/chat/",
            additional_headers={"Cookie": f"sessionid={session_key}"},
            origin=server.url,
            open_timeout=20,
        )
        return cls(socket)

    async def send(self, **frame):
        await self.socket.send(json.dumps(frame))

    async def frame_with(self, text, timeout=10):
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.socket.recv()
                self.frames.append(frame)
                if text in frame:
                    return frame

    async def quiet(self, seconds=0.5):
        """Frames that arrive within seconds."""
        got = []
        try:
            async with asyncio.timeout(seconds):
                while True:
                    got.append(await self.socket.recv())
        except TimeoutError:
            pass
        self.frames.extend(got)
        return got

    def message_ids(self):
        return [int(i) for frame in self.frames for i in re.findall(r'id="message-(\d+)"', frame)]

    async def close(self):
        await self.socket.close()


def server_pair(tmp_path, redis_url=REDIS_URL, count=2):
    env = server_env({"REDIS_URL": redis_url, "CHAT_RATE_LIMIT": "1000"})
    return [LiveServer(env, tmp_path / f"daphne-{n}.log") for n in range(count)]


@pytest.fixture
def servers(transactional_db, tmp_path):
    started = server_pair(tmp_path)
    yield started
    for server in started:
        server.stop()


@pytest.fixture
def friends_in_a_room(alice, bob):
    Friendship.objects.befriend(alice, bob)
    room, _ = Room.objects.get_or_create_direct(alice, bob)
    return room


async def test_a_message_sent_through_one_process_reaches_a_socket_on_the_other(servers, alice, bob, friends_in_a_room):
    room = friends_in_a_room
    first, second = servers
    alice_tab = await Tab.open(first, await sync_to_async(session_for)(alice))
    bob_tab = await Tab.open(second, await sync_to_async(session_for)(bob))

    await alice_tab.send(type="send", room=room.pk, body="across processes", client_id=str(uuid.uuid4()))
    frame = await bob_tab.frame_with("across processes")
    stored = await sync_to_async(Message.objects.get)(body="across processes")
    assert f'id="message-{stored.pk}"' in frame
    await alice_tab.close()
    await bob_tab.close()


async def test_presence_counts_tabs_on_every_process(servers, alice, bob, friends_in_a_room):
    first, second = servers
    bob_tab = await Tab.open(first, await sync_to_async(session_for)(bob))
    alice_here = await Tab.open(first, await sync_to_async(session_for)(alice))
    assert json.loads(await bob_tab.frame_with(f'"type":"presence","user":{alice.pk},'))["online"] is True
    alice_there = await Tab.open(second, await sync_to_async(session_for)(alice))

    await alice_here.close()  # her tab on the other process keeps her online
    assert not [f for f in await bob_tab.quiet(1.0) if f'"type":"presence","user":{alice.pk},' in f]
    await alice_there.close()
    assert json.loads(await bob_tab.frame_with(f'"type":"presence","user":{alice.pk},'))["online"] is False
    await bob_tab.close()


async def closed_code(tab, timeout=10):
    with pytest.raises(websockets.ConnectionClosed):
        async with asyncio.timeout(timeout):
            while True:
                tab.frames.append(await tab.socket.recv())
    return tab.socket.close_code


async def test_logout_and_a_password_change_close_sockets_on_every_process(servers, alice):
    from django.test import Client

    from accounts.tests.factories import PASSWORD
    from realtime.protocol import CLOSE_UNAUTHENTICATED

    @sync_to_async
    def browser():
        client = Client()
        assert client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 302
        return client

    laptop, phone = await browser(), await browser()
    laptop_tabs = [await Tab.open(server, laptop.cookies["sessionid"].value) for server in servers]
    phone_tabs = [await Tab.open(server, phone.cookies["sessionid"].value) for server in servers]

    await sync_to_async(laptop.post)("/accounts/logout/")
    for tab in laptop_tabs:
        assert await closed_code(tab) == CLOSE_UNAUTHENTICATED

    desk = await browser()
    new_password = "a-long-and-unusual-passphrase"
    data = {"action": "password", "old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password}
    assert "Password changed." in (await sync_to_async(desk.post)("/accounts/profile/", data)).content.decode()
    for tab in phone_tabs:
        assert await closed_code(tab) == CLOSE_UNAUTHENTICATED


async def test_an_idle_socket_on_the_redis_layer_still_receives_after_20_quiet_seconds(servers, alice, bob, friends_in_a_room):
    room = friends_in_a_room
    first, second = servers
    alice_tab = await Tab.open(first, await sync_to_async(session_for)(alice))
    bob_tab = await Tab.open(second, await sync_to_async(session_for)(bob))
    await asyncio.sleep(20)

    await bob_tab.send(type="send", room=room.pk, body="still there?", client_id=str(uuid.uuid4()))
    await alice_tab.frame_with("still there?")
    await alice_tab.close()
    await bob_tab.close()


async def test_300_sockets_disconnecting_at_once_leave_no_stale_group_members(servers):
    @sync_to_async
    def crowd_in_a_room():
        users = UserFactory.create_batch(300)
        room = Room.objects.create(kind=Room.Kind.GROUP, name="Stadium")
        Membership.objects.bulk_create([Membership(room=room, user=user) for user in users])
        return room, [(user.pk, session_for(user)) for user in users]

    room, people = await crowd_in_a_room()
    layer = redis.Redis.from_url(REDIS_URL)
    group_keys = [f"asgi:group:room.{room.pk}"] + [f"asgi:group:user.{pk}" for pk, _ in people]

    def members():
        # Ids repeat across test databases: count against what earlier runs left in Redis.
        return [layer.zcard(key) - before.get(key, 0) for key in group_keys]

    before = {key: layer.zcard(key) for key in group_keys}
    tabs = []
    for n in range(0, len(people), 50):  # connect in batches, as a crowd arrives
        batch = people[n : n + 50]
        tabs += await asyncio.gather(*(Tab.open(servers[i % 2], key) for i, (_, key) in enumerate(batch, n)))

    # One member per process in the room's group (the process hubs, not 300 sockets), and
    # one per person in their own group.
    assert members()[0] == 2
    assert sum(members()[1:]) == 300

    await asyncio.gather(*(tab.close() for tab in tabs))
    for _ in range(50):
        if not any(members()):
            break
        await asyncio.sleep(0.2)
    assert sum(members()) == 0
    for server in servers:
        assert "Traceback" not in server.log_text()


# --- A Redis outage -------------------------------------------------------------------------


@pytest.fixture
def own_redis():
    """A redis-server of this test's own, which the test can stop and start again."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]

    class OwnRedis:
        url = f"redis://127.0.0.1:{port}/0"
        process = None

        def start(self):
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
            client = redis.Redis(port=port)
            for _ in range(100):
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    time.sleep(0.05)
            raise RuntimeError("redis-server did not start")

        def stop(self):
            self.process.terminate()
            self.process.wait(10)

    server = OwnRedis()
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


async def test_a_redis_outage_stores_every_message_and_loses_none(transactional_db, tmp_path, own_redis, alice, bob, friends_in_a_room):
    room = friends_in_a_room
    (server,) = await sync_to_async(server_pair)(tmp_path, own_redis.url, count=1)
    try:
        alice_tab = await Tab.open(server, await sync_to_async(session_for)(alice))
        bob_tab = await Tab.open(server, await sync_to_async(session_for)(bob))
        await alice_tab.send(type="send", room=room.pk, body="before the outage", client_id=str(uuid.uuid4()))
        await bob_tab.frame_with("before the outage")
        last_seen = max(bob_tab.message_ids())

        await sync_to_async(own_redis.stop)()
        await alice_tab.send(type="send", room=room.pk, body="during the outage", client_id=str(uuid.uuid4()))
        await alice_tab.frame_with("during the outage")  # her own copy, then a notice of its own
        notice = json.loads(await alice_tab.frame_with('"type":"notice"'))
        assert "Live delivery is degraded" in notice["text"]
        await alice_tab.send(type="typing", room=room.pk)  # no crash without the cache either
        assert await sync_to_async(Message.objects.filter(body="during the outage").count)() == 1

        await sync_to_async(own_redis.start)()
        # The hub resubscribes and tells every socket to catch up; the page resumes.
        await bob_tab.frame_with('{"type":"resync"}', timeout=20)
        await bob_tab.send(type="resume", room=room.pk, after=last_seen)
        await bob_tab.frame_with("during the outage")
        await alice_tab.send(type="send", room=room.pk, body="after the outage", client_id=str(uuid.uuid4()))
        await bob_tab.frame_with("after the outage")
        await bob_tab.quiet(0.5)

        stored = await sync_to_async(lambda: list(Message.objects.filter(room=room).order_by("pk").values_list("pk", "body")))()
        assert [body for _, body in stored] == ["before the outage", "during the outage", "after the outage"]
        received = bob_tab.message_ids()
        assert sorted(set(received)) == [pk for pk, _ in stored]
        assert len(received) == len(set(received)), "a message reached bob twice"
        assert alice_tab.socket.state.name == "OPEN" and bob_tab.socket.state.name == "OPEN"
        await alice_tab.close()
        await bob_tab.close()
    finally:
        await sync_to_async(server.stop)()
