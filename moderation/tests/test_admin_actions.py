"""
The moderators' admin actions: each asks first (a confirmation page that changes nothing),
then acts through the models and leaves an entry in the admin log.
"""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType

from accounts.models import User
from accounts.tests.factories import UserFactory
from realtime import publish as live
from realtime.publish import frame_for
from realtime.protocol import CLOSE_DEACTIVATED
from rooms.groups import room_group
from rooms.models import Message
from moderation.models import Report

from .helpers import changelist, run_action


def log_of(obj):
    """The admin log's messages about obj, oldest first."""
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).order_by("pk")
    return [(entry.user.username, entry.action_flag, entry.get_change_message()) for entry in entries]


@pytest.fixture
def closed_sockets(monkeypatch):
    """The user groups told to close their sockets as deactivated (after commit)."""
    sent = []
    real = live.publish

    def spy(group, html="", *, event=None, exclude_user=None):
        if event and event.get("kind") == "close" and event.get("code") == CLOSE_DEACTIVATED:
            sent.append(group)
        return real(group, html, event=event, exclude_user=exclude_user)

    monkeypatch.setattr(live, "publish", spy)
    return sent


@pytest.fixture
def spied_frames(monkeypatch):
    """Every (group, frame) published, still sent on."""
    sent = []
    real = live.publish

    def spy(group, html="", *, event=None, exclude_user=None):
        sent.append((group, frame_for(html, "en")))  # frames are per language: the English one
        return real(group, html, event=event, exclude_user=exclude_user)

    monkeypatch.setattr(live, "publish", spy)
    monkeypatch.setattr("rooms.actions.publish", spy)
    return sent


# --- Banning people --------------------------------------------------------------------------


def test_ban_asks_first_and_changes_nothing_until_confirmed(mod_client, alice, bob):
    page = run_action(mod_client, User, "ban", [alice, bob], confirm=False)

    assert page.status_code == 200
    assert "Ban these people?" in page.text
    assert "alice" in page.text and "bob" in page.text
    assert User.objects.filter(is_active=True, username__in=["alice", "bob"]).count() == 2
    assert not LogEntry.objects.exists()


