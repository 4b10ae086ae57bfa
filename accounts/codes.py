"""
Six-digit confirmation codes sent by email (sign-up, email change).

A code lives in the cache for EMAIL_CODE_TTL seconds, is stored only as an HMAC, is burnt
after EMAIL_CODE_MAX_ATTEMPTS wrong tries or one right one, and a new one can be asked for
at most once every EMAIL_CODE_RESEND_SECONDS per address, and at most EMAILS_PER_IP_LIMIT
emails go out per client IP in EMAILS_WINDOW (and password resets per address: accounts.views).
"""

import secrets

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core import counters
from core.counters import RateLimit, per_window

from .models import normalize_email


class CodeError(ValidationError):
    """A code could not be sent or did not match; the message says why."""


# Emails (codes, password resets) per client IP, and password resets per address.
emails_per_ip = RateLimit("email-ip", "EMAILS_PER_IP_LIMIT", "EMAILS_WINDOW")
emails_per_address = RateLimit("email-address", "EMAILS_PER_ADDRESS_LIMIT", "EMAILS_WINDOW")


class EmailCodes:
    def __init__(self, purpose, subject):
        self.purpose = purpose
        self.subject = subject

    def _key(self, email, part):
        digest = salted_hmac("email-code-key", f"{self.purpose}:{normalize_email(email)}").hexdigest()[:32]
        return f"email-code:{self.purpose}:{part}:{digest}"

    def _hash(self, email, code):
        return salted_hmac("email-code", f"{self.purpose}:{normalize_email(email)}:{code}").hexdigest()

    def send(self, email, ip=""):
        """Email a new code to the address. Raises CodeError if asked again too soon (for the
        address, or from the client IP ip)."""
        email = normalize_email(email)
        wait = settings.EMAIL_CODE_RESEND_SECONDS
        if not cache.add(self._key(email, "resend"), counters.now() + wait, timeout=wait):
            left = max(1, int(cache.get(self._key(email, "resend"), counters.now()) - counters.now()))
            raise CodeError(
                ngettext(
                    "A code was sent just now. You can ask for a new one in %(seconds)d second.",
                    "A code was sent just now. You can ask for a new one in %(seconds)d seconds.",
                    left,
                )
                % {"seconds": left}
            )
        if ip and not emails_per_ip.allow(ip):
            cache.delete(self._key(email, "resend"))
            raise CodeError(too_many_emails())
        code = f"{secrets.randbelow(10**6):06d}"
        ttl = settings.EMAIL_CODE_TTL
        cache.set(self._key(email, "code"), {"hash": self._hash(email, code), "expires": counters.now() + ttl}, ttl)
        cache.delete(self._key(email, "tries"))  # a new code, tried from the start
        body = render_to_string(
            "accounts/email_code.txt", {"code": code, "minutes": ttl // 60, "purpose": self.purpose}
        )
        send_mail(str(self.subject), body, None, [email])
        return code

    def verify(self, email, code, burn=True):
        """Check the code for the address and burn it (unless burn=False: the caller burns it
        once it has used it). A wrong code costs a try. Raises CodeError with the reason."""
        email = normalize_email(email)
        stored = cache.get(self._key(email, "code"))
        if stored is None or stored["expires"] <= counters.now():
            raise CodeError(_("This code has expired or was already used. Ask for a new one."))
        if constant_time_compare(stored["hash"], self._hash(email, (code or "").strip())):
            if burn:
                self.burn(email)
            return
        tries = counters.increment(cache, self._key(email, "tries"), settings.EMAIL_CODE_TTL)
        left = settings.EMAIL_CODE_MAX_ATTEMPTS - tries
        if left <= 0:
            self.burn(email)
            raise CodeError(_("Too many wrong codes. Ask for a new one."))
        raise CodeError(
            ngettext("That code is not right. %(left)d try left.", "That code is not right. %(left)d tries left.", left)
            % {"left": left}
        )

    def burn(self, email):
        cache.delete_many([self._key(email, "code"), self._key(email, "tries")])


def too_many_emails():
    return _(
        "Too many emails were asked for from your network (at most %(count)s emails %(window)s). Try again later."
    ) % {"count": settings.EMAILS_PER_IP_LIMIT, "window": per_window(settings.EMAILS_WINDOW)}


signup_codes = EmailCodes("signup", gettext_lazy("Your sign-up code"))
email_change_codes = EmailCodes("email-change", gettext_lazy("Confirm your new email address"))
