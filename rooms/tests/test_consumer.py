"""The chat socket, driven through the full ASGI stack with real session cookies."""

import asyncio
import json
import re
import uuid
from html.parser import HTMLParser

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client

from chatsite.asgi import application

from .sockets import connect, frame_with, handled, message_ids, send, session_cookie, until_sentinel
from friends.models import Friendship
from realtime.protocol import CLOSE_TOO_BIG, CLOSE_UNAUTHENTICATED
from rooms.groups import room_group
from rooms.models import Message, Room

pytestmark = pytest.mark.django_db(transaction=True)

@pytest.fixture
def layer():
    # Each test's sockets live on the test's own event loop, with a hub channel of their own:
    # groups left on the layer by an earlier test point at channels nobody reads.
    return get_channel_layer()


@pytest.fixture
def direct_room(alice, bob):
    Friendship.objects.befriend(alice, bob)
    room, _ = Room.objects.get_or_create_direct(alice, bob)
    return room


@pytest.fixture
def group(alice, bob, carol):
    Friendship.objects.befriend(alice, bob)
    Friendship.objects.befriend(alice, carol)
    return Room.objects.create_group(alice, "Climbing", [bob])


# --- Connecting -----------------------------------------------------------------------------


async def test_anonymous_socket_is_closed_with_4401(layer):
    socket = await connect(None)
    closed = await socket.receive_output()
    assert (closed["type"], closed["code"]) == ("websocket.close", CLOSE_UNAUTHENTICATED)
    await socket.disconnect()


