"""
Pooled PostgreSQL connections: a server process holds at most DATABASE_POOL_MAX_SIZE connections
however many requests and sockets it serves at once, and says so in /healthz. Without the
pool a process opens a connection per thread that ran database code, without bound.
"""

import asyncio
import json
import os
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import psycopg
from asgiref.sync import sync_to_async

from accounts.tests.factories import UserFactory
from chatsite.tests.topology import MARKS
from conftest import LiveServer, server_env
from friends.models import Friendship
from rooms.models import Room
from rooms.tests.test_multiprocess import Tab, session_for

pytestmark = MARKS


class ConnectionCounter:
    """Samples pg_stat_activity for one server process's connections (application_name)."""

    def __init__(self, pid):
        self.name = f"chat-{pid}"
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        from django.db import connection

        params = connection.get_connection_params()
        conninfo = {key: params[key] for key in ("host", "port", "user", "password") if params.get(key)}
        with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as db:
            while not self._stop.is_set():
                (count,) = db.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [self.name]).fetchone()
                self.peak = max(self.peak, count)
                time.sleep(0.01)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)


def load(server, people, requests=120, at_once=24):
    """Chat pages for several people at once; the status of each."""
    sessions = [session_for(person) for person in people]

    def page(n):
        request = urllib.request.Request(server.url + "/chat/", headers={"Cookie": f"sessionid={sessions[n % len(sessions)]}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    with ThreadPoolExecutor(at_once) as pool:
        return list(pool.map(page, range(requests)))


async def serve_under_load(tmp_path, pool_size, requests=120, at_once=24):
    people = await sync_to_async(lambda: UserFactory.create_batch(6))()
    def rooms():
        for other in people[1:]:
            Friendship.objects.befriend(people[0], other)
            Room.objects.get_or_create_direct(people[0], other)

    await sync_to_async(rooms)()
    env = server_env({"DATABASE_POOL_MAX_SIZE": str(pool_size), "REDIS_URL": os.environ.get("REDIS_URL", "")})
    server = await sync_to_async(LiveServer)(env, tmp_path / f"daphne-pool-{pool_size}.log")
    tabs = []
    try:
        with ConnectionCounter(server.process.pid) as counter:
            sessions = await sync_to_async(lambda: [session_for(people[n % 6]) for n in range(20)])()
            tabs = await asyncio.gather(*(Tab.open(server, key) for key in sessions))
            statuses = await sync_to_async(load)(server, people, requests, at_once)
            with urllib.request.urlopen(server.url + "/healthz", timeout=10) as response:
                health = json.loads(response.read())
        return statuses, counter.peak, health
    finally:
        await asyncio.gather(*(tab.close() for tab in tabs))
        await sync_to_async(server.stop)()


async def test_a_process_holds_at_most_its_pool_of_connections_under_load(tmp_path):
    statuses, peak, health = await serve_under_load(tmp_path, pool_size=3)
    assert statuses == [200] * 120
    assert 1 <= peak <= 3, f"{peak} connections with a pool of 3"
    assert health["status"] == "ok"
    assert health["database_pool"]["max_size"] == 3
    assert 1 <= health["database_pool"]["size"] <= 3

    # Without the pool each thread that runs a request keeps a connection of its own (24 at
    # once exhaust a default PostgreSQL's 100 with the rest of a machine's clients): a lighter
    # load shows it without starving other clients.
    statuses, unpooled_peak, health = await serve_under_load(tmp_path, pool_size=0, requests=40, at_once=8)
    assert statuses == [200] * 40
    assert "database_pool" not in health
    print(f"peak PostgreSQL connections of one process: pool of 3 -> {peak}; no pool -> {unpooled_peak}")
    assert unpooled_peak > 3, "without the pool the same load should need more connections (else this test proves nothing)"
