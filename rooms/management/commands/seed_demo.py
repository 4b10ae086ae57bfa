"""
Demo data: people, friendships, direct and group rooms, and many messages.

Idempotent: running it again with the same numbers changes nothing, and larger numbers
add only what is missing. Friendships, direct rooms and groups are made through the models'
own methods (Friendship.objects.befriend, Room.objects.get_or_create_direct and
Room.objects.create_group), so every rule holds. Messages are inserted in bulk.
"""

import random
from contextlib import contextmanager
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.management.commands.create_demo_users import DEMO_PASSWORD
from accounts.models import User
from friends.models import Friendship
from core.formatting import render_html
from core.progress import Progress
from rooms.models import Membership, Message, Room

PREFIX = "demo"
FRIENDS_EACH = 3  # each person befriends the next three (a ring), so everyone has six
GROUP_NAME = "Demo group {}"
HISTORY = timedelta(days=7)  # messages are spread over the last week, oldest first
BATCH = 5000

NAMES = [
    "Ada", "Bruno", "Chiara", "Dmitri", "Elif", "Farah", "Goran", "Hana", "Ivo", "Jun",
    "Kasia", "Luca", "Mei", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq",
    "Uma", "Viktor", "Wen", "Xavi", "Yara", "Zeno",
]  # fmt: skip
WORDS = (
    "hello morning coffee lunch train late meeting tonight weekend plan climbing movie "
    "pizza ready sounds good thanks sorry busy later tomorrow photo music game deadline "
    "review ship merge test coffee tea rain sunny park run book dinner call now yes no"
).split()
OPENERS = ["", "", "", "ok ", "haha ", "hey, ", "so ", "btw "]
ENDINGS = ["", "", "", "!", "?", " 🙂", "…", " 👍"]


def username(i):
    return f"{PREFIX}{i:03d}"


def nickname(i):
    name = NAMES[(i - 1) % len(NAMES)]
    return name if i <= len(NAMES) else f"{name} {i}"


