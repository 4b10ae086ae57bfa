#!/usr/bin/env python
"""
Queries and median milliseconds of the room operations at 10, 100, 200 and 1,000 rooms per
user, on the configured database engine:

    .venv/bin/python bench/queries.py                      # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chatsite .venv/bin/python bench/queries.py

It sets Django up itself and builds its data in a throwaway database made the way the tests
make theirs (a temporary SQLite file, or a `bench_<name>_<pid>` PostgreSQL database) and
drops it at the end: the configured database is never touched.

For each size, alice and bob are friends with a direct room of 200 messages, and each has
size - 1 more direct rooms (3 messages each) with other friends. Rows:

- get_or_create_direct, the room exists / is new (a fresh friend each run);
- the same lookup done naively, for comparison: both users' rooms and their members loaded
  and intersected in Python, lazily (N+1 queries) or prefetched;
- the room list (`Room.objects.for_user`): the first 50, as the chat page shows it, and all;
- the open room's first page of messages;
- the whole chat page (`GET /chat/<room>/` through Django's test client: middleware, session,
  the room list, the messages, the template).
"""

import logging
import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from friends.models import Friendship  # noqa: E402
from rooms.models import Membership, Message, Room, direct_key  # noqa: E402

SIZES = [10, 100, 200, 1000]
OPEN_ROOM_MESSAGES = 200
FILLER_MESSAGES = 3
NEW_ROOM_RUNS = 30
TIME_BUDGET = 1.0  # seconds of timing per operation and size (at least 5 runs)


@contextmanager
def throwaway_database():
    """A fresh, migrated database of this run's own, dropped afterwards."""
    db = connection.settings_dict
    original_name = db["NAME"]
    with tempfile.TemporaryDirectory() as scratch:
        if connection.vendor == "sqlite":
            db.setdefault("TEST", {})["NAME"] = str(Path(scratch) / "bench.sqlite3")
        else:
            db.setdefault("TEST", {})["NAME"] = f"bench_{original_name}_{os.getpid()}"
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            yield
        finally:
            connection.creation.destroy_test_db(original_name, verbosity=0)


# --- Data -----------------------------------------------------------------------------------


def make_users(prefix, count):
    return User.objects.bulk_create(
        [
            User(username=f"{prefix}{i}", nickname=f"{prefix} {i}", email=f"{prefix}{i}@bench.test", password="!")
            for i in range(count)
        ]
    )


def by_id(user):
    return user.pk


def befriend_all(pairs):
    Friendship.objects.bulk_create(
        [Friendship(user_low=min(pair, key=by_id), user_high=max(pair, key=by_id)) for pair in pairs]
    )


def connect(pairs, messages_per_room):
    """Friendships and direct rooms with messages for (user, friend) pairs, in bulk."""
    befriend_all(pairs)
    rooms = Room.objects.bulk_create(
        [Room(kind=Room.Kind.DIRECT, direct_key=direct_key(a, b), created_by=a) for a, b in pairs]
    )
    Membership.objects.bulk_create(
        [Membership(room=room, user=user) for room, pair in zip(rooms, pairs) for user in pair]
    )
    Message.objects.bulk_create(
        [
            Message(room=room, sender=pair[i % 2], body=f"message {i} " + "lorem ipsum " * (i % 7))
            for room, pair in zip(rooms, pairs)
            for i in range(messages_per_room)
        ],
        batch_size=5000,
    )
    return rooms


def build(size):
    """alice and bob with `size` rooms each (their own included), and fresh friends for alice."""
    alice, bob = make_users(f"s{size}pair", 2)
    [room] = connect([(alice, bob)], OPEN_ROOM_MESSAGES)
    for person in (alice, bob):
        fillers = make_users(f"s{size}u{person.pk}f", size - 1)
        connect([(person, friend) for friend in fillers], FILLER_MESSAGES)
    fresh = make_users(f"s{size}new", NEW_ROOM_RUNS)
    befriend_all([(alice, friend) for friend in fresh])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics, as a live database has them
    return alice, bob, room, fresh


