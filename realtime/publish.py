"""
Publishing frames to groups of sockets, on every server process.

A group is a name an app chooses (`rooms` uses "room.<id>"); `user_group(user_id)` is every
socket of one person. A publication carries a frame (text the sockets send as it is, rendered
once for all of them, or once per language of the site: `per_language`) and/or an event (a dict the sockets act on: join a group, close...; see
`realtime.registry`). It costs one channel-layer message per process, whatever the number of
sockets (realtime.hub).

The layer delivers at most once and may drop: the database is the truth, and a page that
reconnects, or is told to resync after a layer outage, asks for what it missed. State changes
publish after their transaction commits (`publish_on_commit`): nobody hears of a change that
was rolled back.
"""

import asyncio
import contextvars
import itertools
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from core import metrics

from .batches import Batched
from .loops import of_this_loop

log = logging.getLogger(__name__)

HUB_MESSAGE = "hub.message"


def user_group(user_id):
    """Every open socket of one person, on every process."""
    return f"user.{user_id}"


def per_language(render):
    """
    A frame for readers of every language of the site, `{code: render()}` with each code's
    translations active: the hub hands each socket its reader's (`SocketConsumer.language`).
    Rendered in the site's default time zone, not the publisher's: times in frames are
    `<time datetime>` elements the page shows in its reader's zone.
    """
    frames = {}
    with timezone.override(None):
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                frames[code] = render()
    return frames


def frame_for(frame, language):
    """The text of `frame` (one text, or `per_language`'s dict) for a reader of `language`."""
    if isinstance(frame, dict):
        return frame.get(language) or frame[settings.LANGUAGE_CODE]
    return frame


# Every process's hub is in this layer group: a publication to many groups at once is one
# layer message to each process (`apublish_many`), not one per group.
EVERY_HUB = "hubs"


def layer_message(group, frame="", event=None, exclude_user=None, groups=None):
    """What crosses the layer; `at` (when it was published, just after its commit) times delivery."""
    message = {"type": HUB_MESSAGE, "group": group, "html": frame, "event": event, "exclude_user": exclude_user, "at": time.time()}
    if groups is not None:
        message["groups"] = groups
    return message


# At most this many channel-layer calls of one process in flight at once: 2,000 sockets
# closing together would otherwise ask the layer's Redis pool for 2,000 connections (more
# than its max_connections: "Too many connections") where a few dozen keep Redis as busy.
LAYER_CALLS_AT_ONCE = 64
_slots = {}  # event loop -> its semaphore


def layer_slot():
    """`async with layer_slot(): await layer.group_add(...)`: one of the process's layer calls."""
    return of_this_loop(_slots, lambda: asyncio.Semaphore(LAYER_CALLS_AT_ONCE))


async def _group_send(group, message, what):
    """group_send with one retry (after a Redis restart the first use of each pooled
    connection fails, "Connection closed by server", the second works); False, logged, when
    the layer cannot be reached."""
    for attempt in (1, 2):
        try:
            async with layer_slot():
                await get_channel_layer().group_send(group, message)
            return True
        except Exception:
            metrics.layer_errors.inc()
            if attempt == 2:
                log.warning("live: publishing to %s failed; live delivery is degraded", what, exc_info=True)
    return False


async def apublish(group, frame="", *, event=None, exclude_user=None):
    """
    Send frame (and/or event) to every socket in group, on every process; `exclude_user`'s
    own sockets are skipped. Returns False, having logged why, when the channel layer cannot
    be reached: the caller decides what the person sees. One retry: after a Redis restart the
    first use of each pooled connection fails ("Connection closed by server"), the second works.
    """
    return await _group_send(group, layer_message(group, frame, event, exclude_user), group)


async def apublish_many(groups, frame):
    """
    Send frame to every socket in any of groups (once to a socket in several), on every
    process: one layer message per process however many groups (a person's presence to each
    of their friends, say: hundreds of groups, each a few Redis round trips on its own), and
    one for all the publications of this process made while the one before was being sent (a
    thousand people coming online together: a few layer messages, not a thousand).
    """
    groups = sorted(groups)
    if not groups:
        return True
    return await _to_every_hub(next(_publication_ids), (groups, frame))


_publication_ids = itertools.count()


