"""
The HTML fragments the chat socket sends: out-of-band swaps for htmx's ws extension.

Every top-level element of a frame carries `hx-swap-oob`, so the extension knows where it
goes. A message is rendered once, with the same markup for every reader (own messages are
styled by a per-reader CSS rule on the page), and the same bytes go to every socket.
"""

from django.template.loader import render_to_string
from django.urls import reverse

TEMPLATE = "rooms/frames.html"


def _render(partial, **context):
    return render_to_string(f"{TEMPLATE}#{partial}", context)


def message(message):
    """A new message: appended to its room's open pane, and its room-list item refreshed."""
    return _render("message", message=message)


def messages(messages):
    """Several messages of one room, in order (a resume)."""
    return "".join(message(m) for m in messages)


def message_changed(message, latest=False):
    """
    An edited or deleted message: it replaces itself wherever it is shown (by its id), and
    its room's preview in the room list when it is the room's latest message.
    """
    return _render("message-changed", message=message, latest=latest)


def room_added(room):
    """A room the reader just joined, for the top of their room list (room from for_user)."""
    return _render("room-added", r=room, chat_url=reverse("rooms:chat"))


def error(text, room_id=None):
    return _render("error", text=text, room_id=room_id)


def notice(text):
    return _render("notice", text=text)


def typing(room_id, user):
    return _render("typing", room_id=room_id, user=user)


def presence(user_id, online):
    return _render("presence", user_id=user_id, online_ids={user_id} if online else set())


def resync():
    return _render("resync")


def reload_room(room_id):
    return _render("reload-room", room_id=room_id)


def requests_badge(count):
    return _render("requests-badge", pending_requests_count=count)


def friends_changed():
    """Someone became the reader's friend or stopped being one: an open friend list reloads."""
    return _render("friends-changed")
