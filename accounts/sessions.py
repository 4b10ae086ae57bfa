"""
Sessions, and the sockets that live on them.

The session store is Django's cached database store with the user's id on each row
(`accounts.models.UserSession`; `SESSION_ENGINE = "accounts.sessions"`): every write goes to
the database and the cache, a read finds the session in the cache (Redis, shared by every
process) and goes to the database only when it is not there. A socket's handshake and a
page's request read no session row. Sessions deleted in bulk (`delete_sessions_of`) leave the
cache too.

An open chat socket was authenticated by its session when it connected, so it has to be told
when that session ends (accounts.actions): a logout closes the sockets of that session, a
password change those of every other session, a reset all of them, and deactivating an
account deletes its sessions and closes every socket.
"""

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore

from core.cached import shared_cache


class SessionStore(CachedDBStore):
    cache_key_prefix = "accounts.sessions"

    def __init__(self, session_key=None):
        if settings.SESSION_CACHE_ALIAS != "default":
            super().__init__(session_key)
            return
        # Not a Redis connection per socket (core.cached), nor Django's per-task lookup of the
        # cache (`caches[...]`, what CachedDBStore.__init__ adds to SessionBase's) per socket.
        self._cache = shared_cache()
        SessionBase.__init__(self, session_key)

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


def delete_sessions_of(user_ids):
    """Delete every session of these users, from the database and the cache; returns how many."""
    from .models import UserSession

    sessions = UserSession.objects.filter(user_id__in=list(user_ids))
    keys = list(sessions.values_list("session_key", flat=True))
    count = sessions.delete()[0]
    if keys:
        # Gone from the cache at once; a rolled-back deletion still finds its rows again.
        SessionStore()._cache.delete_many([SessionStore.cache_key_prefix + key for key in keys])
    return count


def on_logged_out(sender, request, user, **kwargs):
    """`user_logged_out`: sent before the session is flushed, so its key is still known."""
    if user is not None and request is not None and request.session.session_key:
        from .actions import session_ended

        session_ended(user.pk, request.session.session_key)
