"""
Helpers for the `topology` tests: the production topology's parts run for real on this machine
(redis-server and redis-sentinel, nginx in front of several server processes).

Each part is a process of the test's own on free ports, stopped when the test ends. Without the
program the test is skipped, except in CI, where `.ci/run` installs it and a missing one fails.
"""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import redis

from conftest import free_port, stop_process


# Every topology test: marked, transactional (servers in other processes share the database),
# and run in CI's PostgreSQL + Redis pass.
MARKS = [
    pytest.mark.topology,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL")),
        reason="topology tests run on PostgreSQL + Redis (CI's second pass)",
    ),
]


def program(name, *candidates):
    """The path of a program the topology needs: skipped here without it, failed in CI."""
    for candidate in (name, *candidates):
        found = shutil.which(candidate) or (candidate if os.path.isabs(candidate) and os.path.exists(candidate) else None)
        if found:
            return found
    message = f"{name} is not installed (.ci/run installs it)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def wait_until(condition, timeout, what, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"not within {timeout}s: {what}")


class RedisProcess:
    """A redis-server (or, with sentinel=True, a redis-sentinel) on a free port."""

    def __init__(self, directory, *, config="", sentinel=False):
        self.port = free_port()
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        conf = self.directory / f"{'sentinel' if sentinel else 'redis'}-{self.port}.conf"
        conf.write_text(f"port {self.port}\nbind 127.0.0.1\nsave \"\"\nappendonly no\ndir {self.directory}\n{config}")
        binary = program("redis-sentinel") if sentinel else program("redis-server")
        self.log = open(self.directory / f"{conf.stem}.log", "wb")
        self.process = subprocess.Popen([binary, str(conf)], stdout=self.log, stderr=subprocess.STDOUT)
        self.client = redis.Redis(port=self.port, socket_timeout=2, decode_responses=True)
        wait_until(self._answers, 10, f"redis on port {self.port} answering")

    def _answers(self):
        try:
            return self.client.ping()
        except redis.ConnectionError:
            return False

    def kill(self):
        """As a machine failure would: no shutdown, no last words."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        stop_process(self.process)
        self.log.close()


class SentinelSet:
    """A master, a replica and three sentinels watching them, as the README's failover section."""

    MASTER_NAME = "chatmaster"

    def __init__(self, directory):
        self.master = RedisProcess(directory)
        self.replica = RedisProcess(directory, config=f"replicaof 127.0.0.1 {self.master.port}\n")
        wait_until(
            lambda: self.replica.client.info("replication").get("master_link_status") == "up",
            15,
            "the replica in sync with the master",
        )
        monitor = (
            f"sentinel monitor {self.MASTER_NAME} 127.0.0.1 {self.master.port} 2\n"
            f"sentinel down-after-milliseconds {self.MASTER_NAME} 1000\n"
            f"sentinel failover-timeout {self.MASTER_NAME} 5000\n"
            f"sentinel parallel-syncs {self.MASTER_NAME} 1\n"
        )
        self.sentinels = [RedisProcess(directory, config=monitor, sentinel=True) for _ in range(3)]
        wait_until(
            lambda: all(int(s.client.sentinel_master(self.MASTER_NAME)["num-slaves"]) == 1 for s in self.sentinels),
            15,
            "every sentinel knowing the replica",
        )

    @property
    def addresses(self):
        return ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)

    def master_port(self):
        host, port = self.sentinels[0].client.sentinel_get_master_addr_by_name(self.MASTER_NAME)
        return int(port)

    def stop(self):
        for part in (*self.sentinels, self.replica, self.master):
            part.stop()


# --- The production server processes and nginx in front ---------------------------------------

BASE_DIR = Path(__file__).resolve().parent.parent.parent
SITE_HOST = "chat.example.com"  # deploy/nginx.conf's server_name


def production_env(tmp_path, extra=None):
    """DEBUG=0 with deploy/chat.env.example's shape, against the test database, static collected."""
    from django.conf import settings

    from conftest import server_env

    env = server_env(
        {
            "DEBUG": "0",
            # The tests' own key: the sessions they make (session_for) are signed with it.
            "SECRET_KEY": settings.SECRET_KEY,
            "ALLOWED_HOSTS": f"{SITE_HOST},127.0.0.1",
            "CSRF_TRUSTED_ORIGINS": f"https://{SITE_HOST}",
            "SECURE_PROXY_SSL_HEADER": "1",
            "STATIC_ROOT": str(tmp_path / "static"),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "ATTACHMENTS_ROOT": str(tmp_path / "attachments"),
            "LOG_FORMAT": "json",
            "CHAT_RATE_LIMIT": "100000",
            **(extra or {}),
        }
    )
    if not (tmp_path / "static").exists():
        import sys

        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=BASE_DIR, env=env, check=True, timeout=120
        )
    return env


