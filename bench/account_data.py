#!/usr/bin/env python
"""
A person's data with N messages: seconds and queries to export it (the ZIP, in memory) and to
delete the account with its messages, on the configured database engine:

    .venv/bin/python bench/account_data.py                  # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chatsite .venv/bin/python bench/account_data.py

Like bench/queries.py it builds its data in a throwaway database and drops it at the end.
For each N, alice has a direct room with bob (N of her messages, N/10 of his), a group with
both, a favorite and a reaction. Rows:

- export: `accounts.export.write` to memory;
- delete, bulk: `accounts.actions.delete_account(delete_messages=True)` as the page runs it
  (rooms.actions._delete_many: chunked updates, each room's newest 50 replaced live), with the
  commit's live frames (published to the in-memory layer);
- delete, one by one (the baseline, measured in the same run on a copy of the data): each
  message through `rooms.actions.delete_message` in one transaction, a frame each, then the
  rest of the deletion. Skipped above BASELINE_MAX messages (it grows linearly).
"""

import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")

import django  # noqa: E402

django.setup()

import io  # noqa: E402
import tempfile  # noqa: E402

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from accounts import export  # noqa: E402
from accounts.actions import delete_account  # noqa: E402
from accounts.models import User  # noqa: E402
from queries import database_label, throwaway_database  # noqa: E402
from rooms import actions as rooms_actions  # noqa: E402
from rooms.models import Favorite, Message, Reaction, Room  # noqa: E402
from friends.models import Friendship  # noqa: E402

SIZES = [200, 1000, 5000]
BASELINE_MAX = 1000
run = 0


def person_with(messages):
    """alice (fresh each time) and her data: returns her."""
    global run
    run += 1
    alice = User.objects.create_user(f"alice{run}", f"alice{run}@bench.test", "x", nickname="Alice")
    bob = User.objects.create_user(f"bob{run}", f"bob{run}@bench.test", "x", nickname="Bob")
    Friendship.objects.befriend(alice, bob)
    room, _ = Room.objects.get_or_create_direct(alice, bob)
    Room.objects.create_group(alice, f"Group {run}", [bob])
    Message.objects.bulk_create(
        [Message(room=room, sender=alice, body=f"note {i} " + "lorem ipsum " * (i % 7)) for i in range(messages)]
        + [Message(room=room, sender=bob, body=f"reply {i}") for i in range(messages // 10)],
        batch_size=5000,
    )
    his = Message.objects.filter(sender=bob).first()
    Favorite.objects.create(user=alice, message=his)
    Reaction.objects.create(user=alice, message=his, emoji="👍")
    return alice


def timed(action):
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(1)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        action()
        seconds = time.perf_counter() - started
    return seconds, len(queries)


def delete_one_by_one(alice):
    with transaction.atomic():
        for message in Message.objects.filter(sender=alice).exclude(kind=Message.Kind.SYSTEM).order_by("pk"):
            rooms_actions.delete_message(message, alice)
        delete_account(alice, delete_messages=False)


def measure(size):
    rows = {}
    alice = person_with(size)
    rows["export"] = timed(lambda: export.write(alice, io.BytesIO()))
    rows["delete, bulk"] = timed(lambda: delete_account(alice, delete_messages=True))
    if size <= BASELINE_MAX:
        copy = person_with(size)
        rows["delete, one by one (baseline)"] = timed(lambda: delete_one_by_one(copy))
    return rows


def main():
    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory() as scratch:
        settings.ATTACHMENTS_ROOT = settings.EXPORTS_ROOT = settings.MEDIA_ROOT = scratch
        with throwaway_database():
            label = database_label()
            results = {}
            for size in SIZES:
                print(f"measuring {size} messages...", file=sys.stderr)
                results[size] = measure(size)
    names = ["export", "delete, bulk", "delete, one by one (baseline)"]
    print(f"Messages of the person vs. seconds · queries, on {label}:\n")
    print("| operation | " + " | ".join(f"{size:,} messages" for size in SIZES) + " |")
    print("| --- |" + " ---: |" * len(SIZES))
    for name in names:
        cells = [
            f"{results[size][name][0]:.2f} s · {results[size][name][1]:,}" if name in results[size] else "—"
            for size in SIZES
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
