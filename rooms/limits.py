"""
Rate limits, shared by every process through the cache: one counter for every rule.

`RateLimit(name, limit_setting, window_setting).allow(key)` counts one action for key and
says whether it is allowed: at most the limit per window (seconds), estimated with a sliding
window over two fixed buckets (so a burst cannot slip through at a bucket boundary). A refused
action is not counted. When the cache cannot be reached the action is allowed: losing a
message to an outage would be worse than a burst slipping through.

The rules: messages per sender (CHAT_RATE_LIMIT per CHAT_RATE_WINDOW), renames per group,
friend requests per sender, and emails (sign-up and email-change codes, password resets) per
client IP and per address.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)


def now():
    return time.time()


class RateLimit:
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
        try:
            return self._count(key)
        except Exception:
            log.warning("rate limit %s: cache unavailable; allowing", self.name, exc_info=True)
            return True

    def _count(self, key):
        window, limit = self.window, self.limit
        t = now()
        bucket = int(t // window)
        key, previous_key = f"rate:{self.name}:{key}:{bucket}", f"rate:{self.name}:{key}:{bucket - 1}"
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


sends = RateLimit("send", "CHAT_RATE_LIMIT", "CHAT_RATE_WINDOW")
renames = RateLimit("rename", "GROUP_RENAME_LIMIT", "GROUP_RENAME_WINDOW")
friend_requests = RateLimit("friend-request", "FRIEND_REQUEST_LIMIT", "FRIEND_REQUEST_WINDOW")
emails_per_ip = RateLimit("email-ip", "EMAILS_PER_IP_LIMIT", "EMAILS_WINDOW")
emails_per_address = RateLimit("email-address", "EMAILS_PER_ADDRESS_LIMIT", "EMAILS_WINDOW")


def allow_send(user_id):
    """Count one message for user_id against CHAT_RATE_LIMIT per CHAT_RATE_WINDOW seconds."""
    return sends.allow(user_id)


def rate_limit_message():
    return (
        f"You are sending messages too fast: at most {settings.CHAT_RATE_LIMIT} every "
        f"{settings.CHAT_RATE_WINDOW:g} seconds. Wait a moment and send it again."
    )


def per_window(seconds):
    """'a minute', 'an hour': a window as people read it."""
    return {60: "a minute", 3600: "an hour", 86400: "a day"}.get(seconds, f"every {seconds:g} seconds")
