"""
A hub frame encoded once and written straight to each socket's connection.

A frame to a room goes to every member's socket, the same text each time. Through the ASGI
`send`, each socket costs the server its own work: uvicorn's sans-I/O protocol (production's,
chatsite.servers) encodes the text, builds a WebSocket frame and its header, collects and
joins the bytes, then writes them; only the last step differs from one socket to the next.
A server's frames are not masked and permessage-deflate is off on every server, so the bytes
of one text frame are the same for every socket: `Frame.data` builds them once, and
`writer_for(send)` writes them to one socket's transport (None for a server whose protocol
this does not know: daphne, the tests' communicator; their sockets get the ASGI send). The
frames due to one socket at once (a run of posts, `realtime.hub`) are one write of all their
bytes, one system call instead of one per frame.

The writer writes only while the server would: the handshake done, no close sent or under
way, the transport open and not asking the writer to pause (its buffer over the high-water
mark). Otherwise it returns False and the frame takes the ASGI send, which waits for the
buffer to drain or says the client went away, as for any frame.
"""

import struct

from websockets.protocol import State

try:
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
except ImportError:  # uvicorn is production's server, not the only one
    WebSocketsSansIOProtocol = None

_TEXT = 0x81  # FIN and the text opcode: one whole, unfragmented text frame


def encode_text(text):
    """The bytes of one unmasked WebSocket text frame carrying `text` (RFC 6455, 5.2)."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", _TEXT, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", _TEXT, 126, size)
    else:
        header = struct.pack("!BBQ", _TEXT, 127, size)
    return header + payload


class Frame:
    """One frame for many sockets: its text, its ASGI message, and its bytes once asked for."""

    __slots__ = ("text", "message", "_data")

    def __init__(self, text):
        self.text = text
        self.message = {"type": "websocket.send", "text": text}
        self._data = None

    @property
    def data(self):
        if self._data is None:
            self._data = encode_text(self.text)
        return self._data


def writer_for(send):
    """A function writing bytes (one or more Frames' `data`) to the connection behind the
    server's `send` (True when written, False when the socket must take the ASGI send), or
    None for another server."""
    protocol = getattr(send, "__self__", None)
    if WebSocketsSansIOProtocol is None or not isinstance(protocol, WebSocketsSansIOProtocol):
        return None

    def write(data):
        transport = protocol.transport
        if (
            not protocol.handshake_complete
            or protocol.close_sent
            or protocol.conn.state is not State.OPEN
            or not protocol.writable.is_set()
            or transport is None
            or transport.is_closing()
        ):
            return False
        transport.write(data)
        return True

    return write
