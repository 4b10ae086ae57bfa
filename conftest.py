"""
Fixtures shared by every app's tests: the named users, and the browser harness.

Browser tests (marker `browser`) drive Debian's Chromium through Playwright against a real
server process (production's, chatsite/servers.py) that serves the test database. Without /usr/bin/chromium they are skipped
with a reason, except with CI=true, where a missing browser fails them.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from email import message_from_bytes
from pathlib import Path

import pytest
from django.core.cache import cache

from accounts.tests.factories import PASSWORD, UserFactory

BASE_DIR = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """A test database of this run's own, so several runs on one machine never collide."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    test = db.setdefault("TEST", {})
    if db["ENGINE"].endswith("sqlite3"):
        test["NAME"] = str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")
    else:
        test["NAME"] = f"test_{db['NAME']}_{os.getpid()}"


def clear_cache():
    """Empty the cache between tests. On Redis only the cache's own keys go: the channel
    layer shares the server, and FLUSHDB would pull its groups from under live sockets."""
    from django.conf import settings

    prefix = settings.CACHES["default"].get("KEY_PREFIX")
    if prefix and settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        client = cache._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    yield
    # Threads that ran database_sync_to_async and live servers may still hold sessions.
    with django_db_blocker.unblock():
        drop_other_sessions()


