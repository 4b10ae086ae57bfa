"""
The hub: one per server process (per event loop), holding that process's sockets by group.

A plain Channels consumer puts every socket in the layer group of each of its groups, so a
frame to a room of C members costs C layer messages (C Redis round trips, C wake-ups). Here
the hub owns one channel on the layer and is in a layer group while at least one of its
local sockets is; a publication is one layer message per process, and the hub hands the
frame, rendered once by the publisher, to its local sockets. Every hub is also in the group
EVERY_HUB, for a publication to many groups at once (`publish.apublish_many`).

When the layer fails (Redis down) the hub keeps retrying, joins its groups again once the
layer is back and tells every socket to resync: frames may have been lost meanwhile.
"""

import asyncio
import contextlib
import logging
from collections import defaultdict

from channels.layers import get_channel_layer
from django.conf import settings

from core import metrics

from .batches import Batched
from .presence import presence
from .publish import EVERY_HUB, layer_slot
from .wire import Frame

log = logging.getLogger(__name__)


class Hub:
    """The local sockets of one process, by group, and the one layer channel that feeds them."""

    RESUBSCRIBE_SECONDS = 3600  # well inside channels-redis's one-day group expiry
    PRESENCE_REFRESH_SECONDS = 30
    HEARTBEAT_SECONDS = 5  # presence.ProcessPresence.PROCESS_TTL is three of them
    RETRY_SECONDS = (0.2, 0.5, 1, 2, 3)
    BACKLOG_MOST = 200  # layer messages delivered together at most (_with_backlog)

    def __init__(self, layer):
        self.layer = layer
        self.channel = None
        self.sockets = defaultdict(set)  # group -> consumers of this process
        self._locks = {}  # group -> [a lock serialising its add/discard, how many hold or await it]
        self._tasks = []
        # The layer group calls of joins and leaves made while the last one was on its way go
        # together (realtime.batches): a storm of reconnecting sockets, each joining its
        # person's group, costs a few round trips, not one each.
        self._add = Batched(self._add_to_layer, on_loop=True)
        self._discard = Batched(self._discard_from_layer, on_loop=True)

    async def start(self):
        self.channel = await self.layer.new_channel("hub.")
        await self._join_every_hub()
        self._tasks = [asyncio.create_task(self._receive_forever()), asyncio.create_task(self._housekeeping())]

    async def stop(self):
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        try:
            async with layer_slot():
                await self.layer.group_discard(EVERY_HUB, self.channel)
        except Exception:  # a dead channel in it only costs a dropped message until it expires
            log.warning("live: group_discard %s failed", EVERY_HUB, exc_info=True)

    @property
    def idle(self):
        return not self.sockets

    async def join(self, consumer, group):
        """Deliver group's frames to consumer; the hub joins the layer group for its first socket."""
        async with self._serialised(group):
            first = not self.sockets[group]
            self.sockets[group].add(consumer)
            if first:
                try:
                    await self._add(group)
                except Exception:
                    # The layer is down: local delivery still works, and recovery re-adds
                    # every group this hub holds.
                    log.warning("live: group_add %s failed", group, exc_info=True)

    async def leave(self, consumer, group):
        async with self._serialised(group):
            sockets = self.sockets.get(group)
            if not sockets or consumer not in sockets:
                return
            sockets.discard(consumer)
            if not sockets:
                del self.sockets[group]
                try:
                    await self._discard(group)
                except Exception:
                    log.warning("live: group_discard %s failed", group, exc_info=True)

    async def _add_to_layer(self, groups):
        await self._each_group("group_add", groups)

    async def _discard_from_layer(self, groups):
        await self._each_group("group_discard", groups)

    async def _each_group(self, call, groups):
        """The layer's `call` (group_add, group_discard) for each of groups: one call for all
        where the layer has `<call>_many` (realtime.layer.RedisLayer)."""
        async with layer_slot():
            many = getattr(self.layer, f"{call}_many", None)
            if many is not None:
                await many(list(groups), self.channel)
            else:
                for group in groups:
                    await getattr(self.layer, call)(group, self.channel)

    @contextlib.asynccontextmanager
    async def _serialised(self, group):
        """One join or leave of group at a time. The lock goes once nobody holds or awaits it:
        a lock kept for every group ever joined (each person's own, for a start) would outlive
        its sockets by the process's lifetime."""
        entry = self._locks.get(group)
        if entry is None:
            entry = self._locks[group] = [asyncio.Lock(), 0]
        entry[1] += 1
        try:
            async with entry[0]:
                yield
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                del self._locks[group]

    async def leave_all(self, consumer, groups):
        for group in list(groups):
            await self.leave(consumer, group)

    def groups(self):
        return list(self.sockets)

    async def deliver(self, message):
        """
        Hand one layer message to the local sockets of its group: its event to each, and its
        frame encoded once for all of them, or once per language (`realtime.wire.Frame`,
        `SocketConsumer.hub_message`). A message of `parts` (publications sent together:
        publish.apublish_many's, or a run of posts to one room) is each of them in turn; when
        none has an event, each socket gets all its frames of them at once (`_deliver_frames`).
        """
        parts = message.get("parts")
        if parts is not None:
            if any(part.get("event") or part.get("parts") is not None for part in parts):
                for part in parts:
                    await self.deliver(part)
            else:
                await self._deliver_frames(parts)
            return
        by_language, default = _frames_of(message)
        exclude = message.get("exclude_user")
        # A frame alone goes straight to each connection that takes it now (write_now): no
        # coroutine per socket; an event, or a socket that must wait, takes hub_message.
        plain = default is not None and not message.get("event")
        delivered = 0
        for consumer in self._consumers_of(message):
            if exclude is not None and consumer.user_id == exclude:
                continue
            frame = by_language.get(consumer.language, default)
            try:
                if not (plain and consumer.write_now((frame,))):
                    await consumer.hub_message(message, frame)
                delivered += 1
            except OSError:
                # The client went away (uvicorn says so when a frame is sent; daphne drops the
                # frame): the socket's disconnect takes it out of its groups.
                pass
            except Exception:
                log.exception("live: delivery to a socket failed")
        if delivered and default is not None:
            metrics.delivered(delivered, message.get("at"))

    async def _deliver_frames(self, parts):
        """
        Publications with frames and no events, sent together: each socket's frames of all of
        them, in the order published, in one write (`SocketConsumer.hub_frames`): in a burst,
        one system call per socket where there were as many as frames.
        """
        due = defaultdict(list)  # consumer -> its frames, in order
        reached = []  # (part, its consumers)
        for part in parts:
            by_language, default = _frames_of(part)
            if default is None:
                continue
            exclude = part.get("exclude_user")
            consumers = [c for c in self._consumers_of(part) if exclude is None or c.user_id != exclude]
            for consumer in consumers:
                due[consumer].append(by_language.get(consumer.language, default))
            reached.append((part, consumers))
        failed = set()
        for consumer, frames in due.items():
            try:
                if not consumer.write_now(frames):
                    await consumer.hub_frames(frames)
            except OSError:  # gone, as in deliver()
                failed.add(consumer)
            except Exception:
                failed.add(consumer)
                log.exception("live: delivery to a socket failed")
        for part, consumers in reached:
            delivered = len(consumers) - len(failed.intersection(consumers)) if failed else len(consumers)
            if delivered:
                metrics.delivered(delivered, part.get("at"))

    def _consumers_of(self, message):
        groups = message.get("groups")
        if groups is None:
            return list(self.sockets.get(message["group"], ()))
        # apublish_many: each socket in any of them, once
        return {consumer for group in groups for consumer in self.sockets.get(group, ())}

    async def _receive_forever(self):
        failures = 0
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                metrics.layer_errors.inc()
                log.warning("live: the channel layer failed; reconnecting", exc_info=True)
                failures += 1
                await asyncio.sleep(self.RETRY_SECONDS[min(failures, len(self.RETRY_SECONDS)) - 1])
                if await self._resubscribe():
                    failures = 0
                    await self._tell_everyone_to_resync()
                continue
            failures = 0
            await self.deliver(self._with_backlog(message))

    def _with_backlog(self, message):
        """
        The message received, with what came after it and is already here (the layer's
        `receive_waiting`: a Redis layer pops up to a hundred at once), as one message of
        their parts in order. While a burst lasts the hub falls behind, and each socket then
        gets all its frames of the backlog in one write (`_deliver_frames`), not one write
        per frame; nothing waits for company, so a lone message goes as it came.
        """
        waiting = getattr(self.layer, "receive_waiting", None)
        more = waiting(self.channel, self.BACKLOG_MOST) if waiting is not None else ()
        if not more:
            return message
        parts = []
        for one in (message, *more):
            parts.extend(one["parts"] if one.get("parts") is not None else [one])
        return {"type": message["type"], "parts": parts}

    async def _join_every_hub(self):
        try:
            async with layer_slot():
                await self.layer.group_add(EVERY_HUB, self.channel)
        except Exception:  # the layer is down: recovery joins it again
            log.warning("live: group_add %s failed", EVERY_HUB, exc_info=True)

    async def _resubscribe(self):
        """Join the layer group of every group with local sockets (after an outage or hourly)."""
        try:
            await self._add_to_layer([EVERY_HUB, *self.groups()])
        except Exception:
            metrics.layer_errors.inc()
            log.warning("live: resubscribing failed; will retry", exc_info=True)
            return False
        return True

    async def _tell_everyone_to_resync(self):
        """Frames may have been lost while the layer was down: every socket catches up."""
        consumers = {consumer for sockets in self.sockets.values() for consumer in sockets}
        metrics.resyncs.inc(len(consumers))
        for consumer in consumers:
            try:
                await consumer.resync()
            except OSError:  # gone, as in deliver()
                pass
            except Exception:
                log.exception("live: resync of a socket failed")

    async def _housekeeping(self):
        """The process's heartbeat (presence counts a dead process out), refreshes, resubscribes."""
        beats = 0
        while True:
            await asyncio.sleep(self.HEARTBEAT_SECONDS)
            beats += 1
            if beats % (self.PRESENCE_REFRESH_SECONDS // self.HEARTBEAT_SECONDS):
                await presence.heartbeat()
            else:
                user_ids = {consumer.user_id for sockets in self.sockets.values() for consumer in sockets}
                await presence.refresh(user_ids)  # a heartbeat too
            if beats % (self.RESUBSCRIBE_SECONDS // self.HEARTBEAT_SECONDS) == 0:
                await self._resubscribe()


def _frames_of(message):
    """({language: Frame}, the Frame for any other language) of a message's html, encoded once
    for every socket; ({}, None) when it has no frame (an event only)."""
    html = message.get("html")
    if isinstance(html, dict):  # one text per language (publish.per_language)
        by_language = {code: Frame(text) for code, text in html.items()}
        return by_language, by_language[settings.LANGUAGE_CODE]
    return {}, (Frame(html) if html else None)


_hubs = {}
_hubs_lock = {}


async def get_hub():
    """The hub of the running event loop (one per server process), started on first use."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        lock = _hubs_lock.setdefault(loop, asyncio.Lock())
        async with lock:
            hub = _hubs.get(loop)
            if hub is None:
                hub = Hub(get_channel_layer())
                await hub.start()
                _hubs[loop] = hub
    return hub


async def release_hub(hub):
    """Stop a hub that has no sockets left (its next socket starts a fresh one)."""
    loop = asyncio.get_running_loop()
    if hub.idle and _hubs.get(loop) is hub:
        del _hubs[loop]
        _hubs_lock.pop(loop, None)
        await hub.stop()


