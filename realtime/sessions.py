"""
Sessions as sockets see them: read for a batch of handshakes at once, and called by a digest
(the key itself never travels the layer).
"""

from django.utils.crypto import salted_hmac


def session_digest(session_key):
    return salted_hmac("socket-session", session_key).hexdigest()[:32] if session_key else None


def preload(stores):
    """
    Read these session stores' sessions in one round trip where the store keeps them in a
    cache (Django's `cache` and `cached_db` stores, `accounts.sessions`): each found there is
    loaded as its own `load()` would have loaded it; the rest load as usual when first read
    (the database, for a session the cache lost).
    """
    by_cache = {}
    for store in stores:
        cache = getattr(store, "_cache", None)
        if store.session_key and cache is not None and not hasattr(store, "_session_cache"):
            by_cache.setdefault(id(cache), (cache, []))[1].append(store)
    for cache, waiting in by_cache.values():
        try:
            found = cache.get_many([store.cache_key for store in waiting])
        except Exception:  # each store tries again, and falls back as its load() does
            continue
        for store in waiting:
            data = found.get(store.cache_key)
            if data is not None:
                store._session_cache = data
