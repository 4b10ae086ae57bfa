"""
The chat WebSocket: one per browser tab at /ws/chat/, authenticated by the Django session.

Client frames are JSON objects with a `type` (see design.md): `send`, `resume`, `typing`,
`read`.
Server frames are HTML fragments for htmx's ws extension (out-of-band swaps). Rules live on
the models (`Message.objects.post` and friends); this consumer checks the frame, calls them
off the event loop, and answers with a fragment. Errors answer with an error fragment and the
socket stays open, except an oversized frame (closed with 4009: daphne refuses 1009 from an
application, and only a close it accepts runs the normal disconnect, presence included).
"""

import json
import logging

from asgiref.sync import sync_to_async
from channels.db import aclose_old_connections, database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError

from accounts.sessions import session_digest

from . import frames
from .live import abroadcast, get_hub, presence, release_hub, room_group, shared_cache, user_group
from .models import Message, Room, RoomError, RoomNotFound

log = logging.getLogger(__name__)

# Close codes: no logged-in user or the session ended (like HTTP 401); the account was
# deactivated (like 403); a frame over MAX_FRAME_BYTES (as 1009, "message too big", which
# daphne only sends itself, past its own 1 MB limit); too many open sockets (like 429).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_DEACTIVATED = 4403
CLOSE_TOO_BIG = 4009
CLOSE_TOO_MANY = 4429

MAX_FRAME_BYTES = settings.SOCKET_FRAME_MAX_BYTES
RESUME_LIMIT = 200
MAX_MESSAGE_ID = 2**63 - 1  # a BigAutoField: a larger number in a frame would be a database error
TYPING_EVERY_SECONDS = settings.TYPING_EVERY_SECONDS


class FrameError(Exception):
    """A client frame we cannot act on; the message is shown to the person."""


def _room_id(frame):
    value = frame.get("room")
    try:
        room_id = int(value)
    except (TypeError, ValueError):
        raise FrameError("Choose a room first.") from None
    if room_id <= 0:
        raise FrameError("This room does not exist.")
    return room_id


# --- Database work, off the event loop ------------------------------------------------------


@database_sync_to_async
def _is_active(user_id):
    return get_user_model().objects.filter(pk=user_id, is_active=True).exists()


@database_sync_to_async
def _room_ids_of(user):
    return set(Room.objects.with_member(user).values_list("pk", flat=True))


@database_sync_to_async
def _friend_ids_of(user):
    from friends.models import Friendship

    return list(Friendship.objects.friends_of(user).values_list("pk", flat=True))


def _member_room(user, room_id):
    try:
        return Room.objects.with_member(user).get(pk=room_id)
    except Room.DoesNotExist:
        raise RoomNotFound() from None


@database_sync_to_async
def _post(user, room_id, body, client_id):
    """
    Store the message; the model broadcasts it after commit. Returns the frames the sender
    must get directly: none when the broadcast reached the room (the sender is in it), the
    stored message for a repeated client id, or it and a notice when the layer is down.
    """
    message = Message.objects.post(_member_room(user, room_id), user, body, client_id=client_id)
    if not message.just_stored:
        return [frames.message(message)]
    if message.broadcast_failed:
        return [
            frames.message(message),
            frames.notice("Live delivery is degraded: your message is stored, and others will see it when they catch up."),
        ]
    return []


@database_sync_to_async
def _messages_after(user, room_id, after):
    """What the room got after message id `after`; read only once the page says it was seen
    (a hidden tab catches up too)."""
    room = _member_room(user, room_id)
    messages = list(room.messages.after(after)[: RESUME_LIMIT + 1])
    if len(messages) > RESUME_LIMIT:
        return None
    return frames.messages(messages)


@database_sync_to_async
def _mark_read(user, room_id, up_to):
    Room(pk=room_id).mark_read(user, up_to)


@database_sync_to_async
def _joined_room(user, room_id, since):
    """The new room's list item, and its messages from when the user joined."""
    room = Room.objects.for_user(user).filter(pk=room_id).first()
    if room is None:  # left again before this tab heard of it
        return ""
    return frames.room_added(room) + frames.messages(room.messages.after(since)[:RESUME_LIMIT])


