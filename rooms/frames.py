"""
What the chat socket sends (the written contract is realtime/PROTOCOL.md).

Two kinds of frame, each sent on its own, never run together:

- HTML frames are swaps for htmx's ws extension: every top-level element carries
  `hx-swap-oob`, so the extension knows where it goes (a new message, a changed message, a
  room added). A message is rendered once, with the same markup for every reader (own
  messages are styled by a per-reader CSS rule on the page), and the same bytes go to every
  socket.
- Control frames are JSON objects with a `type` (resync, reload, presence, typing, badge,
  friends, notice, error): static/js/live.js reads them before htmx would try to swap them,
  and the page builds what they show.
"""

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from realtime.protocol import control
from realtime.publish import per_language

from .models import Message, Room

TEMPLATE = "rooms/frames.html"


def _render(partial, **context):
    return render_to_string(f"{TEMPLATE}#{partial}", context)


# --- HTML frames: swaps -----------------------------------------------------------------------


def message(message):
    """A new message: appended to its room's open pane, and its room-list item refreshed."""
    return _render("message", message=message)


def warm_up():
    """
    Render a message frame once in every language, for a message that is never stored (no
    query): the templates compiled, the URL resolver filled and every catalogue loaded before
    the first person posts. A server process's first message otherwise paid for all of it on
    its database thread (90-150 ms, and the messages queued behind it waited too). The ASGI
    application calls it at start (chatsite.asgi).
    """
    room = Room(pk=1, kind=Room.Kind.GROUP, name="warm-up")
    unsent = Message(pk=1, room=room, sender=User(pk=1, username="warm-up"), body="warm-up", created_at=timezone.now())
    unsent.render_body({})
    unsent.just_stored, unsent.mentioned_ids = True, []
    per_language(lambda: message(unsent))


def messages(messages):
    """Several messages of one room, in order (a resume): HTML frames may run together."""
    return "".join(message(m) for m in messages)


def message_changed(message, latest=False):
    """
    An edited or deleted message: it replaces itself wherever it is shown (by its id), and
    its room's preview in the room list when it is the room's latest message.
    """
    return _render("message-changed", message=message, latest=latest)


def reactions(message):
    """A message's reactions as they are now (message from `Message.objects.shown()`): they
    replace the ones under it wherever it is shown."""
    return _render("reactions", message=message)


def room_added(room):
    """A room the reader just joined, for the top of their room list (room from for_user)."""
    return _render("room-added", r=room, chat_url=reverse("rooms:chat"))


# --- Control frames: JSON (realtime/PROTOCOL.md; realtime and friends build their own) ------


def reload_room(room_id):
    """Too far behind to replay: a page with that room open reloads it."""
    return control("reload", room=room_id)


def typing(room_id, user):
    """"<name> is typing…" for a few seconds in that room's typing line (the page writes it)."""
    return control("typing", room=room_id, user=user.pk, name=user.display_name)


def seen(room_id, user, up_to):
    """user's read mark in that room moved to message up_to: the page shows "Seen" (not to a
    reader who hides their activity; nobody hears of a member who hides theirs)."""
    return control("seen", room=room_id, user=user.pk, name=user.display_name, up_to=up_to)
