"""Filters for the chat page: short, local times."""

from django import template
from django.utils import dateformat, timezone

register = template.Library()


def _short(value, today, this_year, older):
    if not value:
        return ""
    local = timezone.localtime(value)
    now = timezone.localdate()
    if local.date() == now:
        return dateformat.format(local, today)
    return dateformat.format(local, this_year if local.year == now.year else older)


@register.filter
def when(value):
    """A time in the room list: "14:05" today, "12 Mar" this year, else "12 Mar 2025"."""
    return _short(value, "H:i", "j M", "j M Y")


@register.filter
def stamp(value):
    """A message's time: "14:05" today, else "12 Mar, 14:05" (or "12 Mar 2025, 14:05")."""
    return _short(value, "H:i", "j M, H:i", "j M Y, H:i")
