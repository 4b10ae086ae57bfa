"""
The one avatar, wherever a person or a room is shown: their picture, or the first letter of
their name on a tinted disc; a group's "#". Written in Python rather than as an included
template: the chat page shows a hundred of them, and an include costs twenty times as much.

    {% avatar user "small" %}     a person (or None: "?"); size "tiny", "small", "large" or none (40 px)
    {% room_avatar r %}           a room of Room.objects.for_user: a group, or the other person
"""

from django import template
from django.utils.html import format_html

register = template.Library()


def _classes(size, *more):
    return " ".join(["avatar", *more, *([size] if size else [])])


def _picture(url, size):
    return format_html('<img class="{}" src="{}" alt="">', _classes(size), url)


def _letter(text, size, *more):
    return format_html('<span class="{}" aria-hidden="true">{}</span>', _classes(size, *more), text)


@register.simple_tag
def avatar(person, size=""):
    picture = getattr(person, "avatar", None)
    if picture:
        return _picture(picture.url, size)
    return _letter(getattr(person, "initials", "") or "?", size)


@register.simple_tag
def room_avatar(room, size=""):
    if room.is_group:
        return _letter("#", size, "group")
    if room.other_avatar:
        return _picture(room.other_avatar_url, size)
    return _letter((room.title[:1] or "?").upper(), size)