class ChatConsumer(AsyncWebsocketConsumer):
    # No layer channel per socket: the process's hub hands each socket its frames (live.py).
    channel_layer_alias = None
    user_id = None
    early_frames = None

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            # Accepted first, so the browser sees why rather than a bare refusal.
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user, self.user_id = user, user.pk
        # The session this socket was authenticated by: a logout of it closes the socket.
        self.session = session_digest(self.scope["session"].session_key)
        self.early_frames = []  # what the hub hands over before the socket is accepted
        self.room_ids = await _room_ids_of(user)
        self.hub = await get_hub()
        self.groups_joined = {user_group(user.pk), *(room_group(pk) for pk in self.room_ids)}
        for group in self.groups_joined:
            await self.hub.join(self, group)
        open_sockets = await presence.connected(user.pk)
        if open_sockets > settings.CHAT_SOCKETS_PER_PERSON:
            await self._refuse_one_too_many()
            return
        if open_sockets == 1:
            await self._announce_presence(online=True)
        # Accepted once every group is joined: nothing sent to the rooms from here is missed,
        # and what arrived while joining goes out right after the handshake.
        await self.accept()
        early, self.early_frames = self.early_frames, None
        for html in early:
            await self.send(text_data=html)

    async def _refuse_one_too_many(self):
        """Over the per-person cap: uncount this socket, say why, and close it."""
        await self.disconnect(CLOSE_TOO_MANY)  # leaves its groups and its presence count
        self.hub, self.early_frames = None, None
        await self.accept()
        limit = settings.CHAT_SOCKETS_PER_PERSON
        await self.send(text_data=frames.notice(f"You have more than {limit} tabs of this site open. Close some, then reload this one."))
        await self.close(code=CLOSE_TOO_MANY)

    async def disconnect(self, code):
        hub = getattr(self, "hub", None)
        if hub is None:
            return
        await hub.leave_all(self, self.groups_joined)
        await release_hub(hub)
        if await presence.disconnected(self.user_id):
            await self._announce_presence(online=False)

    async def _announce_presence(self, online):
        html = frames.presence(self.user_id, online)
        for friend_id in await _friend_ids_of(self.user):
            await abroadcast(user_group(friend_id), html)

    # --- Frames from the client -------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > MAX_FRAME_BYTES:
            await self.close(code=CLOSE_TOO_BIG)
            return
        await aclose_old_connections()
        if not await _is_active(self.user_id):
            # Deactivated, and the event that closes its sockets has not arrived (yet).
            await self.close(code=CLOSE_DEACTIVATED)
            return
        try:
            if text_data is None:
                raise FrameError("Frames must be JSON text.")
            try:
                frame = json.loads(text_data)
            except ValueError:
                raise FrameError("That frame is not valid JSON.") from None
            if not isinstance(frame, dict):
                raise FrameError("A frame must be a JSON object with a type.")
            handler = {
                "send": self.on_send,
                "resume": self.on_resume,
                "typing": self.on_typing,
                "read": self.on_read,
            }.get(frame.get("type"))
            if handler is None:
                raise FrameError(f"Unknown frame type: {str(frame.get('type'))[:40]!r}.")
            await handler(frame)
        except FrameError as error:
            await self.send(text_data=frames.error(str(error), room_id=frame_room(text_data)))
        except RoomError as error:
            await self.send(text_data=frames.error(error.message, room_id=frame_room(text_data)))

    async def on_send(self, frame):
        room_id = _room_id(frame)
        body = frame.get("body")
        if not isinstance(body, str):
            raise FrameError("Write a message first.")
        try:
            replies = await _post(self.user, room_id, body, frame.get("client_id"))
        except DatabaseError:
            log.exception("chat: storing a message failed")
            raise FrameError("Your message could not be stored; nothing was sent. Try again.") from None
        for reply in replies:  # each its own frame: a control frame never rides with HTML
            await self.send(text_data=reply)

    async def on_resume(self, frame):
        room_id = _room_id(frame)
        try:
            after = max(0, int(frame.get("after") or 0))
        except (TypeError, ValueError):
            raise FrameError("`after` must be a message id.") from None
        html = await _messages_after(self.user, room_id, after)
        if html is None:  # too far behind to replay: the page reloads the room instead
            html = frames.reload_room(room_id)
        if html:
            await self.send(text_data=html)

    async def on_read(self, frame):
        """The page showed the room's messages up to `up_to` in a visible tab: they are read."""
        room_id = _room_id(frame)
        if room_id not in self.room_ids:
            raise FrameError("This room does not exist.")
        up_to = frame.get("up_to")
        if isinstance(up_to, bool) or not isinstance(up_to, (int, str)):
            raise FrameError("`up_to` must be a message id.")
        try:
            up_to = min(int(up_to), MAX_MESSAGE_ID)
        except ValueError:
            raise FrameError("`up_to` must be a message id.") from None
        if up_to > 0:
            await _mark_read(self.user, room_id, up_to)

    async def on_typing(self, frame):
        room_id = _room_id(frame)
        if room_id not in self.room_ids:
            raise FrameError("This room does not exist.")
        try:
            first_in_a_while = await sync_to_async(shared_cache().add, thread_sensitive=False)(
                f"typing:{room_id}:{self.user_id}", 1, TYPING_EVERY_SECONDS
            )
        except Exception:  # the cache is down: typing is a nicety, skip it
            log.warning("chat: typing throttle unavailable", exc_info=True)
            return
        if first_in_a_while:
            await abroadcast(room_group(room_id), frames.typing(room_id, self.user), exclude_user=self.user_id)

    # --- Frames from the hub ----------------------------------------------------------------

    async def hub_message(self, message):
        event = message.get("event")
        if event:
            await self.on_event(event)
        if message.get("html"):
            await self.push(message["html"])

    async def push(self, html):
        """Send a frame from the hub, or keep it until the handshake is done."""
        if self.early_frames is not None:
            self.early_frames.append(html)
        else:
            await self.send(text_data=html)

    async def on_event(self, event):
        kind = event.get("kind")
        if kind == "room.joined":
            room_id = event["room"]
            if room_id not in self.room_ids:
                self.room_ids.add(room_id)
                self.groups_joined.add(room_group(room_id))
                await self.hub.join(self, room_group(room_id))
                html = await _joined_room(self.user, room_id, event.get("since", 0))
                if html:
                    await self.push(html)
        elif kind == "room.left":
            room_id = event["room"]
            self.room_ids.discard(room_id)
            self.groups_joined.discard(room_group(room_id))
            await self.hub.leave(self, room_group(room_id))
        elif kind == "user.deactivated":
            await self.close(code=CLOSE_DEACTIVATED)
        elif kind == "session.ended" and event.get("session") == self.session:
            await self.close(code=CLOSE_UNAUTHENTICATED)  # this session logged out
        elif kind == "sessions.ended" and event.get("keep") != self.session:
            await self.close(code=CLOSE_UNAUTHENTICATED)  # the password changed elsewhere

    async def resync(self):
        """After a layer outage: the page asks for whatever it missed."""
        await self.push(frames.resync())


def frame_room(text_data):
    """The room a bad frame was about, when it says, so the error shows in that room."""
    try:
        return int(json.loads(text_data).get("room"))
    except Exception:
        return None
