"""
Request bodies over UPLOAD_MAX_BYTES are refused while they stream in, through the site's ASGI
application (what daphne runs), and nginx's body limit is the same number.
"""

import os
import re
from pathlib import Path

import pytest
from asgiref.testing import ApplicationCommunicator
from django.conf import settings

from chatsite.asgi import application

NGINX_CONF = Path(__file__).resolve().parent.parent.parent / "deploy" / "nginx.conf"
CHUNK = 64 * 1024


def upload_scope(headers=()):
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/chat/1/files/",
        "raw_path": b"/chat/1/files/",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"multipart/form-data; boundary=x"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def response_start(app):
    output = await app.receive_output(timeout=5)
    assert output["type"] == "http.response.start"
    body = await app.receive_output(timeout=5)
    return output["status"], body["body"].decode()


@pytest.mark.django_db(transaction=True)
async def test_a_body_declared_too_large_is_refused_before_any_of_it_is_read():
    app = ApplicationCommunicator(application, upload_scope([(b"content-length", str(50 * 1024 * 1024).encode())]))
    status, text = await response_start(app)  # nothing of the body was sent
    assert status == 413
    assert "uploads can be at most 10 MB" in text


@pytest.mark.django_db(transaction=True)
async def test_a_body_without_a_length_is_refused_at_the_chunk_that_crosses_the_limit():
    app = ApplicationCommunicator(application, upload_scope())
    sent = 0
    while sent <= settings.UPLOAD_MAX_BYTES:
        await app.send_input({"type": "http.request", "body": b"x" * CHUNK, "more_body": True})
        sent += CHUNK
    # The client has more to send; the answer comes anyway, and no more is read.
    status, _ = await response_start(app)
    assert status == 413
    assert sent < settings.UPLOAD_MAX_BYTES + 2 * CHUNK


@pytest.mark.django_db(transaction=True)
async def test_a_body_within_the_limit_reaches_the_site():
    app = ApplicationCommunicator(application, {**upload_scope(), "method": "GET", "path": "/healthz", "raw_path": b"/healthz"})
    await app.send_input({"type": "http.request", "body": b"", "more_body": False})
    status, _ = await response_start(app)
    assert status == 200


def test_the_limit_is_the_largest_attachment_and_its_form_and_nginx_says_the_same():
    assert settings.UPLOAD_MAX_BYTES == settings.ATTACHMENT_MAX_BYTES + 64 * 1024
    value = re.search(r"^\s*client_max_body_size\s+(\d+)([km]?);", NGINX_CONF.read_text(), re.M)
    number, unit = int(value.group(1)), value.group(2)
    assert number * {"": 1, "k": 1024, "m": 1024 * 1024}[unit] == settings.UPLOAD_MAX_BYTES


NGINX = "/usr/sbin/nginx"


@pytest.fixture
def nginx_in_front(live_url, tmp_path):
    """nginx with deploy/nginx.conf's body limit, proxying to the live server."""
    import shutil
    import subprocess
    import time

    from conftest import free_port

    if not shutil.which(NGINX):
        reason = f"{NGINX} is missing (apt-get install -y nginx)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)
    limit = re.search(r"^\s*client_max_body_size\s+(\S+);", NGINX_CONF.read_text(), re.M).group(1)
    port = free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"daemon off; worker_processes 1; pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
        "events {}\n"
        f"http {{ access_log off; client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;\n"
        f"  server {{ listen 127.0.0.1:{port}; client_max_body_size {limit};\n"
        f"    location / {{ proxy_pass {live_url}; proxy_set_header Host $host; }} }} }}\n"
    )
    process = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp_path)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            import socket

            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    yield port
    process.terminate()
    process.wait(10)


def post_headers(port, length):
    """Send only the headers of a POST of length bytes; return the status nginx answers with."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(
            b"POST /chat/1/files/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\n"
            + f"Content-Length: {length}\r\n\r\n".encode()
        )
        if length <= 1024:
            connection.sendall(b"x" * length)
        status_line = connection.recv(200).split(b"\r\n", 1)[0]
    return int(status_line.split()[1])


def test_nginx_refuses_a_body_over_the_limit_before_any_of_it_is_sent(nginx_in_front, transactional_db):
    assert post_headers(nginx_in_front, settings.UPLOAD_MAX_BYTES + 1) == 413
    # A small body goes through to the server: the site refuses a form without its CSRF token
    # (403); daphne's Twisted refuses the malformed multipart body itself (400). Not 413.
    assert post_headers(nginx_in_front, 1000) in (400, 403)
