"""The room actions: the Chat button, adding members, renaming and leaving a group."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from .. import actions
from ..forms import AddMembersForm
from ..models import Room, RoomError
from .common import follow, refused, room_or_404


@require_POST
def open_direct(request, user_id):
    """The Chat button: open the direct room with a friend, creating it the first time."""
    other = get_object_or_404(get_user_model().objects.filter(is_active=True), pk=user_id)
    try:
        room, _created = actions.open_direct_room(request.user, other)
    except RoomError as error:
        if request.htmx:
            return render(request, "rooms/chat_button.html", {"friend": other, "error": error}, status=422)
        messages.error(request, error.message)
        return redirect("friends:list")
    return follow(request, room.get_absolute_url())


@require_POST
def add_members(request, room_id):
    room = room_or_404(request, room_id)
    form = AddMembersForm(request.user, room, request.POST)
    try:
        if not form.is_valid():
            raise RoomError(_("Choose among your friends who are not in the group yet."))
        added = actions.add_members(room, request.user, form.cleaned_data["members"])
    except RoomError as error:
        return refused(request, error, room)
    messages.success(request, ngettext("Added %(count)d member.", "Added %(count)d members.", len(added)) % {"count": len(added)})
    return follow(request, room.get_absolute_url())


@require_POST
def rename(request, room_id):
    room = room_or_404(request, room_id)
    try:
        actions.rename_group(room, request.user, request.POST.get("name", ""))
    except RoomError as error:
        return refused(request, error, room)
    return follow(request, room.get_absolute_url())


@require_POST
def leave(request, room_id):
    room = room_or_404(request, room_id)
    try:
        actions.leave_group(room, request.user)
    except RoomError as error:
        return refused(request, error, room)
    messages.success(request, _("You left %(room)s.") % {"room": room.title})
    return follow(request, reverse("rooms:chat"))



@require_POST
def mute(request, room_id):
    """Mute (muted=1) or unmute (muted=0) a room of the user's: the button again, for HTMX."""
    room = room_or_404(request, room_id)
    actions.set_muted(room, request.user, request.POST.get("muted") == "1")
    if not request.htmx:
        return redirect(room.get_absolute_url())
    room = Room.objects.for_user(request.user).get(pk=room.pk)
    return render(request, "rooms/chat.html#mute-button", {"room": room, "oob": True})
