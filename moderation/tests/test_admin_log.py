"""The admin log for moderators: a deleted account is found there under its old username; nobody edits the log."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from accounts.actions import delete_account
from accounts.models import User

from .helpers import change, changelist, run_action

pytestmark = pytest.mark.django_db


def test_a_moderator_finds_a_deleted_account_in_the_admin_log_by_its_old_username(mod_client, alice, bob):
    delete_account(alice, delete_messages=True)

    page = mod_client.get(changelist(LogEntry), {"q": "alice"})

    assert page.status_code == 200
    text = page.content.decode()
    assert "Account deleted by its owner, with their messages" in text
    assert "bob" not in text
    history = mod_client.get(reverse("admin:accounts_user_history", args=[alice.pk]))
    assert "Account deleted by its owner" in history.content.decode()


def test_the_log_is_read_only(mod_client, alice):
    delete_account(alice)
    entry = LogEntry.objects.get()

    assert mod_client.get(reverse("admin:admin_logentry_add")).status_code == 403
    assert mod_client.post(change(entry), {"change_message": "nothing happened"}).status_code == 403
    assert mod_client.post(reverse("admin:admin_logentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert LogEntry.objects.get().change_message == entry.change_message


def test_a_deleted_account_cannot_be_reactivated_or_edited_by_a_moderator(mod_client, alice):
    delete_account(alice)
    tombstone = User.objects.get(pk=alice.pk)

    page = run_action(mod_client, User, "reactivate", [tombstone], confirm=False)

    assert "the account was deleted" in page.content.decode()
    assert mod_client.post(change(tombstone), {"is_active": "on"}).status_code == 403
    assert not User.objects.get(pk=alice.pk).is_active


def test_moderators_list_the_deleted_accounts(mod_client, alice, bob):
    delete_account(alice)

    page = mod_client.get(changelist(User), {"deleted_at__isnull": "False"})

    assert page.status_code == 200
    assert [u.pk for u in page.context["cl"].result_list] == [alice.pk]


def test_a_chinese_moderator_reads_the_log_in_chinese(mod_client, moderator, alice, bob):
    from moderation import actions

    moderator.language = "zh-hans"
    moderator.save()
    actions.ban(moderator, [bob])
    delete_account(alice, delete_messages=True)
    assert LogEntry.objects.get(object_id=str(bob.pk)).change_message == "Banned: deactivated, open connections closed."

    text = mod_client.get(changelist(LogEntry)).content.decode()
    assert "已封禁：账户已停用，打开的连接已关闭。" in text
    assert "账户由本人删除，消息一并删除；用户名保留至" in text
    assert "Banned: deactivated" not in text
    history = mod_client.get(reverse("admin:accounts_user_history", args=[bob.pk])).content.decode()
    assert "已封禁：账户已停用，打开的连接已关闭。" in history


def test_a_line_the_notes_do_not_know_is_shown_as_it_is():
    from django.utils import translation

    from core import notes

    with translation.override("zh-hans"):
        assert notes.translated("Changed name.") == "Changed name."
        assert notes.translated("Resolved: dismissed.") == "已处理：驳回。"
