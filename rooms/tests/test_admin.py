import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from rooms.models import Message


@pytest.fixture
def moderator(client, db):
    client.force_login(UserFactory(username="mod", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def chatter(direct_room, group, alice, bob):
    Message.objects.post(direct_room, alice, "buy cheap watches")
    Message.objects.post(direct_room, bob, "no thanks")
    Message.objects.post(group, bob, "see you saturday")


def listed(response):
    return sorted(m.body for m in response.context["cl"].result_list)


def test_room_page_shows_its_members_inline(moderator, group):
    response = moderator.get(reverse("admin:rooms_room_change", args=[group.pk]))

    assert response.status_code == 200
    assert "alice" in response.text and "carol" in response.text
    assert "owner" in response.text


def test_room_list_shows_member_counts(moderator, direct_room, group):
    response = moderator.get(reverse("admin:rooms_room_changelist"), {"kind__exact": "group"})

    [room] = response.context["cl"].result_list
    assert (room, room.member_count) == (group, 3)


def test_messages_are_searched_by_body(moderator, chatter):
    response = moderator.get(reverse("admin:rooms_message_changelist"), {"q": "watches"})

    assert listed(response) == ["buy cheap watches"]


def test_messages_filter_by_kind_room_and_sender(moderator, chatter, group, direct_room):
    url = reverse("admin:rooms_message_changelist")

    by_kind = moderator.get(url, {"kind__exact": "system"})
    by_room = moderator.get(url, {"room": group.pk})
    by_sender = moderator.get(url, {"sender": "BOB", "room": direct_room.pk})

    assert listed(by_kind) == ["Alice created the group with Bob and Carol."]
    assert listed(by_room) == ["Alice created the group with Bob and Carol.", "see you saturday"]
    assert listed(by_sender) == ["no thanks"]
    assert 'name="room" value="%d"' % direct_room.pk in by_sender.text  # kept by the sender box


def test_moderators_delete_messages_after_a_confirmation(moderator, chatter):
    # More in rooms/tests/moderation/test_admin_actions.py (the admin log, reports, live removal).
    spam = Message.objects.get(body="buy cheap watches")

    moderator.post(
        reverse("admin:rooms_message_changelist"),
        {"action": "delete_messages", "_selected_action": [spam.pk], "post": "yes"},
    )

    spam.refresh_from_db()
    assert spam.deleted_at is not None
