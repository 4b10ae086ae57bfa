"""
What the rooms' views share: the membership rule as a 404, numbers read from the address, and
the answers every action gives (an htmx redirect, a refusal in the form's error slot, a message
replacing itself).

Every room URL looks the room up among the user's own rooms, and every message URL the
message among the messages of those rooms, so a non-member gets 404, the same answer as for
something that does not exist.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django_htmx.http import HttpResponseClientRedirect

from ..models import Message, Room, RoomNotFound

CHAT = "rooms/chat.html"
MESSAGE_PAGES = "rooms/message_pages.html"
# Every number read from the address is bounded: a larger one would be a database error.
MAX_ID = 2**63 - 1  # the largest BigAutoField
SEARCH_OFFSET_MAX = 10_000


def room_or_404(request, room_id):
    """One of the user's rooms, with what its header shows; 404 for anyone else's."""
    return get_object_or_404(Room.objects.as_seen_by(request.user), pk=room_id)


def message_or_404(request, message_id):
    """A message of one of the user's rooms; 404 for anyone else's."""
    return get_object_or_404(Message.objects.visible_to(request.user).select_related("sender"), pk=message_id)


def positive_int(value, default=None, maximum=MAX_ID):
    """A whole number from the address, clamped to 1..maximum; default when missing or malformed."""
    try:
        return min(max(int(value), 1), maximum) if value else default
    except ValueError:
        return default


def offset_from(value):
    """How many results to skip: a whole number up to SEARCH_OFFSET_MAX, 0 when missing or malformed."""
    try:
        return min(max(int(value), 0), SEARCH_OFFSET_MAX)
    except (TypeError, ValueError):
        return 0


def follow(request, url):
    """After an action: go to url (HX-Redirect for HTMX, so the whole page is fresh)."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def refused(request, error, room):
    """A refused room action: for HTMX a 422 saying why, swapped into the form's error slot;
    otherwise a message on the room's page."""
    if isinstance(error, RoomNotFound):
        raise Http404
    if request.htmx:
        return error_fragment(request, error)
    messages.error(request, error.message)
    return redirect(room.get_absolute_url())


def error_fragment(request, error):
    return render(request, f"{CHAT}#form-error", {"error": error}, status=422)


def replacement(request, message):
    """The message, to replace the one on the page (out of band, as live pushes do it)."""
    return render(request, f"{CHAT}#replacements", {"messages": [message]})

