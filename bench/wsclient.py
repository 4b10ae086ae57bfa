"""
The fan-out benchmark's WebSocket client: RFC 6455's client side, as little of it as the
benchmark needs, on a plain asyncio Protocol.

Its clients share the machine with the servers they measure, so what a receipt costs them
is taken from the servers' cores. The websockets library spends about 30 µs of CPU on each
frame it hands to `recv()` (its parser's generator, a queue, a task woken per frame); here a
frame is parsed in `data_received` and handed to a callback, with no task per socket. What
it does: the opening handshake (its `Sec-WebSocket-Accept` checked), text and binary messages
(fragmented ones joined), pings answered, a close frame answered and the connection closed;
frames sent are masked, as a client's must be. No extensions (no compression), no
subprotocols.
"""

import asyncio
import base64
import hashlib
import os

_ACCEPT_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TEXT, _BINARY, _CLOSE, _PING, _PONG, _CONTINUATION = 0x1, 0x2, 0x8, 0x9, 0xA, 0x0


class HandshakeFailed(Exception):
    """The server did not switch protocols (its status line is the message)."""


class ClientSocket(asyncio.Protocol):
    """
    One connection. `on_message(payload)` gets each message's bytes in order; `closed` is a
    future that completes when the connection ends (`close_code` says how, None if it was
    dropped without a close frame).
    """

    def __init__(self, on_message, request, key):
        loop = asyncio.get_running_loop()
        self.on_message = on_message
        self.request, self.accept = request, base64.b64encode(hashlib.sha1(key + _ACCEPT_GUID).digest())
        self.opened, self.closed = loop.create_future(), loop.create_future()
        self.transport = None
        self.close_code = None
        self._buffer = bytearray()
        self._fragments = None

    # --- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport):
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data):
        self._buffer += data
        if not self.opened.done() and not self._read_handshake():
            return
        self._read_frames()

    def connection_lost(self, exc):
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed during the handshake"))
        if not self.closed.done():
            self.closed.set_result(self.close_code)

    # --- Sending ----------------------------------------------------------------------------

    def send(self, text):
        self._send_frame(_TEXT, text.encode())

    def abort(self):
        if self.transport is not None:
            self.transport.abort()

    def _send_frame(self, opcode, payload):
        if self.transport is None or self.transport.is_closing():
            raise ConnectionError("the connection is closed")
        length = len(payload)
        if length < 126:
            head = bytes([0x80 | opcode, 0x80 | length])
        elif length < 1 << 16:
            head = bytes([0x80 | opcode, 0x80 | 126]) + length.to_bytes(2, "big")
        else:
            head = bytes([0x80 | opcode, 0x80 | 127]) + length.to_bytes(8, "big")
        mask = os.urandom(4)
        keystream = (mask * (length // 4 + 1))[:length]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(keystream, "big")).to_bytes(length, "big")
        self.transport.write(head + mask + masked)

    # --- Receiving --------------------------------------------------------------------------

    def _read_handshake(self):
        """True once the server's 101 response has been read (what follows it stays buffered)."""
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self._buffer[:end])
        del self._buffer[: end + 4]
        status, *header_lines = head.split(b"\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if status.split(b" ")[1:2] != [b"101"]:
            self.opened.set_exception(HandshakeFailed(status.decode("latin-1")))
            self.transport.abort()
            return False
        if headers.get(b"sec-websocket-accept") != self.accept:
            self.opened.set_exception(HandshakeFailed("wrong Sec-WebSocket-Accept"))
            self.transport.abort()
            return False
        self.opened.set_result(self)
        return True

    def _read_frames(self):
        buffer, at, size = self._buffer, 0, len(self._buffer)
        while size - at >= 2:
            first, second = buffer[at], buffer[at + 1]
            length, start = second & 0x7F, at + 2
            if length == 126:
                if size - at < 4:
                    break
                length, start = int.from_bytes(buffer[at + 2 : at + 4], "big"), at + 4
            elif length == 127:
                if size - at < 10:
                    break
                length, start = int.from_bytes(buffer[at + 2 : at + 10], "big"), at + 10
            if second & 0x80:  # a server must not mask
                self._fail(1002)
                return
            if size - start < length:
                break
            payload = bytes(buffer[start : start + length])
            at = start + length
            self._frame(first & 0x80, first & 0x0F, payload)
        del buffer[:at]

    def _frame(self, final, opcode, payload):
        if opcode in (_TEXT, _BINARY):
            if final:
                self.on_message(payload)
            else:
                self._fragments = [payload]
        elif opcode == _CONTINUATION and self._fragments is not None:
            self._fragments.append(payload)
            if final:
                message, self._fragments = b"".join(self._fragments), None
                self.on_message(message)
        elif opcode == _PING:
            self._send_frame(_PONG, payload)
        elif opcode == _CLOSE:
            self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            self._send_frame(_CLOSE, payload[:2])
            self.transport.close()

    def _fail(self, code):
        self.close_code = code
        self.transport.abort()


async def connect(host, port, path, *, headers=(), on_message, timeout):
    """Open a WebSocket to ws://host:port/path with extra `headers` ((name, value) pairs);
    the ClientSocket once the server has switched protocols."""
    key = base64.b64encode(os.urandom(16))
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key.decode()}",
        "Sec-WebSocket-Version: 13",
        *(f"{name}: {value}" for name, value in headers),
    ]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    loop = asyncio.get_running_loop()
    _transport, client = await asyncio.wait_for(
        loop.create_connection(lambda: ClientSocket(on_message, request, key), host, port), timeout
    )
    try:
        return await asyncio.wait_for(client.opened, timeout)
    except BaseException:
        client.abort()
        raise
