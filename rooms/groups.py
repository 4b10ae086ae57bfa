"""The live group of a room: the sockets of its members, on every server process."""


def room_group(room_id):
    return f"room.{room_id}"
