"""
The socket: one per browser tab at /ws/chat/, authenticated by the Django session. Transport
only: it checks who is connecting, how big and how well-formed a frame is, and hands frames
and events to the handlers the apps registered (`realtime.registry`). What a frame means is
the apps' business; nothing here knows what a room or a friend is.

- A socket without a logged-in, active user is accepted and closed with 4401 (so the page sees
  why, not a bare refusal); the origin was checked before (`realtime.origins`).
- It joins the person's group, and the groups the apps name for them, before the handshake
  completes: nothing published to those groups from then on is missed, and what arrives
  while joining goes out right after the handshake.
- At most CHAT_SOCKETS_PER_PERSON sockets per person (on every process, counted by presence):
  one more is told why and closed with 4429.
- A frame over SOCKET_FRAME_MAX_BYTES closes the socket with 4009 and the normal disconnect
  runs (daphne refuses 1009 from an application); a frame from an account no longer active
  closes it with 4403; anything else wrong answers with an error frame and the socket stays.
- Events `close` (a logout, a password change, a ban: `realtime.publish.close_sockets_on_commit`)
  close the sockets they name.
"""

import json
import logging
import time
import uuid
from types import SimpleNamespace

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from core import context, metrics
from core.cached import reading_ahead, remember_many

from . import protocol, registry
from .batches import Batched
from .db import database_sync_to_async
from .entry import SERVER_SEND
from .hub import get_hub, release_hub
from .presence import presence, shared_cache
from .protocol import CLOSE_DEACTIVATED, CLOSE_TOO_BIG, CLOSE_TOO_MANY, CLOSE_UNAUTHENTICATED, FrameError
from .publish import apublish_many, frame_for, user_group
from .sessions import preload, session_digest
from .wire import Frame, writer_for

log = logging.getLogger(__name__)

# What a new socket joins, kept per person in the cache (core.cached) for a while; the apps
# forget it when it changes (`realtime.registry.groups_changed`).
GROUPS_CACHE_SECONDS = 600


def _groups_of_each(users):
    """{user id: (the groups a new socket of theirs joins, whom its presence concerns)}, from
    every app's hooks, each asked once for all of users."""
    found = {user.pk: ({user_group(user.pk)}, set()) for user in users}
    for hooks, which in ((registry.connect_hooks, 0), (registry.audience_hooks, 1)):
        for hook in hooks:
            for user_id, groups in hook(users).items():
                found[user_id][which].update(groups)
    return found


def _run_presence_hooks(changes):
    """changes: {user_id: online}; each hook once per direction, with every user id of it."""
    for online in (True, False):
        user_ids = {user_id for user_id, state in changes.items() if state is online}
        if not user_ids:
            continue
        for hook in registry.presence_hooks:
            try:
                hook(user_ids, online)
            except Exception:  # a nicety (last seen): never the socket's failure
                log.warning("realtime: a presence hook failed", exc_info=True)


# The presence hooks' calls, batched (realtime.batches): a thousand sockets reconnecting at
# once cost a few calls with many ids each; the caller returns once its change is written.
_presence_changed = Batched(_run_presence_hooks)


