"""
Delete my account: what goes, what stays for the others, the username held 30 days, and the
admin log. The sockets: test_deletion_live.py (and, across processes, test_deletion_multiprocess.py).
"""

from datetime import timedelta

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.actions import AccountError, delete_account
from accounts.models import HeldUsername, User, UserSession
from accounts.tests.factories import PASSWORD, UserFactory
from chatsite.tests.pages import png
from friends.models import FriendRequest, Friendship
from rooms.models import Favorite, Membership, Message, Reaction, Room
from rooms.tests.conftest import befriend

DELETE = "/accounts/delete/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(alice, bob, carol):
    """alice, with friends bob and carol, a direct room with bob, a group she owns, messages,
    a file, favorites and requests both ways; bob and carol talk and star things too."""
    dave = UserFactory(username="dave", nickname="Dave")
    befriend(alice, bob)
    befriend(alice, carol)
    direct, _ = Room.objects.get_or_create_direct(alice, bob)
    group = Room.objects.create_group(alice, "Weekend", [bob, carol])
    hers = Message.objects.post(direct, alice, "hello bob")
    her_file = Message.objects.post_file(group, alice, png("map.png"))
    his = Message.objects.post(direct, bob, "hello alice")
    theirs = Message.objects.post(group, carol, "count me in, @alice")
    Favorite.objects.add(alice, his)
    Favorite.objects.add(bob, hers)
    Favorite.objects.add(carol, theirs)
    his.react(alice, "👍")
    his.react(bob, "👍")
    hers.react(bob, "❤️")
    FriendRequest.objects.send(dave, alice, reason="we met at the crag")
    erin = UserFactory(username="erin", nickname="Erin")
    FriendRequest.objects.send(alice, erin)
    return locals()


def test_the_account_goes_and_the_others_keep_their_messages_rooms_and_favorites(world, alice, bob, carol, django_capture_on_commit_callbacks):
    User.objects.filter(pk=alice.pk).update(last_seen_at=timezone.now())
    alice.avatar = SimpleUploadedFile("me.png", png().read())
    alice.save()
    avatar = alice.avatar.name
    assert default_storage.exists(avatar)
    assert world["theirs"].mentions.filter(pk=alice.pk).exists()
    others_before = list(Message.objects.exclude(sender=alice).order_by("pk").values_list("pk", "body", "deleted_at"))

    with django_capture_on_commit_callbacks(execute=True):
        delete_account(alice)

    alice.refresh_from_db()
    assert alice.is_deleted and not alice.is_active and not alice.has_usable_password()
    assert (alice.username, alice.nickname, alice.email, alice.avatar.name) == (f"deleted:{alice.pk}", "Deleted user", "", "")
    assert not default_storage.exists(avatar)
    assert (alice.last_seen_at, alice.hide_activity) == (None, True)
    assert not Friendship.objects.filter(user_low=alice).exists() and not Friendship.objects.filter(user_high=alice).exists()
    assert not FriendRequest.objects.filter(from_user=alice).exists() and not FriendRequest.objects.filter(to_user=alice).exists()
    assert not Favorite.objects.filter(user=alice).exists()
    # Her reactions go; bob's stay, on his message and on hers.
    assert set(Reaction.objects.values_list("user__username", "message_id", "emoji")) == {
        ("bob", world["his"].pk, "👍"),
        ("bob", world["hers"].pk, "❤️"),
    }
    assert not UserSession.objects.filter(user_id=alice.pk).exists()
    mentioning = Message.objects.get(pk=world["theirs"].pk)
    assert mentioning.body == "count me in, @alice" and not mentioning.mentions.exists()
    # Her messages stay, under "Deleted user"; nobody else's changed, nor their favorites.
    hello = Message.objects.get(pk=world["hers"].pk)
    assert (hello.body, hello.deleted_at, hello.sender.display_name) == ("hello bob", None, "Deleted user")
    assert list(Message.objects.exclude(sender=alice).exclude(kind="system").order_by("pk").values_list("pk", "body", "deleted_at")) == [
        row for row in others_before if not Message.objects.get(pk=row[0]).is_system
    ]
    assert set(Favorite.objects.values_list("user__username", "message_id")) == {("bob", world["hers"].pk), ("carol", world["theirs"].pk)}
    # The direct room stays for bob, titled "Deleted user", with its whole history.
    direct = Room.objects.for_user(bob).get(pk=world["direct"].pk)
    assert direct.title == "Deleted user"
    assert set(direct.messages.values_list("body", flat=True)) == {"hello bob", "hello alice"}


