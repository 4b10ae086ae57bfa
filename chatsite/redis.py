"""
Redis behind Sentinel, for the channel layer and the cache.

With `REDIS_SENTINELS` set (host:port,host:port,...), both ask the sentinels which server is the
master of `REDIS_MASTER_NAME` and follow it when a sentinel promotes a replica. channels-redis
knows sentinels itself (a host given as {"sentinels": ..., "master_name": ...}); Django's Redis
cache takes a connection pool class, and `SentinelPool` is that class.
"""

from redis.connection import parse_url
from redis.sentinel import Sentinel, SentinelConnectionPool


def sentinel_addresses(entries):
    """["10.0.0.1:26379", "10.0.0.2"] -> [("10.0.0.1", 26379), ("10.0.0.2", 26379)]."""
    addresses = []
    for entry in entries:
        host, _, port = entry.strip().rpartition(":") if ":" in entry else (entry.strip(), "", "26379")
        addresses.append((host, int(port)))
    return addresses


def url_options(url):
    """The database and password of a redis:// URL (its host is the sentinels' business)."""
    options = parse_url(url) if url else {}
    return {key: options[key] for key in ("db", "username", "password") if key in options}


class SentinelPool(SentinelConnectionPool):
    """The cache's pool: Django calls `from_url(LOCATION, **OPTIONS)`."""

    @classmethod
    def from_url(cls, url, *, sentinels, master_name, sentinel_kwargs=None, **options):
        manager = Sentinel(sentinel_addresses(sentinels), sentinel_kwargs=sentinel_kwargs or {"socket_timeout": 1})
        return cls(master_name, manager, **url_options(url), **options)