class Command(BaseCommand):
    help = (
        "Create demo data, idempotently: N people (demo001, demo002...; password "
        f"{DEMO_PASSWORD!r}), each a friend of the next three; a direct room for each person "
        "and the next; M group rooms; and K messages (in all, from demo people) spread over "
        "those rooms and the last seven days. People, friendships and rooms go through the "
        "models' methods; messages are bulk inserts that skip the per-person send rate limit and the live broadcast "
        "(right for seeding: nobody is connected to see them arrive). Running it again "
        "with the same numbers adds nothing; larger numbers add what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=50, metavar="N", help="people (default 50, at least 2)")
        parser.add_argument("--rooms", type=int, default=10, metavar="M", help="group rooms (default 10)")
        parser.add_argument("--messages", type=int, default=5000, metavar="K", help="messages in all (default 5,000)")
        parser.add_argument("--seed", type=int, default=2026, help="random seed, for repeatable text (default 2026)")

    def handle(self, *args, users, rooms, messages, seed, **options):
        if users < 2:
            raise CommandError("--users must be at least 2: friendships need two people.")
        if rooms < 0 or messages < 0:
            raise CommandError("--rooms and --messages cannot be negative.")
        self.quiet = options["verbosity"] == 0
        self.random = random.Random(seed)

        people = self.seed_people(users)
        self.seed_friendships(people)
        direct = self.seed_direct_rooms(people)
        groups = self.seed_groups(people, rooms)
        added = self.seed_messages(people, direct + groups, messages)

        self.stdout.write(
            f"Demo data: {len(people):,} people, {len(direct):,} direct rooms, {len(groups):,} groups, "
            f"{added:,} new messages ({Message.objects.filter(sender__in=people, kind=Message.Kind.TEXT).count():,} "
            "from demo people in all)."
        )
        self.stdout.write(f"Log in as {username(1)} (or any demo person) with the password {DEMO_PASSWORD}.")

    # --- People and friendships ----------------------------------------------------------

    def seed_people(self, count):
        names = [username(i) for i in range(1, count + 1)]
        existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
        password = make_password(DEMO_PASSWORD)  # hashed once: hashing is slow on purpose
        missing = [
            User(username=name, nickname=nickname(i), email=f"{name}@example.com", password=password)
            for i, name in enumerate(names, start=1)
            if name not in existing
        ]
        with Progress(self.stderr, "people", len(missing), self.quiet) as bar:
            for start in range(0, len(missing), BATCH):
                User.objects.bulk_create(missing[start : start + BATCH])
                bar.advance(len(missing[start : start + BATCH]))
        by_name = User.objects.in_bulk(names, field_name="username")
        return [by_name[name] for name in names]

    def pairs(self, people):
        """Each person and the next FRIENDS_EACH people around the ring, each pair once."""
        count = len(people)
        seen = set()
        for i, person in enumerate(people):
            for step in range(1, min(FRIENDS_EACH, count - 1) + 1):
                other = people[(i + step) % count]
                key = tuple(sorted((person.pk, other.pk)))
                if key not in seen:
                    seen.add(key)
                    yield person, other

    def seed_friendships(self, people):
        ids = [p.pk for p in people]
        existing = set(
            Friendship.objects.filter(user_low__in=ids, user_high__in=ids).values_list("user_low_id", "user_high_id")
        )
        missing = [(a, b) for a, b in self.pairs(people) if tuple(sorted((a.pk, b.pk))) not in existing]
        with Progress(self.stderr, "friendships", len(missing), self.quiet) as bar, transaction.atomic():
            for a, b in missing:
                Friendship.objects.befriend(a, b)
                bar.advance()

    # --- Rooms ----------------------------------------------------------------------------

    def seed_direct_rooms(self, people):
        """The direct room of each person and the next one (found, or made the first time)."""
        count = len(people)
        pairs = [(people[i], people[(i + 1) % count]) for i in range(count if count > 2 else 1)]
        rooms = []
        with Progress(self.stderr, "direct rooms", len(pairs), self.quiet) as bar, transaction.atomic():
            for a, b in pairs:
                room, _ = Room.objects.get_or_create_direct(a, b)
                rooms.append(room)
                bar.advance()
        return rooms

    def seed_groups(self, people, count):
        """Groups "Demo group 1".."Demo group M", each owned by a demo person with their friends."""
        names = [GROUP_NAME.format(n) for n in range(1, count + 1)]
        ids = [p.pk for p in people]
        existing = {
            room.name: room
            for room in Room.objects.filter(kind=Room.Kind.GROUP, name__in=names, created_by__in=ids).order_by("pk")
        }
        groups = []
        with Progress(self.stderr, "groups", count, self.quiet) as bar, transaction.atomic():
            for n, name in enumerate(names):
                room = existing.get(name)
                if room is None:
                    owner_index = (n * 7) % len(people)
                    owner = people[owner_index]
                    friends = [people[(owner_index + step) % len(people)] for step in range(1, FRIENDS_EACH + 1)]
                    room = Room.objects.create_group(owner, name, [f for f in friends if f.pk != owner.pk])
                groups.append(room)
                bar.advance()
        return groups

    # --- Messages -------------------------------------------------------------------------

    def seed_messages(self, people, rooms, target):
        """Bulk-insert messages in rooms until the demo people have sent `target` in all."""
        have = Message.objects.filter(sender__in=people, kind=Message.Kind.TEXT).count()
        missing = max(0, target - have)
        members = {}
        for room_id, user_id in Membership.objects.filter(room__in=rooms).values_list("room_id", "user_id"):
            members.setdefault(room_id, []).append(user_id)
        room_ids = [room.pk for room in rooms if members.get(room.pk)]
        if not missing or not room_ids:
            with Progress(self.stderr, "messages", 0, self.quiet):
                return 0
        now = timezone.now()
        start = now - HISTORY
        step = HISTORY / missing
        pick = self.random.choice
        with Progress(self.stderr, "messages", missing, self.quiet) as bar, _created_at_as_given(Message):
            for first in range(0, missing, BATCH):
                batch = []
                for n in range(first, min(missing, first + BATCH)):
                    room_id = pick(room_ids)
                    body = self.sentence()
                    batch.append(
                        Message(
                            room_id=room_id,
                            sender_id=pick(members[room_id]),
                            kind=Message.Kind.TEXT,
                            body=body,
                            body_html=render_html(body),  # as Message.objects.post stores it
                            created_at=start + step * n,
                        )
                    )
                Message.objects.bulk_create(batch)
                bar.advance(len(batch))
        # Everyone has read their rooms up to now, as if they had been following along.
        newest = Message.objects.filter(room=OuterRef("room")).order_by("-pk").values("pk")[:1]
        Membership.objects.filter(room__in=room_ids).update(
            last_read_message_id=Coalesce(Subquery(newest), F("last_read_message_id"))
        )
        return missing

    def sentence(self):
        words = self.random.choices(WORDS, k=self.random.randint(2, 12))
        return (self.random.choice(OPENERS) + " ".join(words) + self.random.choice(ENDINGS)).capitalize()


@contextmanager
def _created_at_as_given(model):
    """
    Keep the `created_at` set on each message (a week of history in id order) instead of
    `auto_now_add` stamping every row "now" during bulk_create. Only for this command.
    """
    field = model._meta.get_field("created_at")
    field.auto_now_add = False
    try:
        yield
    finally:
        field.auto_now_add = True
