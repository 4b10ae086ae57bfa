"""
Presence: who has at least one socket open, on any server process, and the cache client that
the live layer shares.
"""

import logging

from asgiref.sync import sync_to_async
from django.core.cache import caches

from core.counters import decrement, increment

log = logging.getLogger(__name__)


def shared_cache():
    """
    One cache client for the whole process. `django.core.cache.cache` is per async task, so
    in a consumer it would open a Redis connection for every socket (10,000 sockets, 10,000
    connections); this one instance keeps one pool, which is thread-safe.
    """
    global _shared_cache
    if _shared_cache is None:
        _shared_cache = caches.create_connection("default")
    return _shared_cache


_shared_cache = None


def _off_loop(function):
    """Run a blocking cache call in a worker thread (not the database thread)."""
    return sync_to_async(function, thread_sensitive=False)


class Presence:
    """
    Who has at least one tab connected, on any process: a counter per user in the cache
    (Redis when several processes share it), changed with `core.counters` (the cache's atomic
    add and incr; Django's async aincr is a get then a set, which races between tabs).

    Each process refreshes the counters of its connected users every 30 seconds and they
    expire after 90, so a process that dies without saying goodbye makes its users look
    online for at most 90 seconds more.
    """

    TTL = 90

    def _key(self, user_id):
        return f"presence:{user_id}"

    def _connected(self, key):
        cache = shared_cache()
        count = increment(cache, key, self.TTL)
        if count > 1:
            cache.touch(key, self.TTL)
        return count

    def _disconnected(self, key):
        cache = shared_cache()
        count = decrement(cache, key)
        if count is None:  # expired already
            return True
        if count <= 0:
            cache.delete(key)
            return True
        return False

    def _refresh(self, keys):
        cache = shared_cache()
        for key in keys:
            if not cache.touch(key, self.TTL):
                cache.add(key, 1, self.TTL)

    async def connected(self, user_id):
        """Count one more tab; returns the user's open tabs (1: just came online; 0: unknown)."""
        try:
            return await _off_loop(self._connected)(self._key(user_id))
        except Exception:
            log.warning("presence: cache unavailable", exc_info=True)
            return 0

    async def disconnected(self, user_id):
        """Count one tab less; True when the user just went offline."""
        try:
            return await _off_loop(self._disconnected)(self._key(user_id))
        except Exception:
            log.warning("presence: cache unavailable", exc_info=True)
            return False

    async def refresh(self, user_ids):
        try:
            await _off_loop(self._refresh)([self._key(pk) for pk in user_ids])
        except Exception:
            log.warning("presence: cache unavailable", exc_info=True)

    def online(self, user_ids):
        """The ids among user_ids with a tab open somewhere (one cache round trip)."""
        user_ids = list(user_ids)
        if not user_ids:
            return set()
        try:
            found = shared_cache().get_many([self._key(pk) for pk in user_ids])
        except Exception:
            log.warning("presence: cache unavailable", exc_info=True)
            return set()
        return {pk for pk in user_ids if (found.get(self._key(pk)) or 0) > 0}


presence = Presence()
