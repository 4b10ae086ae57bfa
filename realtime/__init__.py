"""
The live layer at the bottom of the site: sockets, groups, the per-process hub, presence.

It knows people (a socket belongs to a logged-in user and a session) and groups (names the
apps choose), never what a room or a friend is. Apps publish frames to groups
(`realtime.publish`) and register what the socket does with the frames it receives and the
events it is sent (`realtime.registry`), from their AppConfig.ready(). The frames in both
directions are written down in realtime/PROTOCOL.md.
"""