class Nginx:
    """deploy/nginx.conf, run as it is but for its ports, upstreams, paths and certificate."""

    def __init__(self, directory, upstream_ports, media_root):
        binary = program("nginx", "/usr/sbin/nginx")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.http_port, self.https_port = free_port(), free_port()
        cert, key = self.directory / "cert.pem", self.directory / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={SITE_HOST}",
             "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True,
        )
        site = (BASE_DIR / "deploy" / "nginx.conf").read_text()
        upstreams = "".join(f"    server 127.0.0.1:{port};\n" for port in upstream_ports)
        site = self._sub(site, r"(upstream chat_daphne \{\n(?:\s*#.*\n)*)(?:\s*server 127\.0\.0\.1:\d+;\n)+", rf"\g<1>{upstreams}")
        site = self._sub(site, r"listen 80;", f"listen 127.0.0.1:{self.http_port};")
        site = self._sub(site, r"listen 443 ssl", f"listen 127.0.0.1:{self.https_port} ssl")
        site = self._sub(site, r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};")
        site = self._sub(site, r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};")
        site = self._sub(site, r"alias /srv/chat/media/;", f"alias {media_root}/;")
        # Which process served a socket: the tests need it to prove a chat across the two.
        site = self._sub(site, r"(location /ws/ \{\n)", r"\g<1>        add_header X-Upstream $upstream_addr always;\n")
        (self.directory / "site.conf").write_text(site)
        d = self.directory
        (d / "nginx.conf").write_text(
            f"daemon off;\nworker_processes 1;\nuser root;\npid {d}/nginx.pid;\nerror_log {d}/error.log info;\n"
            "events { worker_connections 8192; }\n"
            f"worker_rlimit_nofile 20000;\n"
            "http {\n"
            "    include /etc/nginx/mime.types;\n"
            f"    log_format chat '$remote_addr \"$request\" $status $upstream_addr';\n"
            f"    access_log {d}/access.log chat;\n"
            f"    client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;\n"
            f"    fastcgi_temp_path {d}/fastcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n"
            f"    include {d}/site.conf;\n"
            "}\n"
        )
        test = subprocess.run([binary, "-t", "-p", str(d), "-c", str(d / "nginx.conf")], capture_output=True, text=True)
        assert test.returncode == 0, f"nginx -t refused deploy/nginx.conf:\n{test.stderr}"
        self.log = open(d / "nginx.out", "wb")
        self.process = subprocess.Popen([binary, "-p", str(d), "-c", str(d / "nginx.conf")], stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(self._answers, 10, "nginx answering")

    @staticmethod
    def _sub(text, pattern, replacement):
        import re

        changed, count = re.subn(pattern, replacement, text)
        assert count, f"deploy/nginx.conf no longer has {pattern!r}: update the topology test with it"
        return changed

    def _answers(self):
        import socket

        try:
            socket.create_connection(("127.0.0.1", self.https_port), timeout=1).close()
            return True
        except OSError:
            return False

    def access_log(self):
        return (self.directory / "access.log").read_text()

    def stop(self):
        stop_process(self.process)
        self.log.close()


class Client:
    """An HTTPS client of the site through nginx, from a chosen loopback address, with cookies."""

    def __init__(self, nginx, source="127.0.0.1"):
        import ssl

        self.nginx, self.source = nginx, source
        self.context = ssl.create_default_context()
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        import http.client

        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.nginx.https_port, context=self.context, source_address=(self.source, 0), timeout=60
        )
        sent = {"Host": SITE_HOST, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";")[0]
        connection.close()
        return response.status, response.msg, data  # headers, looked up without regard to case

    def get(self, path):
        return self.request("GET", path)

    def csrf(self, path):
        import re

        status, _, page = self.get(path)
        assert status == 200, (path, status)
        return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()

    def post(self, path, fields, files=None, referer_path=None):
        import uuid
        from urllib.parse import urlencode

        headers = {"Origin": f"https://{SITE_HOST}", "Referer": f"https://{SITE_HOST}{referer_path or path}"}
        if files:
            boundary = uuid.uuid4().hex
            parts = []
            for name, value in fields.items():
                parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
            for name, (filename, content, content_type) in files.items():
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                    f"Content-Type: {content_type}\r\n\r\n".encode() + content + b"\r\n"
                )
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        else:
            body = urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return self.request("POST", path, body=body, headers=headers)