# --- The naive lookup, for comparison ---------------------------------------------------------


def naive_lazy(user, other):
    """Both users' rooms, each room's members loaded on access (N+1), intersected in Python."""

    def direct_rooms(person):
        return {
            room.pk: {m.user_id for m in room.memberships.all()}
            for room in Room.objects.filter(memberships__user=person, kind=Room.Kind.DIRECT)
        }

    mine, theirs = direct_rooms(user), direct_rooms(other)
    return next(pk for pk in mine.keys() & theirs.keys() if mine[pk] == {user.pk, other.pk})


def naive_prefetched(user, other):
    """The same with the members prefetched: few queries, but every room of both is loaded."""

    def direct_rooms(person):
        rooms = Room.objects.filter(memberships__user=person, kind=Room.Kind.DIRECT).prefetch_related("memberships")
        return {room.pk: {m.user_id for m in room.memberships.all()} for room in rooms}

    mine, theirs = direct_rooms(user), direct_rooms(other)
    return next(pk for pk in mine.keys() & theirs.keys() if mine[pk] == {user.pk, other.pk})


# --- Measuring ------------------------------------------------------------------------------


def queries_of(operation):
    count = 0

    def counted(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counted):
        operation()
    return count


def median_ms(operation):
    times = []
    started = time.perf_counter()
    while len(times) < 5 or (time.perf_counter() - started < TIME_BUDGET and len(times) < 500):
        t = time.perf_counter()
        operation()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def measure_new_rooms(alice, fresh):
    """get_or_create_direct creating a room: each run with a friend alice has no room with."""
    friends = iter(fresh)
    count = queries_of(lambda: Room.objects.get_or_create_direct(alice, next(friends)))
    times = []
    for friend in friends:
        t = time.perf_counter()
        _, created = Room.objects.get_or_create_direct(alice, friend)
        times.append(time.perf_counter() - t)
        assert created
    return count, statistics.median(times) * 1000


def measure(size):
    alice, bob, room, fresh = build(size)
    assert Room.objects.with_member(alice).count() == size
    client = Client()
    client.force_login(alice)
    url = room.get_absolute_url()

    def chat_page():
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    operations = {
        "get_or_create_direct, room exists": lambda: Room.objects.get_or_create_direct(alice, bob),
        "naive lookup, members lazily (N+1)": lambda: naive_lazy(alice, bob),
        "naive lookup, members prefetched": lambda: naive_prefetched(alice, bob),
        "room list, the first 50 (as the page shows)": lambda: list(Room.objects.for_user(alice)[:51]),
        "room list, all rooms": lambda: list(Room.objects.for_user(alice)),
        "open room, first page (50 messages)": lambda: room.messages.page(),
        "whole chat page (GET /chat/<room>/)": chat_page,
    }
    results = {name: (queries_of(op), median_ms(op)) for name, op in operations.items()}
    results["get_or_create_direct, new room"] = measure_new_rooms(alice, fresh)
    return results


ROW_ORDER = [
    "get_or_create_direct, room exists",
    "get_or_create_direct, new room",
    "naive lookup, members lazily (N+1)",
    "naive lookup, members prefetched",
    "room list, the first 50 (as the page shows)",
    "room list, all rooms",
    "open room, first page (50 messages)",
    "whole chat page (GET /chat/<room>/)",
]


def database_label():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


def main():
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # Django's test client
    logging.disable(logging.INFO)  # no request log line for each of the page loads
    with throwaway_database():
        label = database_label()
        results = {}
        for size in SIZES:
            print(f"measuring {size} rooms per user...", file=sys.stderr)
            results[size] = measure(size)
    print(f"Rooms per user vs. queries · median ms, on {label}:\n")
    print("| operation | " + " | ".join(f"{size:,} rooms" for size in SIZES) + " |")
    print("| --- |" + " ---: |" * len(SIZES))
    for name in ROW_ORDER:
        cells = [f"{results[size][name][0]:,} · {results[size][name][1]:.2f} ms" for size in SIZES]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
