"""
What the socket sends (rooms/frames.py, realtime/PROTOCOL.md): control frames are one JSON
object each, with a `type`; HTML frames are out-of-band swaps, each message keyed by its id.
"""

import json
import uuid
from html.parser import HTMLParser

import pytest
from asgiref.sync import sync_to_async

from friends import frames as friend_frames
from realtime import protocol
from rooms import frames
from rooms.models import Message, Room

from .sockets import connect, frame_with, send

pytestmark = pytest.mark.django_db


def test_each_control_frame_is_one_json_object_with_its_type_and_fields(alice):
    assert [json.loads(frame) for frame in [
        protocol.resync(),
        frames.reload_room(7),
        protocol.presence(alice.pk, True),
        protocol.presence(alice.pk, False),
        frames.typing(7, alice),
        friend_frames.requests_badge(3),
        friend_frames.friends_changed(),
        protocol.notice("Reconnecting"),
        protocol.error("Choose a room first."),
        protocol.error("This room does not exist.", room=7),
    ]] == [
        {"type": "resync"},
        {"type": "reload", "room": 7},
        {"type": "presence", "user": alice.pk, "online": True},
        {"type": "presence", "user": alice.pk, "online": False},
        {"type": "typing", "room": 7, "user": alice.pk, "name": "Alice"},
        {"type": "badge", "badge": "requests", "count": 3},
        {"type": "friends"},
        {"type": "notice", "text": "Reconnecting"},
        {"type": "error", "text": "Choose a room first."},
        {"type": "error", "text": "This room does not exist.", "room": 7},
    ]


def test_control_frames_carry_text_as_text(alice):
    alice.nickname = "<b>Al & Co</b> 🧗"
    # The page writes it as text: nothing is escaped for HTML on the way, nothing is markup.
    assert json.loads(frames.typing(1, alice))["name"] == "<b>Al & Co</b> 🧗"
    assert json.loads(protocol.error('Unknown frame type: "<x>".'))["text"] == 'Unknown frame type: "<x>".'
    assert protocol.notice("ok").startswith('{"type":"notice"')  # the page tells JSON from HTML by its first character


class TopLevel(HTMLParser):
    """The top-level elements of a fragment, with their attributes."""

    VOID = {"img", "input", "br", "link", "meta"}

    def __init__(self, html):
        super().__init__()
        self.depth, self.elements = 0, []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if self.depth == 0:
            self.elements.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.depth += 1

    def handle_endtag(self, tag):
        self.depth -= 1


def test_html_frames_are_swaps_and_a_message_carries_its_id(alice, bob):
    from friends.models import Friendship

    Friendship.objects.befriend(alice, bob)
    room, _ = Room.objects.get_or_create_direct(alice, bob)
    message = Message.objects.post(room, bob, "hello")
    listed = Room.objects.for_user(alice).get(pk=room.pk)

    for html in (frames.message(message), frames.message_changed(message, latest=True), frames.room_added(listed)):
        assert not html.lstrip().startswith("{")
        assert all("hx-swap-oob" in attrs for _, attrs in TopLevel(html).elements), html

    new = TopLevel(frames.message(message)).elements
    assert [attrs["hx-swap-oob"] for _, attrs in new] == [
        f"beforeend:#messages[data-room-id='{room.pk}']",
        f"innerHTML:#room-item-{room.pk} .room-preview",
        f"outerHTML:#room-item-{room.pk} time",
    ]
    assert f'<li id="message-{message.pk}" class="message" data-message-id="{message.pk}"' in frames.message(message)
    changed = TopLevel(frames.message_changed(message, latest=False)).elements
    assert changed == [("li", changed[0][1])] and changed[0][1]["id"] == f"message-{message.pk}"
    assert changed[0][1]["hx-swap-oob"] == "outerHTML" and changed[0][1]["data-version"] == str(message.version)
    assert [attrs["hx-swap-oob"] for _, attrs in TopLevel(frames.room_added(listed)).elements] == ["afterbegin:#room-items"]


