"""
The chat page, the room actions and the message actions. Each view checks its input, calls
one model method and renders; the rules are in rooms.models.

Every room URL looks the room up among the user's own rooms, and every message URL the
message among the messages of those rooms, so a non-member gets 404, the same answer as for
something that does not exist. HTMX requests get fragments of rooms/chat.html (its named
partials); plain requests get whole pages and redirects, so everything works without
JavaScript too.

A message's actions (star, edit, delete) are part of the message fragment, which is the same
for every reader, so they are links: with htmx they post at once (the CSRF token travels in
a header), without it they open a page with the form.
"""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from .attachments import file_response
from .forms import AddMembersForm, GroupForm
from .live import presence
from .models import Favorite, Message, MessageError, Room, RoomError, RoomNotFound

CHAT = "rooms/chat.html"
MESSAGE_PAGES = "rooms/message_pages.html"
ROOM_LIST_PAGE = 50
# Numbers read from the address are clamped to these: the database refuses an id, a LIMIT or
# an OFFSET beyond its integers (a 500), and a page of a million rooms helps nobody.
MAX_ID = 2**63 - 1  # the largest BigAutoField
ROOM_LIST_MAX = 1000  # "Show more chats" stops here; the filter finds the others
SEARCH_OFFSET_MAX = 10_000


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
def upload(request, room_id):
    """
    Send pictures or files (the page sends one per request; a form without JavaScript may
    send several): each one a message, under the same rules as any other and broadcast the
    same way.
    """
    room = _room_or_404(request, room_id)
    uploads = request.FILES.getlist("file") or [None]
    client_id = request.POST.get("client_id") if len(uploads) == 1 else None
    try:
        for upload in uploads:
            message = Message.objects.post_file(room, request.user, upload, client_id=client_id)
    except MessageError as error:
        if request.htmx:
            return _error_fragment(request, error)
        return _chat_page(request, room, status=422, send_error=error)
    except RoomNotFound:
        raise Http404 from None
    if request.htmx:
        room = Room.objects.for_user(request.user).get(pk=room.pk)  # its list item, with the new preview
        return render(request, f"{CHAT}#uploaded", {"message": message, "room": room})
    return redirect(f"{room.get_absolute_url()}#message-{message.pk}")


@require_GET
def changes(request, room_id):
    """
    The current state of the edited and deleted messages among ids `from` to `to`, as
    out-of-band replacements: a page that reconnects brings the messages it shows up to date
    (new ones come with the socket's resume).
    """
    room = _room_or_404(request, room_id)
    first, last = _positive_int(request.GET.get("from"), 1), _positive_int(request.GET.get("to"), 0)
    changed = room.messages.changed_between(first, last)[: Message.PAGE_SIZE * 4]
    return render(request, f"{CHAT}#replacements", {"messages": changed})


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


# --- Message actions ------------------------------------------------------------------------


@require_GET
def message(request, message_id):
    """One message as the chat shows it (Cancel on an edit puts it back); else the room at it."""
    message = _message_or_404(request, message_id)
    if not request.htmx:
        return redirect(message)
    return _replacement(request, message)


@require_http_methods(["GET", "POST"])
def edit_message(request, message_id):
    """Edit your own message: the form in place of its text, or a page without JavaScript."""
    message = _message_or_404(request, message_id)
    draft = request.POST.get("body", "") if request.method == "POST" else message.body
    try:
        if request.method == "POST":
            message.edit(request.user, draft)
            return _replacement(request, message) if request.htmx else redirect(message)
        message.require_can_edit(request.user)
    except RoomNotFound:
        raise Http404 from None
    except MessageError as error:
        if request.htmx and request.method == "POST":  # the form stays, saying why
            context = {"message": message, "draft": draft, "error": error, "oob": True}
            return render(request, f"{MESSAGE_PAGES}#edit-form", context, status=422)
        return _action_page(request, "edit", message, error=error, draft=draft, status=422)
    if request.htmx:
        return render(request, f"{MESSAGE_PAGES}#edit-form", {"message": message, "draft": draft})
    return _action_page(request, "edit", message, draft=draft)


@require_http_methods(["GET", "POST"])
def delete_message(request, message_id):
    """Delete your own message for everyone (htmx asks first; without it, a page asks)."""
    message = _message_or_404(request, message_id)
    try:
        if request.method == "POST":
            message.soft_delete(request.user)
            return _replacement(request, message) if request.htmx else redirect(message)
        message.require_can_delete(request.user)
    except RoomNotFound:
        raise Http404 from None
    except MessageError as error:
        return _action_page(request, "delete", message, error=error, status=422)
    return _action_page(request, "delete", message)


@require_http_methods(["GET", "POST"])
def favorite(request, message_id):
    """Star a message of one of your rooms."""
    message = _message_or_404(request, message_id)
    if request.method == "GET":
        return _action_page(request, "favorite", message)
    try:
        Favorite.objects.add(request.user, message)
    except RoomNotFound:
        raise Http404 from None
    except MessageError as error:
        return _action_page(request, "favorite", message, error=error, status=422)
    return _starred(request, message)


