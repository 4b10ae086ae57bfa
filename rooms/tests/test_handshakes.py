"""
Many sockets connecting at once (a server's restart: every tab comes back together) are
handshaken in batches (realtime.consumer._handshakes): a few trips to the database thread and
a few cache round trips for all of them, and each socket is still its own person's, counted
as its own tab.
"""

import asyncio
import json

import pytest
from channels.testing import WebsocketCommunicator

from django.db.backends.utils import CursorWrapper

from accounts.tests.factories import UserFactory
from core.cached import forget
from friends.tests.factories import FriendshipFactory
from chatsite.asgi import application
from realtime import consumer, registry
from realtime.presence import shared_cache
from realtime.protocol import CLOSE_TOO_MANY
from realtime.publish import apublish, user_group

from rooms import actions
from rooms.groups import room_group

from .sockets import frame_with, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


def communicator(cookie):
    headers = [(b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={cookie}".encode())]
    return WebsocketCommunicator(application, "/ws/chat/", headers=headers)


@pytest.fixture
async def opened():
    sockets = []
    yield sockets
    for socket in sockets:
        await socket.disconnect()


async def connect_at_once(cookies, opened):
    sockets = [communicator(cookie) for cookie in cookies]
    opened.extend(sockets)
    return sockets, await asyncio.gather(*(socket.connect() for socket in sockets))


def counted(monkeypatch, target, name):
    calls, real = [], getattr(target, name)

    def wrapper(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, wrapper)
    return calls


async def test_twenty_people_connecting_at_once_cost_a_few_trips_and_each_socket_is_theirs(monkeypatch, opened):
    people = [await asyncio.to_thread(UserFactory) for _ in range(20)]
    cookies = [await session_cookie(person) for person in people]
    batches = counted(monkeypatch, consumer._handshakes_batched, "run")
    reads = counted(monkeypatch, shared_cache(), "get_many")
    for cookie in cookies[:2]:  # the cache has everything of these two; the rest are new to it
        socket = communicator(cookie)
        await socket.connect()
        await socket.disconnect()
    batches.clear()
    reads.clear()

    sockets, results = await connect_at_once(cookies, opened)

    assert all(connected for connected, _ in results)
    assert len(batches) <= 3  # the first alone, the others while it was on its way
    assert len(reads) <= 2 * len(batches)  # the sessions, then everyone's user and groups
    for person in people:
        await apublish(user_group(person.pk), f"<p>for {person.username}</p>")
    for person, socket in zip(people, sockets):
        assert f"for {person.username}" in await frame_with(socket, "for ")


async def test_twenty_people_new_to_the_cache_connecting_at_once_cost_a_few_queries(monkeypatch, opened):
    people = [await asyncio.to_thread(UserFactory) for _ in range(20)]
    for one, other in [(people[0], friend) for friend in people[1:5]] + list(zip(people[5:], people[6:])):
        await asyncio.to_thread(FriendshipFactory, user=one, friend=other)
    room = await asyncio.to_thread(actions.create_group, people[0], "five", people[1:5])
    cookies = [await session_cookie(person) for person in people]
    ids = [person.pk for person in people]
    await asyncio.to_thread(forget, shared_cache(), "user", ids)  # as after the cache's timeouts
    await asyncio.to_thread(registry.groups_changed, ids)
    batches = counted(monkeypatch, consumer._handshakes_batched, "run")
    queries = []
    real_execute = CursorWrapper._execute
    monkeypatch.setattr(CursorWrapper, "_execute", lambda self, sql, *args: queries.append(sql) or real_execute(self, sql, *args))

    sockets, results = await connect_at_once(cookies, opened)

    assert all(connected for connected, _ in results)
    reads = [sql for sql in queries if sql.startswith("SELECT")]  # (the "last seen" writes are batched apart)
    assert len(reads) <= 3 * len(batches) <= 9, reads  # users, rooms, friends: once per batch
    await apublish(room_group(room.pk), "<p>to the room</p>")
    for person in people[:5]:  # each in the room's group, as the database says
        assert "to the room" in await frame_with(sockets[people.index(person)], "to the room")


async def test_two_tabs_of_one_person_in_one_batch_count_as_two_against_the_cap(settings, alice, opened):
    settings.CHAT_SOCKETS_PER_PERSON = 1
    cookies = [await session_cookie(alice), await session_cookie(alice)]

    sockets, results = await connect_at_once(cookies, opened)

    await apublish(user_group(alice.pk), "<p>sentinel</p>")
    endings = []
    for socket in sockets:
        while True:
            output = await socket.receive_output(timeout=3)
            if output["type"] == "websocket.close" or "sentinel" in output.get("text", ""):
                endings.append(output.get("code", "open"))
                break
    assert sorted(endings, key=str) == sorted([CLOSE_TOO_MANY, "open"], key=str)


async def test_a_session_that_is_not_logged_in_is_refused_without_failing_the_others(alice, opened):
    cookies = [await session_cookie(alice), "not-a-session-key", await session_cookie(alice)]

    sockets, results = await connect_at_once(cookies, opened)

    first = await sockets[1].receive_output(timeout=3)
    assert first["type"] == "websocket.close" and first["code"] == 4401
    await apublish(user_group(alice.pk), "<p>still hers</p>")
    for socket in (sockets[0], sockets[2]):
        assert "still hers" in await frame_with(socket, "still hers")