@pytest.mark.django_db(transaction=True)
async def test_a_degraded_delivery_tells_the_sender_in_a_frame_of_its_own(alice, bob, direct_room, monkeypatch):
    from channels.layers import get_channel_layer

    socket = await connect(alice)

    async def down(*args, **kwargs):
        raise ConnectionError("the layer is down")

    monkeypatch.setattr(get_channel_layer(), "group_send", down)
    try:
        await send(socket, type="send", room=direct_room.pk, body="into the storm", client_id=str(uuid.uuid4()))
        stored = await frame_with(socket, "into the storm")
        notice = await socket.receive_from(timeout=3)
        message = await sync_to_async(Message.objects.get)(body="into the storm")
        assert f'id="message-{message.pk}"' in stored and "degraded" not in stored
        assert json.loads(notice) == {
            "type": "notice",
            "text": "Live delivery is degraded: your message is stored, and others will see it when they catch up.",
        }
    finally:
        await socket.disconnect()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_message_s_action_links_are_its_own_in_its_reader_s_language(group, alice, language):
    """The links are rendered once per language and filled in (rooms.templatetags.chat):
    each message gets exactly what the template gives it, with its own ids."""
    from django.template.loader import render_to_string
    from django.utils import translation

    from rooms.templatetags.chat import message_actions

    first, second = Message.objects.post(group, alice, "one"), Message.objects.post(group, alice, "two")
    upload = Message(pk=second.pk + 1000, room=group, sender=alice, kind=Message.Kind.FILE, body="notes.pdf")
    with translation.override(language):
        for message in (first, second, upload, first):
            shown = message_actions(message)
            assert shown == render_to_string("rooms/chat.html#message-actions", {"message": message})
            assert f"/messages/{message.pk}/delete/" in shown and f"/chat/{group.pk}/messages/{message.pk}/report/" in shown
            assert ("/edit/" in shown) is message.is_editable
        assert translation.gettext("Delete") in shown
    assert f"/messages/{second.pk}/" not in message_actions(first)


def _as_if_just_started():
    """Forget what rendering compiled: templates, the URL resolver, the action links' shapes."""
    from django.template import engines
    from django.urls import clear_url_caches

    from rooms.templatetags.chat import _action_shapes

    for loader in engines["django"].engine.template_loaders:
        loader.reset()
    clear_url_caches()
    _action_shapes.clear()


def test_a_warmed_up_process_compiles_nothing_for_its_first_message(group, alice, monkeypatch):
    """frames.warm_up (the ASGI application's, at start) leaves a process's first message
    nothing to compile: it had cost that message 90-150 ms on the database thread."""
    from django.template.base import Template

    from realtime.publish import per_language

    compiled = []
    compile_nodelist = Template.compile_nodelist
    monkeypatch.setattr(Template, "compile_nodelist", lambda self: compiled.append(self.origin.name) or compile_nodelist(self))
    message = Message.objects.post(group, alice, "The first message since the start")
    message.just_stored = True

    _as_if_just_started()
    cold = per_language(lambda: frames.message(message))
    assert any(name.endswith("rooms/frames.html") for name in compiled)

    _as_if_just_started()
    frames.warm_up()
    compiled.clear()
    assert per_language(lambda: frames.message(message)) == cold
    assert compiled == []


def test_the_asgi_application_warms_up_at_start():
    """In a fresh process, as a server starts it: importing the application rendered a message."""
    from django.conf import settings

    from chatsite.tests.test_settings import PRODUCTION, run

    code = "import chatsite.asgi; from rooms.templatetags.chat import _action_shapes; print(sorted(_action_shapes))"
    result = run(["-c", code], DJANGO_SETTINGS_MODULE="chatsite.settings", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == repr(sorted((language, True) for language, _name in settings.LANGUAGES))