@require_http_methods(["GET", "POST"])
def unfavorite(request, message_id):
    """Unstar a message."""
    message = _message_or_404(request, message_id)
    if request.method == "GET":
        return _action_page(request, "unfavorite", message)
    Favorite.objects.remove(request.user, message)
    return _starred(request, message)


@login_not_required
@require_GET
def attachment(request, message_id, part):
    """
    A message's file or thumbnail, to members of its room only: 404 for anyone else, logged
    out or not (no login page betrays that the URL exists), and once the message is deleted.
    Pictures show in the page; every other file is a download, its type hidden
    (application/octet-stream) and sniffing off, so nothing can run as a page of this site.
    """
    if not request.user.is_authenticated:
        raise Http404
    message = _message_or_404(request, message_id)
    response = None if message.deleted_at else file_response(message, part, cache_control="private, max-age=3600")
    if response is None:
        raise Http404
    return response


# --- Favorites and search -------------------------------------------------------------------


@require_GET
@vary_on_headers("HX-Request")
def favorites(request):
    """Your favorites, newest first; "Show more" loads the next page in place."""
    page = Favorite.objects.page_for(request.user, before=_positive_int(request.GET.get("before")))
    template = "rooms/favorites.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#favorite-page"
    return render(request, template, {"page": page})


@require_GET
@vary_on_headers("HX-Request")
def search(request):
    """Search the messages of your rooms; "Show more" loads the next results in place."""
    query = request.GET.get("q", "").strip()
    offset = _offset(request.GET.get("offset"))
    results = Message.objects.search(request.user, query, offset=offset)
    template = "rooms/search.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#result-page"
    return render(request, template, {"query": query, "results": results})


# --- Helpers --------------------------------------------------------------------------------


def _room_or_404(request, room_id):
    """One of the user's rooms, with what its header shows; 404 for anyone else's."""
    return get_object_or_404(Room.objects.as_seen_by(request.user), pk=room_id)


def _message_or_404(request, message_id):
    """A message of one of the user's rooms; 404 for anyone else's."""
    return get_object_or_404(Message.objects.visible_to(request.user).select_related("sender"), pk=message_id)


def _positive_int(value, default=None, maximum=MAX_ID):
    """A whole number from the address, clamped to 1..maximum; default when missing or malformed."""
    try:
        return min(max(int(value), 1), maximum) if value else default
    except ValueError:
        return default


def _offset(value):
    """How many results to skip: a whole number up to SEARCH_OFFSET_MAX, 0 when missing or malformed."""
    try:
        return min(max(int(value), 0), SEARCH_OFFSET_MAX)
    except (TypeError, ValueError):
        return 0


def _chat_page(request, room=None, status=200, **context):
    """
    The chat page, or for HTMX the part it asked for (the room items when filtering or
    showing more, else the pane with the room list out of band).

    The list shows the ROOM_LIST_PAGE rooms with the newest activity, and "Show more chats"
    adds as many again each time, up to ROOM_LIST_MAX: the page costs the same whatever the
    number of rooms.
    """
    search = request.GET.get("q", "").strip()
    shown = _positive_int(request.GET.get("rooms"), default=ROOM_LIST_PAGE, maximum=ROOM_LIST_MAX)
    rooms = list(Room.objects.for_user(request.user).matching(search)[: shown + 1])
    more = len(rooms) > shown and shown < ROOM_LIST_MAX
    context.update(rooms=rooms[:shown], more_rooms=min(shown + ROOM_LIST_PAGE, ROOM_LIST_MAX) if more else None)
    context["online_ids"] = presence.online(r.other_user_id for r in rooms[:shown] if r.other_user_id)
    context.update(search=search, room=room)
    if room is not None:
        around = _positive_int(request.GET.get("around"))
        if around:
            page = room.messages.around(around)
        else:
            page = room.messages.page(before=_positive_int(request.GET.get("before")))
        context.update(
            page=page,
            client_id=uuid.uuid4(),
            starred_ids=Favorite.objects.starred_in(request.user, room.pk),
            upload_max_bytes=settings.ATTACHMENT_MAX_BYTES,
        )
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


def _replacement(request, message):
    """The message, to replace the one on the page (out of band, as live pushes do it)."""
    return render(request, f"{CHAT}#replacements", {"messages": [message]})


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


def _starred(request, message):
    """After starring or unstarring: the room's stars for htmx, else back where the reader was."""
    if request.htmx:
        starred_ids = Favorite.objects.starred_in(request.user, message.room_id)
        context = {"room_id": message.room_id, "starred_ids": starred_ids, "oob": True}
        return render(request, f"{CHAT}#starred", context)
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(back)
    return redirect(message)


def _action_page(request, action, message, error=None, status=200, **context):
    """
    A message action's page (edit, delete, star, unstar: its form, for use without
    JavaScript), saying why when the action was refused; for htmx, the refusal as a toast.
    """
    if error is not None and request.htmx:
        return reswap(render(request, f"{CHAT}#action-error", {"error": error}, status=status), "none")
    context.update(action=action, message=message, error=error)
    return render(request, MESSAGE_PAGES, context, status=status)