async def _send_to_every_hub(publications):
    """apublish_many's publications queued together, in order: one layer message (its `parts`)."""
    parts = [layer_message(EVERY_HUB, frame, groups=groups) for groups, frame in publications.values()]
    message = parts[0] if len(parts) == 1 else {"type": HUB_MESSAGE, "group": EVERY_HUB, "parts": parts}
    return await _group_send(EVERY_HUB, message, f"{sum(len(part['groups']) for part in parts)} groups")


_to_every_hub = Batched(_send_to_every_hub, on_loop=True)


# --- Publications held back by a trip to the database thread ---------------------------------

_held = contextvars.ContextVar("realtime.publish.held", default=None)


async def publishing_after(call, *args, **kwargs):
    """
    Await `call(*args, **kwargs)`, a trip to the database thread, holding back what it
    publishes (on commit), then publish that from the event loop. Returns (call's result, the
    frames that could not be published: a list of (group, frame)).

    A synchronous `publish` blocks the database thread until the layer has the frame, and the
    event loop that sends it is busy delivering the frame before: in a burst of messages every
    post waited for the deliveries of the one before. Held back, the thread is free for the next
    post at once. The process publishes in the order the trips ended (their commit order, the
    thread running one at a time), so the frames of one room leave in the order of their ids.
    """
    held = []
    token = _held.set(held)
    try:
        result = await call(*args, **kwargs)
    finally:
        _held.reset(token)
        key = next(_publication_ids)
        sent = (await _in_order(key, held))[key] if held else []
    return result, [(group, frame) for (group, frame, _event, _exclude), ok in zip(held, sent) if not ok]


async def _send_held(batch):
    """
    The publications held back by `publishing_after` trips, {trip: its publications}, in the
    order the trips ended: those queued while the last were being sent go together
    (`_send_in_runs`). Returns {trip: a result per publication}.
    """
    results = await _send_in_runs([publication for publications in batch.values() for publication in publications])
    answers = {}
    for key, publications in batch.items():
        answers[key], results = results[: len(publications)], results[len(publications) :]
    return answers


# One after another on each event loop, each batch what was queued while the last was sent.
_in_order = Batched(_send_held, on_loop=True)


async def _send_in_runs(publications):
    """
    Publications (group, frame, event, exclude_user), in order: each run of them to the same
    group as one layer message, its `parts` (a burst of messages to a room, posted while the
    last one was being sent: one group_send for all of them, not one each). One result each.
    """
    results = []
    for group, run in itertools.groupby(publications, key=lambda publication: publication[0]):
        run = list(run)
        if len(run) == 1:
            _group, frame, event, exclude_user = run[0]
            results.append(await apublish(group, frame, event=event, exclude_user=exclude_user))
        else:
            parts = [layer_message(*publication) for publication in run]
            sent = await _group_send(group, {"type": HUB_MESSAGE, "group": group, "parts": parts}, group)
            results += [sent] * len(run)
    return results


def publish(group, frame="", *, event=None, exclude_user=None):
    """
    `apublish` for synchronous code (actions, `transaction.on_commit`). Inside a
    `publishing_after` trip the publication is held back and sent by it (True here).
    """
    held = _held.get()
    if held is not None:
        held.append((group, frame, event, exclude_user))
        return True
    send = async_to_sync(apublish)
    if _loop_running_here():
        # Sync code on an event loop's thread (a test driving a browser) cannot block on the
        # loop; hand the send to a short-lived thread instead.
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(send, group, frame, event=event, exclude_user=exclude_user).result()
    return send(group, frame, event=event, exclude_user=exclude_user)


def publish_on_commit(group, frame="", *, event=None, exclude_user=None):
    """
    Publish once the current transaction commits (at once outside one). `frame` may be a
    function returning the frame, called after the commit: a count, say, that must see it.
    """

    def send():
        publish(group, frame() if callable(frame) else frame, event=event, exclude_user=exclude_user)

    transaction.on_commit(send, robust=True)


def close_sockets_on_commit(user_id, code, *, session=None, except_session=None):
    """
    After commit, close the person's sockets with code, on every process: all of them, or
    only those of one session (a digest, `realtime.sessions.digest`), or all but one session's.
    """
    event = {"kind": "close", "code": code, "session": session, "except_session": except_session}
    publish_on_commit(user_group(user_id), event=event)


def _loop_running_here():
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