def test_a_group_she_owns_passes_to_the_longest_standing_member(world, alice, bob, carol):
    group = world["group"]
    Membership.objects.filter(room=group, user=carol).update(joined_at=timezone.now() - timedelta(days=3))

    delete_account(alice)

    roles = dict(group.memberships.values_list("user__username", "role"))
    assert roles == {"carol": "owner", "bob": "member"}
    assert group.messages.filter(kind="system").last().body == "Alice left the group. Carol is now the owner."
    assert Room.objects.filter(pk=group.pk).exists()


def test_ticking_also_delete_my_messages_deletes_each_and_removes_its_files(world, alice, django_capture_on_commit_callbacks):
    from rooms.attachments import attachment_storage

    her_file = world["her_file"]
    stored = her_file.stored_files()
    assert stored and all(attachment_storage().exists(name) for name in stored)

    with django_capture_on_commit_callbacks(execute=True):
        deletion = delete_account(alice, delete_messages=True)

    assert deletion.counts["messages_deleted"] == 2
    for message in Message.objects.filter(sender=alice).exclude(kind="system"):
        assert message.deleted_at is not None and message.body == "" and not message.file
    assert not any(attachment_storage().exists(name) for name in stored)
    assert Message.objects.get(pk=world["his"].pk).body == "hello alice"
    # bob's favorite of her message stays, showing it deleted.
    assert Favorite.objects.filter(user__username="bob", message=world["hers"]).exists()


def test_the_deletion_is_in_the_admin_log_under_the_old_username(world, alice):
    delete_account(alice)

    entry = LogEntry.objects.get(object_id=str(alice.pk))
    assert (entry.action_flag, entry.object_repr, entry.user_id) == (DELETION, "alice", alice.pk)
    assert entry.change_message.startswith("Account deleted by its owner, their messages kept")


def test_an_account_is_deleted_once(alice):
    delete_account(alice)
    with pytest.raises(AccountError, match="deleted already"):
        delete_account(alice)


def test_a_dry_run_changes_nothing(world, alice, django_capture_on_commit_callbacks):
    def snapshot():
        return {
            "user": list(User.objects.order_by("pk").values()),
            "friendships": list(Friendship.objects.order_by("pk").values()),
            "requests": list(FriendRequest.objects.order_by("pk").values()),
            "memberships": list(Membership.objects.order_by("pk").values()),
            "messages": list(Message.objects.order_by("pk").values()),
            "favorites": list(Favorite.objects.order_by("pk").values()),
            "reactions": list(Reaction.objects.order_by("pk").values()),
            "held": list(HeldUsername.objects.values()),
            "log": list(LogEntry.objects.values()),
        }

    before = snapshot()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        deletion = delete_account(alice, delete_messages=True, dry_run=True)

    assert deletion.dry_run and deletion.counts["messages_deleted"] == 2 and deletion.counts["friendships"] == 2
    assert snapshot() == before
    assert callbacks == []  # nothing published, no file removed
    assert all(attachment_exists(name) for name in world["her_file"].stored_files())


def attachment_exists(name):
    from rooms.attachments import attachment_storage

    return attachment_storage().exists(name)


# --- The username, held 30 days -------------------------------------------------------------


def test_the_username_is_held_for_30_days_at_sign_up(alice, client, settings):
    from accounts.forms import SignupForm

    delete_account(alice)

    def signup_errors():
        form = SignupForm({"username": "ALICE", "nickname": "A", "password1": "x", "password2": "x", "code": "123456"}, email="new@example.com")
        form.is_valid()
        return form.errors.get("username")

    assert signup_errors() == ["This username is taken."]
    HeldUsername.objects.update(held_until=timezone.now() + timedelta(minutes=1))
    assert signup_errors() == ["This username is taken."]
    HeldUsername.objects.update(held_until=timezone.now() - timedelta(seconds=1))
    assert signup_errors() is None
    # A new alice can exist alongside the deleted one.
    assert UserFactory(username="alice").pk != alice.pk


