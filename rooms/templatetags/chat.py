"""The chat page's tags: short, local times (cheap: the room list has hundreds), the emoji palette."""

import hashlib

from django import template
from django.utils import timezone

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
    day = f"{local.day} {local:%b}" if local.year == today.year else f"{local.day} {local:%b %Y}"
    return f"{day}, {clock}" if with_time else day


@register.filter
def digest(values):
    """A short name for a list of values: a stylesheet URL that changes when they do."""
    return hashlib.sha256(",".join(map(str, values)).encode()).hexdigest()[:12]


@register.filter
def when(value):
    """A time in the room list: "14:05" today, "12 Mar" this year, else "12 Mar 2025"."""
    return _short(value, with_time=False)


@register.filter
def stamp(value):
    """A message's time: "14:05" today, else "12 Mar, 14:05" (or "12 Mar 2025, 14:05")."""
    return _short(value, with_time=True)


@register.inclusion_tag("rooms/emoji_palette.html")
def emoji_palette():
    """The emoji palette beside the message box (rooms/emoji.py)."""
    return {"palette": PALETTE}
