"""
The admin log's lines ("change messages" of `LogEntry`) in the reader's language.

A line is stored in English, as one of NOTES filled with its values (`note`): the log stays
searchable and reads the same in any tool. A moderator's admin says it in their language
(`translated`, which reads a stored line back into its note and values); a line that is none
of these (written by the admin itself, or older) is shown as it is.
"""

import re
from functools import lru_cache

from django.utils.translation import gettext, gettext_noop

BANNED = gettext_noop("Banned: deactivated, open connections closed.")
BANNED_AFTER_REPORT = gettext_noop("Banned after a report: deactivated, open connections closed.")
REACTIVATED = gettext_noop("Reactivated: can log in again.")
MESSAGE_DELETED = gettext_noop("Deleted by a moderator: the body was removed and open clients no longer show it.")
MESSAGE_DELETED_AFTER_REPORT = gettext_noop("Deleted after a report: the body was removed and open clients no longer show it.")
REPORT_DISMISSED = gettext_noop("Resolved: dismissed.")
REPORT_MESSAGE_DELETED = gettext_noop("Resolved: message deleted.")
REPORT_SENDER_BANNED = gettext_noop("Resolved: sender banned.")
ACCOUNT_DELETED = {
    # (by an operator, with the messages) -> the line
    (False, True): gettext_noop("Account deleted by its owner, with their messages; username held until %(date)s."),
    (False, False): gettext_noop("Account deleted by its owner, their messages kept, as Deleted user; username held until %(date)s."),
    (True, True): gettext_noop("Account deleted by an operator (manage.py delete_user), with their messages; username held until %(date)s."),
    (True, False): gettext_noop(
        "Account deleted by an operator (manage.py delete_user), their messages kept, as Deleted user; username held until %(date)s."
    ),
}

NOTES = [
    BANNED,
    BANNED_AFTER_REPORT,
    REACTIVATED,
    MESSAGE_DELETED,
    MESSAGE_DELETED_AFTER_REPORT,
    REPORT_DISMISSED,
    REPORT_MESSAGE_DELETED,
    REPORT_SENDER_BANNED,
    *ACCOUNT_DELETED.values(),
]


def note(msgid, **values):
    """The line as stored: the note in English, with its values."""
    return msgid % values if values else msgid


@lru_cache(maxsize=None)
def _patterns():
    patterns = []
    for msgid in NOTES:
        parts = re.split(r"%\((\w+)\)s", msgid)
        regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
        patterns.append((re.compile(f"{regex}$", re.S), msgid))
    return patterns


def translated(text):
    """A stored line in the active language (as it is when it is none of NOTES)."""
    for pattern, msgid in _patterns():
        if match := pattern.match(text or ""):
            values = match.groupdict()
            return gettext(msgid) % values if values else gettext(msgid)
    return text
