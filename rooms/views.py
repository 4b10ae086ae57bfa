"""
The chat page and the room actions. Each view checks its input, calls one model method and
renders; the rules are in rooms.models.

Every room URL looks the room up among the user's own rooms, so a non-member gets 404, the
same answer as for a room that does not exist. HTMX requests get fragments of
rooms/chat.html (its named partials); plain requests get whole pages and redirects, so
everything works without JavaScript too.
"""

import uuid

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from .forms import AddMembersForm, GroupForm
from .live import presence
from .models import Message, MessageError, Room, RoomError, RoomNotFound

CHAT = "rooms/chat.html"
ROOM_LIST_PAGE = 50


@require_GET
@vary_on_headers("HX-Request")
def chat(request, room_id=None):
    """The chat page: the room list and, when a room is selected, its latest messages (now read)."""
    room = None
    if room_id is not None:
        room = _room_or_404(request, room_id)
        room.mark_read(request.user)
    return _chat_page(request, room)


@require_GET
def history(request, room_id):
    """Older messages for "Load older" (keyset: the page before message id `before`)."""
    room = _room_or_404(request, room_id)
    page = room.messages.page(before=_positive_int(request.GET.get("before")))
    return render(request, f"{CHAT}#older-messages", {"room": room, "page": page})


@require_POST
def post_message(request, room_id):
    """Send a message without the WebSocket: the same Message.objects.post as the live path."""
    room = _room_or_404(request, room_id)
    body = request.POST.get("body", "")
    try:
        message = Message.objects.post(room, request.user, body, client_id=request.POST.get("client_id"))
    except MessageError as error:
        if request.htmx:
            return reswap(retarget(_error_fragment(request, error), "#send-error"), "innerHTML")
        return _chat_page(request, room, status=422, send_error=error, draft=body)
    except RoomNotFound:
        raise Http404 from None
    if request.htmx:
        room = Room.objects.for_user(request.user).get(pk=room.pk)  # its list item, with the new preview
        return render(request, f"{CHAT}#sent", {"message": message, "room": room, "client_id": uuid.uuid4()})
    return redirect(f"{room.get_absolute_url()}#message-{message.pk}")


@require_POST
def open_direct(request, user_id):
    """The Chat button: open the direct room with a friend, creating it the first time."""
    other = get_object_or_404(get_user_model().objects.filter(is_active=True), pk=user_id)
    try:
        room, _ = Room.objects.get_or_create_direct(request.user, other)
    except RoomError as error:
        if request.htmx:
            return render(request, "rooms/chat_button.html", {"friend": other, "error": error}, status=422)
        messages.error(request, error.message)
        return redirect("friends:list")
    return _follow(request, room.get_absolute_url())


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def new_group(request):
    """Create a group: a name and some friends, shown in the chat page's pane."""
    form = GroupForm(request.user, request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            room = Room.objects.create_group(request.user, form.cleaned_data["name"], form.cleaned_data["members"])
        except RoomError as error:
            form.add_error(None, error)
        else:
            return _follow(request, room.get_absolute_url())
    return _chat_page(request, group_form=form, status=422 if form.errors else 200)


@require_POST
def add_members(request, room_id):
    room = _room_or_404(request, room_id)
    form = AddMembersForm(request.user, room, request.POST)
    try:
        if not form.is_valid():
            raise RoomError("Choose among your friends who are not in the group yet.")
        added = room.add_members(request.user, form.cleaned_data["members"])
    except RoomError as error:
        return _refused(request, error, room)
    messages.success(request, f"Added {len(added)} member{'s' if len(added) > 1 else ''}.")
    return _follow(request, room.get_absolute_url())


@require_POST
def rename(request, room_id):
    room = _room_or_404(request, room_id)
    try:
        room.rename(request.user, request.POST.get("name", ""))
    except RoomError as error:
        return _refused(request, error, room)
    return _follow(request, room.get_absolute_url())


@require_POST
def leave(request, room_id):
    room = _room_or_404(request, room_id)
    try:
        room.leave(request.user)
    except RoomError as error:
        return _refused(request, error, room)
    messages.success(request, f"You left {room.title}.")
    return _follow(request, reverse("rooms:chat"))


# --- Helpers --------------------------------------------------------------------------------


def _room_or_404(request, room_id):
    """One of the user's rooms, with what its header shows; 404 for anyone else's."""
    return get_object_or_404(Room.objects.as_seen_by(request.user), pk=room_id)


def _positive_int(value, default=None):
    try:
        return max(int(value), 1) if value else default
    except ValueError:
        return default


def _chat_page(request, room=None, status=200, **context):
    """
    The chat page, or for HTMX the part it asked for (the room items when filtering or
    showing more, else the pane with the room list out of band).

    The list shows the ROOM_LIST_PAGE rooms with the newest activity, and "Show more chats"
    adds as many again each time: the page costs the same whatever the number of rooms.
    """
    search = request.GET.get("q", "").strip()
    shown = _positive_int(request.GET.get("rooms"), default=ROOM_LIST_PAGE)
    rooms = list(Room.objects.for_user(request.user).matching(search)[: shown + 1])
    context.update(rooms=rooms[:shown], more_rooms=shown + ROOM_LIST_PAGE if len(rooms) > shown else None)
    context["online_ids"] = presence.online(r.other_user_id for r in rooms[:shown] if r.other_user_id)
    context.update(search=search, room=room)
    if room is not None:
        before = _positive_int(request.GET.get("before"))
        context.update(page=room.messages.page(before=before), before=before, client_id=uuid.uuid4())
        if room.is_group:
            context.update(members=room.members(), add_form=AddMembersForm(request.user, room))
    if not request.htmx or request.htmx.history_restore_request:
        template = CHAT
    elif request.htmx.target == "room-items":
        template = f"{CHAT}#room-items"
    else:
        template = f"{CHAT}#room-switch"
    return render(request, template, context, status=status)


def _follow(request, url):
    """After an action: go to url (HX-Redirect for HTMX, so the whole page is fresh)."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _refused(request, error, room):
    """A refused room action: for HTMX a 422 saying why, swapped into the form's error slot;
    otherwise a message on the room's page."""
    if isinstance(error, RoomNotFound):
        raise Http404
    if request.htmx:
        return _error_fragment(request, error)
    messages.error(request, error.message)
    return redirect(room.get_absolute_url())


def _error_fragment(request, error):
    return render(request, f"{CHAT}#form-error", {"error": error}, status=422)
