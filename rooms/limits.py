"""Send rate limit per person, shared by every process through the cache."""

import logging
import time

from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)


def now():
    return time.time()


def allow_send(user_id):
    """
    Count one message for user_id and say whether it is allowed: at most CHAT_RATE_LIMIT
    messages per CHAT_RATE_WINDOW seconds, estimated with a sliding window over two fixed
    buckets (so a burst cannot slip through at a bucket boundary). A refused message is
    not counted. When the cache cannot be reached the message is allowed: losing a message
    to an outage would be worse than a burst slipping through.
    """
    try:
        return _count_send(user_id)
    except Exception:
        log.warning("rate limit: cache unavailable; allowing the send", exc_info=True)
        return True


def _count_send(user_id):
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
