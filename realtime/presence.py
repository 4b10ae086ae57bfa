"""
Presence: who has at least one socket open, on any server process, and the cache client that
the live layer shares.
"""

import logging
import uuid

from asgiref.sync import sync_to_async
from django.core.cache import caches

from core import counters, metrics
from core.cached import shared_cache  # noqa: F401  (the live layer's cache client; others import it here)
from core.counters import decrement, increment

log = logging.getLogger(__name__)


def _off_loop(function):
    """Run a blocking cache call in a worker thread (not the database thread)."""
    return sync_to_async(function, thread_sensitive=False)


class Presence:
    """
    Who has at least one tab connected, on any process: a counter per user in the cache,
    changed with `core.counters` (the cache's atomic add and incr; Django's async aincr is a
    get then a set, which races between tabs). This is the store of one process (the
    local-memory cache of `make run`); on Redis, `ProcessPresence` keeps counts per process.

    Each process refreshes the counters of its connected users every 30 seconds and they
    expire after 90, so a user whose process dies without saying goodbye looks online for at
    most 90 seconds more.
    """

    TTL = 90

    def _key(self, user_id):
        return f"presence:{user_id}"

    def _connected(self, user_id):
        cache = shared_cache()
        key = self._key(user_id)
        count = increment(cache, key, self.TTL)
        if count > 1:
            cache.touch(key, self.TTL)
        return count

    def _disconnected(self, user_id):
        cache = shared_cache()
        key = self._key(user_id)
        count = decrement(cache, key)
        if count is None:  # expired already
            return True
        if count <= 0:
            cache.delete(key)
            return True
        return False

    def _refresh(self, user_ids):
        cache = shared_cache()
        for key in map(self._key, user_ids):
            if not cache.touch(key, self.TTL):
                cache.add(key, 1, self.TTL)

    def _heartbeat(self):
        pass

    def _online(self, user_ids):
        found = shared_cache().get_many([self._key(pk) for pk in user_ids])
        return {pk for pk in user_ids if (found.get(self._key(pk)) or 0) > 0}

    def _connected_many(self, user_ids):
        return [self._connected(user_id) for user_id in user_ids]

    def connected_now(self, user_ids):
        """
        `connected` for each of user_ids (a person twice: two tabs), for code off the event
        loop already (a batch of handshakes): their open tabs after each, in order; 0 each
        when the cache cannot say.
        """
        try:
            return self._connected_many(user_ids)
        except Exception:
            _cache_failed()
            return [0] * len(user_ids)

    async def connected(self, user_id):
        """Count one more tab; returns the user's open tabs (1: just came online; 0: unknown)."""
        try:
            return await _off_loop(self._connected)(user_id)
        except Exception:
            _cache_failed()
            return 0

    async def disconnected(self, user_id):
        """Count one tab less; True when the user just went offline."""
        try:
            return await _off_loop(self._disconnected)(user_id)
        except Exception:
            _cache_failed()
            return False

    async def refresh(self, user_ids):
        """Keep the counts of this process's connected users (every PRESENCE_REFRESH_SECONDS)."""
        try:
            await _off_loop(self._refresh)(list(user_ids))
        except Exception:
            _cache_failed()

    async def heartbeat(self):
        """Say this process is alive (every HEARTBEAT_SECONDS): its counts still count."""
        try:
            await _off_loop(self._heartbeat)()
        except Exception:
            _cache_failed()

    def online(self, user_ids):
        """The ids among user_ids with a tab open somewhere (one cache round trip)."""
        user_ids = list(user_ids)
        if not user_ids:
            return set()
        try:
            return self._online(user_ids)
        except Exception:
            _cache_failed()
            return set()


def _cache_failed():
    metrics.cache_errors.labels("presence").inc()
    log.warning("presence: cache unavailable", exc_info=True)


