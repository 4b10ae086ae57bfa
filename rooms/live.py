"""
Live delivery: one channel-layer message per server process and group, fanned out locally.

A plain Channels consumer puts every socket in the layer group of each of its rooms, so a
message to a room of C members costs C layer messages (C Redis round trips, C wake-ups). Here
each server process runs one `Hub` per event loop. The hub owns one channel on the layer and
is in the layer group of a room while at least one of its local sockets is in that room. A
broadcast is one layer message per process; the hub hands the frame, rendered once by the
sender, to its local sockets.

Groups: `room.<id>` (the sockets of a room's members) and `user.<id>` (every tab of one
person: friend requests, being added to a room, a ban).

The layer delivers at most once and may drop: the database is the truth, and a client that
reconnects (or is told to resync after a layer outage) asks for "messages after id X".
"""

import asyncio
import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.core.cache import caches

log = logging.getLogger(__name__)

HUB_MESSAGE = "hub.message"


def room_group(room_id):
    return f"room.{room_id}"


def user_group(user_id):
    return f"user.{user_id}"


def _layer_message(group, html, event, exclude_user):
    return {"type": HUB_MESSAGE, "group": group, "html": html, "event": event, "exclude_user": exclude_user}


async def abroadcast(group, html="", *, event=None, exclude_user=None):
    """
    Send a frame (and/or a control event) to every socket in group, on every process.

    Returns False, having logged why, when the channel layer cannot be reached: the caller
    decides what the person sees. One retry: after a Redis restart the first use of each
    pooled connection fails ("Connection closed by server") and the second succeeds.
    """
    message = _layer_message(group, html, event, exclude_user)
    for attempt in (1, 2):
        try:
            await get_channel_layer().group_send(group, message)
            return True
        except Exception:
            if attempt == 2:
                log.warning("live: broadcast to %s failed; live delivery is degraded", group, exc_info=True)
    return False


def broadcast(group, html="", *, event=None, exclude_user=None):
    """`abroadcast` for synchronous code: model methods and `transaction.on_commit`."""
    send = async_to_sync(abroadcast)
    if _loop_running_here():
        # Sync code on an event loop's thread (a test driving a browser) cannot block on
        # the loop; hand the send to a short-lived thread instead.
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(send, group, html, event=event, exclude_user=exclude_user).result()
    return send(group, html, event=event, exclude_user=exclude_user)


def _loop_running_here():
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class Hub:
    """The local sockets of one process, by group, and the one layer channel that feeds them."""

    RESUBSCRIBE_SECONDS = 3600  # well inside channels-redis's one-day group expiry
    PRESENCE_REFRESH_SECONDS = 30
    RETRY_SECONDS = (0.2, 0.5, 1, 2, 3)

    def __init__(self, layer):
        self.layer = layer
        self.channel = None
        self.sockets = defaultdict(set)  # group -> consumers of this process
        self._locks = defaultdict(asyncio.Lock)  # group -> serialises its add/discard
        self._tasks = []

    async def start(self):
        self.channel = await self.layer.new_channel("hub.")
        self._tasks = [asyncio.create_task(self._receive_forever()), asyncio.create_task(self._housekeeping())]

    async def stop(self):
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    @property
    def idle(self):
        return not self.sockets

    async def join(self, consumer, group):
        """Deliver group's frames to consumer; the hub joins the layer group for its first socket."""
        async with self._locks[group]:
            first = not self.sockets[group]
            self.sockets[group].add(consumer)
            if first:
                try:
                    await self.layer.group_add(group, self.channel)
                except Exception:
                    # The layer is down: local delivery still works, and recovery re-adds
                    # every group this hub holds.
                    log.warning("live: group_add %s failed", group, exc_info=True)

    async def leave(self, consumer, group):
        async with self._locks[group]:
            sockets = self.sockets.get(group)
            if not sockets or consumer not in sockets:
                return
            sockets.discard(consumer)
            if not sockets:
                del self.sockets[group]
                try:
                    await self.layer.group_discard(group, self.channel)
                except Exception:
                    log.warning("live: group_discard %s failed", group, exc_info=True)

    async def leave_all(self, consumer, groups):
        for group in list(groups):
            await self.leave(consumer, group)

    def groups(self):
        return list(self.sockets)

    async def deliver(self, message):
        """Hand one layer message to the local sockets of its group."""
        exclude = message.get("exclude_user")
        for consumer in list(self.sockets.get(message["group"], ())):
            if exclude is not None and consumer.user_id == exclude:
                continue
            try:
                await consumer.hub_message(message)
            except Exception:
                log.exception("live: delivery to a socket failed")

    async def _receive_forever(self):
        failures = 0
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("live: the channel layer failed; reconnecting", exc_info=True)
                failures += 1
                await asyncio.sleep(self.RETRY_SECONDS[min(failures, len(self.RETRY_SECONDS)) - 1])
                if await self._resubscribe():
                    failures = 0
                    await self._tell_everyone_to_resync()
                continue
            failures = 0
            await self.deliver(message)

    async def _resubscribe(self):
        """Join the layer group of every group with local sockets (after an outage or hourly)."""
        try:
            for group in self.groups():
                await self.layer.group_add(group, self.channel)
        except Exception:
            log.warning("live: resubscribing failed; will retry", exc_info=True)
            return False
        return True

    async def _tell_everyone_to_resync(self):
        """Frames may have been lost while the layer was down: every socket catches up."""
        consumers = {consumer for sockets in self.sockets.values() for consumer in sockets}
        for consumer in consumers:
            try:
                await consumer.resync()
            except Exception:
                log.exception("live: resync of a socket failed")

    async def _housekeeping(self):
        elapsed = 0
        while True:
            await asyncio.sleep(self.PRESENCE_REFRESH_SECONDS)
            elapsed += self.PRESENCE_REFRESH_SECONDS
            user_ids = {consumer.user_id for sockets in self.sockets.values() for consumer in sockets}
            await presence.refresh(user_ids)
            if elapsed >= self.RESUBSCRIBE_SECONDS:
                elapsed = 0
                await self._resubscribe()


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


