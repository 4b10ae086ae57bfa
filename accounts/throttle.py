"""
Failed-login throttling, per username and per client IP.

After LOGIN_FAILURE_LIMIT failures for one username or one IP within LOGIN_FAILURE_WINDOW
seconds, logins for it are refused without checking the password until the window passes.
The window starts at the first failure (a fixed window kept in the cache).
"""

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac


def _keys(username, ip):
    keys = []
    if username:
        digest = salted_hmac("login-throttle", username.strip().lower()).hexdigest()[:32]
        keys.append(f"login-fail:user:{digest}")
    if ip:
        keys.append(f"login-fail:ip:{ip}")
    return keys


def is_throttled(username, ip):
    counts = cache.get_many(_keys(username, ip))
    return any(count >= settings.LOGIN_FAILURE_LIMIT for count in counts.values())


def record_failure(username, ip):
    for key in _keys(username, ip):
        if not cache.add(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW)


def client_ip(request):
    return request.META.get("REMOTE_ADDR", "")