class ProcessPresence(Presence):
    """
    Presence on Redis, counted per server process, so that a process that dies (SIGKILL, a lost
    machine) takes its counts with it within PROCESS_TTL seconds, instead of leaving its users
    online and their socket cap used up for as long as another process refreshes them.

    A hash per user holds one field per process (its open tabs of that user); a sorted set holds
    each process's last heartbeat. A count is that of the processes seen in the last
    PROCESS_TTL seconds; a dead process's fields are ignored, and dropped when next touched.
    Each operation is one pipelined round trip.
    """

    PROCESS_TTL = 15  # three missed heartbeats (realtime.hub.Hub.HEARTBEAT_SECONDS)

    def __init__(self):
        self.process = uuid.uuid4().hex[:16]
        self._disconnect = None  # the script of _DISCONNECT, registered on first use

    def _redis(self):
        return shared_cache()._cache.get_client(write=True)

    def _name(self, suffix):
        return shared_cache().make_key(f"presence:{suffix}")

    def _user(self, user_id):
        return self._name(f"user:{user_id}")

    @property
    def _processes(self):
        return self._name("processes")

    def _live_since(self):
        return counters.now() - self.PROCESS_TTL

    @staticmethod
    def _total(counts, live):
        return sum(max(int(n), 0) for process, n in counts.items() if process in live)

    def _connected(self, user_id):
        return self._connected_many([user_id])[0]

    def _connected_many(self, user_ids):
        pipe = self._redis().pipeline()
        pipe.zadd(self._processes, {self.process: counters.now()})
        for user_id in user_ids:
            key = self._user(user_id)
            pipe.hincrby(key, self.process, 1)
            pipe.expire(key, self.TTL)
            pipe.hgetall(key)
        pipe.zrangebyscore(self._processes, self._live_since(), "+inf")
        _, *replies, live = pipe.execute()
        live = set(live)
        return [self._total(counts, live) for counts in replies[2::3]]

    # One tab fewer of a user, its field gone at zero, and what is left with the live
    # processes: one round trip for what took three (a thousand tabs closing at once).
    _DISCONNECT = """
    if redis.call('HINCRBY', KEYS[1], ARGV[1], -1) <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
    return {redis.call('HGETALL', KEYS[1]), redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[2], '+inf')}
    """

    def _disconnected(self, user_id):
        key = self._user(user_id)
        redis = self._redis()
        if self._disconnect is None:
            self._disconnect = redis.register_script(self._DISCONNECT)
        flat, live = self._disconnect(keys=[key, self._processes], args=[self.process, self._live_since()], client=redis)
        counts = dict(zip(flat[::2], flat[1::2]))
        live = set(live)
        dead = [process for process in counts if process not in live]
        if dead:
            redis.hdel(key, *dead)
        return self._total(counts, live) == 0

    def _refresh(self, user_ids):
        pipe = self._redis().pipeline()
        pipe.zadd(self._processes, {self.process: counters.now()})
        pipe.zremrangebyscore(self._processes, "-inf", counters.now() - 3600)
        for user_id in user_ids:
            pipe.expire(self._user(user_id), self.TTL)
        pipe.execute()

    def _heartbeat(self):
        self._redis().zadd(self._processes, {self.process: counters.now()})

    def _online(self, user_ids):
        pipe = self._redis().pipeline()
        for user_id in user_ids:
            pipe.hgetall(self._user(user_id))
        pipe.zrangebyscore(self._processes, self._live_since(), "+inf")
        *counts, live = pipe.execute()
        live = set(live)
        return {pk for pk, found in zip(user_ids, counts) if self._total(found, live) > 0}


class _Chosen:
    """The presence store for this process's cache, chosen on first use (settings are read late)."""

    def __init__(self):
        self._store = None

    def __getattr__(self, name):
        if self._store is None:
            from django.conf import settings

            backend = settings.CACHES["default"]["BACKEND"]
            self._store = ProcessPresence() if backend.endswith("redis.RedisCache") else Presence()
        return getattr(self._store, name)


presence = _Chosen()
