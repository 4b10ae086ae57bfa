"""Send rate limit per person, shared by every process through the cache."""

import time

from django.conf import settings
from django.core.cache import cache


def now():
    return time.time()


def allow_send(user_id):
    """
    Count one message for user_id and say whether it is allowed: at most CHAT_RATE_LIMIT
    messages per CHAT_RATE_WINDOW seconds, estimated with a sliding window over two fixed
    buckets (so a burst cannot slip through at a bucket boundary). A refused message is
    not counted.
    """
    window, limit = settings.CHAT_RATE_WINDOW, settings.CHAT_RATE_LIMIT
    t = now()
    bucket = int(t // window)
    key, previous_key = f"rate:send:{user_id}:{bucket}", f"rate:send:{user_id}:{bucket - 1}"
    counts = cache.get_many([key, previous_key])
    weight = 1 - (t % window) / window
    if counts.get(previous_key, 0) * weight + counts.get(key, 0) >= limit:
        return False
    if not cache.add(key, 1, int(window * 2) + 1):
        try:
            cache.incr(key)
        except ValueError:
            cache.add(key, 1, int(window * 2) + 1)
    return True


def rate_limit_message():
    return (
        f"You are sending messages too fast: at most {settings.CHAT_RATE_LIMIT} every "
        f"{settings.CHAT_RATE_WINDOW:g} seconds. Wait a moment and send it again."
    )
