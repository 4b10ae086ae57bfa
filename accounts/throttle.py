"""
Failed-login throttling, per account and per client IP, applied in the authentication backend
(`accounts.backends`), which every login passes: the site's login form and the admin's.

Failures count against the account the login reached (however its name was typed: username in
any case or spelling that folds to it, or the email) and against the client IP; a login naming
no account counts against that name's key. After LOGIN_FAILURE_LIMIT failures for one of them
within LOGIN_FAILURE_WINDOW seconds, logins for it are refused without checking the password
until the window passes. The window starts at the first failure (`core.counters.FixedWindow`).
"""

from django.utils.crypto import salted_hmac

from core.counters import FixedWindow

REFUSED = "_login_throttled"  # set on the request whose login the throttle refused


def account_key(user, typed):
    """What a login's failures count against: the account it reached, else the name it gave."""
    if user is not None:
        return f"account:{user.pk}"
    from .models import normalize_email, username_key

    name = normalize_email(typed) if "@" in (typed or "") else username_key(typed)
    return f"name:{salted_hmac('login-throttle', name).hexdigest()[:32]}"


_failures = FixedWindow("login-fail", "LOGIN_FAILURE_LIMIT", "LOGIN_FAILURE_WINDOW")


def _keys(account, ip):
    return [account] + ([f"ip:{ip}"] if ip else [])


def is_throttled(account, ip):
    return _failures.over(*_keys(account, ip))


def record_failure(account, ip):
    _failures.count(*_keys(account, ip))


def client_ip(request):
    """The client's address (the server runs with --proxy-headers behind nginx, see deploy/)."""
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def mark_refused(request):
    if request is not None:
        setattr(request, REFUSED, True)


def was_refused(request):
    """Whether the throttle refused this request's login (so the form can say "later")."""
    return getattr(request, REFUSED, False)
