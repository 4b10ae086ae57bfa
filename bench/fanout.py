"""
Fan-out benchmark for the chat WebSocket (/ws/chat/): how fast, how completely and in what
order a group room's messages reach every member, and what idle sockets cost.

Run it from the project root with the project's virtualenv:

    .venv/bin/python bench/fanout.py --quick             # C = 10, 100 on SQLite + in-memory layer
    .venv/bin/python bench/fanout.py --full --check      # every README row, both set-ups (~30 min)
    .venv/bin/python bench/fanout.py --clients 500 --rate 20 --processes 2 \\
        --layer redis --db postgres --seconds 30         # the headline row alone
    .venv/bin/python bench/fanout.py --idle 10000 --layer redis --db postgres
    .venv/bin/python bench/fanout.py --compare           # issue 15's targets, with the baseline
    .venv/bin/python bench/fanout.py --servers daphne,uvicorn,uvicorn-wsproto,granian \\
        --db postgres --layer redis --clients 500 --processes 2 --burst 200 --idle 1000

`--compare` runs, in each fan-out row and under the same conditions, the Channels tutorial's
consumer (bench/textbook.py: one layer message per socket) beside the product, and prints
both rows and their ratios; alone it runs the rows of issue 15's targets on PostgreSQL +
Redis (C = 500 at 20 msg/s on 2 processes, a burst of 200 messages to C = 500 on 2
processes, 10,000 idle sockets). `--servers` serves the same application with each ASGI
server named (their command lines are chatsite/servers.py's; default: production's).
`--burst N` adds, per C and processes, a row of N messages sent at once, one per sender.
The idle rows also give the handshakes: per second and server CPU each, for one process, first
for people nobody has seen (cold caches) and again when they all reconnect (a restart).

The benchmark is standalone. It creates a throwaway database (a SQLite file in a temporary
folder, or a PostgreSQL database `chatsite_bench_<pid>` dropped at the end; never db.sqlite3
or `chatsite`), migrates it, and for each row:

1. makes C users with real Django sessions (SessionStore with the auth keys), all friends of
   the first one and members of one group room (bulk inserts: what `create_group` would
   leave behind, without C password hashes);
2. starts 1 or 2 server processes (production's, chatsite/servers.py, or those of --servers) on free ports (`DEBUG=0` with a throwaway SECRET_KEY and
   the HTTPS switches off, as production runs minus TLS; access log off);
3. connects the C clients (`sessionid` cookie, `Origin` header) spread round-robin over the
   processes and over 2 client processes, 50 handshakes in flight at a time (daphne refuses
   a handshake its application has not accepted within 5 s). The clients share the machine
   with the servers, so what a receipt costs them is taken from the servers' cores: they
   speak WebSocket through bench/wsclient.py, a frame parsed as it arrives and handed to a
   callback, about 18 µs of CPU per receipt at 10,000 frames/s (18 % of a core). With the
   websockets library's `recv()` a receipt cost 32 µs, and the same server's p50 / p99 at
   C = 500 were 19.0 / 30.0 ms instead of 15.5 / 22.3 ms (one row each, commit 660b27b);
4. sends M messages from S senders (frames `{"type": "send", ...}`) on a fixed schedule of
   `rate` messages per second; each body carries its global number and send time;
5. waits until every client holds every message (or nothing new arrives for 10 s), stops
   the servers, reads which messages the database stored, and scans the daphne logs.

Before measuring a row it waits (up to --quiet-wait seconds) for the rest of the machine to
go quiet, since the machine is shared; "other CPU" below says how well that worked.

The Redis layer uses a dedicated database (default redis://127.0.0.1:6379/9), flushed before
each row; a URL on database 0 is never flushed.

The send rate limit (CHAT_RATE_LIMIT per CHAT_RATE_WINDOW seconds, 10 per 5 s by default) is
respected, not raised: each sender sends at most half of it, so S = ceil(rate / (0.5 * 10/5)),
e.g. 20 senders at 20 msg/s. When a row has fewer clients than that, the benchmark raises
CHAT_RATE_LIMIT for that row only and says so under the table.

Fan-out table columns:

    clients       C, sockets connected (one per user, every one a member of the room)
    rate          messages per second sent into the room (all senders together)
    procs         daphne processes; clients are spread round-robin over them
    layer, db     channel layer (memory, redis) and database (sqlite, postgres)
    msgs          M, messages sent; each is stored, then delivered to all C members
    p50/p99/max   latency in ms from the sender's `send` to a member's receipt of the
                  message's fragment, over every (message, member) pair including the sender
    deliv/s       first deliveries (message, member) per second, from the first send to the
                  last receipt
    lost          (stored message, member) pairs never received; what is stored is read
                  from the database after the row
    dup           fragments received again for a message that member already had
    ooo           out of order: a member received a sender's message after a later message
                  of the same sender
    refused       messages the server did not store (the sender got an error fragment,
                  quoted under the tables); should be 0, or the row sent less than it says
    server CPU    user + system CPU of all daphne processes during the send phase, as a
                  percentage of one core (200 % = both cores of this machine)
    peak MB       peak resident memory (VmHWM) of the largest daphne process

Under it, "where the CPU went" shows the same window for the client processes, PostgreSQL,
Redis and everything else on the machine ("other CPU": other people's tests, say, which
make a row's latencies worse than the code's), the load on the services per message sent
(Redis commands processed, PostgreSQL transactions committed in the row's database: the
README's sizing table), the senders, how late the clients sent against their schedule,
error fragments received and sockets closed or never opened.

Idle table columns: sockets held open by one daphne process; how long they took to connect
and the server CPU per handshake; the process's resident memory (VmRSS) before (with one
warm-up socket) and after connecting; KB per socket = RSS delta / sockets; and how many of
them received one probe message afterwards (every idle socket is a member of one room, so
the probe proves they are all live).

Warnings and errors in the daphne logs are printed under the tables, grouped and counted.

Targets (PostgreSQL + Redis, every message stored) are checked for the rows they concern
and printed under the tables; `--check` exits 1 when one is missed.
"""

import argparse
import array
import asyncio
import contextlib
import json
import math
import multiprocessing
import os
import re
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import wsclient  # noqa: E402
from chatsite import servers as asgi_servers  # noqa: E402  (no Django: command lines only)

CLK_TCK = os.sysconf("SC_CLK_TCK")

# The send rate limit the servers will have (as chatsite/settings.py reads it from the
# environment, 10 per 5 s by default), and the share of it a sender uses.
RATE_LIMIT = int(os.environ.get("CHAT_RATE_LIMIT", 10))
RATE_WINDOW = float(os.environ.get("CHAT_RATE_WINDOW", 5.0))
RATE_HEADROOM = 0.5

# Handshakes in flight at once (all client processes together). Each one queues for the
# server's single database thread (session, rooms, presence); past daphne's 5 s handshake
# timeout a queued handshake is refused, so more in flight only means more refusals.
CONNECT_CONCURRENCY = 50
CONNECT_ATTEMPTS = 3
# The origin the clients say their page came from: the servers trust exactly this one.
SITE_ORIGIN = "http://127.0.0.1"
# Draining: after the last send, stop waiting when nothing new arrives for QUIET_SECONDS
# (a quiet server has delivered all it will), and in any case after DRAIN_LIMIT_SECONDS.
QUIET_SECONDS = 10.0
DRAIN_LIMIT_SECONDS = 120.0
# Before each row, wait (up to --quiet-wait seconds) until the rest of the machine uses less
# than this share of one core: the machine is shared, and others' load makes latencies worse.
QUIET_MACHINE_CORES = 0.3

