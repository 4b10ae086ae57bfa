"""
What moderators do, each change recorded in the admin log (`LogEntry`: "Recent actions" and
each object's history) under the moderator who did it:

- `ban`: deactivate people (accounts.actions.deactivate: sessions deleted, every open socket
  closed on every process), and resolve the open reports on their messages;
- `reactivate`;
- `delete_messages`: the same delete as a sender's own (rooms.actions.delete_message: blanked,
  files removed, replaced live); its open reports are resolved by the signal below;
- `resolve_reports`: dismiss, or record why reports were closed.

Whoever deletes a message, its sender included, resolves its open reports
(`resolve_reports_of_deleted_message`, on rooms' `message_deleted` signal, and its bulk
twin on `messages_deleted`): a report never stays open on a message that is gone.
"""

from django.contrib.admin.models import CHANGE, LogEntry
from django.utils.translation import gettext as _

from accounts import actions as accounts_actions
from core import notes
from rooms import actions as rooms_actions
from rooms.errors import RoomError

from .models import Report


def record(by, obj, note):
    """One line in the admin log: by changed obj, saying note (stored in English, one of
    core.notes.NOTES: the admin says it in the moderator's language)."""
    LogEntry.objects.log_actions(user_id=by.pk, queryset=[obj], action_flag=CHANGE, change_message=note, single_object=True)


# --- People ---------------------------------------------------------------------------------


def bannable(moderator, users):
    """
    Split users into those moderator may ban and (user, why) for the rest: nobody bans
    themselves, a banned user stays banned, and only superusers ban staff.
    """
    allowed, skipped = [], []
    for user in users:
        if user.pk == moderator.pk:
            skipped.append((user, _("that is you")))
        elif not user.is_active:
            skipped.append((user, _("already banned")))
        elif (user.is_staff or user.is_superuser) and not moderator.is_superuser:
            skipped.append((user, _("staff: only a superuser can ban them")))
        else:
            allowed.append(user)
    return allowed, skipped


def ban(by, users, note=notes.BANNED):
    """Deactivate each user (their open sockets close on every process) and log it; returns how many."""
    users = list(users)
    accounts_actions.deactivate(users)
    for user in users:
        record(by, user, notes.note(note))
    return len(users)


def reactivatable(moderator, users):
    """Split users into banned ones moderator may reactivate and (user, why) for the rest."""
    allowed, skipped = [], []
    for user in users:
        if user.is_active:
            skipped.append((user, _("already active")))
        elif user.is_deleted:
            skipped.append((user, _("the account was deleted")))
        elif (user.is_staff or user.is_superuser) and not moderator.is_superuser:
            skipped.append((user, _("staff: only a superuser can reactivate them")))
        else:
            allowed.append(user)
    return allowed, skipped


def reactivate(by, users):
    users = list(users)
    accounts_actions.reactivate(users)
    for user in users:
        record(by, user, notes.note(notes.REACTIVATED))
    return len(users)


# --- Messages -------------------------------------------------------------------------------


def deletable(messages):
    """Split messages into those still shown and (message, why) for those already deleted."""
    allowed, skipped = [], []
    for message in messages:
        if message.deleted_at is not None:
            skipped.append((message, _("already deleted")))
        else:
            allowed.append(message)
    return allowed, skipped


def delete_messages(by, messages, note=notes.MESSAGE_DELETED):
    """
    Delete each message as its sender would (blanked, removed live) and log it; their open
    reports are resolved with them. Returns the messages deleted; one the rules refuse, or
    deleted meanwhile, is left alone.
    """
    deleted = []
    for message in messages:
        try:
            if not rooms_actions.delete_message(message, by):
                continue
        except RoomError:
            continue
        record(by, message, notes.note(note))
        deleted.append(message)
    return deleted


# --- Reports --------------------------------------------------------------------------------


def resolve_reports(by, reports, status, note):
    """Resolve those of reports still open as status (a Report.Status), logging each one."""
    still_open = list(Report.objects.open().filter(pk__in=[r.pk for r in reports]))
    Report.objects.filter(pk__in=[r.pk for r in still_open]).resolve(by, status)
    for report in still_open:
        report.status = status
        record(by, report, note)
    return len(still_open)


def resolve_reports_of_deleted_message(sender, message, by, **kwargs):
    """rooms' `message_deleted`: the open reports on the message are resolved, by whoever
    deleted it (logged when a moderator did)."""
    _resolve_reports_of_deleted(Report.objects.open().filter(message=message), by)


def resolve_reports_of_deleted_messages(sender, message_ids, by, **kwargs):
    """rooms' `messages_deleted` (many at once): the same for each, in one query."""
    _resolve_reports_of_deleted(Report.objects.open().filter(message_id__in=message_ids), by)


def _resolve_reports_of_deleted(open_reports, by):
    reports = list(open_reports)
    if not reports:
        return
    if by.is_staff:
        resolve_reports(by, reports, Report.Status.MESSAGE_DELETED, notes.REPORT_MESSAGE_DELETED)
    else:
        Report.objects.filter(pk__in=[r.pk for r in reports]).resolve(by, Report.Status.MESSAGE_DELETED)