async def test_a_deactivated_users_session_is_closed_with_4401(layer, alice):
    cookie = await session_cookie(alice)
    alice.is_active = False
    await sync_to_async(alice.save)()
    socket = WebsocketCommunicator(application, "/ws/chat/", headers=[(b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={cookie}".encode())])
    await socket.connect()
    closed = await socket.receive_output()
    assert closed["code"] == CLOSE_UNAUTHENTICATED
    await socket.disconnect()


# --- Sending --------------------------------------------------------------------------------


async def test_a_sent_message_is_stored_then_reaches_both_members(layer, alice, bob, direct_room):
    alice_socket, bob_socket = await connect(alice), await connect(bob)
    await send(alice_socket, type="send", room=direct_room.pk, body="  Hello Bob  ", client_id=str(uuid.uuid4()))

    to_bob = await frame_with(bob_socket, "Hello Bob")
    to_alice = await frame_with(alice_socket, "Hello Bob")
    stored = await sync_to_async(Message.objects.get)(room=direct_room, kind="text")
    assert stored.body == "Hello Bob"
    assert f'id="message-{stored.pk}"' in to_bob and f'data-message-id="{stored.pk}"' in to_bob
    assert to_alice == to_bob  # rendered once, the same bytes for every reader
    await alice_socket.disconnect()
    await bob_socket.disconnect()


async def test_the_same_client_id_twice_stores_one_message_and_broadcasts_once(layer, alice, bob, direct_room):
    alice_socket, bob_socket = await connect(alice), await connect(bob)
    client_id = str(uuid.uuid4())
    await send(alice_socket, type="send", room=direct_room.pk, body="once", client_id=client_id)
    await frame_with(bob_socket, "once")
    await frame_with(alice_socket, "once")

    await send(alice_socket, type="send", room=direct_room.pk, body="once", client_id=client_id)
    again = await frame_with(alice_socket, "once")  # the sender gets the stored message back

    assert message_ids([again]) == [await sync_to_async(lambda: Message.objects.get(body="once").pk)()]
    assert await until_sentinel(bob_socket, bob) == []
    assert await sync_to_async(Message.objects.filter(body="once").count)() == 1
    await alice_socket.disconnect()
    await bob_socket.disconnect()


async def test_a_room_you_are_not_in_gets_not_found_and_nothing_is_stored(layer, alice, bob, carol, direct_room):
    carol_socket, bob_socket = await connect(carol), await connect(bob)
    await send(carol_socket, type="send", room=direct_room.pk, body="let me in", client_id=str(uuid.uuid4()))

    error = json.loads(await frame_with(carol_socket, '"type":"error"'))
    assert error == {"type": "error", "text": "This room does not exist.", "room": direct_room.pk}
    assert await until_sentinel(bob_socket, bob) == []
    assert not await sync_to_async(Message.objects.filter(body="let me in").exists)()
    await carol_socket.disconnect()
    await bob_socket.disconnect()


@pytest.mark.parametrize(
    ("body", "error"),
    [("   ", "The message cannot be empty."), ("x" * 4001, "at most 4,000 characters"), (42, "Write a message first.")],
)
async def test_a_bad_body_is_refused_with_a_reason_and_the_socket_stays_open(layer, alice, direct_room, body, error):
    socket = await connect(alice)
    await send(socket, type="send", room=direct_room.pk, body=body)
    assert error in await frame_with(socket, '"type":"error"')

    await send(socket, type="send", room=direct_room.pk, body="still here")
    await frame_with(socket, "still here")
    assert await sync_to_async(Message.objects.filter(kind="text").count)() == 1
    await socket.disconnect()


@pytest.mark.parametrize(
    ("raw", "error"),
    [("{not json", "not valid JSON"), ('["send"]', "JSON object with a type"), ('{"type": "dance"}', "Unknown frame type: 'dance'"),
     ('{"type": "send", "room": "abc", "body": "hi"}', "Choose a room first.")],
)
async def test_malformed_frames_get_an_error_fragment(layer, alice, raw, error):
    socket = await connect(alice)
    await socket.send_to(text_data=raw)
    assert error in json.loads(await frame_with(socket, '"type":"error"'))["text"]
    await socket.disconnect()


async def test_a_socket_handles_its_frames_in_order_without_a_task_for_each(layer, alice):
    """The consumer awaits the server's next message itself (SocketConsumer.__call__):
    Channels' loop made a task and an asyncio.wait for every one. Twenty frames, twenty
    answers in order, and no task made for any of them."""
    socket = await connect(alice)
    loop = asyncio.get_running_loop()
    made = []
    factory = loop.get_task_factory()

    def counting(loop, coro, **kwargs):
        made.append(getattr(coro, "__qualname__", repr(coro)))
        return factory(loop, coro, **kwargs) if factory else asyncio.Task(coro, loop=loop, **kwargs)

    loop.set_task_factory(counting)
    try:
        for n in range(20):
            await socket.send_to(text_data=json.dumps({"type": f"dance-{n}"}))
        answers = [json.loads(await frame_with(socket, '"type":"error"'))["text"] for _ in range(20)]
    finally:
        loop.set_task_factory(factory)
    assert answers == [f"Unknown frame type: 'dance-{n}'." for n in range(20)]
    # The communicator's receive is its asyncio.Queue's get: no task waited on it.
    assert [name for name in made if name == "Queue.get"] == []
    await socket.disconnect()


async def test_a_frame_over_64_kb_closes_the_socket_with_4009(layer, alice, direct_room):
    socket = await connect(alice)
    await send(socket, type="send", room=direct_room.pk, body="x" * (65 * 1024))
    closed = await socket.receive_output()
    assert (closed["type"], closed["code"]) == ("websocket.close", CLOSE_TOO_BIG)
    await socket.disconnect()


async def test_over_the_rate_limit_nothing_is_stored(layer, alice, bob, direct_room, settings):
    settings.CHAT_RATE_LIMIT, settings.CHAT_RATE_WINDOW = 3, 60
    socket = await connect(alice)
    for n in range(4):
        await send(socket, type="send", room=direct_room.pk, body=f"burst {n}")
    error = await frame_with(socket, '"type":"error"')
    assert "You are sending messages too fast: at most 3 every 60 seconds." in error
    bodies = await sync_to_async(lambda: list(Message.objects.filter(kind="text").values_list("body", flat=True)))()
    assert sorted(bodies) == ["burst 0", "burst 1", "burst 2"]
    await socket.disconnect()


async def test_a_message_rolled_back_is_never_broadcast(layer, alice, bob, direct_room):
    bob_socket = await connect(bob)

    @sync_to_async
    def post_then_fail():
        with pytest.raises(RuntimeError), transaction.atomic():
            Message.objects.post(direct_room, alice, "never happened")
            raise RuntimeError("the transaction fails after the store")

    await post_then_fail()
    assert await until_sentinel(bob_socket, bob) == []
    assert not await sync_to_async(Message.objects.filter(body="never happened").exists)()
    await bob_socket.disconnect()


async def test_the_http_fallback_broadcasts_too(layer, alice, bob, direct_room):
    bob_socket = await connect(bob)

    @sync_to_async
    def post_over_http():
        client = Client()
        client.force_login(alice)
        return client.post(f"/chat/{direct_room.pk}/messages/", {"body": "via http", "client_id": str(uuid.uuid4())})

    response = await post_over_http()
    assert response.status_code in (200, 302)
    assert "via http" in await frame_with(bob_socket, "via http")
    await bob_socket.disconnect()


# --- Resume ---------------------------------------------------------------------------------


async def test_resume_replays_everything_after_an_id_in_order(layer, alice, bob, direct_room):
    @sync_to_async
    def post_five():
        return [Message.objects.post(direct_room, alice, f"m{n}").pk for n in range(5)]

    ids = await post_five()
    socket = await connect(bob)
    await send(socket, type="resume", room=direct_room.pk, after=ids[1])
    frame = await frame_with(socket, "m4")
    assert message_ids([frame]) == ids[2:]
    await socket.disconnect()


async def test_many_tabs_resuming_a_room_at_once_all_get_it_from_a_shared_answer(layer, alice, bob, direct_room, monkeypatch, sockets):
    """A process died and a room's tabs reconnect to another together: each gets what it
    missed, and the room is read (and rendered) once for the tabs asking alike, not per tab."""
    import asyncio

    from rooms import sockets as room_sockets

    @sync_to_async
    def post_three():
        return [Message.objects.post(direct_room, alice, f"m{n}").pk for n in range(3)]

    ids = await post_three()
    reads = []
    real = room_sockets._room_messages_after

    async def counted(room_id, after):
        reads.append((room_id, after))
        return await real(room_id, after)

    monkeypatch.setattr(room_sockets, "_room_messages_after", counted)
    tabs = [await sockets(bob) for _ in range(12)]
    for tab in tabs:
        await send(tab, type="resume", room=direct_room.pk, after=ids[0])
    frames = await asyncio.gather(*(frame_with(tab, "m2") for tab in tabs))
    assert all(message_ids([frame]) == ids[1:] for frame in frames)
    assert 1 <= len(reads) < len(tabs)


async def test_messages_of_several_senders_reach_a_member_in_the_order_they_were_stored(layer, alice, bob, carol, group):
    """Publications leave the process in commit order (realtime.publish.publishing_after), so a
    page's newest message id is a safe place to resume from."""
    await sync_to_async(group.add_members)(alice, [carol])
    received, stored = await posts_as_the_reader_gets_them(group, [await connect(alice), await connect(bob)], await connect(carol), "burst", 8)
    assert received == stored


async def posts_as_the_reader_gets_them(group, senders, reader, word, rounds):
    """Each sender posts `rounds` messages into group at once; the ids of them that reader
    received, in order, and those stored, in order. Closes the sockets."""
    for n in range(rounds):
        for i, socket in enumerate(senders):
            await send(socket, type="send", room=group.pk, body=f"{word} {i}-{n}", client_id=str(uuid.uuid4()))
    received = []
    while len(received) < len(senders) * rounds:
        received += message_ids([await frame_with(reader, f"{word} ")])
    stored = await sync_to_async(lambda: list(Message.objects.filter(body__startswith=f"{word} ").order_by("pk").values_list("pk", flat=True)))()
    for socket in (*senders, reader):
        await socket.disconnect()
    return received, stored


async def test_a_burst_of_posts_to_a_room_travels_in_fewer_layer_messages_in_the_order_stored(layer, alice, bob, carol, group, monkeypatch):
    """Posts stored while the last one's frame was on its way to the layer go together, in
    order (realtime.publish._send_in_runs): a burst costs a few group sends, not one each."""
    await sync_to_async(group.add_members)(alice, [carol])
    real_group_send, sent = layer.group_send, []

    async def slow_group_send(group_name, message):
        sent.append(group_name)
        await asyncio.sleep(0.1)  # a slow Redis round trip: the database thread stores on meanwhile
        await real_group_send(group_name, message)

    monkeypatch.setattr(layer, "group_send", slow_group_send)
    senders = [await connect(person) for person in (alice, bob) for _tab in range(4)]  # each tab posts on its own
    received, stored = await posts_as_the_reader_gets_them(group, senders, await connect(carol), "run", 2)
    assert received == stored
    assert sent.count(room_group(group.pk)) < 10


async def test_resume_of_a_room_you_are_not_in_is_not_found(layer, carol, direct_room):
    socket = await connect(carol)
    await send(socket, type="resume", room=direct_room.pk, after=0)
    assert "This room does not exist." in await frame_with(socket, '"type":"error"')
    await socket.disconnect()


async def test_resume_too_far_behind_asks_the_page_to_reload_the_room(layer, alice, bob, direct_room, monkeypatch):
    monkeypatch.setattr("rooms.sockets.RESUME_LIMIT", 3)

    @sync_to_async
    def post_four():
        Message.objects.bulk_create([Message(room=direct_room, sender=alice, body=f"m{n}") for n in range(4)])

    await post_four()
    socket = await connect(bob)
    await send(socket, type="resume", room=direct_room.pk, after=0)
    frame = await frame_with(socket, '"type":"reload"')
    assert json.loads(frame) == {"type": "reload", "room": direct_room.pk}
    assert message_ids([frame]) == []
    await socket.disconnect()


# --- Typing and presence --------------------------------------------------------------------


async def test_typing_reaches_the_others_at_most_once_in_two_seconds(layer, alice, bob, direct_room):
    alice_socket, bob_socket = await connect(alice), await connect(bob)
    await send(alice_socket, type="typing", room=direct_room.pk)
    await send(alice_socket, type="typing", room=direct_room.pk)
    await handled(alice_socket)

    frames = await until_sentinel(bob_socket, bob)
    typing = [f for f in frames if '"type":"typing"' in f]
    assert len(typing) == 1 and json.loads(typing[0]) == {"type": "typing", "room": direct_room.pk, "user": alice.pk, "name": "Alice"}
    assert not [f for f in await until_sentinel(alice_socket, alice) if '"type":"typing"' in f]
    await alice_socket.disconnect()
    await bob_socket.disconnect()


async def test_friends_see_each_other_come_online_and_go_offline(layer, alice, bob, direct_room):
    alice_socket = await connect(alice)
    bob_socket = await connect(bob)
    online = await frame_with(alice_socket, f'"type":"presence","user":{bob.pk},')
    assert json.loads(online) == {"type": "presence", "user": bob.pk, "online": True}

    second_tab = await connect(bob)
    await bob_socket.disconnect()  # one tab left: still online
    assert await until_sentinel(alice_socket, alice) == []
    await second_tab.disconnect()
    offline = await frame_with(alice_socket, f'"type":"presence","user":{bob.pk},')
    assert json.loads(offline) == {"type": "presence", "user": bob.pk, "online": False}
    await alice_socket.disconnect()


# --- Live membership ------------------------------------------------------------------------


async def test_someone_added_to_a_group_receives_its_messages_at_once(layer, alice, bob, carol, group):
    carol_socket = await connect(carol)
    await sync_to_async(group.add_members)(alice, [carol])
    await frame_with(carol_socket, "added Carol")  # the system message reaches her

    await sync_to_async(Message.objects.post)(group, bob, "welcome carol")
    assert "welcome carol" in await frame_with(carol_socket, "welcome carol")
    await carol_socket.disconnect()


async def test_someone_who_leaves_stops_receiving_at_once(layer, alice, bob, group):
    bob_socket = await connect(bob)
    await sync_to_async(group.leave)(bob)
    await until_sentinel(bob_socket, bob)  # the line saying he left, and the event after it

    await sync_to_async(Message.objects.post)(group, alice, "after bob left")
    assert not [f for f in await until_sentinel(bob_socket, bob) if "after bob left" in f]
    await bob_socket.disconnect()


# --- Safety ---------------------------------------------------------------------------------

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<svg/onload=alert(1)>",
    '"><iframe src="javascript:alert(1)">',
    "javascript:alert(1)",
    '<a href="javascript:alert(1)">x</a>',
    "https://example.com/?q=<b>x</b>&y=\"onmouseover=alert(1)",
    "{{ 7*7 }} {% debug %}",
    '</li><li hx-get="/accounts/logout/" hx-trigger="load">',
]


class FrameMarkup(HTMLParser):
    """Every element of a frame, and the text of the message bodies (`.body`, and what is in it)."""

    VOID = {"br", "img", "input"}

    def __init__(self, frame):
        super().__init__()
        self.elements, self.body_text, self._open = [], [], []
        self.feed(frame)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag not in self.VOID and (self._open or "body" in (attrs.get("class") or "").split()):
            self._open.append(tag)

    def handle_endtag(self, tag):
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data):
        if self._open:
            self.body_text.append(data)


# The htmx attributes of the message's own actions (star, edit, delete): constants of the
# fragment, never anything a sender wrote.
FORMATTING = {"strong", "em", "s", "code", "pre", "blockquote"}
ACTION_ATTRIBUTES = {"hx-swap-oob", "hx-post", "hx-get", "hx-target", "hx-swap", "hx-confirm"}


def assert_inert(frame):
    for tag, attrs in FrameMarkup(frame).elements:
        assert tag in {"div", "ul", "li", "p", "span", "time", "img", "br", "a", *FORMATTING}, (tag, frame)
        for name, value in attrs.items():
            assert not name.startswith("on"), (name, frame)
            assert not name.startswith("hx-") or name in ACTION_ATTRIBUTES, (name, frame)
            assert not (value or "").strip().lower().startswith("javascript:"), (name, value)
        if tag == "a" and attrs["href"].startswith("/"):
            assert re.fullmatch(r"/(messages|chat)/\d+/[\w/]*", attrs["href"]), attrs  # an action of the message
        elif tag == "a":
            assert attrs["rel"] == "noopener nofollow ugc" and attrs["href"].startswith(("http://", "https://"))


async def test_xss_payloads_reach_the_others_as_inert_text(layer, alice, bob, direct_room, settings):
    settings.CHAT_RATE_LIMIT = 100
    alice_socket, bob_socket = await connect(alice), await connect(bob)
    for n, payload in enumerate(XSS_PAYLOADS):
        await send(alice_socket, type="send", room=direct_room.pk, body=f"{n}:{payload}")
        frame = await frame_with(bob_socket, f'data-sender-id="{alice.pk}"')
        assert_inert(frame)
        assert "".join(FrameMarkup(frame).body_text) == f"{n}:{payload}"
    await alice_socket.disconnect()
    await bob_socket.disconnect()


MARKDOWN_PAYLOADS = [
    ("**<img src=x onerror=alert(1)>**", "<img src=x onerror=alert(1)>"),
    ("[click](javascript:alert(1))", "[click](javascript:alert(1))"),
    ('[x](https://example.com" onclick="alert(1))', '[x](https://example.com" onclick="alert(1))'),
    ("`<script>alert(1)</script>`", "<script>alert(1)</script>"),
    ("> <iframe src=javascript:alert(1)>", "> <iframe src=javascript:alert(1)>"),  # "4:" first: no quote
    ("~~<svg/onload=alert(1)>~~", "<svg/onload=alert(1)>"),
    ("[<b>hi</b>](https://example.com)", "<b>hi</b>"),
]


async def test_formatted_xss_payloads_reach_the_others_formatted_and_inert(layer, alice, bob, direct_room, settings):
    settings.CHAT_RATE_LIMIT = 100
    alice_socket, bob_socket = await connect(alice), await connect(bob)
    for n, (payload, shown) in enumerate(MARKDOWN_PAYLOADS):
        await send(alice_socket, type="send", room=direct_room.pk, body=f"{n}:{payload}")
        frame = await frame_with(bob_socket, f'data-sender-id="{alice.pk}"')
        assert_inert(frame)
        assert "".join(FrameMarkup(frame).body_text).strip() == f"{n}:{shown}"
    await alice_socket.disconnect()
    await bob_socket.disconnect()


async def test_links_become_clickable_with_a_safe_rel(layer, alice, bob, direct_room):
    bob_socket = await connect(bob)
    await sync_to_async(Message.objects.post)(direct_room, alice, "see https://example.com/a?b=1 now")
    frame = await frame_with(bob_socket, "example.com")
    links = [attrs for tag, attrs in FrameMarkup(frame).elements if tag == "a" and "//" in attrs["href"]]
    assert links == [{"href": "https://example.com/a?b=1", "rel": "noopener nofollow ugc", "target": "_blank"}]
    await bob_socket.disconnect()


# --- Notifications --------------------------------------------------------------------------


async def test_the_badge_counts_a_friend_request_as_it_arrives_and_as_it_is_answered(layer, alice, bob):
    from friends.models import FriendRequest

    bob_socket = await connect(bob)
    request = await sync_to_async(FriendRequest.objects.send)(alice, bob, "climbing partner?")
    badge = await frame_with(bob_socket, '"type":"badge"')
    assert json.loads(badge) == {"type": "badge", "badge": "requests", "count": 1}

    await sync_to_async(request.reject)(by=bob)
    badge = await frame_with(bob_socket, '"type":"badge"')
    assert json.loads(badge) == {"type": "badge", "badge": "requests", "count": 0}
    await bob_socket.disconnect()


async def test_a_ban_closes_every_open_socket_of_that_user(layer, alice, bob):
    from accounts.actions import deactivate
    from realtime.protocol import CLOSE_DEACTIVATED

    first_tab, second_tab, bob_socket = await connect(alice), await connect(alice), await connect(bob)

    await sync_to_async(deactivate)([alice])
    for tab in (first_tab, second_tab):
        closed = await tab.receive_output(timeout=3)
        assert (closed["type"], closed["code"]) == ("websocket.close", CLOSE_DEACTIVATED)
    assert not [f for f in await until_sentinel(bob_socket, bob) if "close" in f]  # still open: the marker arrives
    for socket in (first_tab, second_tab, bob_socket):
        await socket.disconnect()


async def test_a_lost_database_connection_gives_an_error_and_stores_nothing(layer, alice, bob, direct_room, monkeypatch):
    from django.db import OperationalError

    alice_socket, bob_socket = await connect(alice), await connect(bob)

    def connection_lost(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(Message, "save", connection_lost)
    await send(alice_socket, type="send", room=direct_room.pk, body="into the void", client_id=str(uuid.uuid4()))
    error = await frame_with(alice_socket, '"type":"error"')
    assert "Your message could not be stored; nothing was sent. Try again." in error
    assert await until_sentinel(bob_socket, bob) == []
    monkeypatch.undo()

    await send(alice_socket, type="send", room=direct_room.pk, body="back again", client_id=str(uuid.uuid4()))
    await frame_with(bob_socket, "back again")
    bodies = await sync_to_async(lambda: list(Message.objects.values_list("body", flat=True)))()
    assert bodies == ["back again"]
    await alice_socket.disconnect()
    await bob_socket.disconnect()