def test_the_hold_ends_30_days_after_the_deletion(alice):
    deletion = delete_account(alice)
    held = HeldUsername.objects.get()
    assert held.username_key == "alice"
    assert abs(held.held_until - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    assert deletion.held_until == held.held_until


def test_the_admin_gives_a_held_username_to_no_one(alice, bob, client):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    delete_account(alice)

    add = client.post(reverse("admin:accounts_user_add"), {"username": "Alice", "nickname": "A", "email": "a2@example.com", "usable_password": "false"})
    assert add.status_code == 200 and "This username is taken." in add.content.decode()

    change = client.get(reverse("admin:accounts_user_change", args=[bob.pk]))
    form = change.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name in ("first_name", "last_name")}
    data.update({"username": "alice", "nickname": "Bob", "email": "bob@example.com", "is_active": "on"})
    changed = client.post(reverse("admin:accounts_user_change", args=[bob.pk]), data)
    assert changed.status_code == 200 and "This username is taken." in changed.content.decode()
    bob.refresh_from_db()
    assert bob.username == "bob"


def test_a_deleted_account_cannot_be_reactivated(alice):
    from accounts.actions import reactivate

    delete_account(alice)
    assert reactivate([User.objects.get(pk=alice.pk)]) == 0
    assert not User.objects.get(pk=alice.pk).is_active


def test_two_deleted_accounts_both_have_no_email(alice, bob):
    delete_account(alice)
    delete_account(bob)
    assert list(User.objects.filter(pk__in=[alice.pk, bob.pk]).values_list("email", flat=True)) == ["", ""]


# --- The page -------------------------------------------------------------------------------


def test_the_page_asks_for_the_password_and_a_wrong_one_deletes_nothing(client, alice):
    client.force_login(alice)
    assert client.get(DELETE).status_code == 200

    response = client.post(DELETE, {"password": "not it"})

    assert response.status_code == 422
    assert response.context["form"].errors["password"] == ["This is not your password."]
    alice.refresh_from_db()
    assert not alice.is_deleted


def test_the_page_deletes_logs_out_and_says_so(client, alice, bob):
    befriend(alice, bob)
    client.force_login(alice)
    other = type(client)()
    other.force_login(alice)

    response = client.post(DELETE, {"password": PASSWORD, "delete_messages": "on"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("accounts:deleted")
    assert "The account alice is gone" in response.content.decode()
    assert not response.context["user"].is_authenticated
    assert client.get(reverse("accounts:profile")).status_code == 302  # logged out here...
    assert other.get(reverse("accounts:profile")).status_code == 302  # ...and everywhere
    assert client.post(reverse("accounts:login"), {"username": "alice", "password": PASSWORD}).status_code == 422


def test_open_reports_on_her_deleted_messages_are_resolved_and_others_stay_open(world, alice, bob):
    from moderation.models import Report

    on_hers = Report.objects.file(world["hers"], bob, Report.Reason.SPAM)
    on_carols = Report.objects.file(world["theirs"], bob, Report.Reason.SPAM)

    delete_account(alice, delete_messages=True)

    assert Report.objects.get(pk=on_hers.pk).status == Report.Status.MESSAGE_DELETED
    assert Report.objects.get(pk=on_carols.pk).status == Report.Status.OPEN


def test_without_deleting_messages_reports_on_them_stay_open(world, alice, bob):
    from moderation.models import Report

    report = Report.objects.file(world["hers"], bob, Report.Reason.SPAM)
    delete_account(alice)
    assert Report.objects.get(pk=report.pk).status == Report.Status.OPEN


def test_a_name_taken_again_after_its_hold_is_held_again_when_that_account_goes(alice):
    delete_account(alice)
    HeldUsername.objects.update(held_until=timezone.now() - timedelta(days=1))
    second = UserFactory(username="Alice", email="second@example.com")

    delete_account(second)

    assert list(HeldUsername.objects.values_list("username_key", flat=True)) == ["alice"]
    assert HeldUsername.objects.holding("alice").exists()


def test_guessing_the_password_on_the_page_is_throttled_as_logins_are(client, alice, settings):
    client.force_login(alice)
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        assert client.post(DELETE, {"password": "a guess"}).status_code == 422

    response = client.post(DELETE, {"password": PASSWORD})

    assert response.status_code == 422
    assert response.context["form"].errors["password"] == ["Too many failed logins. Try again later (in up to 15 minutes)."]
    alice.refresh_from_db()
    assert not alice.is_deleted


def test_bob_reads_the_chat_with_her_but_is_told_why_he_cannot_write(world, alice, bob):
    from rooms.models import MessageError

    delete_account(alice)

    with pytest.raises(MessageError, match="This account was deleted: the chat stays for you to read"):
        Message.objects.post(world["direct"], bob, "are you there?")
    assert not Message.objects.filter(body="are you there?").exists()
