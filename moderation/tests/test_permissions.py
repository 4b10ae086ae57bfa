"""
The Moderators group: exactly what moderators need in the admin, and no more. A moderator
here is a staff user in the group, not a superuser.
"""

import pytest
from django.contrib.admin.models import LogEntry

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from rooms.models import Membership, Message, Room
from moderation.models import Report

from .helpers import change, changelist


@pytest.mark.parametrize("model", [User, Room, Membership, Message, Report, LogEntry])
def test_moderators_read_every_list_they_need(mod_client, model):
    assert mod_client.get(changelist(model)).status_code == 200


def test_moderators_see_nothing_else(mod_client):
    index = mod_client.get("/admin/")

    listed = {(app["app_label"], m["object_name"]) for app in index.context["app_list"] for m in app["models"]}
    assert listed == {
        ("accounts", "User"),
        ("rooms", "Room"),
        ("rooms", "Membership"),
        ("rooms", "Message"),
        ("moderation", "Report"),
        ("admin", "LogEntry"),
    }
    assert mod_client.get("/admin/friends/friendship/").status_code == 403
    assert mod_client.get("/admin/auth/group/").status_code == 403


# --- People: the active flag only ------------------------------------------------------------


def test_a_moderator_changes_only_the_active_flag(mod_client, alice):
    page = mod_client.get(change(alice))
    form = page.context["adminform"].form

    assert list(form.fields) == ["is_active"]
    assert "pbkdf2" not in page.text and "md5" not in page.text  # no password hash shown

    response = mod_client.post(
        change(alice), {"is_active": "", "nickname": "Hacked", "username": "hacked", "email": "x@example.com"}
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert not alice.is_active
    assert (alice.nickname, alice.username, alice.email) == ("Alice", "alice", "alice@example.com")


def test_a_moderator_cannot_change_a_password(mod_client, alice):
    url = f"/admin/accounts/user/{alice.pk}/password/"

    assert mod_client.get(url).status_code == 403
    assert mod_client.post(url, {"password1": "n3w-Pass-word!", "password2": "n3w-Pass-word!"}).status_code == 403
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_a_moderator_cannot_add_or_delete_people(mod_client, alice):
    assert mod_client.get("/admin/accounts/user/add/").status_code == 403
    assert mod_client.post(f"/admin/accounts/user/{alice.pk}/delete/", {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=alice.pk).exists()


def test_a_moderator_cannot_change_staff(mod_client, superuser):
    colleague = UserFactory(username="othermod", is_staff=True)

    for person in (colleague, superuser):
        page = mod_client.get(change(person))
        assert page.status_code == 200 and not page.context["has_change_permission"]
        mod_client.post(change(person), {"is_active": ""})
        person.refresh_from_db()
        assert person.is_active


def test_a_moderator_cannot_give_themselves_more(mod_client, moderator):
    mod_client.post(change(moderator), {"is_active": "on", "is_superuser": "on", "groups": []})

    moderator.refresh_from_db()
    assert not moderator.is_superuser and moderator.groups.filter(name="Moderators").exists()


def test_a_superuser_still_edits_everything(client, superuser, alice):
    client.force_login(superuser)

    form = client.get(change(alice)).context["adminform"].form

    assert {"username", "nickname", "email", "is_active", "is_staff", "groups"} <= set(form.fields)
    assert client.get(f"/admin/accounts/user/{alice.pk}/password/").status_code == 200


# --- Rooms and messages: read, and delete messages only the soft way ----------------------------


@pytest.fixture
def spam(alice, bob):
    from rooms.tests.conftest import befriend

    befriend(alice, bob)
    room, _ = Room.objects.get_or_create_direct(alice, bob)
    return Message.objects.post(room, bob, "buy cheap watches")


def test_a_moderator_reads_a_message_but_cannot_edit_it(mod_client, spam):
    page = mod_client.get(change(spam))

    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert "buy cheap watches" in page.text

    mod_client.post(change(spam), {"body": "edited"})
    spam.refresh_from_db()
    assert spam.body == "buy cheap watches"


def test_a_moderator_cannot_remove_rows_only_soft_delete(mod_client, spam):
    actions = mod_client.get(changelist(Message)).context["action_form"].fields["action"].choices

    assert [name for name, _ in actions if name] == ["delete_messages"]
    assert mod_client.post(f"/admin/rooms/message/{spam.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Message.objects.filter(pk=spam.pk).exists()


def test_a_moderator_cannot_change_rooms_or_memberships(mod_client, spam):
    room = spam.room
    membership = room.memberships.first()

    assert not mod_client.get(change(room)).context["has_change_permission"]
    assert not mod_client.get(change(membership)).context["has_change_permission"]
    assert mod_client.post(f"/admin/rooms/room/{room.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Room.objects.filter(pk=room.pk).exists()


def test_a_moderator_resolves_reports_only_through_the_actions(mod_client, spam, alice):
    report = Report.objects.file(spam, alice, Report.Reason.SPAM)

    page = mod_client.get(change(report))
    actions = mod_client.get(changelist(Report)).context["action_form"].fields["action"].choices

    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert [name for name, _ in actions if name] == ["dismiss", "delete_reported_messages", "ban_senders"]
    assert mod_client.post(f"/admin/moderation/report/{report.pk}/delete/", {"post": "yes"}).status_code == 403


def test_staff_without_the_group_see_nothing(client, alice):
    client.force_login(UserFactory(username="intern", is_staff=True))

    assert client.get(changelist(Message)).status_code == 403
    assert client.get(changelist(Report)).status_code == 403
    assert client.get(change(alice)).status_code == 403
