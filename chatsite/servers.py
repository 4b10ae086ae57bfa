"""
The ASGI servers that can serve `chatsite.asgi:application`, and the one production runs.

One place names them: the systemd template (deploy/chat@.service, held to `command(PRODUCTION)`
by chatsite/tests/test_servers.py), the tests' live servers (conftest.LiveServer) and the
benchmark (bench/fanout.py --servers) all build their command lines here. `make run` keeps
daphne's runserver (daphne first in INSTALLED_APPS), for its autoreload.

PRODUCTION is uvicorn with its sans-I/O websockets implementation: measured with
`bench/fanout.py --servers` (README, "Servers"), it spends about a third of daphne's CPU per
delivered frame, and it passes the whole suite and the deployment test.

permessage-deflate is off on every server, on purpose: a chat frame is a few hundred bytes,
rendered once and written to every member's socket, and each socket compresses with a
context of its own, so deflate costs CPU per delivery (uvicorn: 20 -> 32-45 µs) and tens of
KB of zlib state per idle socket, to save a few hundred bytes on a loopback or LAN hop
(nginx passes frames through as they are). daphne never offers it.

The WebSocket frame limit is 1 MiB on every server (daphne's own): past it the server's
WebSocket library closes with 1009 before the application sees the frame; the application's
own limit (SOCKET_FRAME_MAX_BYTES, 64 KB, close 4009) comes first.
"""

import sys

APP = "chatsite.asgi:application"
PRODUCTION = "uvicorn"
SERVERS = ("daphne", "uvicorn", "uvicorn-wsproto", "uvicorn-websockets", "granian")
WS_MAX_BYTES = 1024 * 1024

# Behind nginx on the same machine: the client address comes from its X-Forwarded-For
# (login throttling counts failures per client IP, and the logs name it).
TRUSTED_PROXIES = "127.0.0.1"


def command(server=PRODUCTION, *, port, host="127.0.0.1", python=None, proxy_headers=False, app=APP):
    """The command line (a list) that serves app with server on host:port."""
    python = python or sys.executable
    port = str(port)
    if server == "daphne":
        line = [python, "-m", "daphne", "-b", host, "-p", port]
        if proxy_headers:
            line.append("--proxy-headers")
        return [*line, app]
    if server.startswith("uvicorn"):
        ws = {"uvicorn": "websockets-sansio", "uvicorn-wsproto": "wsproto", "uvicorn-websockets": "websockets"}[server]
        line = [
            python, "-m", "uvicorn", "--host", host, "--port", port,
            "--loop", "uvloop", "--http", "httptools", "--ws", ws,
            "--ws-per-message-deflate", "false", "--ws-max-size", str(WS_MAX_BYTES),
            # Channels' router knows no lifespan scope; requests are logged by chatsite.logs
            # (uvicorn's INFO level says a line per socket).
            "--lifespan", "off", "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
        if proxy_headers:
            line += ["--proxy-headers", "--forwarded-allow-ips", TRUSTED_PROXIES]
        else:
            line.append("--no-proxy-headers")
        return [*line, app]
    if server == "granian":
        line = [
            python, "-m", "granian", "--interface", "asginl", "--host", host, "--port", port,
            "--loop", "uvloop", "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
        return [*line, app]
    raise ValueError(f"unknown server {server!r}; one of {', '.join(SERVERS)}")
