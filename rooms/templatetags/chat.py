"""The chat page's tags: short, local times (cheap: the room list has hundreds), the emoji palette,
a message's action links."""

import hashlib
from datetime import timedelta
from types import SimpleNamespace

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
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


# --- A message's action links -----------------------------------------------------------------

# Ids no message or room has (past PostgreSQL's bigint), stood in for while a shape is rendered.
_MESSAGE_MARK, _ROOM_MARK = 9_300_000_000_000_000_001, 9_300_000_000_000_000_002
_action_shapes = {}  # (language, editable) -> the partial rendered for the marks


@register.simple_tag
def message_actions(message):
    """
    The action links under a message (rooms/chat.html#message-actions): the same markup for
    every message but its id and its room's, so rendered once per language (and editability)
    for the process, then filled in. Thirteen translations and two URLs a message were most of
    its rendering, and a new message is rendered once per language for the live frame.
    With DEBUG on it is rendered every time, so an edited template shows at once.
    """
    editable = message.is_editable
    key = (translation.get_language(), editable)
    shape = None if settings.DEBUG else _action_shapes.get(key)
    if shape is None:
        marks = SimpleNamespace(pk=_MESSAGE_MARK, room_id=_ROOM_MARK, is_editable=editable, is_system=False, deleted_at=None)
        shape = _action_shapes[key] = render_to_string("rooms/chat.html#message-actions", {"message": marks})
    return mark_safe(shape.replace(str(_MESSAGE_MARK), str(message.pk)).replace(str(_ROOM_MARK), str(message.room_id)))
