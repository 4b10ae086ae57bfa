"""
Sending and the message actions. A message's actions (star, edit, delete) are part of the
message fragment, which is the same for every reader, so they are links: with htmx they post
at once (the CSRF token travels in a header), without it they open a page with the form.
"""

import uuid

from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from core.emoji import PALETTE

from .. import actions
from ..attachments import file_response
from ..models import Favorite, Message, MessageError, Room, RoomNotFound
from .chat import _chat_page
from .common import CHAT, MESSAGE_PAGES, error_fragment, message_or_404, replacement, room_or_404


@require_POST
def post_message(request, room_id):
    """Send a message without the WebSocket: the same Message.objects.post as the live path."""
    room = room_or_404(request, room_id)
    body = request.POST.get("body", "")
    try:
        message = actions.post_message(
            room, request.user, body, client_id=request.POST.get("client_id"), reply_to=request.POST.get("reply_to")
        )
    except MessageError as error:
        if request.htmx:
            return reswap(retarget(error_fragment(request, error), "#send-error"), "innerHTML")
        return _chat_page(request, room, status=422, send_error=error, draft=body, reply_to=request.POST.get("reply_to"))
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
    room = room_or_404(request, room_id)
    uploads = request.FILES.getlist("file") or [None]
    client_id = request.POST.get("client_id") if len(uploads) == 1 else None
    try:
        for upload in uploads:
            message = actions.post_file(room, request.user, upload, client_id=client_id)
    except MessageError as error:
        if request.htmx:
            return error_fragment(request, error)
        return _chat_page(request, room, status=422, send_error=error)
    except RoomNotFound:
        raise Http404 from None
    if request.htmx:
        room = Room.objects.for_user(request.user).get(pk=room.pk)  # its list item, with the new preview
        return render(request, f"{CHAT}#uploaded", {"message": message, "room": room})
    return redirect(f"{room.get_absolute_url()}#message-{message.pk}")


@require_GET
def message(request, message_id):
    """One message as the chat shows it (Cancel on an edit puts it back); else the room at it."""
    message = message_or_404(request, message_id)
    if not request.htmx:
        return redirect(message)
    return replacement(request, message)


@require_http_methods(["GET", "POST"])
def edit_message(request, message_id):
    """Edit your own message: the form in place of its text, or a page without JavaScript."""
    message = message_or_404(request, message_id)
    draft = request.POST.get("body", "") if request.method == "POST" else message.body
    try:
        if request.method == "POST":
            actions.edit_message(message, request.user, draft)
            return replacement(request, message) if request.htmx else redirect(message)
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
    message = message_or_404(request, message_id)
    try:
        if request.method == "POST":
            actions.delete_message(message, request.user)
            return replacement(request, message) if request.htmx else redirect(message)
        message.require_can_delete(request.user)
    except RoomNotFound:
        raise Http404 from None
    except MessageError as error:
        return _action_page(request, "delete", message, error=error, status=422)
    return _action_page(request, "delete", message)


@require_http_methods(["GET", "POST"])
def favorite(request, message_id):
    """Star a message of one of your rooms."""
    message = message_or_404(request, message_id)
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
    message = message_or_404(request, message_id)
    if request.method == "GET":
        return _action_page(request, "unfavorite", message)
    Favorite.objects.remove(request.user, message)
    return _starred(request, message)


@require_GET
def reply(request, message_id):
    """Reply without JavaScript: the room, with the reply to this message under way."""
    message = message_or_404(request, message_id)
    return redirect(f"{reverse('rooms:room', args=[message.room_id])}?reply_to={message.pk}#send-form")


@require_http_methods(["GET", "POST"])
def react(request, message_id):
    """
    Toggle your reaction (`emoji`) under a message of one of your rooms; the open pages of
    the room get the new reactions live. htmx gets them at once too; without JavaScript, GET
    is a page of emoji to choose from.
    """
    message = message_or_404(request, message_id)
    if request.method == "GET":
        return _action_page(request, "react", message, palette=PALETTE)
    try:
        actions.toggle_reaction(message, request.user, request.POST.get("emoji"))
    except RoomNotFound:
        raise Http404 from None
    except MessageError as error:
        return _action_page(request, "react", message, error=error, status=422, palette=PALETTE)
    if request.htmx:
        shown = Message.objects.shown().get(pk=message.pk)
        return render(request, f"{CHAT}#reactions", {"message": shown, "oob": True})
    return redirect(message)


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
    message = message_or_404(request, message_id)
    response = None if message.deleted_at else file_response(message, part, cache_control="private, max-age=3600")
    if response is None:
        raise Http404
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

