"""Hub frames encoded once and written straight to uvicorn's connections (realtime.wire)."""

import asyncio
import socket

import pytest
import uvicorn
import websockets
from websockets.frames import Frame as ParsedFrame
from websockets.frames import Opcode
from websockets.streams import StreamReader

from realtime.wire import Frame, encode_text, writer_for

# Every length form of a frame header (7-bit, 16-bit, 64-bit), and text that is not ASCII.
TEXTS = ["", "a" * 125, "é" * 63, "x" * 126, "<p>你好</p>" * 5000, "y" * 65535, "z" * 65536, "🙂" * 40000]


def parse(data):
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    parser = ParsedFrame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        return done.value
    raise AssertionError("not one whole frame")


@pytest.mark.parametrize("text", TEXTS, ids=lambda text: f"{len(text.encode())} bytes")
def test_a_frame_is_the_unmasked_text_frame_a_websocket_client_reads(text):
    frame = parse(encode_text(text))
    assert (frame.opcode, frame.fin, frame.data.decode()) == (Opcode.TEXT, True, text)


def test_another_server_s_send_gets_no_writer():
    async def send(message):
        pass

    assert writer_for(send) is None


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_uvicorn_sockets_get_the_bytes_in_order_one_frame_or_many_at_a_time_and_the_asgi_send_after_a_close():
    """What production's server (uvicorn, sans-I/O websockets, no deflate) does with them."""
    answers = {}

    async def app(scope, receive, send):
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.accept"})
        write = writer_for(send)
        answers["written"] = [write(Frame(text).data) for text in TEXTS]
        answers["together"] = write(b"".join(Frame(text).data for text in TEXTS))  # one write, every frame
        await send({"type": "websocket.send", "text": "sentinel"})
        assert (await receive())["type"] == "websocket.receive"  # the client's "bye"
        await send({"type": "websocket.close", "code": 4000})
        answers["after close"] = write(Frame("too late").data)

    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, ws="websockets-sansio", ws_per_message_deflate=False, lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        async with websockets.connect(f"ws://127.0.0.1:{port}/", max_size=None) as client:
            got = []
            while (text := await client.recv()) != "sentinel":
                got.append(text)
            await client.send("bye")
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await client.recv()
        assert got == TEXTS + TEXTS
        assert answers == {"written": [True] * len(TEXTS), "together": True, "after close": False}
        assert closed.value.rcvd.code == 4000
    finally:
        server.should_exit = True
        await serving
