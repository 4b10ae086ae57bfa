"""
The account state changes that others must hear of: each changes the database and, after it
commits, closes the person's open sockets on every server process (realtime), since a socket
was authenticated by a session that no longer stands.

- `deactivate`: the accounts cannot log in; their sessions are deleted and every socket closes
  (4403). A ban (moderation.actions.ban) is this, confirmed and logged.
- `reactivate`: they can log in again.
- `session_ended`: a logout closes the sockets of that one session (4401).
- `password_changed`: the other sessions were logged out by the new password (Django's
  session hash), so their sockets close (4401); a reset, or a superuser's change in the admin,
  keeps none.
- `delete_account`: the person leaves for good (their data goes, their sockets close, their
  username is held; see there).
- `start_export` / `build_export`: the person's data as a ZIP (accounts.export), at most one
  per EXPORT_INTERVAL_SECONDS.
"""

import logging
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _

from core import notes
from realtime.protocol import CLOSE_DEACTIVATED, CLOSE_UNAUTHENTICATED
from realtime.publish import close_sockets_on_commit
from realtime.sessions import session_digest

from . import export
from .backends import forget_users
from .contributors import contributors
from .models import DataExport, HeldUsername, export_storage
from .sessions import delete_sessions_of

log = logging.getLogger(__name__)


class AccountError(ValidationError):
    """A refusal people read: the account was deleted already, an export too soon..."""


def deactivate(users):
    """Deactivate these users (a list or queryset) at once; returns how many were active."""
    ids = [user.pk for user in users]
    with transaction.atomic():
        changed = get_user_model().objects.filter(pk__in=ids, is_active=True).update(is_active=False)
        delete_sessions_of(ids)
        forget_users(ids)
        for pk in ids:
            close_sockets_on_commit(pk, CLOSE_DEACTIVATED)
    for user in users:
        user.is_active = False
    return changed


def reactivate(users):
    """Let these users log in again; returns how many were inactive."""
    ids = [user.pk for user in users]
    # A deleted account stays deleted.
    changed = get_user_model().objects.filter(pk__in=ids, is_active=False, deleted_at__isnull=True).update(is_active=True)
    forget_users(ids)
    for user in users:
        user.is_active = True
    return changed


def session_ended(user_id, session_key):
    """A logout: the sockets of that one session close."""
    close_sockets_on_commit(user_id, CLOSE_UNAUTHENTICATED, session=session_digest(session_key))


def password_changed(user_id, keep_session=None):
    """The sockets of every session of the person but `keep_session` (a session key) close."""
    close_sockets_on_commit(user_id, CLOSE_UNAUTHENTICATED, except_session=session_digest(keep_session))


# --- Leaving for good -----------------------------------------------------------------------


@dataclass
class Deletion:
    """What a deletion removed (or, in a dry run, would remove)."""

    username: str
    held_until: object
    counts: dict = field(default_factory=dict)
    dry_run: bool = False


class _DryRun(Exception):
    pass


def delete_account(user, *, delete_messages=False, operator=False, dry_run=False):
    """
    Delete user's account, in one transaction; returns a `Deletion`.

    Each app above accounts removes its part (accounts.contributors: friendships and requests,
    favorites, their place in every group, whose ownership passes to the longest-standing
    member; with delete_messages, each of their messages deleted as a delete is today, files
    removed). Then the profile goes: sessions, exports, avatar file, email, password and
    nickname (the row stays as "Deleted user", the sender of the messages they leave behind
    and the direct rooms' other member); the username is held for USERNAME_HOLD_DAYS
    (`HeldUsername`). The deletion is in the admin log under the old username, as done by the
    account itself, saying whether the person or an operator (`operator`: manage.py
    delete_user) asked for it; after commit every open socket of theirs closes (4403), on
    every process.

    A dry run does all of it and rolls it back (nothing is published, no file removed),
    returning what it would have removed.
    """
    User = get_user_model()
    try:
        with transaction.atomic():
            user = User.objects.select_for_update().get(pk=user.pk)
            if user.is_deleted:
                raise AccountError(_("This account was deleted already."), code="deleted")
            deletion = Deletion(username=user.username, held_until=HeldUsername.hold(user.username), dry_run=dry_run)
            for part in contributors.values():
                deletion.counts.update(part.erase(user, delete_messages=delete_messages))
            deletion.counts["sessions"] = delete_sessions_of([user.pk])
            exports = list(user.exports.exclude(file="").values_list("file", flat=True))
            deletion.counts["exports"] = user.exports.all().delete()[0]
            avatar = user.avatar.name
            LogEntry.objects.log_actions(
                user_id=user.pk,
                queryset=[user],
                action_flag=DELETION,
                change_message=notes.note(
                    notes.ACCOUNT_DELETED[bool(operator), bool(delete_messages)], date=f"{deletion.held_until:%Y-%m-%d}"
                ),
                single_object=True,
            )
            _scrub(user)
            close_sockets_on_commit(user.pk, CLOSE_DEACTIVATED)
            transaction.on_commit(lambda: _remove_files(avatar, exports), robust=True)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return deletion


