"""
What the apps teach the socket, registered from their AppConfig.ready():

- `@handles("send")`: the handler of a client frame type, `async def handler(socket, frame)`;
  it answers with `await socket.send_frame(...)` or raises `realtime.protocol.FrameError`.
  The socket first asks the database whether the account is still active, a trip of its
  own, unless the handler says its own trip refuses an account no longer active
  (`checks_active=True`: it raises FrameError before doing anything); the socket asks only
  then, and closes with 4403 if that was why.
- `@on_event("room.joined")`: what a socket does with an event published to one of its
  groups, `async def handler(socket, event)` (join a group, push a frame...).
- `@groups_on_connect`: `def groups(users)`, {user id: the groups a new socket of theirs
  joins besides the person's own (`user_group`)} for each of users (the people of a batch of
  handshakes, `realtime.consumer._handshakes`); it may query the database, once for all of
  them (every hook of a batch runs in one trip to the database thread).
- `@presence_audience`: `def audience(users)`, {user id: the groups told when the person
  comes online or goes offline (friends, say)}, asked as `groups` is, at the handshake.
- `@on_presence`: `def changed(user_ids, online)`, run off the event loop when these people's
  first socket opened or their last one closed (accounts records "last seen"); the changes
  of many sockets at once come in one call (`realtime.batches`).
- `groups_changed(user_ids)`: what the connect and audience hooks answer for these people has changed (they
  joined or left a room, a friendship began or ended). A new socket asks the hooks again;
  until then it takes their last answer from the cache (realtime.consumer), so an app whose
  hooks read data it changes must say so.
"""

from core.cached import forget

frame_handlers = {}
event_handlers = {}
connect_hooks = []
audience_hooks = []
presence_hooks = []


def _register(table, key, what):
    def register(handler):
        if key in table:
            raise ValueError(f"two handlers for {key!r} {what}")
        table[key] = handler
        return handler

    return register


def handles(frame_type, *, checks_active=False):
    register = _register(frame_handlers, frame_type, "frames")

    def handler(function):
        function.checks_active = checks_active
        return register(function)

    return handler


def on_event(kind):
    return _register(event_handlers, kind, "events")


def groups_on_connect(hook):
    connect_hooks.append(hook)
    return hook


def presence_audience(hook):
    audience_hooks.append(hook)
    return hook


def on_presence(hook):
    presence_hooks.append(hook)
    return hook


def groups_changed(user_ids):
    from .presence import shared_cache

    forget(shared_cache(), "socket-groups", user_ids)
