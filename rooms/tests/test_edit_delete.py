"""Editing and deleting messages: the rules, the URLs, and what every open page sees."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from realtime.publish import frame_for  # frames are per language: the English one
from accounts.tests.factories import UserFactory
from friends.models import Friendship
from rooms.models import Favorite, Message, MessageError, MessageNotFound

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def hello(direct_room, alice):
    """alice's message to bob, just sent."""
    return Message.objects.post(direct_room, alice, "Hello Bob")


@pytest.fixture
def broadcasts(monkeypatch):
    """The frames sent live, as (group, html)."""
    sent = []
    monkeypatch.setattr("rooms.actions.publish", lambda group, html="", **kw: sent.append((group, frame_for(html, "en"))) or True)
    return sent


@pytest.fixture
def moderator(db):
    user = UserFactory(username="mo", nickname="Mo")
    user.user_permissions.add(Permission.objects.get(codename="delete_message", content_type__app_label="rooms"))
    return type(user).objects.get(pk=user.pk)  # a fresh instance: permissions are cached


def age(message, minutes):
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=minutes))
    message.refresh_from_db()


# --- Editing: the rules ---------------------------------------------------------------------


def test_the_sender_edits_within_15_minutes_and_it_is_marked_edited(hello, alice):
    age(hello, 14)

    assert hello.edit(alice, "  Hello Bob, again  ") is True

    hello.refresh_from_db()
    assert hello.body == "Hello Bob, again"
    assert hello.edited_at is not None and hello.version > 0


def test_after_15_minutes_a_message_cannot_be_edited(hello, alice):
    age(hello, 16)

    with pytest.raises(MessageError, match="edited for 15 minutes after sending"):
        hello.edit(alice, "too late")
    hello.refresh_from_db()
    assert (hello.body, hello.edited_at) == ("Hello Bob", None)


def test_another_member_cannot_edit_it(hello, bob):
    with pytest.raises(MessageError, match="only edit your own messages"):
        hello.edit(bob, "hijacked")
    hello.refresh_from_db()
    assert hello.body == "Hello Bob"


def test_a_non_member_gets_not_found(hello, carol):
    with pytest.raises(MessageNotFound):
        hello.edit(carol, "hijacked")


def test_the_new_text_follows_the_rules_of_a_message(hello, alice):
    with pytest.raises(MessageError, match="cannot be empty"):
        hello.edit(alice, "   ")
    with pytest.raises(MessageError, match="at most 4,000 characters"):
        hello.edit(alice, "x" * 4001)


