"""
The chat page: the room list and, when a room is selected, its messages; the group form; the
reader's stylesheets (their own messages, their stars). HTMX requests get fragments of
rooms/chat.html (its named partials); plain requests get whole pages, so everything works
without JavaScript too.
"""

import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods

from core.emoji import PALETTE, QUICK_REACTIONS
from core.htmx import wants_partial
from realtime.presence import presence

from .. import actions
from ..forms import AddMembersForm, GroupForm
from ..models import Favorite, Message, Room, RoomError
from .common import CHAT, follow, positive_int, room_or_404

User = get_user_model()

ROOM_LIST_PAGE = 50
ROOM_LIST_MAX = 1000  # "Show more chats" stops here; the filter finds the others


@require_GET
def chat(request, room_id=None):
    """The chat page: the room list and, when a room is selected, its latest messages (now read)."""
    room = None
    if room_id is not None:
        room = room_or_404(request, room_id)
        actions.mark_read(room, request.user)
    return _chat_page(request, room)


@require_GET
def history(request, room_id):
    """Older messages for "Load older" (keyset: the page before message id `before`)."""
    room = room_or_404(request, room_id)
    page = room.messages.page(before=positive_int(request.GET.get("before")))
    return render(request, f"{CHAT}#older-messages", {"room": room, "page": page})


@require_GET
def changes(request, room_id):
    """
    The current state of the edited and deleted messages among ids `from` to `to`, as
    out-of-band replacements: a page that reconnects brings the messages it shows up to date
    (new ones come with the socket's resume).
    """
    room = room_or_404(request, room_id)
    first, last = positive_int(request.GET.get("from"), 1), positive_int(request.GET.get("to"), 0)
    changed = room.messages.changed_between(first, last)[: Message.PAGE_SIZE * 4]
    return render(request, f"{CHAT}#replacements", {"messages": changed})


@require_http_methods(["GET", "POST"])
def new_group(request):
    """Create a group: a name and some friends, shown in the chat page's pane."""
    form = GroupForm(request.user, request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            room = actions.create_group(request.user, form.cleaned_data["name"], form.cleaned_data["members"])
        except RoomError as error:
            form.add_error(None, error)
        else:
            return follow(request, room.get_absolute_url())
    return _chat_page(request, group_form=form, status=422 if form.errors else 200)


def _chat_page(request, room=None, status=200, **context):
    """
    The chat page, or for HTMX the part it asked for (the room items when filtering or
    showing more, else the pane with the room list out of band).

    The list shows the ROOM_LIST_PAGE rooms with the newest activity, and "Show more chats"
    adds as many again each time, up to ROOM_LIST_MAX: the page costs the same whatever the
    number of rooms.
    """
    search = request.GET.get("q", "").strip()
    shown = positive_int(request.GET.get("rooms"), default=ROOM_LIST_PAGE, maximum=ROOM_LIST_MAX)
    rooms = list(Room.objects.for_user(request.user).matching(search)[: shown + 1])
    more = len(rooms) > shown and shown < ROOM_LIST_MAX
    context.update(rooms=rooms[:shown], more_rooms=min(shown + ROOM_LIST_PAGE, ROOM_LIST_MAX) if more else None)
    context["online_ids"] = presence.online(r.other_user_id for r in rooms[:shown] if r.other_user_id)
    context.update(search=search, room=room)
    if room is not None:
        around = positive_int(request.GET.get("around"))
        if around:
            page = room.messages.around(around)
        else:
            page = room.messages.page(before=positive_int(request.GET.get("before")))
        context.update(
            page=page,
            client_id=uuid.uuid4(),
            starred_ids=Favorite.objects.starred_in(request.user, room.pk),
            replying=_replying(room, context.pop("reply_to", None) or request.GET.get("reply_to")),
            quick_reactions=QUICK_REACTIONS,
            receipts={
                "room": room.pk,
                "direct": room.is_direct,
                "hidden": request.user.hide_activity,
                "marks": room.read_marks(request.user),
            },
            last_seen=_last_seen(request.user, room),
            room_members=[
                {"id": m["user_id"], "username": m["user__username"], "name": m["user__nickname"]}
                # A deleted account cannot be mentioned (nor be told).
                for m in room.memberships.filter(user__deleted_at__isnull=True)
                .order_by("user__nickname")
                .values("user_id", "user__username", "user__nickname")
            ],
            palette=PALETTE,
        )
        if room.is_group:
            context.update(members=room.members(), add_form=AddMembersForm(request.user, room))
    if not wants_partial(request):
        template = CHAT
    elif request.htmx.target == "room-items":
        template = f"{CHAT}#room-items"
    else:
        template = f"{CHAT}#room-switch"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _last_seen(reader, room):
    """A direct room's header: {"user", "online", "at"} for the other person, or None when either
    hides their activity (or the other account is gone)."""
    if not room.is_direct or reader.hide_activity or not room.other_user_id:
        return None
    other = User.objects.filter(pk=room.other_user_id, hide_activity=False, is_active=True).values("last_seen_at").first()
    if other is None:
        return None
    online = bool(presence.online([room.other_user_id]))
    return {"user": room.other_user_id, "online": online, "at": other["last_seen_at"]}


def _replying(room, reply_to):
    """The message of room that the composer is replying to (`?reply_to=<id>`), if it can be."""
    reply_id = positive_int(reply_to)
    if reply_id is None:
        return None
    message = room.messages.select_related("sender").filter(pk=reply_id, deleted_at__isnull=True).first()
    return None if message is None or message.is_system else message


@require_GET
def reader_css(request):
    """The reader's own rules (their messages on the right, with their actions), as CSS."""
    response = render(request, "rooms/reader.css", {"user": request.user}, content_type="text/css")
    response["Cache-Control"] = "private, max-age=86400"  # the URL names the reader
    return response


@require_GET
def starred_css(request, room_id):
    """The reader's stars in a room of theirs, as CSS (the URL changes with the stars)."""
    room = get_object_or_404(Room.objects.with_member(request.user), pk=room_id)
    starred_ids = Favorite.objects.starred_in(request.user, room.pk)
    response = render(request, "rooms/starred.css", {"starred_ids": starred_ids}, content_type="text/css")
    response["Cache-Control"] = "private, max-age=86400"
    return response

