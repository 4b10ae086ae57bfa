"""The fan-out benchmark's own WebSocket client (bench/wsclient.py) against a real server (the
websockets library's): a client that dropped or mangled frames would make every row wrong."""

import asyncio
import importlib.util
from pathlib import Path

import pytest
from websockets.asyncio.server import serve

WSCLIENT = Path(__file__).resolve().parents[2] / "bench" / "wsclient.py"


def wsclient():
    spec = importlib.util.spec_from_file_location("bench_wsclient", WSCLIENT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_benchmark_client_receives_what_a_server_sends_answers_pings_and_sees_the_close():
    client = wsclient()
    heard = []

    async def server_side(ws):
        heard.append((ws.request.headers["Origin"], ws.request.headers["Cookie"]))
        heard.append(await ws.recv())  # masked by the client, unmasked by the server
        await ws.send("short")
        await ws.send("é" * 200)  # 16-bit length
        await ws.send(b"x" * 70_000)  # 64-bit length
        await ws.send(["frag", "mented"])  # one message in fragments
        await asyncio.wait_for(await ws.ping(), 5)  # the client answers
        await ws.close(4401, "no session")

    got = []
    async with serve(server_side, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        headers = [("Origin", "http://127.0.0.1"), ("Cookie", "sessionid=abc")]
        socket = await client.connect("127.0.0.1", port, "/ws/chat/", headers=headers, on_message=got.append, timeout=5)
        socket.send('{"type": "send", "body": "你好"}')
        assert await asyncio.wait_for(socket.closed, 5) == 4401

    assert heard == [("http://127.0.0.1", "sessionid=abc"), '{"type": "send", "body": "你好"}']
    assert got == [b"short", "é".encode() * 200, b"x" * 70_000, b"fragmented"]


async def test_the_benchmark_client_says_when_the_server_refuses_the_handshake():
    client = wsclient()

    async def refuse(connection, request):
        return connection.respond(403, "Forbidden origin\n")

    async with serve(lambda ws: None, "127.0.0.1", 0, process_request=refuse) as server:
        port = server.sockets[0].getsockname()[1]
        with pytest.raises(client.HandshakeFailed, match="403"):
            await client.connect("127.0.0.1", port, "/ws/chat/", on_message=print, timeout=5)
