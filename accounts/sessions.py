"""
Sessions, and the sockets that live on them.

The session store is Django's database store with the user's id on each row
(`accounts.models.UserSession`; `SESSION_ENGINE = "accounts.sessions"`).

An open chat socket was authenticated by its session when it connected, so it has to be told
when that session ends (accounts.actions): a logout closes the sockets of that session, a
password change those of every other session, a reset all of them, and deactivating an
account deletes its sessions and closes every socket.
"""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DBStore


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


def on_logged_out(sender, request, user, **kwargs):
    """`user_logged_out`: sent before the session is flushed, so its key is still known."""
    if user is not None and request is not None and request.session.session_key:
        from .actions import session_ended

        session_ended(user.pk, request.session.session_key)