# Targets (issue 15), on PostgreSQL + Redis for the product's rows; correctness in every row.
HEADLINE = (500, 20.0, 2)  # C, msg/s, processes
P99_TARGET_MS = 25
CPU_PER_DELIVERY_TARGET_US = 30
BURST_CLIENTS, BURST_MESSAGES, BURST_PROCESSES = 500, 200, 2
BURST_TARGET_PER_S = 30_000
HANDSHAKES_TARGET_PER_S, HANDSHAKE_CPU_TARGET_MS = 500, 2.0
IDLE_TARGET_SOCKETS, IDLE_TARGET_KB = 10_000, 30

# The applications a row can serve: the product, or the Channels tutorial's consumer
# (bench/textbook.py, the baseline of --compare).
APPS = {"product": asgi_servers.APP, "textbook": "bench.textbook:application"}


# --- What a row is, and what it measured ---------------------------------------------------


@dataclass
class Row:
    clients: int
    rate: float
    messages: int
    processes: int
    layer: str  # "memory" | "redis"
    db: str  # "sqlite" | "postgres"
    server: str = asgi_servers.PRODUCTION
    app: str = "product"  # | "textbook"
    burst: bool = False  # all messages at once, one per sender
    metrics: bool = True  # CHAT_METRICS (core/metrics.py): off for the --metrics-off comparison

    @property
    def senders(self):
        if self.burst:
            return min(self.clients, self.messages)
        per_sender = RATE_HEADROOM * RATE_LIMIT / RATE_WINDOW
        return max(1, min(self.clients, math.ceil(self.rate / per_sender)))

    @property
    def rate_limit_override(self):
        """CHAT_RATE_LIMIT for this row when too few clients share the load, else None."""
        if self.burst:
            per_burst = math.ceil(self.messages / self.senders)
            return None if per_burst <= RATE_LIMIT else per_burst
        per_sender = self.rate / self.senders
        if per_sender <= RATE_HEADROOM * RATE_LIMIT / RATE_WINDOW:
            return None
        return math.ceil(per_sender * RATE_WINDOW / RATE_HEADROOM)


@dataclass
class FanoutResult:
    row: Row
    connect_seconds: float
    latencies_us: array.array
    deliveries: int
    lost: int  # (stored message, member) pairs never received
    refused: int  # messages sent but not stored (the sender got an error fragment)
    unstored_deliveries: int  # receipts of messages that are not stored: must be 0
    duplicated: int
    out_of_order: int
    span_seconds: float
    server_cpu: float  # CPU seconds of all daphne processes in the send window
    window_seconds: float
    peak_mb: float
    client_cpu: float
    postgres_cpu: float
    redis_cpu: float
    machine_cpu: float  # the whole machine: what is not ours above is someone else's load
    error_frames: int = 0
    error_sample: str = ""
    closed_early: int = 0
    connect_failures: int = 0
    max_send_lag_ms: float = 0.0
    log_problems: list = field(default_factory=list)
    peak_connections: int = 0  # PostgreSQL connections of the server processes, at most at once
    redis_commands: int = 0  # commands Redis processed during the send window (every client of it)
    pg_transactions: int = 0  # transactions committed in the row's database during the window

    @property
    def label(self):
        row = self.row
        what = f"burst of {row.messages}" if row.burst else f"at {row.rate:g} msg/s"
        return f"{row.app} on {row.server}, C={row.clients} {what}, {row.processes}p {row.layer}/{row.db}"

    @property
    def per_second(self):
        return self.deliveries / self.span_seconds

    @property
    def cpu_per_delivery_us(self):
        return 1e6 * self.server_cpu / max(1, self.deliveries)

    @property
    def other_cpu(self):
        """CPU the rest of the machine used in the window (other people's tests, the kernel)."""
        ours = self.server_cpu + self.client_cpu + self.postgres_cpu + self.redis_cpu
        return max(0.0, self.machine_cpu - ours)

    @cached_property
    def _ordered(self):
        return sorted(self.latencies_us)

    def percentile_ms(self, q):
        """The q-quantile of the latencies in ms (q = 1 gives the maximum)."""
        if not self._ordered:
            return float("nan")
        return self._ordered[min(len(self._ordered) - 1, int(q * len(self._ordered)))] / 1000


@dataclass
class IdleResult:
    sockets: int
    layer: str
    db: str
    server: str
    connected: int
    connect_seconds: float
    connect_cpu: float  # server CPU seconds spent while the sockets connected
    rss_before_mb: float
    rss_after_mb: float
    probe_received: int
    probe_max_ms: float  # the probe's latency to its last receiver
    connect_failures: int
    closed_early: int
    log_problems: list = field(default_factory=list)
    # The same people connecting again after they all closed (a restart, a reconnect storm):
    # their sessions, users and groups are in the cache by now.
    again_connected: int = 0
    again_seconds: float = 0.0
    again_cpu: float = 0.0

    @property
    def label(self):
        return f"product on {self.server}, {self.sockets:,} idle sockets {self.layer}/{self.db}"

    @property
    def again_per_second(self):
        return self.again_connected / max(1e-9, self.again_seconds)

    @property
    def again_cpu_ms(self):
        return 1000 * self.again_cpu / max(1, self.again_connected)

    @property
    def handshakes_per_second(self):
        return self.connected / max(1e-9, self.connect_seconds)

    @property
    def handshake_cpu_ms(self):
        return 1000 * self.connect_cpu / max(1, self.connected)

    @property
    def kb_per_socket(self):
        return (self.rss_after_mb - self.rss_before_mb) * 1024 / max(1, self.connected)


# --- /proc: CPU and memory of the server and the services -----------------------------------


def cpu_seconds(pid):
    """User + system CPU seconds of a process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def process_tree(pid):
    """pid and its descendants (granian serves from a worker process of its own)."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, ()))
    return tree


def memory_mb(pid, key):
    """A memory line of /proc/<pid>/status in MB: VmRSS (now) or VmHWM (peak)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0.0
    for line in lines:
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_of_command(name):
    """CPU seconds of every process whose command name is name (postgres, redis-server)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    total += cpu_seconds(entry.name)
            except OSError:
                pass
    return total


def machine_busy_seconds():
    """CPU seconds the whole machine has spent busy (all cores, from /proc/stat)."""
    user, nice, system, idle, iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def wait_for_quiet_machine(patience):
    """
    Wait, up to `patience` seconds, until the machine is busy less than QUIET_MACHINE_CORES
    (measured over 2 s at a time); say so when it takes a while.
    """
    started = time.monotonic()
    while True:
        before = machine_busy_seconds()
        time.sleep(2.0)
        busy = (machine_busy_seconds() - before) / 2.0
        waited = time.monotonic() - started
        if busy < QUIET_MACHINE_CORES or waited >= patience:
            if waited > 5:
                print(f"    waited {waited:.0f} s for a quiet machine; now {100 * busy:.0f} % of a core busy", flush=True)
            return


class CpuWindow:
    """CPU used by the servers, PostgreSQL, Redis and the whole machine between start() and stop()."""

    def start(self, server_pids):
        self.pids = server_pids
        self.t0 = time.monotonic()
        self.server0 = sum(cpu_seconds(pid) for pid in server_pids)
        self.pg0, self.redis0 = cpu_of_command("postgres"), cpu_of_command("redis-server")
        self.machine0 = machine_busy_seconds()

    def stop(self):
        self.seconds = time.monotonic() - self.t0
        self.server = sum(cpu_seconds(pid) for pid in self.pids) - self.server0
        self.postgres = cpu_of_command("postgres") - self.pg0
        self.redis = cpu_of_command("redis-server") - self.redis0
        self.machine = machine_busy_seconds() - self.machine0


# --- Throwaway database and Redis -----------------------------------------------------------


