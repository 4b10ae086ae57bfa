"""
One counter for every limit, throttle and tally kept in the cache (shared by all server
processes when the cache is Redis).

`increment(cache, key, timeout)` is the one add-or-incr: atomic on Redis and locmem (the
cache's own `add` and `incr`; Django's async `aincr` is a get then a set, which races). On it:

- `RateLimit`: at most `limit` actions per `window` seconds per key, estimated with a sliding
  window over two fixed buckets (a burst cannot slip through at a bucket boundary); a refused
  action is not counted; with the cache down, allowed (losing a message to an outage would be
  worse than a burst slipping through). Messages, renames, friend requests, emails use it.
- `FixedWindow`: failures counted from the first one for `window` seconds (login throttling,
  wrong codes).
"""

import logging
import time

from django.conf import settings
from django.core.cache.backends.redis import RedisCache

from . import metrics

log = logging.getLogger(__name__)


def _cache():
    from .cached import shared_cache  # (cached.py counts with increment)

    return shared_cache()


def now():
    """The clock every window reads (tests move it instead of sleeping)."""
    return time.time()


def increment(cache, key, timeout):
    """Count one more for key (starting a window of `timeout` seconds); returns the count."""
    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        return 1 if cache.add(key, 1, timeout) else cache.incr(key)


def decrement(cache, key):
    """Count one less for key; returns the count, or None when the key had expired."""
    try:
        return cache.decr(key)
    except ValueError:
        return None


class RateLimit:
    """
    At most `limit` actions per `window` seconds per key; the limit and window are read from
    the settings named, so tests and deployments can change them.
    """

    def __init__(self, name, limit_setting, window_setting):
        self.name = name
        self.limit_setting, self.window_setting = limit_setting, window_setting

    @property
    def limit(self):
        return getattr(settings, self.limit_setting)

    @property
    def window(self):
        return getattr(settings, self.window_setting)

    def allow(self, key):
        """Count one action for key and say whether it is allowed."""
        try:
            return self._count(key)
        except Exception:
            metrics.cache_errors.labels("rate_limit").inc()
            log.warning("rate limit %s: cache unavailable; allowing", self.name, exc_info=True)
            return True

    def _bucket(self, key, bucket):
        return f"rate:{self.name}:{key}:{bucket}"

    def refund(self, key):
        """Take back one action counted for key (in this bucket): it turned out to be a repeat."""
        try:
            decrement(_cache(), self._bucket(key, int(now() // self.window)))
        except Exception:
            metrics.cache_errors.labels("rate_limit").inc()
            log.warning("rate limit %s: cache unavailable; not refunded", self.name, exc_info=True)

    def _count(self, key):
        window, limit = self.window, self.limit
        t = now()
        bucket = int(t // window)
        key, previous_key = self._bucket(key, bucket), self._bucket(key, bucket - 1)
        weight = 1 - (t % window) / window
        cache = _cache()
        if isinstance(cache, RedisCache):
            return _count_on_redis(cache, key, previous_key, weight, limit, int(window * 2) + 1)
        counts = cache.get_many([key, previous_key])
        if counts.get(previous_key, 0) * weight + counts.get(key, 0) >= limit:
            return False
        increment(cache, key, int(window * 2) + 1)
        return True


# RateLimit's check and count on Redis in one round trip, and atomic: two sends at once cannot
# both take the last place. The cache's own keys and values (an int is stored as it is).
_COUNT = """
local now = tonumber(redis.call('GET', KEYS[1]) or '0')
local before = tonumber(redis.call('GET', KEYS[2]) or '0')
if before * tonumber(ARGV[1]) + now >= tonumber(ARGV[2]) then return 0 end
if redis.call('INCR', KEYS[1]) == 1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return 1
"""
_count_script = None  # redis-py's Script: EVALSHA, loading the script where Redis lacks it


def _count_on_redis(cache, key, previous_key, weight, limit, timeout):
    global _count_script
    keys = [cache.make_and_validate_key(key), cache.make_and_validate_key(previous_key)]
    client = cache._cache.get_client(keys[0], write=True)
    if _count_script is None:
        _count_script = client.register_script(_COUNT)
    return bool(_count_script(keys=keys, args=[repr(weight), limit, timeout], client=client))


class FixedWindow:
    """
    Failures per key, counted for `window` seconds from the first one; over `limit` until the
    window passes (the settings named hold both). The window's start is kept beside the count
    and compared with `now()`, so it ends on the clock every window reads.
    """

    def __init__(self, name, limit_setting, window_setting):
        self.name = name
        self.limit_setting, self.window_setting = limit_setting, window_setting

    def _keys(self, key):
        return f"{self.name}:{key}", f"{self.name}:{key}:since"

    def over(self, *keys):
        """Whether any of keys has reached the limit within its window."""
        window, limit = getattr(settings, self.window_setting), getattr(settings, self.limit_setting)
        names = [self._keys(k) for k in keys]
        found = _cache().get_many([name for pair in names for name in pair])
        t = now()
        return any(
            found.get(count, 0) >= limit and t - found.get(since, t) < window for count, since in names
        )

    def count(self, *keys):
        """Count one failure for each of keys (a window that has passed starts again)."""
        window = getattr(settings, self.window_setting)
        for key in keys:
            count, since = self._keys(key)
            started = _cache().get(since)
            if started is not None and now() - started >= window:
                _cache().delete_many([count, since])
            _cache().add(since, now(), window)
            increment(_cache(), count, window)


def per_window(seconds):
    """'a minute', 'an hour': a window as people read it."""
    from django.utils.translation import gettext as _

    named = {60: _("a minute"), 3600: _("an hour"), 86400: _("a day")}
    return named.get(seconds) or _("every %(seconds)s seconds") % {"seconds": f"{seconds:g}"}
