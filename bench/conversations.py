#!/usr/bin/env python
"""
The room pane with replies, reactions and mentions, against plain messages (the baseline,
measured in the same run): queries and median milliseconds of `GET /chat/<room>/` with 5, 40
and 200 messages in the room (the pane shows the newest 50), and of the page's message query
alone (`room.messages.page()`, evaluated with its prefetches).

    DEBUG=1 .venv/bin/python bench/conversations.py          # SQLite
    DEBUG=1 DATABASE_URL=postgres://... .venv/bin/python bench/conversations.py

Each message of the "conversation" room is a reply to the one before, mentions the other
person and has two reactions; the "plain" room has the same number of plain messages. The
messages are stored through `Message.objects.post`, as people send them (formatted once).
Data goes into a throwaway database (bench/queries.py's), dropped at the end.
"""

import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from queries import database_label, median_ms, queries_of, throwaway_database  # noqa: E402

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from friends.models import Friendship  # noqa: E402
from rooms.models import Message, Room  # noqa: E402

SIZES = [5, 40, 200]


def build(size, conversation):
    alice = User.objects.create_user(f"a{size}{conversation:d}", f"a{size}{conversation:d}@bench.test", "x", nickname="Alice")
    bob = User.objects.create_user(f"b{size}{conversation:d}", f"b{size}{conversation:d}@bench.test", "x", nickname="Bob")
    Friendship.objects.befriend(alice, bob)
    room, _ = Room.objects.get_or_create_direct(alice, bob)
    people, previous = [alice, bob], None
    for n in range(size):
        sender, other = people[n % 2], people[(n + 1) % 2]
        if conversation:
            previous = Message.objects.post(room, sender, f"**message** {n} for @{other.username}", reply_to=previous)
            previous.react(alice, "👍")
            previous.react(bob, "🎉")
        else:
            Message.objects.post(room, sender, f"message {n} for {other.username}")
    return alice, room


def measure(size, conversation):
    alice, room = build(size, conversation)
    client = Client()
    client.force_login(alice)
    url = room.get_absolute_url()

    def chat_page():
        assert client.get(url).status_code == 200

    def pane_messages():
        for message in room.messages.page().messages:
            message.reaction_summary, message.reply_to

    chat_page()  # warm: the session, the content types
    return {name: (queries_of(op), median_ms(op)) for name, op in [("page", chat_page), ("messages", pane_messages)]}


def main():
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.CHAT_RATE_LIMIT = 10**9  # the data is built through the send path
    logging.disable(logging.INFO)
    with throwaway_database():
        label = database_label()
        results = {(size, c): measure(size, c) for size in SIZES for c in (False, True)}
    print(f"Messages in the room vs. queries · median ms, on {label} (the pane shows the newest 50):\n")
    print("| operation | " + " | ".join(f"{size} messages" for size in SIZES) + " |")
    print("| --- |" + " ---: |" * len(SIZES))
    rows = [
        ("whole chat page, plain messages (baseline)", "page", False),
        ("whole chat page, each a reply with 2 reactions and a mention", "page", True),
        ("the pane's messages, plain (baseline)", "messages", False),
        ("the pane's messages, replies and reactions", "messages", True),
    ]
    for title, name, conversation in rows:
        cells = [f"{results[size, conversation][name][0]} · {results[size, conversation][name][1]:.2f} ms" for size in SIZES]
        print(f"| {title} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