def test_ban_deactivates_closes_sockets_and_logs_each(mod_client, moderator, alice, bob, carol, closed_sockets,
                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(mod_client, User, "ban", [alice, bob])

    assert "2 users banned" in response.text
    assert list(User.objects.filter(is_active=False).order_by("username").values_list("username", flat=True)) == [
        "alice",
        "bob",
    ]
    assert sorted(closed_sockets) == sorted([live.user_group(alice.pk), live.user_group(bob.pk)])
    assert log_of(alice) == [("mod", CHANGE, "Banned: deactivated, open connections closed.")]
    assert log_of(carol) == []


def test_ban_leaves_oneself_the_banned_and_staff_alone(mod_client, moderator, alice, superuser):
    colleague = UserFactory(username="othermod", is_staff=True)
    User.objects.filter(pk=alice.pk).update(is_active=False)

    page = run_action(mod_client, User, "ban", [moderator, alice, colleague, superuser], confirm=False)
    run_action(mod_client, User, "ban", [moderator, alice, colleague, superuser])

    assert "that is you" in page.text and "already banned" in page.text and "only a superuser" in page.text
    assert User.objects.filter(is_active=True, username__in=["mod", "othermod", "root"]).count() == 3
    assert not LogEntry.objects.exists()


def test_a_superuser_can_ban_staff(client, superuser):
    colleague = UserFactory(username="othermod", is_staff=True)
    client.force_login(superuser)

    run_action(client, User, "ban", [colleague])

    colleague.refresh_from_db()
    assert not colleague.is_active


def test_ban_applies_to_all_matching_with_select_across(mod_client, db):
    spammers = [UserFactory(username=f"spammer{n}") for n in range(3)]
    UserFactory(username="fine")

    page = mod_client.post(
        "/admin/accounts/user/?q=spammer", {"action": "ban", "select_across": "1", "_selected_action": [spammers[0].pk]}
    )
    mod_client.post(
        "/admin/accounts/user/?q=spammer",
        {"action": "ban", "select_across": "1", "_selected_action": [spammers[0].pk], "post": "yes"},
    )

    assert 'name="select_across" value="1"' in page.text
    assert sorted(User.objects.filter(is_active=False).values_list("username", flat=True)) == [
        "spammer0",
        "spammer1",
        "spammer2",
    ]


def test_reactivate_asks_then_lets_people_log_in_again(mod_client, alice):
    User.objects.filter(pk=alice.pk).update(is_active=False)

    page = run_action(mod_client, User, "reactivate", [alice], confirm=False)
    response = run_action(mod_client, User, "reactivate", [alice])

    assert "Reactivate these people?" in page.text
    assert "1 user reactivated" in response.text
    alice.refresh_from_db()
    assert alice.is_active
    assert log_of(alice) == [("mod", CHANGE, "Reactivated: can log in again.")]


def test_banning_from_the_change_form_also_closes_sockets(mod_client, alice, closed_sockets,
                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mod_client.post(f"/admin/accounts/user/{alice.pk}/change/", {"is_active": ""})

    assert closed_sockets == [live.user_group(alice.pk)]
    assert log_of(alice)[0][2] == "Changed Active."


# --- Reports ---------------------------------------------------------------------------------


@pytest.fixture
def reported(group, alice, bob, carol):
    """bob's rude message in the group, reported by alice and by carol; and a fine one of alice's."""
    rude = Message.objects.post(group, bob, "you are all idiots")
    fine = Message.objects.post(group, alice, "pizza tonight?")
    return {
        "rude": rude,
        "fine": fine,
        "by_alice": Report.objects.file(rude, alice, Report.Reason.HARASSMENT, "again"),
        "by_carol": Report.objects.file(rude, carol, Report.Reason.HATE),
        "of_fine": Report.objects.file(fine, bob, Report.Reason.SPAM, "not spam really"),
    }


def test_the_queue_lists_open_reports_first_with_message_room_and_both_users(mod_client, reported, moderator):
    Report.objects.filter(pk=reported["by_carol"].pk).resolve(moderator, Report.Status.DISMISSED)

    page = mod_client.get("/admin/moderation/report/")

    rows = list(page.context["cl"].result_list)
    assert rows == [reported["of_fine"], reported["by_alice"], reported["by_carol"]]
    assert "you are all idiots" in page.text and "Weekend" in page.text
    assert ">bob</a>" in page.text and "alice" in page.text


def test_dismiss_resolves_open_reports_and_logs_them(mod_client, moderator, reported):
    page = run_action(mod_client, Report, "dismiss", [reported["of_fine"]], confirm=False)
    response = run_action(mod_client, Report, "dismiss", [reported["of_fine"]])

    assert "Dismiss these reports?" in page.text
    assert "1 report dismissed" in response.text
    report = Report.objects.get(pk=reported["of_fine"].pk)
    assert (report.status, report.resolved_by) == (Report.Status.DISMISSED, moderator)
    assert report.resolved_at is not None
    assert log_of(report) == [("mod", CHANGE, "Resolved: dismissed.")]
    assert Report.objects.open().count() == 2
    assert Message.objects.get(pk=reported["fine"].pk).body == "pizza tonight?"


def test_resolved_reports_are_not_resolved_again(mod_client, moderator, reported):
    Report.objects.filter(pk=reported["of_fine"].pk).resolve(moderator, Report.Status.DISMISSED)

    page = run_action(mod_client, Report, "dismiss", [reported["of_fine"]], confirm=False)

    assert "already resolved (dismissed)" in page.text
    assert "Yes, dismiss them" not in page.text


def test_delete_messages_asks_then_deletes_like_the_sender_and_logs(
    mod_client, reported, spied_frames, django_capture_on_commit_callbacks
):
    rude = reported["rude"]

    page = run_action(mod_client, Message, "delete_messages", [rude], confirm=False)
    assert "Delete these messages?" in page.text and "you are all idiots" in page.text
    assert Message.objects.get(pk=rude.pk).deleted_at is None

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(mod_client, Message, "delete_messages", [rude])

    assert "1 message deleted" in response.text
    rude.refresh_from_db()
    assert rude.deleted_at is not None and rude.body == ""
    assert any(group == room_group(rude.room_id) and f'id="message-{rude.pk}"' in html for group, html in spied_frames)
    assert log_of(rude) == [
        ("mod", CHANGE, "Deleted by a moderator: the body was removed and open clients no longer show it.")
    ]
    statuses = dict(Report.objects.values_list("pk", "status"))
    assert statuses[reported["by_alice"].pk] == statuses[reported["by_carol"].pk] == "deleted"
    assert statuses[reported["of_fine"].pk] == "open"
    assert log_of(reported["by_alice"]) == [("mod", CHANGE, "Resolved: message deleted.")]


def test_deleted_messages_are_left_alone(mod_client, moderator, reported):
    rude = reported["rude"]
    rude.soft_delete(by=moderator)

    page = run_action(mod_client, Message, "delete_messages", [rude], confirm=False)

    assert "already deleted" in page.text and "Yes, delete them" not in page.text


def test_delete_reported_messages_resolves_every_open_report_on_them(mod_client, reported):
    response = run_action(mod_client, Report, "delete_reported_messages", [reported["by_alice"]])

    assert "1 message deleted; 2 reports resolved" in response.text
    rude = Message.objects.get(pk=reported["rude"].pk)
    assert rude.deleted_at is not None and rude.body == ""
    assert log_of(rude) == [
        ("mod", CHANGE, "Deleted after a report: the body was removed and open clients no longer show it.")
    ]
    assert set(Report.objects.filter(message=rude).values_list("status", flat=True)) == {"deleted"}
    assert Report.objects.get(pk=reported["of_fine"].pk).status == "open"
    assert Message.objects.get(pk=reported["fine"].pk).body == "pizza tonight?"


def test_ban_sender_bans_and_resolves_every_open_report_on_the_message(
    mod_client, moderator, reported, bob, closed_sockets, django_capture_on_commit_callbacks
):
    page = run_action(mod_client, Report, "ban_senders", [reported["by_alice"]], confirm=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(mod_client, Report, "ban_senders", [reported["by_alice"]])

    assert "Ban these people?" in page.text and "bob" in page.text
    assert "1 user banned; 2 reports resolved" in response.text
    bob.refresh_from_db()
    assert not bob.is_active
    assert closed_sockets == [live.user_group(bob.pk)]
    statuses = dict(Report.objects.values_list("pk", "status"))
    assert statuses == {
        reported["by_alice"].pk: "banned",
        reported["by_carol"].pk: "banned",
        reported["of_fine"].pk: "open",  # bob's own report of alice's message stays
    }
    assert log_of(bob) == [("mod", CHANGE, "Banned after a report: deactivated, open connections closed.")]
    assert log_of(reported["by_carol"]) == [("mod", CHANGE, "Resolved: sender banned.")]


def test_ban_sender_skips_staff_for_moderators(mod_client, group, alice, carol, superuser):
    from rooms.tests.conftest import befriend

    staff = UserFactory(username="helper", is_staff=True)
    befriend(alice, staff)
    group.add_members(alice, [staff])
    message = Message.objects.post(group, staff, "rules: be nice")
    report = Report.objects.file(message, carol, Report.Reason.OTHER)

    page = run_action(mod_client, Report, "ban_senders", [report], confirm=False)

    assert "only a superuser can ban them" in page.text
    assert "Yes, ban them" not in page.text


def test_a_moderator_with_a_chinese_profile_moderates_in_chinese(mod_client, moderator, alice, bob,
                                                                   django_capture_on_commit_callbacks):
    moderator.language = "zh-hans"
    moderator.save()
    listing = mod_client.get(changelist(User)).text
    assert "封禁所选用户（停用并断开连接）" in listing and "重新启用所选用户" in listing
    page = run_action(mod_client, User, "ban", [alice, moderator], confirm=False)
    assert "要封禁这些人吗？" in page.text and "是的，封禁" in page.text and "这是你自己" in page.text
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(mod_client, User, "ban", [alice])
    assert "已封禁 1 位用户：已停用并断开连接。" in response.text
