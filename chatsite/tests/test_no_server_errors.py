"""
No 500 anywhere people and servers really go: every URL of the site, served by daphne (the
ASGI application, its async middleware path), with DEBUG on and with DEBUG off after
collectstatic (WhiteNoise's manifest), asked by someone logged out, a member and a
superuser: plainly, as htmx asks, and as a POST without a CSRF token. Unknown paths and
/favicon.ico included. The server's log stays clean too: no traceback, no error line, and
the sign-up code is there for whoever follows the README ("Sign-up codes ... appear in the
server's console").
"""

import http.client
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client

from conftest import LiveServer, server_env

from .pages import admin_paths, build_site, site_paths, url_names, variants

BASE_DIR = Path(__file__).resolve().parent.parent.parent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def production_static(tmp_path_factory):
    """collectstatic as the README's deployment runs it (DEBUG=0: the manifest storage)."""
    root = tmp_path_factory.mktemp("static")
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": settings.SECRET_KEY, "ALLOWED_HOSTS": "127.0.0.1", "CSRF_TRUSTED_ORIGINS": "https://127.0.0.1", "STATIC_ROOT": str(root)}
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture
def site(settings, tmp_path):
    settings.ATTACHMENTS_ROOT = str(tmp_path / "attachments")
    settings.EXPORTS_ROOT = str(tmp_path / "exports")
    return build_site()


def start_daphne(debug, tmp_path, static_root=None):
    extra = {
        "DEBUG": "1" if debug else "0",
        "ATTACHMENTS_ROOT": str(tmp_path / "attachments"),
        "EXPORTS_ROOT": str(tmp_path / "exports"),
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",  # as `make run`
    }
    if not debug:
        extra.update(
            SECRET_KEY=settings.SECRET_KEY,  # the sessions the tests make are signed with it
            ALLOWED_HOSTS="127.0.0.1",
            CSRF_TRUSTED_ORIGINS="https://127.0.0.1",
            STATIC_ROOT=str(static_root),
            SECURE_PROXY_SSL_HEADER="1",  # behind the TLS proxy, as deployed
        )
    return LiveServer(server_env(extra), tmp_path / f"daphne-debug-{int(debug)}.log")


def session_cookie(user):
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


class Browser:
    """Plain HTTP to one server, as one person (a session cookie, or none)."""

    def __init__(self, server, cookie=None, https=False):
        self.port = server.port
        self.headers = {"Host": "127.0.0.1"}
        if cookie:
            self.headers["Cookie"] = f"sessionid={cookie}"
        if https:
            self.headers["X-Forwarded-Proto"] = "https"
        self.connection = None

    def request(self, method, path, headers=None, body=None):
        for attempt in (1, 2):  # a kept-alive connection the server closed: once more, anew
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.connection.request(method, path, body=body, headers={**self.headers, **(headers or {})})
                response = self.connection.getresponse()
                response.body = response.read()
                return response
            except (http.client.HTTPException, ConnectionError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise

    def close(self):
        if self.connection is not None:
            self.connection.close()


def server_errors(browser, requests, statuses):
    errors = []
    for method, path, headers in requests:
        response = browser.request(method, path, headers)
        statuses[response.status] = statuses.get(response.status, 0) + 1
        if response.status >= 500:
            errors.append(f"{response.status} for {method} {path} {headers or ''}")
    return errors


def log_errors(log):
    """Lines of the server's log that say something failed (text lines with DEBUG, JSON without)."""
    return [
        line
        for line in log.splitlines()
        if "Traceback" in line or " ERROR " in line or '"level": "ERROR"' in line or " 500 " in line or '"status": 500' in line
    ]


# One request is left out with DEBUG on: a POST to a URL without its slash. Django's
# CommonMiddleware answers it, on purpose and only with DEBUG, with a RuntimeError page for
# the developer (a redirect would lose the posted data); with DEBUG off it redirects.
@pytest.mark.parametrize("debug", [True, False], ids=["DEBUG=1", "DEBUG=0"])
def test_every_page_through_daphne_answers_without_a_server_error(site, tmp_path, request, debug):
    static_root = None if debug else request.getfixturevalue("production_static")
    server = start_daphne(debug, tmp_path, static_root)
    people = {
        "someone logged out": None,
        "a member": session_cookie(site.alice),
        "a superuser": session_cookie(site.root),
    }
    paths = site_paths(site)
    admin = admin_paths(site)
    try:
        errors, statuses = [], {}
        for who, cookie in people.items():
            browser = Browser(server, cookie, https=not debug)
            requests = [r for path in paths for r in variants(path) if not (debug and r[:2] == ("POST", "/chat"))]
            requests += [("GET", path, {}) for path in (admin if who == "a superuser" else admin[:2])]
            seen = statuses.setdefault(who, {})
            errors += [f"{who}: {error}" for error in server_errors(browser, requests, seen)]
            browser.close()
        # The favicon is a real icon, from the static files (the manifest's name with DEBUG off).
        browser = Browser(server, https=not debug)
        icon_url = browser.request("GET", "/favicon.ico").getheader("Location")
        icon = browser.request("GET", icon_url)
        assert (icon.status, icon.body[:4]) == (200, b"\x00\x00\x01\x00"), icon_url
        browser.close()
        log = server.log_text()
    finally:
        server.stop()
    assert errors == []
    assert log_errors(log) == []
    # The pages were shown, not only refused: the member's pages, the superuser's admin.
    assert statuses["a member"][200] >= 40 and statuses["a superuser"][200] >= 60, statuses


def test_the_signup_code_is_in_the_console_of_a_server_as_make_run_starts_it(alice, tmp_path):
    server = start_daphne(True, tmp_path)
    try:
        # Someone logged in browses meanwhile: each page load also asks for /favicon.ico.
        member = Browser(server, session_cookie(alice))
        for path in ("/chat/", "/favicon.ico", "/no-such-page/", "/chat"):
            assert member.request("GET", path).status < 500
        browser = Browser(server)
        page = browser.request("GET", "/accounts/signup/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1).decode()
        csrf_cookie = re.search(r"csrftoken=([^;]+)", page.getheader("Set-Cookie")).group(1)
        sent = browser.request(
            "POST",
            "/accounts/signup/",
            {"Cookie": f"csrftoken={csrf_cookie}", "Content-Type": "application/x-www-form-urlencoded"},
            urlencode({"csrfmiddlewaretoken": token, "action": "send_code", "email": "dana@example.com"}),
        )
        assert sent.status == 200
        assert b"We emailed a 6-digit code to dana@example.com" in sent.body
        log = server.log_text()
    finally:
        server.stop()
    assert re.search(r"Subject: Your sign-up code", log)
    assert re.search(r"\b\d{6}\b", log.split("Subject: Your sign-up code", 1)[1])
    assert log_errors(log) == []


def test_the_guard_asks_for_every_url_of_the_site(site):
    from django.urls import resolve

    asked = set()
    for path in site_paths(site):
        try:
            match = resolve(path.split("?")[0])
        except Exception:
            continue  # an unknown path, on purpose
        asked.add(match.view_name)
    assert url_names() - asked == set()
