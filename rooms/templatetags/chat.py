"""The chat page's tags: short, local times (cheap: the room list has hundreds), the emoji palette."""

import hashlib
from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.emoji import PALETTE

register = template.Library()


def _short(value, with_time):
    if not value:
        return ""
    local = timezone.localtime(value)
    clock = f"{local:%H:%M}"
    today = timezone.localdate()
    if local.date() == today:
        return clock
    if local.date() == today - timedelta(days=1):
        day = _("Yesterday")
    elif local.year == today.year:
        day = date_format(local, pgettext("a day of this year (Django date format)", "j M"))
    else:
        day = date_format(local, pgettext("a day of another year (Django date format)", "j M Y"))
    return _("%(day)s, %(time)s") % {"day": day, "time": clock} if with_time else day


@register.filter
def digest(values):
    """A short name for a list of values: a stylesheet URL that changes when they do."""
    return hashlib.sha256(",".join(map(str, values)).encode()).hexdigest()[:12]


@register.filter
def when(value):
    """A time in the room list: "14:05" today, "Yesterday", "12 Mar" this year, else "12 Mar 2025"
    (in the reader's language and time zone: "昨天", "3月12日")."""
    return _short(value, with_time=False)


@register.filter
def stamp(value):
    """A message's time: "14:05" today, else "Yesterday, 14:05", "12 Mar, 14:05" (or "12 Mar 2025, 14:05")."""
    return _short(value, with_time=True)


@register.inclusion_tag("rooms/emoji_palette.html")
def emoji_palette():
    """The emoji palette beside the message box (rooms/emoji.py)."""
    return {"palette": PALETTE}
