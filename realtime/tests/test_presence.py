"""
Presence counted per process on Redis: a process that dies without closing its sockets takes
its counts with it once it has missed its heartbeats, so the people it held are not online
for ever, nor is their socket cap used up by tabs that are gone.
"""

import os

import pytest
from asgiref.sync import async_to_sync

from realtime.presence import ProcessPresence

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="per-process presence lives on Redis (set REDIS_URL)")


@pytest.fixture
def processes(clock):
    """Two server processes' presence stores on the one Redis."""
    return ProcessPresence(), ProcessPresence()


def test_tabs_on_two_processes_count_together(processes, alice):
    first, second = processes
    assert async_to_sync(first.connected)(alice.pk) == 1
    assert async_to_sync(second.connected)(alice.pk) == 2
    assert first.online([alice.pk]) == second.online([alice.pk]) == {alice.pk}
    assert async_to_sync(second.disconnected)(alice.pk) is False  # her tab on the first is open
    assert async_to_sync(first.disconnected)(alice.pk) is True
    assert first.online([alice.pk]) == set()


def test_a_dead_process_stops_counting_once_it_misses_its_heartbeats(processes, clock, alice, bob):
    dying, surviving = processes
    for _ in range(3):
        async_to_sync(dying.connected)(alice.pk)
    async_to_sync(dying.connected)(bob.pk)
    async_to_sync(surviving.connected)(alice.pk)  # she reconnected one tab to the survivor
    assert async_to_sync(surviving.connected)(alice.pk) == 5

    # The first process is killed: no disconnects, no more heartbeats. The survivor beats on.
    for _ in range(4):
        clock.advance(5)
        async_to_sync(surviving.heartbeat)()
    assert surviving.online([alice.pk, bob.pk]) == {alice.pk}  # bob was only on the dead one
    assert async_to_sync(surviving.connected)(alice.pk) == 3  # her cap counts live tabs only
    async_to_sync(surviving.disconnected)(alice.pk)
    async_to_sync(surviving.disconnected)(alice.pk)
    assert async_to_sync(surviving.disconnected)(alice.pk) is True  # her last live tab: offline
    assert surviving.online([alice.pk]) == set()


def test_a_live_process_keeps_counting_between_heartbeats(processes, clock, alice):
    quiet, other = processes
    async_to_sync(quiet.connected)(alice.pk)
    clock.advance(ProcessPresence.PROCESS_TTL - 1)
    assert other.online([alice.pk]) == {alice.pk}
    async_to_sync(quiet.heartbeat)()
    clock.advance(ProcessPresence.PROCESS_TTL - 1)
    assert other.online([alice.pk]) == {alice.pk}