def test_the_same_text_changes_nothing(hello, alice, broadcasts, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert hello.edit(alice, "Hello Bob ") is False
    hello.refresh_from_db()
    assert hello.edited_at is None
    assert broadcasts == []


def test_pictures_files_system_lines_and_deleted_messages_cannot_be_edited(direct_room, group, alice, hello):
    hello.soft_delete(alice)
    with pytest.raises(MessageError, match="was deleted"):
        hello.edit(alice, "back")
    picture = Message.objects.create(room=direct_room, sender=alice, kind="image", body="a.png")
    with pytest.raises(MessageError, match="Pictures and files cannot be edited"):
        picture.edit(alice, "b.png")
    system = group.messages.get(kind="system")
    with pytest.raises(MessageError, match="only edit your own"):
        system.edit(alice, "alice did nothing")


def test_former_friends_cannot_edit_in_their_direct_room(hello, alice, bob):
    Friendship.objects.unfriend(alice, bob)

    with pytest.raises(MessageError, match="no longer friends"):
        hello.edit(alice, "changed")


def test_edits_count_against_the_send_rate_limit(hello, alice, settings):
    settings.CHAT_RATE_LIMIT = 1  # the message itself took it

    with pytest.raises(MessageError, match="too fast"):
        hello.edit(alice, "again and again")


def test_an_edit_cannot_bring_back_a_message_deleted_meanwhile(hello, alice):
    stale = Message.objects.get(pk=hello.pk)
    hello.soft_delete(alice)

    with pytest.raises(MessageError, match="was deleted"):
        stale.edit(alice, "resurrected")
    hello.refresh_from_db()
    assert (hello.body, hello.edited_at) == ("", None)


def test_an_edit_is_broadcast_after_commit_as_a_replacement(hello, alice, broadcasts, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        hello.edit(alice, "Hello Bob!")
        assert broadcasts == []

    [(group, html)] = broadcasts
    assert group == f"room.{hello.room_id}"
    assert f'<li id="message-{hello.pk}" class="message"' in html
    assert 'hx-swap-oob="outerHTML"' in html
    assert "Hello Bob!" in html and "(edited)" in html
    assert f'data-version="{Message.objects.get(pk=hello.pk).version}"' in html
    # The latest message of the room: its preview in the room list follows, without counting as new.
    assert 'data-live="preview-changed"' in html


def test_editing_an_older_message_leaves_the_room_preview_alone(
    hello, alice, bob, broadcasts, direct_room, django_capture_on_commit_callbacks
):
    Message.objects.post(direct_room, bob, "Hi Alice")

    with django_capture_on_commit_callbacks(execute=True):
        hello.edit(alice, "Hello Bob!")

    assert "room-preview" not in broadcasts[-1][1]


# --- Deleting: the rules --------------------------------------------------------------------


def test_the_sender_deletes_at_any_time_and_the_text_is_gone(hello, alice, direct_room):
    age(hello, 60 * 24 * 30)

    assert hello.soft_delete(alice) is True

    hello.refresh_from_db()
    assert hello.body == "" and hello.deleted_at is not None
    assert hello.preview == "Message deleted"
    assert not Message.objects.filter(body__contains="Hello").exists()
    assert direct_room.messages.count() == 1  # it keeps its place


def test_deleting_twice_does_nothing_more(hello, alice, broadcasts, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert hello.soft_delete(alice) is True
        assert hello.soft_delete(alice) is False
    assert len(broadcasts) == 1


def test_another_member_cannot_delete_it(hello, bob):
    with pytest.raises(MessageError, match="only delete your own messages"):
        hello.soft_delete(bob)
    hello.refresh_from_db()
    assert hello.deleted_at is None


def test_a_non_member_gets_not_found_when_deleting(hello, carol):
    with pytest.raises(MessageNotFound):
        hello.soft_delete(carol)


def test_former_friends_can_still_delete_their_messages(hello, alice, bob):
    Friendship.objects.unfriend(alice, bob)

    assert hello.soft_delete(alice) is True


def test_a_moderator_deletes_any_message_even_outside_the_room(hello, group, moderator):
    system = group.messages.get(kind="system")

    assert hello.soft_delete(moderator) is True
    assert system.soft_delete(moderator) is True


def test_members_cannot_delete_system_lines(group, alice):
    system = group.messages.get(kind="system")

    with pytest.raises(MessageError, match="only delete your own"):
        system.soft_delete(alice)


def test_a_delete_is_broadcast_after_commit_as_the_placeholder(hello, alice, broadcasts, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        hello.soft_delete(alice)

    [(group, html)] = broadcasts
    assert f'id="message-{hello.pk}"' in html and 'hx-swap-oob="outerHTML"' in html
    assert "This message was deleted." in html
    assert "Hello Bob" not in html
    assert "message-actions" not in html  # nothing left to star, edit or delete
    assert "Message deleted" in html  # the room list's preview


def test_a_favorite_of_a_deleted_message_stays_and_shows_it_deleted(client, hello, alice, bob):
    Favorite.objects.add(bob, hello)
    hello.soft_delete(alice)
    client.force_login(bob)

    response = client.get(reverse("rooms:favorites"))

    assert Favorite.objects.filter(user=bob, message=hello).exists()
    assert "This message was deleted." in response.text
    assert "Hello Bob" not in response.text


# --- The URLs -------------------------------------------------------------------------------


def edit_url(message):
    return reverse("rooms:edit_message", args=[message.pk])


def delete_url(message):
    return reverse("rooms:delete_message", args=[message.pk])


def test_edit_over_htmx_gives_the_form_then_the_replaced_message(client, hello, alice):
    client.force_login(alice)

    form = client.get(edit_url(hello), **HTMX)
    saved = client.post(edit_url(hello), {"body": "Hello Bob :)"}, **HTMX)

    assert form.status_code == 200
    assert f'<form id="edit-form-{hello.pk}" class="edit-form"' in form.text
    assert ">Hello Bob</textarea>" in form.text
    assert saved.status_code == 200
    assert 'hx-swap-oob="outerHTML"' in saved.text and "Hello Bob :)" in saved.text
    hello.refresh_from_db()
    assert hello.body == "Hello Bob :)"


def test_a_refused_edit_over_htmx_keeps_the_form_saying_why(client, hello, alice):
    client.force_login(alice)

    response = client.post(edit_url(hello), {"body": "x" * 4001}, **HTMX)

    assert response.status_code == 422
    assert f'id="edit-form-{hello.pk}"' in response.text and 'hx-swap-oob="true"' in response.text
    assert "at most 4,000 characters" in response.text


def test_edit_without_javascript_is_a_page_then_back_to_the_room(client, hello, alice):
    client.force_login(alice)

    page = client.get(edit_url(hello))
    saved = client.post(edit_url(hello), {"body": "Hello Bob, plainly"})

    assert page.status_code == 200 and "Edit your message" in page.text
    assert saved.status_code == 302
    assert saved["Location"] == f"/chat/{hello.room_id}/?around={hello.pk}#message-{hello.pk}"


def test_another_member_cannot_edit_or_delete_through_the_urls(client, hello, bob):
    client.force_login(bob)

    responses = [
        client.get(edit_url(hello)),
        client.post(edit_url(hello), {"body": "hijacked"}),
        client.post(edit_url(hello), {"body": "hijacked"}, **HTMX),
        client.get(delete_url(hello)),
        client.post(delete_url(hello)),
        client.post(delete_url(hello), **HTMX),
    ]

    assert [r.status_code for r in responses] == [422] * 6
    assert "only edit your own messages" in responses[0].text
    assert "only delete your own messages" in responses[5].text
    assert 'hx-swap-oob="beforeend:#toasts"' in responses[5].text and responses[5]["HX-Reswap"] == "none"
    hello.refresh_from_db()
    assert (hello.body, hello.deleted_at) == ("Hello Bob", None)


def test_a_non_member_gets_404_from_every_message_url(client, hello, carol):
    client.force_login(carol)

    for url in (edit_url(hello), delete_url(hello), reverse("rooms:message", args=[hello.pk])):
        assert client.get(url).status_code == 404
        assert client.post(url, {"body": "hijacked"}).status_code in (404, 405)
    assert client.post(delete_url(hello), **HTMX).status_code == 404
    hello.refresh_from_db()
    assert (hello.body, hello.deleted_at) == ("Hello Bob", None)


def test_delete_over_htmx_answers_with_the_placeholder(client, hello, alice):
    client.force_login(alice)

    response = client.post(delete_url(hello), **HTMX)

    assert response.status_code == 200
    assert "This message was deleted." in response.text and 'hx-swap-oob="outerHTML"' in response.text


def test_delete_without_javascript_asks_first(client, hello, alice):
    client.force_login(alice)

    page = client.get(delete_url(hello))
    hello.refresh_from_db()
    assert hello.deleted_at is None
    done = client.post(delete_url(hello))

    assert "Delete this message?" in page.text and "Delete for everyone" in page.text
    assert done.status_code == 302
    hello.refresh_from_db()
    assert hello.deleted_at is not None


def test_cancel_puts_the_message_back_and_without_htmx_opens_the_room(client, hello, alice):
    client.force_login(alice)
    url = reverse("rooms:message", args=[hello.pk])

    over_htmx = client.get(url, **HTMX)
    plain = client.get(url)

    assert f'id="message-{hello.pk}"' in over_htmx.text and 'hx-swap-oob="outerHTML"' in over_htmx.text
    assert plain["Location"] == hello.get_absolute_url()


def test_the_chat_page_shows_edited_and_deleted_messages_as_they_are(client, direct_room, alice, bob, hello):
    gone = Message.objects.post(direct_room, bob, "secret")
    hello.edit(alice, "Hello Bob (fixed)")
    gone.soft_delete(bob)
    client.force_login(alice)

    response = client.get(reverse("rooms:room", args=[direct_room.pk]))

    assert "Hello Bob (fixed)" in response.text and "(edited)" in response.text
    assert "secret" not in response.text and "This message was deleted." in response.text
    assert f'data-edit-until="{hello.edit_deadline.isoformat()}"' in response.text


# --- Catching up: the edits and deletes a page missed ---------------------------------------


def test_a_page_fetches_the_current_state_of_the_changed_messages_it_shows(client, direct_room, alice, bob, hello):
    untouched = Message.objects.post(direct_room, bob, "untouched")
    gone = Message.objects.post(direct_room, bob, "regret")
    later = Message.objects.post(direct_room, alice, "later")
    hello.edit(alice, "Hello Bob, edited")
    gone.soft_delete(bob)
    later.edit(alice, "later, edited")
    client.force_login(bob)

    response = client.get(reverse("rooms:changes", args=[direct_room.pk]), {"from": hello.pk, "to": gone.pk})

    assert response.status_code == 200
    assert response.text.count('hx-swap-oob="outerHTML"') == 2
    assert f'id="message-{hello.pk}"' in response.text and "Hello Bob, edited" in response.text
    assert f'id="message-{gone.pk}"' in response.text and "regret" not in response.text
    assert f'id="message-{untouched.pk}"' not in response.text
    assert f'id="message-{later.pk}"' not in response.text  # outside the range the page shows


def test_the_changes_of_a_room_you_are_not_in_are_404(client, direct_room, carol, hello):
    client.force_login(carol)

    response = client.get(reverse("rooms:changes", args=[direct_room.pk]), {"from": 1, "to": hello.pk})

    assert response.status_code == 404
