"""
Sessions, and the sockets that live on them.

The session store is Django's database store with the user's id on each row
(`accounts.models.UserSession`; `SESSION_ENGINE = "accounts.sessions"`).

An open chat socket was authenticated by its session when it connected, so it has to be told
when that session ends; the consumer (rooms/consumers.py) knows the digest of its session key
and listens on the person's user group, on every server process:

- logging out closes the sockets of that session (`session.ended`);
- a password change closes the sockets of every other session of the person, a password
  reset those of all of them (`sessions.ended`, with the session to keep, if any);
- deactivating an account deletes its sessions and closes every socket (`User.save()`).

Each closes with 4401, and the page says the person is logged out.
"""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.db import transaction
from django.utils.crypto import salted_hmac

from rooms import live


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls):
        from .models import UserSession

        return UserSession

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        try:
            session.user_id = int(data.get(SESSION_KEY))
        except (TypeError, ValueError):
            session.user_id = None
        return session


def session_digest(session_key):
    """What sockets and events call a session by (the key itself never travels the layer)."""
    return salted_hmac("socket-session", session_key).hexdigest()[:32] if session_key else None


def end_session_sockets(user_id, session_key):
    """After commit, close the sockets of this one session of the user (a logout)."""
    event = {"kind": "session.ended", "session": session_digest(session_key)}
    transaction.on_commit(lambda: live.broadcast(live.user_group(user_id), event=event), robust=True)


def end_other_sessions_sockets(user_id, keep=None):
    """After commit, close the sockets of every session of the user but `keep` (a session key)."""
    event = {"kind": "sessions.ended", "keep": session_digest(keep)}
    transaction.on_commit(lambda: live.broadcast(live.user_group(user_id), event=event), robust=True)


def on_logged_out(sender, request, user, **kwargs):
    """`user_logged_out`: sent before the session is flushed, so its key is still known."""
    if user is not None and request is not None and request.session.session_key:
        end_session_sockets(user.pk, request.session.session_key)
