"""
What the chat socket does with rooms (registered in RoomsConfig.ready(); the socket itself is
realtime's transport):

- a new socket joins the group of each of the person's rooms;
- client frames `send`, `resume`, `typing`, `read` (realtime/PROTOCOL.md);
- events `room.joined` (the person's tabs join the room's group, list the room and get its
  messages from when they joined) and `room.left`.

Every rule is the models' and the actions'; a handler reads the frame, calls one of them off
the event loop and answers. A room the person is not in is "This room does not exist.", the
answer for a room that does not exist.
"""

import asyncio
import functools
import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError
from django.db.models.signals import post_delete, post_save
from django.utils import translation
from django.utils.translation import gettext as _

from core import metrics
from realtime import registry
from realtime.db import database_sync_to_async
from realtime.loops import of_this_loop
from realtime.presence import shared_cache
from realtime.protocol import MAX_ID, FrameError, notice, read_id
from realtime.publish import apublish, frame_for, publishing_after

from . import actions, frames
from .groups import room_group
from .models import Membership, Room, RoomError, RoomNotFound

log = logging.getLogger(__name__)

RESUME_LIMIT = 200


def _room_id(frame):
    value = frame.get("room")
    room_id = read_id(value)
    if room_id is None:
        if isinstance(value, int) and not isinstance(value, bool) or str(value).lstrip("-").isdigit():
            raise FrameError(_("This room does not exist."))
        raise FrameError(_("Choose a room first."))
    return room_id


def _about_the_room(handler):
    """A room rule broken by a frame is said under that room's message box."""

    @functools.wraps(handler)
    async def handle(socket, frame):
        try:
            await handler(socket, frame)
        except RoomError as error:
            raise FrameError(str(error.message), room=read_id(frame.get("room"))) from None
        except FrameError as error:
            error.fields.setdefault("room", read_id(frame.get("room")))
            raise

    return handle


def _clamped_id(value, wrong):
    """A message id from a frame, within 0 .. 2**63 - 1 (FrameError `wrong` if not a number)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise FrameError(wrong)
    try:
        return min(max(int(value), 0), MAX_ID)
    except ValueError:
        raise FrameError(wrong) from None


def _require_joined(socket, room_id):
    if room_group(room_id) not in socket.joined:
        raise FrameError(_("This room does not exist."))


# --- Database work, off the event loop ------------------------------------------------------


@registry.groups_on_connect
def _room_groups(users):
    return {pk: [room_group(room) for room in ids] for pk, ids in Membership.objects.room_ids_of_each(users).items()}


def _membership_changed(sender, instance, **kwargs):
    """A new socket of that person asks _room_groups again (the socket caches its answer)."""
    registry.groups_changed([instance.user_id])


post_save.connect(_membership_changed, sender=Membership, dispatch_uid="rooms.sockets.membership_saved")
post_delete.connect(_membership_changed, sender=Membership, dispatch_uid="rooms.sockets.membership_deleted")


@database_sync_to_async
def _post(user, room_id, body, client_id, reply_to=None):
    """
    Store the message (published to the room after commit, by on_send: `publishing_after`).
    Returns the frames the sender must get directly: none for a new message (the sender's tabs
    are in the room), the stored message for a repeated client id. The room's query also asks
    whether the sender's account is still active (on_send `checks_active`): RoomNotFound
    when it is not, and the socket then asks why.
    """
    room = Room.objects.of_member(user, room_id, active=True)
    message = actions.post_message(room, user, body, client_id=client_id, reply_to=reply_to)
    if not message.just_stored:
        return [frames.message(message)]
    return []


def _replay(room, after):
    """What room got after message id `after` (read only once the page says it was seen: a
    hidden tab catches up too), rendered, or None when that is too much to replay."""
    messages = list(room.messages.after(after)[: RESUME_LIMIT + 1])
    if len(messages) > RESUME_LIMIT:
        return None
    return frames.messages(messages)


@database_sync_to_async
def _messages_after(user, room_id, after):
    """_replay for a room the database must first say is the person's."""
    return _replay(Room.objects.of_member(user, room_id), after)


@database_sync_to_async
def _room_messages_after(room_id, after):
    """_replay for a room the socket is known to be in (it is in its group)."""
    room = Room.objects.filter(pk=room_id).first()
    if room is None:
        raise RoomNotFound()
    return _replay(room, after)


_resumes = {}  # event loop -> {(room id, after, language): the answer being computed}


