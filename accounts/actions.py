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
"""

from django.contrib.auth import get_user_model
from django.db import transaction

from realtime.protocol import CLOSE_DEACTIVATED, CLOSE_UNAUTHENTICATED
from realtime.publish import close_sockets_on_commit
from realtime.sessions import session_digest

from .models import UserSession


def deactivate(users):
    """Deactivate these users (a list or queryset) at once; returns how many were active."""
    ids = [user.pk for user in users]
    with transaction.atomic():
        changed = get_user_model().objects.filter(pk__in=ids, is_active=True).update(is_active=False)
        UserSession.objects.filter(user_id__in=ids).delete()
        for pk in ids:
            close_sockets_on_commit(pk, CLOSE_DEACTIVATED)
    for user in users:
        user.is_active = False
    return changed


def reactivate(users):
    """Let these users log in again; returns how many were inactive."""
    ids = [user.pk for user in users]
    changed = get_user_model().objects.filter(pk__in=ids, is_active=False).update(is_active=True)
    for user in users:
        user.is_active = True
    return changed


def session_ended(user_id, session_key):
    """A logout: the sockets of that one session close."""
    close_sockets_on_commit(user_id, CLOSE_UNAUTHENTICATED, session=session_digest(session_key))


def password_changed(user_id, keep_session=None):
    """The sockets of every session of the person but `keep_session` (a session key) close."""
    close_sockets_on_commit(user_id, CLOSE_UNAUTHENTICATED, except_session=session_digest(keep_session))