class PeakConnections:
    """
    The most PostgreSQL connections the server processes held at once while the row ran:
    pg_stat_activity sampled every 20 ms (each process names itself chat-<pid>; production
    pools DATABASE_POOL_MAX_SIZE per process, chatsite/settings.py).
    """

    def __init__(self, postgres_url, pids):
        import threading

        self.url, self.names = postgres_url, [f"chat-{pid}" for pid in pids]
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        import psycopg

        with psycopg.connect(f"{self.url}/postgres", autocommit=True) as conn:
            while not self._stop.is_set():
                (count,) = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = ANY(%s)", [self.names]
                ).fetchone()
                self.peak = max(self.peak, count)
                time.sleep(0.02)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        return self.peak


class Backends:
    """
    The throwaway database and the Redis URL for one set-up, and the environment that the
    servers and the fixture step share. Use as a context manager: the database goes away
    at the end whatever happens.
    """

    def __init__(self, db, layer, postgres_url, redis_url, workdir):
        self.db, self.layer = db, layer
        self.postgres_url, self.redis_url = postgres_url.rstrip("/"), redis_url
        self.workdir = workdir
        self.secret_key = secrets.token_urlsafe(50)
        self.database_name = None
        self.migrated = False

    def __enter__(self):
        if self.db == "postgres":
            import psycopg

            self.database_name = f"chatsite_bench_{os.getpid()}"
            with psycopg.connect(f"{self.postgres_url}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.database_name}"')
                conn.execute(f'CREATE DATABASE "{self.database_name}"')
        return self

    def __exit__(self, *exc):
        if self.database_name:
            import psycopg

            with psycopg.connect(f"{self.postgres_url}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')

    def env(self, rate_limit=None, metrics=True):
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SQLITE_PATH")}
        env["CHAT_METRICS"] = "1" if metrics else "0"
        env.update(
            DJANGO_SETTINGS_MODULE="chatsite.settings",
            PYTHONPATH=str(ROOT),
            DEBUG="0",
            SECRET_KEY=self.secret_key,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            CSRF_TRUSTED_ORIGINS=SITE_ORIGIN,  # the clients' Origin header
            SECURE_SSL_REDIRECT="0",
            SECURE_COOKIES="0",
            SECURE_HSTS_SECONDS="0",
            LOG_LEVEL="WARNING",  # warnings and errors only: no line per request
            LOG_FORMAT="json",
            STATIC_ROOT=str(self.workdir / "static"),
            MEDIA_ROOT=str(self.workdir / "media"),
        )
        if self.db == "postgres":
            env["DATABASE_URL"] = f"{self.postgres_url}/{self.database_name}"
        else:
            env["SQLITE_PATH"] = str(self.workdir / "bench.sqlite3")
        if self.layer == "redis":
            env["REDIS_URL"] = self.redis_url
        if rate_limit:
            env["CHAT_RATE_LIMIT"] = str(rate_limit)
        return env

    def service_counts(self):
        """(Redis commands processed, transactions committed in the row's database) so far,
        for the load a row puts on the services (the README's sizing table)."""
        redis_commands = 0
        if self.layer == "redis":
            import redis

            redis_commands = redis.Redis.from_url(self.redis_url).info("stats")["total_commands_processed"]
        transactions = 0
        if self.db == "postgres":
            import psycopg

            with psycopg.connect(f"{self.postgres_url}/postgres", autocommit=True) as conn:
                conn.execute("SELECT pg_stat_clear_snapshot()")
                (transactions,) = conn.execute(
                    "SELECT xact_commit FROM pg_stat_database WHERE datname = %s", [self.database_name]
                ).fetchone()
        return redis_commands, transactions

    def flush_redis(self):
        """Empty the bench's Redis database, only when it is a dedicated one (not db 0)."""
        if self.layer != "redis":
            return
        db_number = urlsplit(self.redis_url).path.strip("/") or "0"
        if db_number != "0":
            import redis

            redis.Redis.from_url(self.redis_url).flushdb()


# --- Fixtures: users, sessions, one room (in a child process that sets Django up) ------------


def prepare_fixtures(env, tag, count, migrate):
    """
    Runs in a fresh (spawned) process with the servers' environment: migrate if asked, then
    create `count` users with sessions in one group room owned by the first. Returns the
    room id and [(user id, session key)] in order.
    """
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import transaction
    from django.utils.module_loading import import_string

    from friends.models import Friendship
    from rooms.models import Membership, Room

    if migrate:
        call_command("migrate", verbosity=0, interactive=False)
    User = get_user_model()
    SessionStore = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    unusable = make_password(None)  # no password hashing for thousands of users
    with transaction.atomic():
        User.objects.bulk_create(
            [
                User(username=f"{tag}-{i}", email=f"{tag}-{i}@bench.invalid", nickname=f"Bench {i}", password=unusable)
                for i in range(count)
            ],
            batch_size=1000,
        )
        users = list(User.objects.filter(username__startswith=f"{tag}-").order_by("pk"))
        owner = users[0]
        Friendship.objects.bulk_create(
            [Friendship(user_low=owner, user_high=user) for user in users[1:]], batch_size=1000
        )
        room = Room.objects.create(kind=Room.Kind.GROUP, name=f"Fan-out {tag}", created_by=owner)
        Membership.objects.bulk_create(
            [Membership(room=room, user=owner, role=Membership.Role.OWNER)]
            + [Membership(room=room, user=user) for user in users[1:]],
            batch_size=1000,
        )
        sessions = []
        for user in users:
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            sessions.append((user.pk, session.session_key))
    return room.pk, sessions


def stored_messages(env, room_id):
    """Runs in a spawned process: the numbers g of the bench messages stored in the room."""
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from rooms.models import Message

    bodies = Message.objects.filter(room_id=room_id, body__startswith="fanout:").values_list("body", flat=True)
    return {int(body.split(":")[1]) for body in bodies}


def in_django(function, env, *args):
    """function(env, *args) in a fresh (spawned) process, which sets Django up with env."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        return pool.submit(function, env, *args).result()


def make_fixtures(backends, tag, count):
    """Migrate (the first time), then `count` users in one room: (room id, [(user id, session key)])."""
    room_id, sessions = in_django(prepare_fixtures, backends.env(), tag, count, not backends.migrated)
    backends.migrated = True
    return room_id, sessions


# --- The servers ---------------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Servers:
    """
    `count` processes of one ASGI server (chatsite/servers.py) serving one application, on
    free ports, with their logs; stopped on exit.
    """

    def __init__(self, count, env, logdir, label, server=asgi_servers.PRODUCTION, app="product"):
        self.count, self.env, self.logdir, self.label = count, env, logdir, label
        self.server, self.app = server, app
        self.processes, self.ports, self.logs = [], [], []

    def __enter__(self):
        for index in range(self.count):
            port = free_port()
            log_path = self.logdir / f"{self.server}-{self.label}-{index}.log"
            log = open(log_path, "w")
            command = asgi_servers.command(self.server, port=port, python=sys.executable, app=APPS[self.app])
            if self.server == "daphne":
                command[3:3] = ["-v", "0"]  # no line per handshake
            self.processes.append(
                subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
            )
            self.ports.append(port)
            self.logs.append(log_path)
            log.close()
        for process, port in zip(self.processes, self.ports):
            self._wait_ready(process, port)
        return self

    def _wait_ready(self, process, port, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{self.server} on port {port} exited; see {self.logs[self.ports.index(port)]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.server} on port {port} not healthy after {timeout} s")

    @property
    def pids(self):
        """Every process serving, workers included."""
        return [pid for p in self.processes for pid in process_tree(p.pid)]

    def cpu(self, index=0):
        return sum(cpu_seconds(pid) for pid in process_tree(self.processes[index].pid))

    def peak_mb(self):
        return max(sum(memory_mb(pid, "VmHWM") for pid in process_tree(p.pid)) for p in self.processes)

    def rss_mb(self, index=0):
        return sum(memory_mb(pid, "VmRSS") for pid in process_tree(self.processes[index].pid))

    def __exit__(self, *exc):
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def problems(self, limit=10):
        """
        The warnings and errors of the servers' logs, grouped as "count x record", with numbers
        (ids, ports, task names) read as N so that repeats group together.
        """
        counts = Counter()
        for path in self.logs:
            for record in log_records(path.read_text(errors="replace")):
                counts[re.sub(r"\d+", "N", record)] += 1
        return [f"{n} x {record}" for record, n in counts.most_common(limit)]


LOG_LEVELS = ("WARNING", "ERROR", "CRITICAL")
TEXT_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ +(WARNING|ERROR|CRITICAL) +(.*)$")
# The servers' own lines: uvicorn's "WARNING:  ...", granian's "[WARNING] ...".
SERVER_RECORD = re.compile(r"^\[?(WARNING|ERROR|CRITICAL)(?:\]|:) +(.*)$")
TRACEBACK_NOISE = ("Traceback", "During handling", "The above exception")


def log_records(text):
    """
    Each WARNING/ERROR/CRITICAL record of a daphne log as "LEVEL logger message -> exception",
    where the exception is the last line of the record's traceback (of the last one, when
    they are chained). Reads the site's JSON lines, and plain text lines (LOG_FORMAT=text,
    or a traceback printed outside logging, which counts as a record of its own).
    """
    record = exception = None
    in_traceback = False
    for line in [*text.splitlines(), "0000-00-00 00:00:00,0 ERROR (end)"]:
        entry = _json_line(line)
        header = TEXT_RECORD.match(line) or SERVER_RECORD.match(line)
        if entry is not None or header:
            if record:
                yield f"{record} -> {exception}" if exception else record
            record, exception, in_traceback = None, None, False
            if entry is not None and entry.get("level") in LOG_LEVELS:
                record = _shorten(f"{entry['level']} {entry.get('logger', '')} {entry.get('message', '')}")
                exception = _last_exception_line(entry.get("traceback", ""))
            elif header:
                record = _shorten(f"{header.group(1)} {header.group(2).strip()}")
        elif line.startswith("Traceback"):
            record, in_traceback = record or "traceback", True
        elif in_traceback and line.strip() and not line[0].isspace() and not line.startswith(TRACEBACK_NOISE):
            exception = line.strip()[:160]


def _json_line(line):
    if not line.startswith("{"):
        return None
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) else None


def _last_exception_line(traceback):
    lines = [
        line for line in traceback.splitlines() if line.strip() and not line[0].isspace() and not line.startswith(TRACEBACK_NOISE)
    ]
    return lines[-1].strip()[:160] if lines else None


def _shorten(message):
    """Numbers read N, so repeats group; a long message keeps both ends (daphne's say what happened last)."""
    message = re.sub(r"[0-9]+", "N", message)
    return f"{message[:80]} … {message[-70:]}" if len(message) > 160 else message


# --- The clients (asyncio + bench/wsclient.py, in one or more forked processes) -------------

BODY_MARK = re.compile(rb"fanout:(\d+):(\d+)")


def error_text(frame):
    """The text of a refused-frame error (a JSON control frame, realtime/PROTOCOL.md), else None."""
    if not frame.startswith(b"{"):
        return None  # an HTML frame
    try:
        control = json.loads(frame)
    except ValueError:
        return None
    if not isinstance(control, dict) or control.get("type") != "error":
        return None
    return str(control.get("text", ""))


@dataclass
class Traffic:
    """
    What the clients send: `messages` numbered g = 0, 1, ..., message g by client g % senders
    at t0 + g / rate; then they wait until nothing new arrives for `quiet_seconds`.
    """

    messages: int
    senders: int
    rate: float
    quiet_seconds: float = QUIET_SECONDS


# Idle rows: one probe message from client 0 once all are connected, waited for patiently
# (the server may still be busy announcing thousands of arrivals).
PROBE = Traffic(messages=1, senders=1, rate=1.0, quiet_seconds=60.0)


@dataclass
class ClientPlan:
    """What one client process does: its sockets, and the traffic."""

    room_id: int
    sockets: list  # [(index, port, session key)]
    traffic: Traffic
    connect_concurrency: int  # handshakes in flight at once from this process


class Member:
    """One socket's view: which messages arrived (seen[g]), and in what order."""

    __slots__ = ("client", "ws", "seen", "last_of_sender", "duplicated", "out_of_order", "closed")

    def __init__(self, client, messages, senders):
        self.client, self.ws = client, None
        self.seen = bytearray(messages)
        self.last_of_sender = [-1] * senders
        self.duplicated = self.out_of_order = 0
        self.closed = False

    def received(self, frame):
        self.client.received(self, frame)

    def lost(self, _closed):
        """The connection ended (closed by the server, or by us at the end)."""
        self.closed = True


class ClientProcess:
    """The asyncio side of one client process; run() talks to the parent over a pipe."""

    def __init__(self, plan, pipe):
        self.plan, self.traffic, self.pipe = plan, plan.traffic, pipe
        self.members = {}  # socket index -> Member
        self.latencies = array.array("I")
        self.error_frames = 0
        self.error_sample = ""
        self.first_send_ns = self.last_receive_ns = 0
        self.max_send_lag = 0.0
        self.progress = asyncio.Event()
        self.remaining = 0  # (message, member) pairs still expected here

    async def connect_one(self, member, port, session_key):
        """member's socket with index's session, retried a few times; None if it never opens."""
        headers = [("Origin", SITE_ORIGIN), ("Cookie", f"sessionid={session_key}")]
        for attempt in range(CONNECT_ATTEMPTS):
            try:
                return await wsclient.connect(
                    "127.0.0.1", port, "/ws/chat/", headers=headers, on_message=member.received, timeout=60
                )
            except (OSError, asyncio.TimeoutError, wsclient.HandshakeFailed):
                await asyncio.sleep(0.5 * (attempt + 1))
        return None

    async def connect_all(self):
        """
        Open every socket, `connect_concurrency` handshakes at a time, each read from as soon
        as it is open (an unread socket stops answering the server's pings and is closed).
        Returns the failures.
        """
        gate = asyncio.Semaphore(self.plan.connect_concurrency)

        async def gated(index, port, session_key):
            member = Member(self, self.traffic.messages, self.traffic.senders)
            async with gate:
                member.ws = await self.connect_one(member, port, session_key)
            if member.ws is None:
                return 1
            self.members[index] = member
            member.ws.closed.add_done_callback(member.lost)
            return 0

        return sum(await asyncio.gather(*(gated(*spec) for spec in self.plan.sockets)))

    def received(self, member, frame):
        """Count one message fragment a socket received (bench/wsclient calls it as it
        parses); nothing else is parsed."""
        now = time.time_ns()
        traffic = self.traffic
        mark = BODY_MARK.search(frame)
        if mark is None:
            error = error_text(frame)
            if error is not None:
                self.error_frames += 1
                if not self.error_sample:
                    self.error_sample = error.strip()[:200]
            return
        g, sent_ns = int(mark.group(1)), int(mark.group(2))
        if g >= traffic.messages or member.seen[g]:
            member.duplicated += 1
            return
        member.seen[g] = 1
        self.latencies.append((now - sent_ns) // 1000)
        sender = g % traffic.senders
        if g < member.last_of_sender[sender]:
            member.out_of_order += 1
        else:
            member.last_of_sender[sender] = g
        self.last_receive_ns = now
        self.remaining -= 1
        self.progress.set()

    async def send_all(self, t0):
        """Send this process's share of the messages on the global schedule t0 + g / rate."""
        traffic = self.traffic
        for g in range(traffic.messages):
            index = g % traffic.senders
            member = self.members.get(index)
            if member is None:
                continue
            due = t0 + g / traffic.rate
            delay = due - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self.max_send_lag = max(self.max_send_lag, time.time() - due)
            sent_ns = time.time_ns()
            self.first_send_ns = self.first_send_ns or sent_ns
            frame = json.dumps(
                {"type": "send", "room": self.plan.room_id, "body": f"fanout:{g}:{sent_ns}", "client_id": str(uuid.uuid4())}
            )
            try:
                member.ws.send(frame)
            except ConnectionError:
                member.closed = True

    async def drain(self, t0):
        """Wait until every member here has every message, or nothing new comes for a while."""
        last_due = t0 + self.traffic.messages / self.traffic.rate
        deadline = last_due + DRAIN_LIMIT_SECONDS
        while self.remaining > 0 and time.time() < deadline:
            self.progress.clear()
            try:
                await asyncio.wait_for(self.progress.wait(), self.traffic.quiet_seconds)
            except asyncio.TimeoutError:
                if time.time() > last_due + self.traffic.quiet_seconds:
                    break

    async def run(self):
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        failures = await self.connect_all()
        connect_seconds = time.monotonic() - started
        self.remaining = len(self.members) * self.traffic.messages
        await asyncio.sleep(0.5)  # a refused session is closed (4401) right after accept
        self.pipe.send(("connected", len(self.members), failures, connect_seconds))
        command, t0 = await loop.run_in_executor(None, self.pipe.recv)
        if command == "close":  # a bystander (the idle warm-up socket): never sends
            self.abort()
            return
        usage0 = resource.getrusage(resource.RUSAGE_SELF)
        await asyncio.gather(self.send_all(t0), self.drain(t0))
        usage1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (usage1.ru_utime + usage1.ru_stime) - (usage0.ru_utime + usage0.ru_stime)
        members = list(self.members.values())
        self.pipe.send(
            (
                "done",
                {
                    "latencies": self.latencies.tobytes(),
                    "deliveries": len(self.latencies),
                    # how many of this process's members received each message
                    "receipts": [sum(column) for column in zip(*(m.seen for m in members))],
                    "duplicated": sum(m.duplicated for m in members),
                    "out_of_order": sum(m.out_of_order for m in members),
                    "closed_early": sum(m.closed for m in members),
                    "error_frames": self.error_frames,
                    "error_sample": self.error_sample,
                    "first_send_ns": self.first_send_ns,
                    "last_receive_ns": self.last_receive_ns,
                    "client_cpu": cpu,
                    "max_send_lag": self.max_send_lag,
                },
            )
        )
        await loop.run_in_executor(None, self.pipe.recv)  # "close"
        self.abort()

    def abort(self):
        for member in self.members.values():
            member.ws.abort()


def client_main(plan, pipe):
    asyncio.run(ClientProcess(plan, pipe).run())


@dataclass
class ClientSide:
    """How the clients run: in how many processes, and how many handshakes at once."""

    processes: int = 2
    connect_concurrency: int = CONNECT_CONCURRENCY
    quiet_wait: float = 120.0  # seconds to wait for a quiet machine before measuring


class Clients:
    """Client processes (forked) driving the plan; the parent steps them through the phases."""

    def __init__(self, room_id, sessions, ports, traffic, side):
        fork = multiprocessing.get_context("fork")
        processes = side.processes
        self.pipes, self.workers = [], []
        for w in range(processes):
            sockets = [
                (i, ports[i % len(ports)], key) for i, (_, key) in enumerate(sessions) if i % processes == w
            ]
            plan = ClientPlan(room_id, sockets, traffic, max(1, side.connect_concurrency // processes))
            parent_end, child_end = fork.Pipe()
            worker = fork.Process(target=client_main, args=(plan, child_end), daemon=True)
            worker.start()
            self.pipes.append(parent_end)
            self.workers.append(worker)

    def _collect(self, expected, timeout):
        replies = []
        deadline = time.monotonic() + timeout
        for pipe, worker in zip(self.pipes, self.workers):
            while not pipe.poll(1.0):
                if not worker.is_alive():
                    raise RuntimeError(f"a client process died (exit code {worker.exitcode}) before '{expected}'")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"a client process did not answer '{expected}' within {timeout} s")
            kind, *payload = pipe.recv()
            assert kind == expected, kind
            replies.append(payload)
        return replies

    def connected(self):
        """Wait for every socket; returns (connected, failures, connect seconds)."""
        replies = self._collect("connected", timeout=900)
        return sum(r[0] for r in replies), sum(r[1] for r in replies), max(r[2] for r in replies)

    def go(self, t0):
        for pipe in self.pipes:
            pipe.send(("go", t0))

    def results(self, timeout):
        return [r[0] for r in self._collect("done", timeout)]

    def close(self):
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send(("close", None))
        for worker in self.workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()


# --- Running rows --------------------------------------------------------------------------


def settle_seconds(sockets):
    """After the handshakes, time for the consumers to join their groups."""
    return 2.0 + sockets / 2000


def merged_latencies(replies):
    """The latencies (µs) the client processes measured, in one array."""
    latencies = array.array("I")
    for reply in replies:
        latencies.frombytes(reply["latencies"])
    return latencies


def run_fanout(row, backends, logdir, side, tag):
    override = row.rate_limit_override
    backends.flush_redis()
    room_id, sessions = make_fixtures(backends, tag, row.clients)
    with Servers(row.processes, backends.env(override, row.metrics), logdir, tag, row.server, row.app) as servers:
        connections = PeakConnections(backends.postgres_url, servers.pids).start() if row.db == "postgres" else None
        clients = Clients(room_id, sessions, servers.ports, Traffic(row.messages, row.senders, row.rate), side)
        try:
            connected, failures, connect_seconds = clients.connected()
            time.sleep(settle_seconds(connected))
            wait_for_quiet_machine(side.quiet_wait)
            window = CpuWindow()
            counts_before = backends.service_counts()
            window.start(servers.pids)
            clients.go(time.time() + 0.5)
            replies = clients.results(timeout=row.messages / row.rate + DRAIN_LIMIT_SECONDS + 120)
            window.stop()
            counts_after = backends.service_counts()
        finally:
            clients.close()
            peak_connections = connections.stop() if connections else 0
        peak = servers.peak_mb()
    latencies = merged_latencies(replies)
    first = min(r["first_send_ns"] for r in replies if r["first_send_ns"])
    last = max(r["last_receive_ns"] for r in replies)
    # Lost: a stored message that a member did not receive (members that never connected
    # included). Refused: a message the server did not store (it answered with an error).
    stored = in_django(stored_messages, backends.env(), room_id)
    receipts = [sum(counts) for counts in zip(*(r["receipts"] for r in replies))]
    return FanoutResult(
        row=row,
        connect_seconds=connect_seconds,
        latencies_us=latencies,
        deliveries=len(latencies),
        lost=sum(row.clients - receipts[g] for g in stored),
        refused=row.messages - len(stored),
        unstored_deliveries=sum(receipts[g] for g in range(row.messages) if g not in stored),
        duplicated=sum(r["duplicated"] for r in replies),
        out_of_order=sum(r["out_of_order"] for r in replies),
        span_seconds=max(1e-9, (last - first) / 1e9),
        server_cpu=window.server,
        window_seconds=window.seconds,
        peak_mb=peak,
        client_cpu=sum(r["client_cpu"] for r in replies),
        postgres_cpu=window.postgres,
        redis_cpu=window.redis,
        machine_cpu=window.machine,
        error_frames=sum(r["error_frames"] for r in replies),
        error_sample=next((r["error_sample"] for r in replies if r["error_sample"]), ""),
        closed_early=sum(r["closed_early"] for r in replies),
        connect_failures=failures,
        max_send_lag_ms=max(r["max_send_lag"] for r in replies) * 1000,
        log_problems=servers.problems(),
        peak_connections=peak_connections,
        redis_commands=counts_after[0] - counts_before[0],
        pg_transactions=counts_after[1] - counts_before[1],
    )


def run_idle(sockets, backends, logdir, side, tag, server=asgi_servers.PRODUCTION):
    """sockets idle connections to one process; memory per socket; then one probe message."""
    backends.flush_redis()
    # One extra user for the warm-up socket, which stays connected through the measurement.
    room_id, sessions = make_fixtures(backends, tag, sockets + 1)
    with Servers(1, backends.env(), logdir, tag, server) as servers:
        warm = Clients(room_id, sessions[-1:], servers.ports, PROBE, ClientSide(processes=1))
        try:
            warm.connected()
            wait_for_quiet_machine(side.quiet_wait)
            rss_before = servers.rss_mb()
            cpu_before = servers.cpu(0)
            started = time.monotonic()
            # The probe (message 0) is sent by client 0 after everyone is connected.
            clients = Clients(room_id, sessions[:-1], servers.ports, PROBE, side)
            try:
                connected, failures, _ = clients.connected()
                connect_seconds = time.monotonic() - started
                connect_cpu = servers.cpu(0) - cpu_before
                time.sleep(settle_seconds(connected))
                rss_after = servers.rss_mb()
                clients.go(time.time() + 0.2)
                replies = clients.results(timeout=DRAIN_LIMIT_SECONDS + 120)
            finally:
                clients.close()
            # Everyone again, as after a restart: the handshakes a reconnect storm makes.
            time.sleep(settle_seconds(connected))
            wait_for_quiet_machine(side.quiet_wait)
            cpu_before = servers.cpu(0)
            started = time.monotonic()
            again = Clients(room_id, sessions[:-1], servers.ports, PROBE, side)
            try:
                again_connected, _, _ = again.connected()
                again_seconds = time.monotonic() - started
                again_cpu = servers.cpu(0) - cpu_before
            finally:
                again.close()
        finally:
            warm.close()
    return IdleResult(
        sockets=sockets,
        layer=backends.layer,
        db=backends.db,
        server=server,
        connected=connected,
        connect_seconds=connect_seconds,
        connect_cpu=connect_cpu,
        rss_before_mb=rss_before,
        rss_after_mb=rss_after,
        probe_received=sum(r["deliveries"] for r in replies),
        probe_max_ms=max(merged_latencies(replies), default=0) / 1000,
        connect_failures=failures,
        closed_early=sum(r["closed_early"] for r in replies),
        log_problems=servers.problems(),
        again_connected=again_connected,
        again_seconds=again_seconds,
        again_cpu=again_cpu,
    )


# --- Reporting -----------------------------------------------------------------------------


def markdown_table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" ---: " for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def fanout_table(results):
    headers = [
        "app", "server", "clients", "rate", "procs", "layer", "db", "msgs", "p50 ms", "p99 ms", "max ms",
        "deliv/s", "µs CPU/deliv", "lost", "dup", "ooo", "refused", "server CPU", "peak MB", "PG conns", "metrics",
    ]  # fmt: skip
    rows = []
    for r in results:
        row = r.row
        rows.append(
            [
                row.app, row.server, row.clients, "burst" if row.burst else f"{row.rate:g}", row.processes,
                row.layer, row.db, row.messages,
                f"{r.percentile_ms(0.50):.1f}", f"{r.percentile_ms(0.99):.1f}", f"{r.percentile_ms(1.0):.1f}",
                f"{r.per_second:,.0f}", f"{r.cpu_per_delivery_us:.1f}",
                r.lost, r.duplicated, r.out_of_order, r.refused,
                f"{100 * r.server_cpu / r.window_seconds:.0f} %", f"{r.peak_mb:.0f}",
                r.peak_connections if row.db == "postgres" else "–", "on" if row.metrics else "off",
            ]
        )  # fmt: skip
    return markdown_table(headers, rows)


def cpu_table(results):
    headers = [
        "app", "server", "clients", "rate", "procs", "senders", "connect s", "server CPU", "client CPU",
        "postgres CPU", "redis CPU", "other CPU", "Redis cmds/msg", "PG xacts/msg", "max send lag ms",
        "error frames", "closed",
    ]  # fmt: skip
    rows = []
    for r in results:
        row, w = r.row, r.window_seconds
        rows.append(
            [
                row.app, row.server, row.clients, "burst" if row.burst else f"{row.rate:g}", row.processes,
                row.senders, f"{r.connect_seconds:.1f}", f"{100 * r.server_cpu / w:.0f} %",
                f"{100 * r.client_cpu / w:.0f} %", f"{100 * r.postgres_cpu / w:.0f} %", f"{100 * r.redis_cpu / w:.0f} %",
                f"{100 * r.other_cpu / w:.0f} %",
                f"{r.redis_commands / max(1, row.messages):.0f}" if row.layer == "redis" else "–",
                f"{r.pg_transactions / max(1, row.messages):.1f}" if row.db == "postgres" else "–",
                f"{r.max_send_lag_ms:.0f}",
                r.error_frames, r.closed_early + r.connect_failures,
            ]
        )  # fmt: skip
    return markdown_table(headers, rows)


def comparison_table(results):
    """Each product row beside the textbook row measured under the same conditions."""
    textbook = {(r.row.server, r.row.clients, r.row.rate, r.row.processes, r.row.burst, r.row.layer, r.row.db): r
                for r in results if r.row.app == "textbook"}  # fmt: skip
    rows = []
    for r in results:
        row = r.row
        base = textbook.get((row.server, row.clients, row.rate, row.processes, row.burst, row.layer, row.db))
        if row.app != "product" or base is None:
            continue
        rows.append(
            [
                row.server, row.clients, "burst" if row.burst else f"{row.rate:g}", row.processes,
                f"{base.percentile_ms(0.99):.1f} → {r.percentile_ms(0.99):.1f}",
                f"{base.percentile_ms(0.99) / max(1e-9, r.percentile_ms(0.99)):.1f}×",
                f"{base.cpu_per_delivery_us:.1f} → {r.cpu_per_delivery_us:.1f}",
                f"{base.cpu_per_delivery_us / max(1e-9, r.cpu_per_delivery_us):.1f}×",
                f"{base.per_second:,.0f} → {r.per_second:,.0f}",
                f"{r.per_second / max(1e-9, base.per_second):.1f}×",
            ]
        )  # fmt: skip
    if not rows:
        return None
    headers = [
        "server", "clients", "rate", "procs", "p99 ms textbook → product", "p99 ratio",
        "µs CPU/deliv textbook → product", "CPU ratio", "deliv/s textbook → product", "deliv/s ratio",
    ]  # fmt: skip
    return markdown_table(headers, rows)


def idle_table(results):
    headers = [
        "server", "idle sockets", "layer", "db", "connected", "connect s", "handshakes/s", "CPU ms/handshake",
        "RSS before MB", "RSS after MB", "KB/socket", "got probe", "probe max ms",
        "again: handshakes/s", "again: CPU ms/handshake",
    ]  # fmt: skip
    rows = [
        [
            r.server, r.sockets, r.layer, r.db, r.connected, f"{r.connect_seconds:.1f}", f"{r.handshakes_per_second:,.0f}",
            f"{r.handshake_cpu_ms:.2f}", f"{r.rss_before_mb:.0f}", f"{r.rss_after_mb:.0f}", f"{r.kb_per_socket:.1f}",
            r.probe_received, f"{r.probe_max_ms:.0f}", f"{r.again_per_second:,.0f}", f"{r.again_cpu_ms:.2f}",
        ]
        for r in results
    ]  # fmt: skip
    return markdown_table(headers, rows)


def _on_production_backends(r):
    return r.layer == "redis" and r.db == "postgres"


def check_targets(fanouts, idles):
    """
    (verdict, text) for every target of issue 15: True met, False missed, None not measured
    in this run (no row of its kind on PostgreSQL + Redis).
    """
    verdicts = []
    for r in fanouts:
        clean = r.lost == 0 and r.duplicated == 0 and r.out_of_order == 0 and r.unstored_deliveries == 0
        if r.row.app == "product" or not clean:
            verdicts.append(
                (
                    clean if r.row.app == "product" else None,
                    f"{r.label}: 0 lost, 0 dup, 0 out of order, nothing delivered unstored "
                    f"(got {r.lost}, {r.duplicated}, {r.out_of_order}, {r.unstored_deliveries})"
                    + ("" if r.row.app == "product" else "; the baseline, not a target"),
                )
            )
    for r in idles:
        live = r.connected == r.sockets and r.probe_received == r.connected
        verdicts.append((live, f"{r.label}: all connected and live (got {r.connected:,}, probe reached {r.probe_received:,})"))

    product = [r for r in fanouts if r.row.app == "product" and _on_production_backends(r.row)]
    headline = [r for r in product if not r.row.burst and (r.row.clients, r.row.rate, r.row.processes) == HEADLINE]
    bursts = [
        r for r in product
        if r.row.burst and (r.row.clients, r.row.messages, r.row.processes) == (BURST_CLIENTS, BURST_MESSAGES, BURST_PROCESSES)
    ]  # fmt: skip
    shakes = [r for r in idles if _on_production_backends(r)]
    big_idle = [r for r in shakes if r.sockets >= IDLE_TARGET_SOCKETS]
    c, rate, procs = HEADLINE

    def each(results, what, met, got):
        if not results:
            verdicts.append((None, f"{what}: not measured"))
        for r in results:
            verdicts.append((met(r), f"{what}, {r.row.server if hasattr(r, 'row') else r.server}: got {got(r)}"))

    each(headline, f"p99 < {P99_TARGET_MS} ms at C = {c} × {rate:g} msg/s on {procs} processes",
         lambda r: r.percentile_ms(0.99) < P99_TARGET_MS, lambda r: f"{r.percentile_ms(0.99):.1f} ms")
    each(headline, f"≤ {CPU_PER_DELIVERY_TARGET_US} µs server CPU per delivery (same row)",
         lambda r: r.cpu_per_delivery_us <= CPU_PER_DELIVERY_TARGET_US, lambda r: f"{r.cpu_per_delivery_us:.1f} µs")
    each(bursts, f"burst of {BURST_MESSAGES} messages to C = {BURST_CLIENTS} on {BURST_PROCESSES} processes "
         f"≥ {BURST_TARGET_PER_S:,} deliveries/s",
         lambda r: r.per_second >= BURST_TARGET_PER_S, lambda r: f"{r.per_second:,.0f}/s")
    each(shakes, f"handshakes ≥ {HANDSHAKES_TARGET_PER_S}/s per process, ≤ {HANDSHAKE_CPU_TARGET_MS:g} ms CPU each",
         lambda r: r.handshakes_per_second >= HANDSHAKES_TARGET_PER_S and r.handshake_cpu_ms <= HANDSHAKE_CPU_TARGET_MS,
         lambda r: f"{r.handshakes_per_second:,.0f}/s, {r.handshake_cpu_ms:.2f} ms ({r.sockets:,} sockets)")
    each(shakes, f"again (everyone reconnecting, caches warm) ≥ {HANDSHAKES_TARGET_PER_S}/s per process, "
         f"≤ {HANDSHAKE_CPU_TARGET_MS:g} ms CPU each",
         lambda r: r.again_per_second >= HANDSHAKES_TARGET_PER_S and r.again_cpu_ms <= HANDSHAKE_CPU_TARGET_MS,
         lambda r: f"{r.again_per_second:,.0f}/s, {r.again_cpu_ms:.2f} ms ({r.again_connected:,} sockets)")
    each(big_idle, f"idle socket ≤ {IDLE_TARGET_KB} KB at {IDLE_TARGET_SOCKETS:,}",
         lambda r: r.kb_per_socket <= IDLE_TARGET_KB, lambda r: f"{r.kb_per_socket:.1f} KB")
    return verdicts  # fmt: skip


def report(fanouts, idles, notes):
    print()
    if fanouts:
        print("Fan-out (latency from send to receipt, over every member; µs CPU/deliv = server CPU / deliveries):\n")
        print(fanout_table(fanouts))
        comparison = comparison_table(fanouts)
        if comparison:
            print("\nThe product against the textbook consumer (bench/textbook.py), same conditions:\n")
            print(comparison)
        print("\nWhere the CPU went (send window; 100 % = one core of this machine):\n")
        print(cpu_table(fanouts))
    if idles:
        print("\nHandshakes and idle sockets in one server process:\n")
        print(idle_table(idles))
    for note in notes:
        print(f"\n{note}")
    for r in fanouts:
        if r.error_sample:
            print(f"\n{r.label}: {r.error_frames} error fragments, e.g. “{r.error_sample}”")
    for r in [*fanouts, *idles]:
        if r.log_problems:
            print(f"\nserver logs, {r.label}:")
            for line in r.log_problems:
                print(f"    {line}")
    verdicts = check_targets(fanouts, idles)
    print("\nTargets (issue 15; PostgreSQL + Redis):")
    for ok, text in verdicts:
        print(f"  {'met   ' if ok else 'not measured' if ok is None else 'MISSED'}  {text}")
    return all(ok is not False for ok, _ in verdicts)


# --- Command line --------------------------------------------------------------------------

# (db, layer, [(clients, rate, processes, burst)], [idle sockets])
QUICK = [("sqlite", "memory", [(10, 20, 1, False), (100, 20, 1, False)], [1000])]
FULL = [
    ("sqlite", "memory", [(10, 20, 1, False), (100, 20, 1, False), (500, 20, 1, False)], [1000, 5000, 10000]),
    (
        "postgres",
        "redis",
        [(10, 20, 1, False), (100, 20, 1, False), (500, 20, 1, False), (100, 20, 2, False), (500, 20, 2, False),
         (BURST_CLIENTS, math.inf, BURST_PROCESSES, True)],
        [1000, 5000, 10000],
    ),  # fmt: skip
]
# --compare alone: the rows of the targets, on PostgreSQL + Redis.
TARGETS = [
    (
        "postgres",
        "redis",
        [(*HEADLINE, False), (BURST_CLIENTS, math.inf, BURST_PROCESSES, True)],
        [IDLE_TARGET_SOCKETS],
    )
]


def int_list(text):
    return [int(x) for x in text.split(",") if x.strip()]


def float_list(text):
    return [float(x) for x in text.split(",") if x.strip()]


def server_list(text):
    names = [x.strip() for x in text.split(",") if x.strip()]
    unknown = [name for name in names if name not in asgi_servers.SERVERS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown server {', '.join(unknown)}; choose from {', '.join(asgi_servers.SERVERS)}")
    return names


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Fan-out benchmark for the chat WebSocket (see the docstring at the top of this file).",
    )
    preset = parser.add_mutually_exclusive_group()
    preset.add_argument("--quick", action="store_true", help="C = 10 and 100 at 20 msg/s, 1,000 idle; SQLite + memory")
    preset.add_argument("--full", action="store_true", help="every README row, on SQLite + memory and PostgreSQL + Redis")
    parser.add_argument(
        "--compare", action="store_true",
        help="run the textbook consumer (bench/textbook.py) beside the product in every fan-out row; "
        "alone, the rows of the targets on PostgreSQL + Redis",
    )  # fmt: skip
    parser.add_argument(
        "--servers", type=server_list, default=[asgi_servers.PRODUCTION],
        help=f"ASGI servers to serve with, comma-separated, of {', '.join(asgi_servers.SERVERS)} "
        f"(default: production's, {asgi_servers.PRODUCTION})",
    )  # fmt: skip
    parser.add_argument("--clients", type=int_list, help="comma-separated client counts C (default 100 unless --idle)")
    parser.add_argument("--rate", type=float_list, default=[20.0], help="messages per second, comma-separated (20)")
    parser.add_argument("--burst", type=int, help="also a row per C and processes: this many messages at once, one per sender")
    parser.add_argument("--processes", type=int_list, default=[1], help="server processes, comma-separated (1)")
    parser.add_argument(
        "--seconds", type=float, help="send for this long: messages = rate x seconds (default 20; --quick 10, --full 30)"
    )
    parser.add_argument("--messages", type=int, help="send this many messages (instead of --seconds)")
    parser.add_argument("--layer", choices=["memory", "redis"], default="memory", help="channel layer (memory)")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite", help="database (sqlite)")
    parser.add_argument("--idle", type=int_list, default=[], help="idle socket counts for one process, comma-separated")
    parser.add_argument("--client-processes", type=int, default=2, help="client processes sharing the sockets (2)")
    parser.add_argument(
        "--connect-concurrency", type=int, default=CONNECT_CONCURRENCY, help=f"handshakes in flight at once, all clients ({CONNECT_CONCURRENCY})"
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=120.0,
        help="before each row, wait up to this many seconds for the machine to be quiet (120)",
    )
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="PostgreSQL server, no database (%(default)s)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9", help="Redis URL; a database other than 0 is flushed (%(default)s)")
    parser.add_argument(
        "--metrics-off", action="store_true",
        help="run each row twice, with the Prometheus metrics on and off (CHAT_METRICS=0), to show what they cost",
    )  # fmt: skip
    parser.add_argument("--keep-logs", action="store_true", help="keep the servers' logs (their folder is printed)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    explicit = args.clients or args.idle or args.burst
    if args.quick or args.full:
        args.plan = QUICK if args.quick else FULL
        args.seconds = args.seconds or (10.0 if args.quick else 30.0)
    elif args.compare and not explicit:
        args.plan = TARGETS
        args.seconds = args.seconds or 20.0
    else:
        clients = args.clients or ([] if args.idle and not args.burst else [100])
        rows = [(c, r, p, False) for c in clients for r in args.rate for p in args.processes]
        if args.burst:
            rows += [(c, math.inf, p, True) for c in clients for p in args.processes]
        args.plan = [(args.db, args.layer, rows, args.idle)]
        args.seconds = args.seconds or 20.0
    args.apps = ["product", "textbook"] if args.compare else ["product"]
    args.metrics_modes = [True, False] if args.metrics_off else [True]
    for db, layer, rows, _ in args.plan:
        if layer == "memory" and any(p > 1 for _, _, p, _ in rows):
            parser.error("the in-memory layer works with one process only: use --layer redis for --processes 2")
    return args


def server_version():
    """The commit the servers run, and whether the work tree differs from it."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    changed = [line for line in git("status", "--porcelain", "--untracked-files=no").splitlines() if line]
    version = git("log", "-1", "--format=%h %s")[:90] or "unknown"
    return version + (f" (+ uncommitted changes in {len(changed)} files)" if changed else "")


def machine_load():
    """The load averages, and the busiest other processes right now (the machine is shared)."""
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    top = subprocess.run(["ps", "-eo", "pcpu,comm", "--sort=-pcpu"], capture_output=True, text=True).stdout.splitlines()[1:6]
    return f"load average {load}; busiest processes (ps %CPU, over their lifetime): " + ", ".join(
        " ".join(line.split()[::-1]) + " %" for line in top
    )


def main(argv=None):
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="chatsite-bench-"))
    (workdir / "static").mkdir()  # the servers' STATIC_ROOT (nothing is collected)
    fanouts, idles, notes = [], [], []
    side = ClientSide(args.client_processes, args.connect_concurrency, args.quiet_wait)
    print(f"server code: {server_version()}")
    print(f"command: bench/fanout.py {' '.join(argv if argv is not None else sys.argv[1:])}")
    print(f"before: {machine_load()}")
    print(
        f"servers: {', '.join(args.servers)} (chatsite/servers.py; DEBUG=0, no access log); applications: "
        f"{', '.join(args.apps)}; client processes: {side.processes}, {side.connect_concurrency} handshakes at once; "
        f"logs in {workdir}"
    )
    n = 0
    try:
        for db, layer, rows, idle_counts in args.plan:
            with Backends(db, layer, args.postgres, args.redis, workdir) as backends:
                for clients, rate, processes, burst in rows:
                    if burst:
                        messages = args.burst or BURST_MESSAGES
                    else:
                        messages = args.messages or max(1, round(rate * args.seconds))
                    for server in args.servers:
                        for app, metrics in [(app, metrics) for app in args.apps for metrics in args.metrics_modes]:
                            row = Row(clients, rate, messages, processes, layer, db, server, app, burst, metrics)
                            if row.rate_limit_override and server == args.servers[0] and app == "product":
                                notes.append(
                                    f"C={clients} {'burst' if burst else f'at {rate:g} msg/s'} ({db}/{layer}): {row.senders} "
                                    f"senders are too few for the default limit ({RATE_LIMIT} per {RATE_WINDOW:g} s), so "
                                    f"CHAT_RATE_LIMIT={row.rate_limit_override} for that row."
                                )
                            what = f"a burst of {messages} messages" if burst else f"{rate:g} msg/s, {messages} messages"
                            print(f"  {app} on {server}, {db}/{layer}: {clients} clients, {what} from {row.senders} senders, "
                                  f"{processes} process(es), metrics {'on' if metrics else 'off'} ...", flush=True)  # fmt: skip
                            n += 1
                            result = run_fanout(row, backends, workdir, side, f"{db[:2]}{layer[:2]}f{n}")
                            print(f"    p99 {result.percentile_ms(0.99):.1f} ms, {result.per_second:,.0f} deliveries/s, "
                                  f"{result.cpu_per_delivery_us:.1f} µs CPU each, lost {result.lost}, "
                                  f"dup {result.duplicated}, ooo {result.out_of_order}", flush=True)  # fmt: skip
                            fanouts.append(result)
                for sockets in idle_counts:
                    for server in args.servers:
                        print(f"  product on {server}, {db}/{layer}: {sockets} idle sockets ...", flush=True)
                        n += 1
                        result = run_idle(sockets, backends, workdir, side, f"{db[:2]}{layer[:2]}i{n}", server)
                        print(f"    {result.handshakes_per_second:,.0f} handshakes/s, {result.handshake_cpu_ms:.2f} ms CPU each, "
                              f"{result.kb_per_socket:.1f} KB/socket, probe reached {result.probe_received}; again "
                              f"{result.again_per_second:,.0f}/s, {result.again_cpu_ms:.2f} ms", flush=True)  # fmt: skip
                        idles.append(result)
    finally:
        if not args.keep_logs:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nafter: {machine_load()}")
    ok = report(fanouts, idles, notes)
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
