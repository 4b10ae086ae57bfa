"""
The Redis channel layer, with fewer round trips per call (settings.CHANNEL_LAYERS on Redis).

channels-redis's `RedisChannelLayer` awaits each Redis command on its own: a `group_add` is
two round trips (add, expire), a `group_send` four (drop the group's expired members, read
the members, drop their expired messages, deliver). Every message of a room is a
`group_send` and every new socket a `group_add` (the person's own group), so here the same
commands go in pipelines: one round trip for `group_add`, two for `group_send` (the second
needs the members the first read). `group_add_many` and `group_discard_many` (the hub's joins
and leaves made while its last one was on its way: a reconnect storm) are one round trip for
any number of groups. What is stored in Redis, and when it expires, is exactly
channels-redis's; only the waiting is shorter.

Receiving is where this layer differs. channels-redis keeps each message it pops in a backup
queue until it is handled, so that a receiver cancelled mid-pop loses nothing: four round
trips per message (a clean-up script, the pop, the backup, the backup's removal), each awaited
on the event loop of a hub that has frames to deliver. The hub's messages are delivered at
most once anyway (the database is the truth, and a page catches up with `resume`), so here one
command pops every message waiting, up to RECEIVE_BATCH, or waits in Redis for the next when
there is none (BZMPOP: a hub that has caught up sends one command per message it receives, not
a pop that finds nothing and then a blocking one), and the next receives take them in order
from memory.
`receive_waiting` hands over at once what has been popped: the hub takes a backlog together.
"""

import collections
import time

from channels_redis.core import RedisChannelLayer, logger
from redis.exceptions import ResponseError

# channels-redis's own delivery script (channels_redis.core.RedisChannelLayer.group_send).
_GROUP_SEND_LUA = """
    local over_capacity = 0
    local current_time = ARGV[#ARGV - 1]
    local expiry = ARGV[#ARGV]
    for i=1,#KEYS do
        if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[i + #KEYS]) then
            redis.call('ZADD', KEYS[i], current_time, ARGV[i])
            redis.call('EXPIRE', KEYS[i], expiry)
        else
            over_capacity = over_capacity + 1
        end
    end
    return over_capacity
"""