def shared_cache():
    """
    One cache client for the whole process. `django.core.cache.cache` is per async task, so
    in a consumer it would open a Redis connection for every socket (10,000 sockets, 10,000
    connections); this one instance keeps one pool, which is thread-safe.
    """
    global _shared_cache
    if _shared_cache is None:
        _shared_cache = caches.create_connection("default")
    return _shared_cache


_shared_cache = None


def _off_loop(function):
    """Run a blocking cache call in a worker thread (not the database thread)."""
    return sync_to_async(function, thread_sensitive=False)


class Presence:
    """
    Who has at least one tab connected, on any process: a counter per user in the cache
    (Redis when several processes share it), changed with the cache's atomic add and incr
    (Django's async aincr is a get then a set, which races between tabs).

    Each process refreshes the counters of its connected users every 30 seconds and they
    expire after 90, so a process that dies without saying goodbye makes its users look
    online for at most 90 seconds more.
    """

    TTL = 90

    def _key(self, user_id):
        return f"presence:{user_id}"

    def _connected(self, key):
        cache = shared_cache()
        if cache.add(key, 1, self.TTL):
            return 1
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            return 1 if cache.add(key, 1, self.TTL) else cache.incr(key)
        cache.touch(key, self.TTL)
        return count

    def _disconnected(self, key):
        cache = shared_cache()
        try:
            count = cache.decr(key)
        except ValueError:  # expired already
            return True
        if count <= 0:
            cache.delete(key)
            return True
        return False

    def _refresh(self, keys):
        cache = shared_cache()
        for key in keys:
            if not cache.touch(key, self.TTL):
                cache.add(key, 1, self.TTL)

    async def connected(self, user_id):
        """Count one more tab; returns the user's open tabs (1: just came online; 0: unknown)."""
        try:
            return await _off_loop(self._connected)(self._key(user_id))
        except Exception:
            log.warning("presence: cache unavailable", exc_info=True)
            return 0

    async def disconnected(self, user_id):
        """Count one tab less; True when the user just went offline."""
        try:
            return await _off_loop(self._disconnected)(self._key(user_id))
        except Exception:
            log.warning("presence: cache unavailable", exc_info=True)
            return False

    async def refresh(self, user_ids):
        try:
            await _off_loop(self._refresh)([self._key(pk) for pk in user_ids])
        except Exception:
            log.warning("presence: cache unavailable", exc_info=True)

    def online(self, user_ids):
        """The ids among user_ids with a tab open somewhere (one cache round trip)."""
        user_ids = list(user_ids)
        if not user_ids:
            return set()
        try:
            found = shared_cache().get_many([self._key(pk) for pk in user_ids])
        except Exception:
            log.warning("presence: cache unavailable", exc_info=True)
            return set()
        return {pk for pk in user_ids if (found.get(self._key(pk)) or 0) > 0}


presence = Presence()
