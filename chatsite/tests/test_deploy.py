"""
The README's deployment steps, followed on this machine with PostgreSQL and Redis: a fresh
database, migrations, collectstatic, `check --deploy`, two processes of production's server (chatsite/servers.py) with DEBUG=0
behind a TLS proxy (simulated by X-Forwarded-Proto), static files from WhiteNoise, JSON logs.
Runs in the PostgreSQL + Redis pass of CI.
"""

import asyncio
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import websockets

from conftest import LiveServer

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
SITE_ORIGIN = "https://localhost"

pytestmark = pytest.mark.skipif(
    not (DATABASE_URL.startswith("postgres") and REDIS_URL),
    reason="the deployment guide needs PostgreSQL and Redis (set DATABASE_URL and REDIS_URL)",
)


@pytest.fixture
def fresh_database():
    parts = urlsplit(DATABASE_URL)
    name = f"chatsite_deploy_{os.getpid()}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(env, *args):
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def get(url, **headers):
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https", **headers})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read().decode()


def test_the_deployment_guide_works_with_postgresql_redis_and_two_server_processes(fresh_database, tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"SQLITE_PATH", "PASSWORD_HASHERS"}},
        "DEBUG": "0",
        "SECRET_KEY": "d3pl0y-t3st-" + "x7Qz!9vL2@pX4$wN8^rT6&yB1*mC3(dF5)hJ0_sG",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # The public origin of the pages, behind the (simulated) TLS proxy.
        "CSRF_TRUSTED_ORIGINS": SITE_ORIGIN,
        "SECURE_PROXY_SSL_HEADER": "1",
        "DATABASE_URL": fresh_database,
        "REDIS_URL": REDIS_URL,
        "STATIC_ROOT": str(tmp_path / "static"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "LOG_FORMAT": "json",
    }
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    assert "no issues" in manage(env, "check", "--deploy", "--fail-level", "WARNING")

    # Production's server with the systemd template's command line (chatsite/servers.py).
    servers = [LiveServer(env, tmp_path / f"server-{n}.log", proxy_headers=True) for n in range(2)]
    try:
        for server in servers:
            status, body = get(server.url + "/healthz")
            health = json.loads(body)
            assert (status, health["status"], health["failed"]) == (200, "ok", [])
            assert health["database_pool"]["max_size"] == 8  # production pools its connections

            status, page = get(server.url + "/accounts/login/")
            assert status == 200 and 'id="login-form"' in page
            stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]+\.css)"', page).group(1)
            status, css = get(server.url + stylesheet)
            assert status == 200 and ":root" in css

        # Two people chat across the two processes, with production's origin check.
        manage(env, "seed_demo", "--users", "2", "--rooms", "0", "--messages", "0")
        room_id, alice_key, bob_key = manage(env, "shell", "-c", SESSIONS_FOR_TWO).splitlines()[-1].split()
        received = asyncio.run(chat_across(servers, int(room_id), alice_key, bob_key))
        assert "hello from the first process" in received

        # Plain HTTP (no proxy header) is sent to HTTPS; the request is logged as JSON.
        with pytest.raises(urllib.error.HTTPError) as redirect:
            _no_redirect_open(servers[0].url + "/accounts/login/")
        assert redirect.value.code == 301
        assert redirect.value.headers["Location"].startswith("https://")
        lines = [json.loads(line) for line in servers[0].log_text().splitlines() if line.startswith("{")]
        assert any(line.get("path") == "/accounts/login/" and line.get("status") == 200 for line in lines)
    finally:
        for server in servers:
            server.stop()


SESSIONS_FOR_TWO = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from accounts.sessions import SessionStore
from accounts.models import User
from rooms.models import Room

def session(user):
    store = SessionStore()
    store[SESSION_KEY], store[BACKEND_SESSION_KEY] = str(user.pk), "accounts.backends.UsernameOrEmailBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key

alice, bob = User.objects.get(username="demo001"), User.objects.get(username="demo002")
room, _ = Room.objects.get_or_create_direct(alice, bob)
print(room.pk, session(alice), session(bob))
"""


async def chat_across(servers, room_id, alice_key, bob_key):
    """alice's tab on the first process sends; bob's tab on the second receives."""

    def open_tab(server, key):
        return websockets.connect(
            server.url.replace("http://", "ws://") + "/ws/chat/",
            additional_headers={"Cookie": f"sessionid={key}"},
            origin=SITE_ORIGIN,
        )

    async with open_tab(servers[0], alice_key) as alice, open_tab(servers[1], bob_key) as bob:
        await alice.send(json.dumps({"type": "send", "room": room_id, "body": "hello from the first process"}))
        async with asyncio.timeout(10):
            while "hello from the first process" not in (frame := await bob.recv()):
                pass
        return frame


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _no_redirect_open(url):
    return urllib.request.build_opener(_NoRedirect).open(url, timeout=10)
