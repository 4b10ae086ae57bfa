"""
Group commit for the socket's trips to the database thread.

Channels runs database work on one thread per process (`database_sync_to_async`), one call
after another: a thousand sockets reconnecting at once, each with its own trip, queue a
thousand trips. A `Batched` function is called with every item queued while its previous
call ran, so a storm costs a few trips with many items each; alone, an item costs one trip
as before. Nobody waits on a timer, and each caller gets its own item's answer.

    @Batched
    def active(user_ids):            # runs off the event loop, on the database thread
        return set(User.objects.filter(pk__in=user_ids, is_active=True).values_list("pk", flat=True))

    if user_id in await active(user_id): ...

`run` gets a dict {key: value} (the latest value queued for each key, in the order the keys
were first queued) and returns what every caller of the batch gets back. With `on_loop=True`,
`run` is a coroutine function awaited on the event loop instead (a batch of layer calls).
"""

import asyncio

from .db import database_sync_to_async
from .loops import of_this_loop


class Batched:
    def __init__(self, run, *, on_loop=False):
        self.run = run if on_loop else database_sync_to_async(run)
        self._loops = {}  # event loop -> its _Queue

    async def __call__(self, key, value=None):
        queue = of_this_loop(self._loops, lambda: _Queue(self.run))
        return await queue.add(key, value)


class _Queue:
    def __init__(self, run):
        self.run = run
        self.pending = {}
        self.waiting = []  # a future per caller of the batch being filled
        self.writer = None

    async def add(self, key, value):
        self.pending[key] = value
        # A future of its own per caller, not one shared and shielded: a caller cancelled
        # cancels only its own, and a thousand callers of one batch cost a thousand
        # set_result, not shield's two callbacks each on one future.
        mine = asyncio.get_running_loop().create_future()
        self.waiting.append(mine)
        if self.writer is None:
            self.writer = asyncio.create_task(self._drain())
        return await mine

    async def _drain(self):
        try:
            while self.pending:
                items, waiting = self.pending, self.waiting
                self.pending, self.waiting = {}, []
                try:
                    answer = await self.run(items)
                except Exception as error:
                    for caller in waiting:
                        if not caller.done():
                            caller.set_exception(error)
                else:
                    for caller in waiting:
                        if not caller.done():
                            caller.set_result(answer)
        finally:
            self.writer = None
