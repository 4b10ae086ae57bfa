"""
System lines as events: what happened in a group, stored as data (`Message.event`) and said
in each reader's language when it is rendered (a page, a live frame rendered per language, the
room list's preview).

An event is a dict with a `kind` and the people it names, each as `[user id, name]` with the
name as it was then (so a line still reads right after someone renames themselves, and is
said without a query):

- `created`: `actor` created the group with `users`;
- `added`: `actor` added `users`;
- `renamed`: `actor` renamed the group to `name`;
- `left`: `actor` left the group, and `heir` (or null) is now the owner.

The message's `body` keeps the line in English (`describe` under English): the admin, the
data export and anything reading bodies see text, and a row without an event (older ones the
migration could not read) shows its body as it is.
"""

from django.utils import translation
from django.utils.translation import gettext as _

from .models.rooms import join_names

CREATED, ADDED, RENAMED, LEFT = "created", "added", "renamed", "left"


def person(user):
    return [user.pk, user.display_name]


def created(actor, users):
    return {"kind": CREATED, "actor": person(actor), "users": [person(u) for u in users]}


def added(actor, users):
    return {"kind": ADDED, "actor": person(actor), "users": [person(u) for u in users]}


def renamed(actor, name):
    return {"kind": RENAMED, "actor": person(actor), "name": name}


def left(actor, heir=None):
    return {"kind": LEFT, "actor": person(actor), "heir": person(heir) if heir is not None else None}


def _name(who):
    return who[1] if who else _("Someone")


def describe(event, fallback=""):
    """The line in the active language (fallback: what to say of an event it cannot read)."""
    if not isinstance(event, dict):
        return fallback
    kind = event.get("kind")
    actor = _name(event.get("actor"))
    try:
        if kind == CREATED:
            return _("%(actor)s created the group with %(people)s.") % {
                "actor": actor,
                "people": join_names(_name(u) for u in event.get("users") or []),
            }
        if kind == ADDED:
            return _("%(actor)s added %(people)s.") % {"actor": actor, "people": join_names(_name(u) for u in event.get("users") or [])}
        if kind == RENAMED:
            return _("%(actor)s renamed the group to “%(name)s”.") % {"actor": actor, "name": event.get("name", "")}
        if kind == LEFT:
            text = _("%(actor)s left the group.") % {"actor": actor}
            if event.get("heir"):
                text += " " + _("%(heir)s is now the owner.") % {"heir": _name(event["heir"])}
            return text
    except (TypeError, IndexError):
        pass
    return fallback


def english(event):
    """The line as the body stores it."""
    with translation.override("en"):
        return describe(event)