def _scrub(user):
    """Nothing of the person left on the row (see `User`)."""
    user.username = f"deleted:{user.pk}"
    user.nickname = user.DELETED_NICKNAME
    user.email = ""
    user.first_name = user.last_name = ""
    user.avatar = ""
    user.last_seen_at = None
    user.hide_activity = True  # no read receipts or last seen of theirs, from before either
    user.theme = user._meta.get_field("theme").default
    user.desktop_notifications = user._meta.get_field("desktop_notifications").default
    user.language = user.time_zone = ""
    user.set_unusable_password()
    user.is_active = user.is_staff = user.is_superuser = False
    user.deleted_at = timezone.now()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()


def _remove_files(avatar, exports):
    from django.core.files.storage import default_storage

    for storage, names in ((default_storage, [avatar] if avatar else []), (export_storage(), exports)):
        for name in names:
            try:
                storage.delete(name)
            except OSError:
                log.warning("accounts: could not delete %s", name, exc_info=True)


# --- Taking one's data along ----------------------------------------------------------------


def latest_export(user):
    """user's latest export, if any; a running one whose process is gone is marked failed."""
    latest = user.exports.order_by("-created_at", "-pk").first()
    if latest is not None and latest.stalled:
        DataExport.objects.filter(pk=latest.pk, status=DataExport.Status.RUNNING).update(status=DataExport.Status.FAILED)
        latest.status = DataExport.Status.FAILED
    return latest


def start_export(user):
    """
    Start an export of user's data; returns it. At most one per EXPORT_INTERVAL_SECONDS
    counts (a failed one does not): sooner, AccountError says when the next may start. An
    export of up to EXPORT_INLINE_ITEMS items is built before this returns; a bigger one in a
    thread of this process after the commit, moving `done` on as it goes.
    """
    User = get_user_model()
    latest_export(user)  # a stalled one no longer counts
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)  # one start at a time per person
        previous = DataExport.objects.counting_against(user).order_by("-created_at").first()
        if previous is not None:
            next_at = previous.created_at + timedelta(seconds=settings.EXPORT_INTERVAL_SECONDS)
            raise AccountError(
                _("You can export your data once an hour. The next export can start in %(wait)s.") % {"wait": timeuntil(next_at)},
                code="too_soon",
            )
        total = export.size(user)
        job = DataExport.objects.create(user=user, total=total)
    if total <= settings.EXPORT_INLINE_ITEMS:
        build_export(job)
    else:
        threading.Thread(target=_build_in_background, args=[job.pk], name=f"export-{job.pk}", daemon=True).start()
    return job


def _build_in_background(export_id):
    close_old_connections()
    try:
        build_export(DataExport.objects.select_related("user").get(pk=export_id))
    finally:
        connection.close()


def build_export(job):
    """Write the ZIP of job (a running DataExport) and mark it ready, or failed if it cannot."""
    last = {"at": 0.0, "done": 0}

    def on_progress(done, total):
        # The page polls each second: a write every half second, or each tenth of the way, will do.
        now = timezone.now().timestamp()
        if now - last["at"] >= 0.5 or (done - last["done"]) * 10 >= total:
            last.update(at=now, done=done)
            DataExport.objects.filter(pk=job.pk).update(done=done, updated_at=timezone.now())

    try:
        with tempfile.TemporaryFile() as out:
            export.write(job.user, out, on_progress, job.total)
            out.seek(0)
            job.file.save(f"chat-export-{timezone.now():%Y%m%d-%H%M%S}.zip", File(out), save=False)
    except Exception:
        log.exception("accounts: export %s failed", job.pk)
        DataExport.objects.filter(pk=job.pk).update(status=DataExport.Status.FAILED, updated_at=timezone.now())
        job.status = DataExport.Status.FAILED
        return job
    job.status, job.done, job.size = DataExport.Status.READY, job.total, job.file.size
    with transaction.atomic():
        ready = {"status": job.status, "done": job.done, "file": job.file.name, "size": job.size, "updated_at": timezone.now()}
        if not DataExport.objects.filter(pk=job.pk, status=DataExport.Status.RUNNING).update(**ready):
            # Gone meanwhile (the account was deleted) or given up as stalled: keep no ZIP.
            transaction.on_commit(lambda: _remove_files("", [job.file.name]), robust=True)
            job.status = DataExport.Status.FAILED
            return job
        # One ZIP per person on the server: the new one replaces the ones before it.
        older = DataExport.objects.filter(user_id=job.user_id, pk__lt=job.pk)
        files = [name for name in older.values_list("file", flat=True) if name]
        older.delete()
        transaction.on_commit(lambda: _remove_files("", files), robust=True)
    return job
