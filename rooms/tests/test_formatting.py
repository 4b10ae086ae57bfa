"""
Formatted messages (core/formatting.py): rendered once when stored or edited, shown as stored,
blanked with the message; a database from before the column gets its messages rendered.
"""


import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from core import formatting
from rooms.models import Message


@pytest.fixture
def as_alice(client, alice):
    client.force_login(alice)
    return client


def test_a_message_is_stored_with_its_formatted_text_and_shown_as_such(as_alice, direct_room, alice):
    message = Message.objects.post(direct_room, alice, "**really** see [the map](https://example.com/map)")
    assert Message.objects.get(pk=message.pk).body_html == (
        '<p><strong>really</strong> see <a href="https://example.com/map" target="_blank" '
        'rel="noopener nofollow ugc">the map</a></p>'
    )
    html = as_alice.get(reverse("rooms:room", args=[direct_room.pk])).content.decode()
    pane = html[html.index('id="messages"') :]
    assert "<strong>really</strong>" in pane and "**really**" not in pane


def test_a_page_view_renders_nothing(as_alice, direct_room, alice, monkeypatch):
    Message.objects.post(direct_room, alice, "*once*")

    def refuse(*args, **kwargs):
        raise AssertionError("rendered on a page view")

    monkeypatch.setattr(formatting, "render", refuse)
    html = as_alice.get(reverse("rooms:room", args=[direct_room.pk])).content.decode()
    assert "<em>once</em>" in html


def test_an_edit_renders_the_new_text_and_a_delete_blanks_it(direct_room, alice):
    message = Message.objects.post(direct_room, alice, "plain")
    message.edit(alice, "now `code`")
    assert Message.objects.get(pk=message.pk).body_html == "<p>now <code>code</code></p>"
    message.soft_delete(alice)
    assert Message.objects.get(pk=message.pk).body_html == ""


def test_a_row_without_its_formatted_text_shows_its_plain_text_escaped(as_alice, direct_room, alice):
    Message.objects.bulk_create([Message(room=direct_room, sender=alice, body="<b>raw</b> **x**")])
    html = as_alice.get(reverse("rooms:room", args=[direct_room.pk])).content.decode()
    assert "&lt;b&gt;raw&lt;/b&gt; **x**" in html


def test_pictures_and_system_lines_have_no_formatted_text(group):
    line = group.messages.get(kind=Message.Kind.SYSTEM)
    assert not line.body_html


def migrate(targets=None):
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_messages_stored_before_formatting_are_rendered_by_the_migration():
    old = migrate([("rooms", "0006_report_moves_to_moderation"), ("accounts", "0003_user_session")])
    try:
        User, Room, Message_ = (old.get_model(*n) for n in [("accounts", "User"), ("rooms", "Room"), ("rooms", "Message")])
        alice = User.objects.create(username="alice", username_key="alice", email="a@example.com", nickname="Alice")
        room = Room.objects.create(kind="group", name="Weekend")
        said = Message_.objects.create(room=room, sender=alice, body="**old** <i>news</i>")
        gone = Message_.objects.create(room=room, sender=alice, body="", deleted_at="2026-01-01T00:00:00Z")
        new = migrate([("rooms", "0007_message_body_html")])
        Message_ = new.get_model("rooms", "Message")
        assert Message_.objects.get(pk=said.pk).body_html == "<p><strong>old</strong> &lt;i&gt;news&lt;/i&gt;</p>"
        assert Message_.objects.get(pk=gone.pk).body_html is None
    finally:
        migrate()


def test_the_room_list_previews_formatted_text_without_its_marks(as_alice, direct_room, bob):
    Message.objects.post(direct_room, bob, "**Summit** at [noon](https://example.com/plan)")
    html = as_alice.get(reverse("rooms:chat")).content.decode()
    assert '<span class="room-preview">Summit at noon</span>' in html