class RedisLayer(RedisChannelLayer):
    RECEIVE_BATCH = 100

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._popped = {}  # channel -> its messages popped from Redis, not yet received
        self._bzmpop = True  # until the server says it has no BZMPOP (before Redis 7)

    async def receive_single(self, channel):
        assert self.require_valid_channel_name(channel, receive=True), "Channel name invalid"
        waiting = self._popped.get(channel)
        if not waiting:
            index = self.consistent_hash(channel) if "!" in channel else next(self._receive_index_generator)
            key = self.prefix + channel
            connection = self.connection(index)
            members = None
            while not members:
                members = await self._pop_waiting(connection, key)
            waiting = self._popped[channel] = collections.deque(members)
        message = self.deserialize(waiting.popleft())
        if "__asgi_channel__" in message:
            channel = message.pop("__asgi_channel__")
        return channel, message

    async def _pop_waiting(self, connection, key):
        """
        What is waiting at key, up to RECEIVE_BATCH, waiting for it (brpop_timeout at most:
        then []) when there is nothing: one command, BZMPOP (Redis 7). Against an older Redis
        it is two: ZPOPMIN what is there, and only if nothing, BZPOPMIN one.
        """
        if self._bzmpop:
            try:
                popped = await connection.bzmpop(self.brpop_timeout, 1, [key], min=True, count=self.RECEIVE_BATCH)
            except ResponseError as error:
                if "unknown command" not in str(error).lower():
                    raise
                self._bzmpop = False
            else:
                return [member for member, _score in popped[1]] if popped else []
        members = [member for member, _score in await connection.zpopmin(key, self.RECEIVE_BATCH)]
        if not members:
            popped = await connection.bzpopmin(key, timeout=self.brpop_timeout)
            members = [popped[1]] if popped is not None else []
        return members

    def receive_waiting(self, channel, most):
        """
        What else has come for channel (a process-local one, "!") and is already in this
        process, up to `most`, in order, without waiting: popped with the last message
        received, or buffered for it. The hub delivers a backlog together (realtime.hub).
        """
        assert "!" in channel, "a process-local channel"
        messages = []
        buffered = self.receive_buffer.get(channel)
        while buffered is not None and not buffered.empty() and len(messages) < most:
            messages.append(buffered.get_nowait())
        if buffered is not None and buffered.empty():
            del self.receive_buffer[channel]  # as channels-redis's receive leaves it
        popped = self._popped.get(self.non_local_name(channel))
        while popped and len(messages) < most:
            message = self.deserialize(popped.popleft())
            # As channels-redis's receive: one local channel, or a list of them (a group send
            # to several of this process's channels is one message for all).
            addressees = message.pop("__asgi_channel__", channel)
            for addressee in addressees if isinstance(addressees, list) else [addressees]:
                if addressee == channel:
                    messages.append(message)
                else:  # another local channel's, where its receive() looks first
                    self.receive_buffer[addressee].put_nowait(message)
        return messages

    async def flush(self):
        self._popped.clear()
        await super().flush()

    async def group_add(self, group, channel):
        assert self.require_valid_group_name(group), "Group name not valid"
        assert self.require_valid_channel_name(channel), "Channel name not valid"
        key = self._group_key(group)
        pipe = self.connection(self.consistent_hash(group)).pipeline(transaction=False)
        pipe.zadd(key, {channel: time.time()})
        pipe.expire(key, self.group_expiry)
        await pipe.execute()

    async def group_add_many(self, groups, channel):
        assert self.require_valid_channel_name(channel), "Channel name not valid"
        now = time.time()
        for pipe, keys in self._pipelines_for(groups):
            for key in keys:
                pipe.zadd(key, {channel: now})
                pipe.expire(key, self.group_expiry)
            await pipe.execute()

    async def group_discard_many(self, groups, channel):
        assert self.require_valid_channel_name(channel), "Channel name not valid"
        for pipe, keys in self._pipelines_for(groups):
            for key in keys:
                pipe.zrem(key, channel)
            await pipe.execute()

    def _pipelines_for(self, groups):
        """(a pipeline, the group keys on its Redis) for each Redis that holds some of groups."""
        by_connection = {}
        for group in groups:
            assert self.require_valid_group_name(group), "Group name not valid"
            by_connection.setdefault(self.consistent_hash(group), []).append(self._group_key(group))
        return [(self.connection(index).pipeline(transaction=False), keys) for index, keys in by_connection.items()]

    async def group_send(self, group, message):
        assert self.require_valid_group_name(group), "Group name not valid"
        key = self._group_key(group)
        pipe = self.connection(self.consistent_hash(group)).pipeline(transaction=False)
        pipe.zremrangebyscore(key, min=0, max=int(time.time()) - self.group_expiry)
        pipe.zrange(key, 0, -1)
        _, members = await pipe.execute()
        channel_names = [member.decode("utf8") for member in members]
        by_connection, messages, capacities = self._map_channel_keys_to_connection(channel_names, message)
        for index, channel_keys in by_connection.items():
            pipe = self.connection(index).pipeline(transaction=False)
            now = time.time()
            for channel_key in channel_keys:
                pipe.zremrangebyscore(channel_key, min=0, max=int(now) - int(self.expiry))
            args = [messages[k] for k in channel_keys] + [capacities[k] for k in channel_keys] + [now, self.expiry]
            pipe.eval(_GROUP_SEND_LUA, len(channel_keys), *channel_keys, *args)
            over_capacity = (await pipe.execute())[-1]
            if over_capacity > 0:
                logger.info("%s of %s channels over capacity in group %s", over_capacity, len(channel_names), group)
