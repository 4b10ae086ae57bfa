"""The rate limit every send, rename, friend request and email counts against (core.counters)."""

import threading
import uuid

import pytest
from django.conf import settings as django_settings

from core import counters
from core.counters import RateLimit


@pytest.fixture
def limit(settings, monkeypatch):
    """At most 3 per 10 s, on a clock the test moves (starting at a bucket's start)."""
    settings.TEST_LIMIT, settings.TEST_WINDOW = 3, 10
    clock = {"t": 1_000_000.0}
    monkeypatch.setattr(counters, "now", lambda: clock["t"])
    rate = RateLimit(f"test-{uuid.uuid4().hex}", "TEST_LIMIT", "TEST_WINDOW")
    rate.clock = clock
    return rate


def test_at_most_the_limit_per_window_and_a_refusal_is_not_counted(limit):
    assert [limit.allow("alice") for _ in range(5)] == [True, True, True, False, False]
    assert limit.allow("bob")  # per key

    limit.clock["t"] += 5  # the window's end: still 3
    assert not limit.allow("alice")
    limit.clock["t"] += 10  # the next bucket, half-way: the last one's 3 weigh 1.5
    assert [limit.allow("alice") for _ in range(3)] == [True, True, False]
    limit.clock["t"] += 10  # the bucket after, half-way: the 2 of the last weigh 1
    assert [limit.allow("alice") for _ in range(3)] == [True, True, False]


def test_a_refunded_action_gives_its_place_back(limit):
    assert [limit.allow("alice") for _ in range(3)] == [True, True, True]
    limit.refund("alice")
    assert [limit.allow("alice") for _ in range(2)] == [True, False]


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="atomic on Redis (one script); the in-memory cache is one process's")
def test_actions_at_once_cannot_all_take_the_last_places(limit):
    barrier, allowed = threading.Barrier(12), []

    def act():
        barrier.wait()
        allowed.append(limit.allow("alice"))

    threads = [threading.Thread(target=act) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(allowed) == [False] * 9 + [True] * 3