@pytest.fixture(autouse=True)
def _channel_layer_per_test():
    """A channel layer of each test's own. Every async test runs on an event loop of its
    own, and channels-redis keeps loop-bound locks on the layer object; a server process
    has one loop for its life, so this is a matter for tests only."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _fast_passwords_and_clean_cache(settings):
    settings.PASSWORD_HASHERS = [FAST_HASHER]
    clear_cache()
    yield
    clear_cache()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in English: the test client's requests run in the test's thread, and a
    Chinese request leaves Chinese active there (LocaleMiddleware activates, nothing resets)."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _site_origin(settings):
    """The site's pages are at http://127.0.0.1, the Origin the tests' sockets send
    (rooms/tests/sockets.py): tests run with DEBUG off, so only trusted origins open one."""
    settings.CSRF_TRUSTED_ORIGINS = ["http://127.0.0.1"]


class Clock:
    """The clock every window of the site reads (`core.counters.now`), moved by the test."""

    def __init__(self, t=1_000_000.0):
        self.t = t

    def __call__(self):
        return self.t

    def advance(self, seconds):
        self.t += seconds


@pytest.fixture
def clock(monkeypatch):
    """A settable clock for code expiry, login throttles and rate limits: no sleeping."""
    clock = Clock()
    monkeypatch.setattr("core.counters.now", clock)
    return clock


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", nickname="Alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", nickname="Bob")


@pytest.fixture
def carol(db):
    return UserFactory(username="carol", nickname="Carol")


@pytest.fixture
async def sockets():
    """Open people's chat sockets (`await sockets(alice)`, or `sockets(alice, cookie=...)` for
    a given session, `headers=[...]` for more handshake headers); every one is closed after
    the test."""
    from rooms.tests.sockets import connect

    opened = []

    async def open_socket(user, cookie=None, headers=()):
        socket = await connect(user, cookie=cookie, headers=headers)
        opened.append(socket)
        return socket

    yield open_socket
    for socket in opened:
        await socket.disconnect()


# --- Live server ----------------------------------------------------------------------------


def stop_process(process, patience=10):
    """SIGTERM, and SIGKILL if it has not exited within patience seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(patience)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(extra=None):
    """Environment for a server process that shares the test database of this run."""
    from django.db import connection

    env = dict(os.environ)
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user = db.get("USER") or "postgres"
        host = db.get("HOST") or "127.0.0.1"
        port = db.get("PORT") or 5432
        auth = f"{user}:{db['PASSWORD']}" if db.get("PASSWORD") else user
        env["DATABASE_URL"] = f"postgres://{auth}@{host}:{port}/{db['NAME']}"
    else:
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(db["NAME"])
    env["PASSWORD_HASHERS"] = ",".join(
        [FAST_HASHER, "django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    )
    env["DEBUG"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    env["CHAT_TEST_SERVER"] = "1"  # chatsite/tests/live.py: fresh content types after each flush
    env.update(extra or {})
    return env


class LiveServer:
    """
    A server process on a free port, serving chatsite.asgi against the test database: the
    production server (chatsite.servers.PRODUCTION) unless `server` names another (or the
    environment's TEST_SERVER does); `options` go to chatsite.servers.command (proxy_headers=True,
    say), or `command` gives the whole command line ("{port}" in it is this server's port).
    """

    def __init__(self, env, log_path, server=None, command=None, port=None, **options):
        from chatsite import servers

        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = server or os.environ.get("TEST_SERVER") or servers.PRODUCTION
        if command is None:
            command = servers.command(self.server, port=self.port, **options)
        else:
            command = [part.replace("{port}", str(self.port)) for part in command]
        self.command, self.env = command, env
        self.log = open(log_path, "ab")  # a server started again on its port writes after its first life
        self._start()

    def _start(self):
        self.process = subprocess.Popen(self.command, cwd=BASE_DIR, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_until_up(self.log.name)

    def kill(self):
        """As a crash would: SIGKILL, no goodbyes to its sockets."""
        self.process.kill()
        self.process.wait()

    def restart(self):
        """The same command on the same port, after a stop or a kill."""
        if self.process.poll() is None:
            self.stop()
        if self.log.closed:
            self.log = open(self.log.name, "ab")
        self._start()

    def _wait_until_up(self, log_path, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.server} exited early:\n{Path(log_path).read_text()}")
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.server} did not answer within {timeout}s:\n{Path(log_path).read_text()}")

    def log_text(self):
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def stop(self):
        stop_process(self.process)
        self.log.close()


class Mailbox:
    """The emails a live server wrote with Django's file-based email backend."""

    def __init__(self, path):
        self.path = Path(path)

    def clear(self):
        for f in self.path.glob("*.log"):
            f.unlink()

    def messages(self):
        found = []
        for f in sorted(self.path.glob("*.log"), key=lambda p: p.stat().st_mtime):
            # One file can hold several messages, separated by a line of dashes.
            for chunk in f.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if chunk.strip():
                    found.append(message_from_bytes(chunk.strip()))
        return found

    def last_to(self, address, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in reversed(self.messages()):
                if address.lower() in (message["To"] or "").lower():
                    payload = message.get_payload(decode=True)
                    return payload.decode() if payload else str(message.get_payload())
            time.sleep(0.1)
        raise AssertionError(f"no email to {address}")


@pytest.fixture(scope="session")
def mail_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("mail")


@pytest.fixture(scope="session")
def live_server_process(django_db_setup, django_db_blocker, tmp_path_factory, mail_dir):
    """One server process for the whole run (browser tests use it through `live_url`)."""
    with django_db_blocker.unblock():
        env = server_env(
            {
                "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": str(mail_dir),
            }
        )
    server = LiveServer(env, tmp_path_factory.mktemp("daphne") / "daphne.log")
    yield server
    server.stop()


def drop_other_sessions():
    """PostgreSQL needs a moment to end a dead server's sessions; the test database can
    only be dropped once they are gone."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture
def live_url(live_server_process, transactional_db):
    return live_server_process.url


@pytest.fixture
def mailbox(mail_dir):
    box = Mailbox(mail_dir)
    box.clear()
    return box


# --- Browser --------------------------------------------------------------------------------


@pytest.fixture
def browser(live_url, monkeypatch):
    """Chromium for one test. Playwright's sync API keeps an event loop running in this
    thread while it is open, so the browser lives no longer than the test, and the ORM
    calls the test makes around it are allowed as the plain synchronous calls they are."""
    if not os.path.exists(CHROMIUM):
        reason = f"{CHROMIUM} is missing (apt-get install -y chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class BrowserErrors:
    """
    What went wrong in the browser during one test: a response with status 500 or more, an
    uncaught error in a page, or an error on the console. Any of them fails the test, unless
    the test named that error beforehand, with the reason it is expected there
    (`browser_errors.expect(pattern, reason=...)`).

    Chromium also logs each 4xx response to the console ("Failed to load resource: ... 404"):
    those are answers the product gives on purpose (422 for a form's errors, 404 for a room
    one is not in), and the responses are watched on their own, so only the >= 500 ones count.
    """

    CLIENT_ERROR = re.compile(r"^Failed to load resource: the server responded with a status of 4\d\d\b")

    def __init__(self):
        self.seen = []
        self.expected = []

    def expect(self, pattern, *, reason):
        """This test causes an error matching pattern (a regular expression) on purpose."""
        if not reason or not reason.strip():
            raise ValueError("say why this error is expected")
        self.expected.append((re.compile(pattern), reason))

    def watch(self, context):
        context.on("console", self._on_console)
        context.on("weberror", lambda web_error: self.seen.append(f"uncaught error in the page: {web_error.error}"))
        context.on("response", self._on_response)

    def _on_console(self, message):
        if message.type == "error" and not self.CLIENT_ERROR.search(message.text):
            where = message.location.get("url", "") if message.location else ""
            page = message.page.url if message.page else "?"
            self.seen.append(f"console error: {message.text} (from {where} on {page})")

    def _on_response(self, response):
        if response.status >= 500:
            self.seen.append(f"HTTP {response.status} for {response.request.method} {response.url}")

    def unexpected(self):
        return [error for error in self.seen if not any(pattern.search(error) for pattern, _ in self.expected)]


@pytest.fixture
def browser_errors():
    return BrowserErrors()


def close_context(context, patience=20):
    """
    context.close(), but not forever. Now and then Chromium never answers Playwright's
    Target.disposeBrowserContext (seen once in CI here: a teardown after its test had passed
    waited until CI's limit; other projects have met it too). After `patience` seconds the
    context is left to the browser, which goes at the end of the session; the test's verdict
    stands, as it was reached before.
    """
    import asyncio
    import warnings

    try:
        context._sync(asyncio.wait_for(context._impl_obj.close(reason=None), patience))  # the sync API has no timeout here
    except asyncio.TimeoutError:
        warnings.warn(f"a browser context did not close within {patience} s; left to the browser", stacklevel=2)


@pytest.fixture
def new_page(live_url, browser, browser_errors):
    """Open pages in fresh browser contexts (one per person) on the live server; fail the
    test on any server or browser error in them (see BrowserErrors)."""
    contexts = []

    def open_page(path="/", **options):
        context = browser.new_context(base_url=live_url, **options)  # options: a phone's viewport...
        context.set_default_timeout(10_000)
        browser_errors.watch(context)
        contexts.append(context)
        page = context.new_page()
        page.goto(path)
        return page

    yield open_page
    for context in contexts:
        close_context(context)
    unexpected = browser_errors.unexpected()
    if unexpected:
        pytest.fail("errors in the browser:\n  " + "\n  ".join(unexpected), pytrace=False)


@pytest.fixture
def page(new_page):
    return new_page()


def login(page, user, password=PASSWORD):
    """Log a user in through the real login form."""
    page.goto("/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    page.click("form#login-form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.fixture
def login_as():
    return login


def pytest_sessionfinish(session):
    # SQLite leaves its write-ahead log beside a test database it has dropped.
    for leftover in BASE_DIR.glob(f".test-db-{os.getpid()}.sqlite3*"):
        leftover.unlink(missing_ok=True)
