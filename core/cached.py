"""
Values kept in the cache per key and recomputed after a change, without a race: the cache
value is kept with a version that `forget` moves on, so a reader that computed from data
older than a change stores its result under the old version, which nobody takes again.

    user = remember(cache, "user", pk, lambda: load(pk), timeout=300)
    forget(cache, "user", [pk])      # when that user changes (also after commit)

With the cache down the value is computed each time (and `forget` has nothing to forget).

    with reading_ahead(cache, {"user": pks}):   # one round trip for all of them
        users = [remember(cache, "user", pk, lambda: load(pk), 300) for pk in pks]
The version keys outlive the values (VERSION_TIMEOUT > any value's timeout), so a version
that expired and restarts at 0 can only find values stored since. A reader reads the version
and the value (kept with the version it was computed under) in one round trip.
"""

import contextlib
import logging
import threading

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.db import transaction

from . import metrics
from .counters import increment

log = logging.getLogger(__name__)

VERSION_TIMEOUT = 7 * 24 * 3600


def shared_cache():
    """
    One client of the default cache for the whole process. `django.core.cache.cache` is one
    per thread and per async task (asgiref's Local), so code that sockets run (a handshake,
    a send) would open a Redis connection for every socket: 10,000 sockets, 10,000
    connections, each costing a connect on first use. This one keeps one pool, which is
    thread-safe.
    """
    global _shared
    if _shared is None:
        cache = caches.create_connection("default")
        if isinstance(cache, RedisCache):
            cache._class = _KeptClients
        _shared = cache
    return _shared


_shared = None


class _KeptClients(RedisCacheClient):
    """
    Django's Redis cache makes a `redis.Redis` (and its table of response callbacks) for every
    operation, which costs more than the round trip; this keeps one per connection pool
    (redis.Redis is thread-safe over its pool).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client
def _version_key(name, key):
    return f"{name}:version:{key}"


_ahead = threading.local()  # .read: (cache, {key: value} read ahead) inside reading_ahead


@contextlib.contextmanager
def reading_ahead(cache, keys_by_name):
    """
    Inside the block, on this thread, `remember(cache, name, key, ...)` (and `remember_many`)
    for these names and keys takes what one round trip read for all of them, instead of a round trip each (a
    batch of socket handshakes: every person's user and groups). What it finds missing or
    out of date is computed and stored as usual. With the cache down, nothing is read ahead.
    """
    keys = [k for name, ks in keys_by_name.items() for key in ks for k in (_version_key(name, key), f"{name}:{key}")]
    try:
        found = cache.get_many(keys)
    except Exception:
        found = None  # each remember tries the cache itself, and computes without it
    outer = getattr(_ahead, "read", None)
    if found is not None:
        _ahead.read = (cache, dict.fromkeys(keys), found)
    try:
        yield
    finally:
        _ahead.read = outer


def remember(cache, name, key, compute, timeout):
    """
    The value of name for key: from the cache, or compute() stored there for timeout seconds.
    One round trip when it is there: the value is kept beside the version it was computed
    under, and both are read together; a value of an older version is computed again.
    """
    return remember_many(cache, name, [key], lambda keys: {key: compute()}, timeout)[key]


def remember_many(cache, name, keys, compute_many, timeout):
    """
    `remember` for many keys at once: {key: value}, read in one round trip (none for what is
    read ahead), and what is missing or out of date computed by one call, compute_many(those
    keys) -> {key: value}, and stored in one more.
    """
    keys = list(dict.fromkeys(keys))
    ahead = getattr(_ahead, "read", None)
    if ahead is not None and ahead[0] is not cache:
        ahead = None
    wanted = {key: (_version_key(name, key), f"{name}:{key}") for key in keys}
    try:
        unread = [k for pair in wanted.values() if ahead is None or pair[1] not in ahead[1] for k in pair]
        found = cache.get_many(unread) if unread else {}
    except Exception:
        metrics.cache_errors.labels(name).inc()
        log.warning("cache unavailable: %s computed without it", name, exc_info=True)
        return compute_many(keys)
    read = found if ahead is None else _Both(found, ahead[2])
    values, versions = {}, {}
    for key, (version_key, value_key) in wanted.items():
        version = read.get(version_key) or 0
        kept = read.get(value_key)
        if kept is not None and kept[0] == version:
            values[key] = kept[1]
        else:
            versions[key] = version
    if not versions:
        return values
    computed = compute_many(list(versions))
    values.update(computed)
    kept = {wanted[key][1]: (version, computed[key]) for key, version in versions.items()}
    if ahead is not None:
        ahead[2].update((k, v) for k, v in kept.items() if k in ahead[1])  # a second tab of the same person
    try:
        cache.set_many(kept, timeout)
    except Exception:
        metrics.cache_errors.labels(name).inc()
        log.warning("cache unavailable: %s not kept", name, exc_info=True)
    return values


class _Both:
    """What one round trip read, then what was read ahead."""

    __slots__ = ("first", "then")

    def __init__(self, first, then):
        self.first, self.then = first, then

    def get(self, key):
        return self.first[key] if key in self.first else self.then.get(key)


def forget(cache, name, keys):
    """The values of name for these keys are out of date: now, and once the transaction commits."""

    def move_on():
        try:
            for key in keys:
                increment(cache, _version_key(name, key), VERSION_TIMEOUT)
        except Exception:
            metrics.cache_errors.labels(name).inc()
            # Nothing newer can be stored meanwhile either: readers compute without the cache.
            log.warning("cache unavailable: %s not forgotten", name, exc_info=True)

    keys = list(keys)
    _ahead.read = None  # nor one reading ahead on this thread
    move_on()  # a reader inside the transaction must not get the old value
    transaction.on_commit(move_on, robust=True)  # one that read before the commit neither
