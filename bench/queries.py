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

Then searching in Chinese at 100,000 messages (`bench/queries.py chinese` measures only this):
`Message.objects.search` for a two- and a three-character word against, in the same run, the
English full-text search (what PostgreSQL did before: it finds nothing) and the same substring
match without the bigram index (a sequential scan). On SQLite the search is the plain match.
"""

import logging
import os
import random
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
from rooms import search  # noqa: E402
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


CHINESE_MESSAGES = 100_000
# Words the messages are made of (many made-up ones, of common characters) and the ones searched.
CHINESE_CHARACTERS = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严"


def chinese_messages(count):
    """count messages of 4 to 12 made-up two-character words; every 5,000th says 用微信 or 微信."""
    rng = random.Random(17)
    words = ["".join(rng.sample(CHINESE_CHARACTERS, 2)) for _ in range(3000)]
    words = [w for w in words if w not in ("微信", "用微", "信")]
    bodies = []
    for i in range(count):
        body = "".join(rng.choices(words, k=rng.randint(4, 12)))
        if i % 5000 == 0:
            body += "，我们用微信聊吧" if i % 10000 == 0 else "，微信上说"
        bodies.append(body)
    return bodies


def measure_chinese_search():
    """Rows of the Chinese search table: (name, hits, median ms)."""
    alice, bob = make_users("zh", 2)
    Friendship.objects.befriend(alice, bob)
    room, _ = Room.objects.get_or_create_direct(alice, bob)
    senders = [alice, bob]
    Message.objects.bulk_create(
        [Message(room=room, sender=senders[i % 2], body=body) for i, body in enumerate(chinese_messages(CHINESE_MESSAGES))],
        batch_size=5000,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE rooms_message")
    mine = Message.objects.visible_to(alice).filter(deleted_at__isnull=True).exclude(kind=Message.Kind.SYSTEM)
    page = Message.SEARCH_PAGE_SIZE + 1

    def first_page(queryset):
        return lambda: list(queryset[:page])

    rows = []
    for word in ("微信", "用微信"):
        operations = {f"Message.objects.search, {len(word)} characters ({word})": lambda w=word: Message.objects.search(alice, w).items}
        if connection.vendor == "postgresql":
            operations[f"baseline: English full-text search ({word})"] = first_page(search.full_text(mine, word))
            operations[f"baseline: substring match, no index ({word})"] = first_page(search.plain(mine, word))
        for name, operation in operations.items():
            rows.append((name, len(operation()), median_ms(operation)))
    return rows


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
    only_chinese = sys.argv[1:] == ["chinese"]
    with throwaway_database():
        label = database_label()
        results = {}
        for size in [] if only_chinese else SIZES:
            print(f"measuring {size} rooms per user...", file=sys.stderr)
            results[size] = measure(size)
        print(f"measuring Chinese search at {CHINESE_MESSAGES:,} messages...", file=sys.stderr)
        chinese = measure_chinese_search()
    if not only_chinese:
        print(f"Rooms per user vs. queries · median ms, on {label}:\n")
        print("| operation | " + " | ".join(f"{size:,} rooms" for size in SIZES) + " |")
        print("| --- |" + " ---: |" * len(SIZES))
        for name in ROW_ORDER:
            cells = [f"{results[size][name][0]:,} · {results[size][name][1]:.2f} ms" for size in SIZES]
            print(f"| {name} | " + " | ".join(cells) + " |")
        print()
    print(f"Chinese search at {CHINESE_MESSAGES:,} messages (first page), on {label}:\n")
    print("| search | found | median ms |")
    print("| --- | ---: | ---: |")
    for name, hits, ms in chinese:
        print(f"| {name} | {hits} | {ms:.2f} |")


if __name__ == "__main__":
    main()
