"""
The socket's protocol, as far as the transport knows it: close codes, the JSON control frames,
and reading numbers out of client frames. Every frame kind is written in realtime/PROTOCOL.md.
"""

import json

# Close codes: no logged-in user, or the session ended (like HTTP 401); the account was
# deactivated (like 403); a frame over SOCKET_FRAME_MAX_BYTES (as 1009, "message too big",
# which daphne refuses from an application: only a close it accepts runs the normal
# disconnect, presence included); too many open sockets for one person (like 429).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_DEACTIVATED = 4403
CLOSE_TOO_BIG = 4009
CLOSE_TOO_MANY = 4429

CLOSE_CODES = {
    "unauthenticated": CLOSE_UNAUTHENTICATED,
    "deactivated": CLOSE_DEACTIVATED,
    "too_big": CLOSE_TOO_BIG,
    "too_many": CLOSE_TOO_MANY,
}

MAX_ID = 2**63 - 1  # ids are 64-bit: a larger number in a frame would be a database error


class FrameError(Exception):
    """
    A client frame the server will not act on. `text` is shown to the person; `fields` travel
    with the error frame (an app's handler says, say, which room it was about).
    """

    def __init__(self, text, **fields):
        super().__init__(text)
        self.text = text
        self.fields = fields


def control(type_, **fields):
    """A JSON control frame: `{"type": ..., ...}` (HTML frames are for swaps only)."""
    return json.dumps({"type": type_, **fields}, separators=(",", ":"), ensure_ascii=False)


def error(text, **fields):
    return control("error", text=text, **fields)


def notice(text):
    return control("notice", text=text)


def resync():
    """After a layer outage: the page resumes what it shows and refreshes what changed."""
    return control("resync")


def presence(user_id, online):
    """Every presence dot of that person on the page turns on or off."""
    return control("presence", user=user_id, online=bool(online))


def read_id(value):
    """A client frame's id (of a room, a message): an int from 1 to 2**63 - 1, else None."""
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None