def _handshakes(scopes):
    """
    The handshakes of the sockets that connected while the last batch was on the database
    thread (realtime.batches), {key: scope}: for each, who is connecting (the session's
    logged-in user, as Django checks it for a page: its auth hash verified; or the scope's user
    when one is given), what their new socket joins, whom its presence concerns (every app's
    hooks, or the cache's copy of their answer), and their open sockets counting this one:
    (user, groups, audience, open sockets), or (user, None, None, 0) for nobody logged in, or
    the exception its own part raised. Three cache round trips for the whole batch when the
    cache has it all (the sessions; every user and their groups; their presence counts), and
    no database query; for people the cache lacks, one query for all their users (where the
    auth backend has `get_users`) and one per app hook, and one round trip storing each.
    """
    waiting = [scope["session"] for scope in scopes.values() if scope.get("user") is None]
    preload(waiting)
    ahead, by_backend = _read_ahead(waiting)
    found = {}
    with reading_ahead(shared_cache(), ahead):
        for backend, user_ids in by_backend.items():
            try:
                backend.get_users(user_ids)  # kept, and read ahead, for get_user below
            except Exception:  # each socket's get_user tries on its own
                log.warning("realtime: loading a batch of users failed", exc_info=True)
        live = {}
        for key, scope in scopes.items():
            try:
                user = scope.get("user")
                if user is None:
                    user = scope["user"] = auth.get_user(SimpleNamespace(session=scope["session"]))
                if user.is_authenticated and user.is_active:
                    live[key] = user
                else:
                    found[key] = (user, None, None, 0)
            except Exception as error:  # this socket's failure, not the batch's
                found[key] = error
        people = {user.pk: user for user in live.values()}
        try:
            groups = remember_many(shared_cache(), "socket-groups", people, lambda ids: _groups_of_each([people[pk] for pk in ids]), GROUPS_CACHE_SECONDS)
        except Exception as error:
            groups = {}
            found.update(dict.fromkeys(live, error))
    live = {key: user for key, user in live.items() if user.pk in groups}
    counts = presence.connected_now([user.pk for user in live.values()])
    for (key, user), open_sockets in zip(live.items(), counts):
        joined, audience = groups[user.pk]
        found[key] = (user, set(joined), audience, open_sockets)
    return found


_handshakes_batched = Batched(_handshakes)


def _read_ahead(sessions):
    """
    What the batch's cache reads will be (core.cached.reading_ahead): every person's groups,
    and their user where the session's auth backend keeps users there (its `cached_as`); and
    the ids to load together for each backend that can (its `get_users`).
    """
    user_ids, by_name, by_backend = [], {}, {}
    backends = {}
    for session in sessions:
        try:
            user_id = get_user_model()._meta.pk.to_python(session[auth.SESSION_KEY])
            path = session[auth.BACKEND_SESSION_KEY]
        except (KeyError, ValidationError):
            continue
        if path not in backends:
            backends[path] = auth.load_backend(path) if path in settings.AUTHENTICATION_BACKENDS else None
        backend = backends[path]
        user_ids.append(user_id)
        if getattr(backend, "cached_as", None):
            by_name.setdefault(backend.cached_as, []).append(user_id)
        if hasattr(backend, "get_users"):
            by_backend.setdefault(backend, []).append(user_id)
    return {"socket-groups": user_ids, **by_name}, by_backend


async def _handshake(scope):
    """The handshake of one socket (`_handshakes`), made in a batch with those connecting at once."""
    key = id(scope)
    result = (await _handshakes_batched(key, scope))[key]
    if isinstance(result, Exception):
        raise result
    return result


def reader_language(scope, user):
    """
    The language of the socket's reader, chosen as for their pages: a language saved in their
    profile (`user.language`, where the user model has one), else the switcher's cookie or the
    browser's Accept-Language (Django's own choice, from the handshake's headers).
    """
    saved = getattr(user, "language", "")
    if saved:
        return translation.get_supported_language_variant(saved)
    request = HttpRequest()
    request.COOKIES = scope.get("cookies") or {}
    for name, value in scope.get("headers") or ():
        if name == b"accept-language":
            request.META["HTTP_ACCEPT_LANGUAGE"] = value.decode("latin-1")
    return translation.get_language_from_request(request)


@Batched
def _active(user_ids):
    """Which of these users are still active: one query for every socket asking at once."""
    return set(get_user_model().objects.filter(pk__in=list(user_ids), is_active=True).values_list("pk", flat=True))


async def _is_active(user_id):
    return user_id in await _active(user_id)