async def _shared_messages_after(room_id, after):
    """
    What a room got after `after`, computed once for every socket asking the same while it is
    being computed: after a process dies, a thousand tabs of one room reconnect to another
    and ask alike, and the answer (rendered in the reader's language) is the same for all.
    """
    flights = of_this_loop(_resumes, dict)
    key = (room_id, after, translation.get_language())
    answer = flights.get(key)
    if answer is None:
        answer = flights[key] = asyncio.ensure_future(_room_messages_after(room_id, after))
        answer.add_done_callback(lambda _: flights.pop(key, None))
    return await asyncio.shield(answer)


@database_sync_to_async
def _mark_read(user, room_id, up_to):
    actions.mark_read(Room(pk=room_id), user, up_to)


@database_sync_to_async
def _joined_room(user, room_id, since):
    """The new room's list item, and its messages from when the user joined."""
    room = Room.objects.for_user(user).filter(pk=room_id).first()
    if room is None:  # left again before this tab heard of it
        return ""
    return frames.room_added(room) + frames.messages(room.messages.after(since)[:RESUME_LIMIT])


# --- Client frames --------------------------------------------------------------------------


@registry.handles("send", checks_active=True)
@_about_the_room
async def on_send(socket, frame):
    room_id = _room_id(frame)
    body = frame.get("body")
    if not isinstance(body, str):
        raise FrameError(_("Write a message first."))
    try:
        reply_to = frame.get("reply_to")
        if reply_to is not None and (isinstance(reply_to, bool) or not isinstance(reply_to, (int, str))):
            raise FrameError(_("`reply_to` must be a message id."))
        replies, unpublished = await publishing_after(_post, socket.user, room_id, body, frame.get("client_id"), reply_to)
    except DatabaseError:
        log.exception("chat: storing a message failed")
        raise FrameError(_("Your message could not be stored; nothing was sent. Try again.")) from None
    if unpublished:  # the layer is down: the sender at least sees their message, and why
        replies += [frame_for(html, socket.language) for _group, html in unpublished if html]
        replies.append(notice(_("Live delivery is degraded: your message is stored, and others will see it when they catch up.")))
    for reply in replies:
        await socket.send_frame(reply)


@registry.handles("resume")
@_about_the_room
async def on_resume(socket, frame):
    room_id = _room_id(frame)
    after = _clamped_id(frame.get("after") or 0, _("`after` must be a message id."))
    if room_group(room_id) in socket.joined:  # a member: the answer is the same for every member
        html = await _shared_messages_after(room_id, after)
    else:  # not a room of this socket's: the database says whether it is the person's
        html = await _messages_after(socket.user, room_id, after)
    if html is None:  # too far behind to replay: the page reloads the room instead
        html = frames.reload_room(room_id)
    if html:
        await socket.send_frame(html)


@registry.handles("read")
@_about_the_room
async def on_read(socket, frame):
    """The page showed the room's messages up to `up_to` in a visible tab: they are read."""
    room_id = _room_id(frame)
    _require_joined(socket, room_id)
    up_to = _clamped_id(frame.get("up_to"), _("`up_to` must be a message id."))
    if up_to > 0:
        await _mark_read(socket.user, room_id, up_to)


@registry.handles("typing")
@_about_the_room
async def on_typing(socket, frame):
    room_id = _room_id(frame)
    _require_joined(socket, room_id)
    try:
        first_in_a_while = await sync_to_async(shared_cache().add, thread_sensitive=False)(
            f"typing:{room_id}:{socket.user_id}", 1, settings.TYPING_EVERY_SECONDS
        )
    except Exception:  # the cache is down: typing is a nicety, skip it
        metrics.cache_errors.labels("typing").inc()
        log.warning("chat: typing throttle unavailable", exc_info=True)
        return
    if first_in_a_while:
        await apublish(room_group(room_id), frames.typing(room_id, socket.user), exclude_user=socket.user_id)


# --- Events ---------------------------------------------------------------------------------


@registry.on_event("room.joined")
async def on_room_joined(socket, event):
    room_id = event["room"]
    if room_group(room_id) in socket.joined:
        return
    await socket.join(room_group(room_id))
    with translation.override(socket.language):  # the reader's, as every frame to them
        html = await _joined_room(socket.user, room_id, event.get("since", 0))
    if html:
        await socket.send_frame(html)


@registry.on_event("room.left")
async def on_room_left(socket, event):
    await socket.leave(room_group(event["room"]))