class SocketConsumer(AsyncWebsocketConsumer):
    # No layer channel per socket: the process's hub hands each socket its frames.
    channel_layer_alias = None
    user = None
    user_id = None
    session = None
    hub = None
    early_frames = None
    server_send = None
    write_frame = None  # realtime.wire.writer_for the server's send, when it knows the server
    language = settings.LANGUAGE_CODE  # the reader's (reader_language), for frames and errors

    counted = False  # in chat_websockets_open

    async def __call__(self, scope, receive, send):
        """
        Channels' consumer loop without a task for every message. With no layer channel of its
        own the socket has one source, the server's `receive`, and Channels'
        `await_many_dispatch` still wrapped each message's wait in a task and an
        `asyncio.wait` (a tenth of a handshake's CPU, py-spy). Here each message is awaited,
        then dispatched, in turn, as there, until a handler stops the consumer.
        """
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass

    async def dispatch(self, message):
        """
        Channels' dispatch without the `aclose_old_connections()` it awaits before every
        handshake, frame and close: a trip to the database thread each, for nothing here,
        since every database call of the socket goes through `database_sync_to_async`
        (realtime.db), which tidies the connections itself, before and after.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        started = time.perf_counter()
        # The socket's id, in every log line of its handshake and frames (core.context).
        context.current.set(f"ws-{uuid.uuid4().hex[:16]}")
        user, joined, audience, open_sockets = await _handshake(self.scope)
        if joined is None:
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user, self.user_id = user, user.pk
        self.language = reader_language(self.scope, user)
        self.server_send = self.scope.get(SERVER_SEND)
        self.write_frame = writer_for(self.server_send)
        self.session = session_digest(self.scope["session"].session_key)
        self.state = {}  # what the apps' handlers keep per socket
        self.early_frames = []  # what the hub hands over before the socket is accepted
        self.joined, self.presence_audience = joined, audience
        if open_sockets > settings.CHAT_SOCKETS_PER_PERSON:
            await self._refuse_one_too_many()
            return
        self.hub = await get_hub()
        for group in self.joined:
            await self.hub.join(self, group)
        if open_sockets == 1:
            await self._announce_presence(online=True)
        await self.accept()
        self.counted = True
        metrics.websockets_open.inc()
        metrics.handshakes.inc()
        metrics.handshake_seconds.observe(time.perf_counter() - started)
        early, self.early_frames = self.early_frames, None
        for frame in early:
            await self.send(text_data=frame)

    async def _refuse_one_too_many(self):
        """Over the per-person cap: uncount this socket, say why, and close it."""
        self.early_frames = None
        await presence.disconnected(self.user_id)
        await self.accept()
        limit = settings.CHAT_SOCKETS_PER_PERSON
        with translation.override(self.language):
            text = _("You have more than %(limit)s tabs of this site open. Close some, then reload this one.") % {"limit": limit}
        await self.send(text_data=protocol.notice(text))
        await self.close(code=CLOSE_TOO_MANY)

    async def disconnect(self, code):
        metrics.closes.labels(str(code)).inc()
        if self.counted:
            self.counted = False
            metrics.websockets_open.dec()
        hub = self.hub
        if hub is None:
            return
        self.hub = None
        await hub.leave_all(self, self.joined)
        await release_hub(hub)
        if await presence.disconnected(self.user_id):
            await self._announce_presence(online=False)

    async def _announce_presence(self, online):
        if registry.presence_hooks:
            await _presence_changed(self.user_id, online)
        await apublish_many(self.presence_audience, protocol.presence(self.user_id, online))

    # --- What handlers use ------------------------------------------------------------------

    async def join(self, group):
        if group not in self.joined and self.hub is not None:
            self.joined.add(group)
            await self.hub.join(self, group)

    async def leave(self, group):
        if group in self.joined and self.hub is not None:
            self.joined.discard(group)
            await self.hub.leave(self, group)

    async def send_frame(self, frame):
        """Answer this socket directly (or, before the handshake completes, right after it)."""
        if self.early_frames is not None:
            self.early_frames.append(frame)
        else:
            await self.send(text_data=frame)

    # --- Frames from the client -------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > settings.SOCKET_FRAME_MAX_BYTES:
            await self.close(code=CLOSE_TOO_BIG)
            return
        # Deactivated, and the event that closes its sockets has not arrived (yet): a frame
        # closes the socket. The check is a trip to the database of its own, unless the
        # frame's handler makes it in its own trip (registry.handles(checks_active=True)).
        with translation.override(self.language):  # answers and errors in the reader's language
            try:
                frame = self._parse(text_data)
            except FrameError as error:
                frame, refusal = None, error
            else:
                refusal = None
            handler = registry.frame_handlers.get(frame.get("type")) if frame is not None else None
            checked = getattr(handler, "checks_active", False)
            if not checked and not await _is_active(self.user_id):
                await self.close(code=CLOSE_DEACTIVATED)
                return
            try:
                if refusal is not None:
                    raise refusal
                if handler is None:
                    raise FrameError(_("Unknown frame type: %(type)r.") % {"type": str(frame.get("type"))[:40]})
                await handler(self, frame)
            except (FrameError, ValidationError) as error:
                # A handler that checks for itself refuses an inactive account: was that why?
                if checked and not await _is_active(self.user_id):
                    await self.close(code=CLOSE_DEACTIVATED)
                elif isinstance(error, FrameError):
                    await self.send(text_data=protocol.error(str(error.text), **error.fields))
                else:  # a rule of the apps' models, said for the person
                    await self.send(text_data=protocol.error(" ".join(str(m) for m in error.messages)))

    @staticmethod
    def _parse(text_data):
        if text_data is None:
            raise FrameError(_("Frames must be JSON text."))
        try:
            frame = json.loads(text_data)
        except ValueError:
            raise FrameError(_("That frame is not valid JSON.")) from None
        if not isinstance(frame, dict):
            raise FrameError(_("A frame must be a JSON object with a type."))
        return frame

    # --- Frames and events from the hub -----------------------------------------------------

    async def hub_message(self, message, outgoing=None):
        """A publication to one of this socket's groups: its event, then its frame (`outgoing`,
        the `realtime.wire.Frame` in this reader's language that the hub made once for every
        socket of that language)."""
        event = message.get("event")
        if event:
            await self.on_event(event)
        if outgoing is None:
            if not message.get("html"):
                return
            outgoing = Frame(frame_for(message["html"], self.language))
        frames = [outgoing]
        if not self.write_now(frames):
            await self._send_frames(frames)

    async def hub_frames(self, frames):
        """Hub frames (`realtime.wire.Frame`s) for this socket at once, in order: their bytes
        in one write to the connection where the server allows it."""
        if not self.write_now(frames):
            await self._send_frames(frames)

    def write_now(self, frames):
        """
        Write the frames' bytes (encoded once for every socket) straight to the connection in
        one write (realtime.wire), without a coroutine: True once the handshake is done, on a
        server it knows, while the connection takes more; else False, and the frames must go
        by `hub_frames`, which waits (the hub's way for every socket of a frame).
        """
        if self.early_frames is not None or self.write_frame is None:
            return False
        return self.write_frame(frames[0].data if len(frames) == 1 else b"".join(frame.data for frame in frames))

    async def _send_frames(self, frames):
        if self.early_frames is not None:  # before the handshake completes: right after it
            self.early_frames.extend(frame.text for frame in frames)
        elif self.server_send is not None:
            # Straight to the server: Channels' send and the session middleware's wrapper
            # around it (which asks the session whether it changed, frame after frame) have
            # nothing to do for a frame to a socket.
            for frame in frames:
                await self.server_send(frame.message)
        else:
            for frame in frames:
                await self.send(text_data=frame.text)

    async def on_event(self, event):
        kind = event.get("kind")
        if kind == "close":
            session, except_session = event.get("session"), event.get("except_session")
            if (session is None or session == self.session) and (except_session is None or except_session != self.session):
                await self.close(code=event["code"])
            return
        handler = registry.event_handlers.get(kind)
        if handler is not None:
            await handler(self, event)

    async def resync(self):
        """After a layer outage: the page asks for whatever it missed."""
        await self.send_frame(protocol.resync())
