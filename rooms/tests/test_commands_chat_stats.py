"""manage.py chat_stats: people, rooms by kind and messages per day, as tables."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from rooms.management.commands.chat_stats import Command
from rooms.models import Message


def stats(*args):
    out = StringIO()
    call_command("chat_stats", *args, stdout=out)
    return out.getvalue()


def row(text, label):
    """The numbers on the table row that starts with label."""
    match = re.search(rf"^{re.escape(label)}\s+([\d,]+)\s*$", text, re.MULTILINE)
    assert match, f"no row {label!r} in:\n{text}"
    return int(match.group(1).replace(",", ""))


def test_people_all_active_in_the_last_day_and_banned(alice, bob, carol, direct_room):
    dave = UserFactory(username="dave")
    User.objects.filter(pk=alice.pk).update(last_login=timezone.now() - timedelta(hours=2))
    User.objects.filter(pk=carol.pk).update(last_login=timezone.now() - timedelta(days=3))
    Message.objects.post(direct_room, bob, "hi")  # bob is active by writing
    User.objects.filter(pk=dave.pk).update(is_active=False)

    text = stats()

    assert row(text, "all") == 4
    assert row(text, "active in the last day") == 2
    assert row(text, "banned") == 1


def test_rooms_by_kind(direct_room, group):
    text = stats()

    assert row(text, "direct") == 1
    assert row(text, "group") == 1


def test_messages_per_day_for_the_last_seven_days_without_system_lines(direct_room, group, alice, bob):
    today = timezone.localdate()
    for days_ago, count in [(0, 3), (2, 1), (6, 2), (7, 5)]:
        for _ in range(count):
            message = Message.objects.create(room=direct_room, sender=alice, body="x")
            Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(days=days_ago))

    text = stats()

    days = [today - timedelta(days=n) for n in range(6, -1, -1)]
    seen = [row(text, f"{day:%Y-%m-%d %a}") for day in days]
    assert seen == [2, 0, 0, 0, 1, 0, 3]  # a week ago is not shown; the group's system line is not counted
    assert text.rstrip().splitlines()[-1].split() == ["all", "6"]


def test_the_tables_have_headings_and_aligned_columns(alice):
    text = stats()

    assert text.startswith("Chat statistics at ")
    lines = text.splitlines()
    header = lines.index("day             messages")
    assert set(lines[header + 1]) == {"-", " "}
    assert len({len(line) for line in lines[header + 2 : header + 9]}) == 1  # right-aligned numbers


def test_the_number_of_days_can_change(alice):
    assert len(re.findall(r"^\d{4}-\d\d-\d\d ", stats("--days", "3"), re.MULTILINE)) == 3


@pytest.mark.parametrize("days", ["0", "400"])
def test_an_impossible_number_of_days_is_a_clear_error(db, days):
    with pytest.raises(CommandError, match="--days must be between 1 and 366"):
        stats("--days", days)


def test_the_help_says_what_is_counted():
    text = " ".join(Command().create_parser("manage.py", "chat_stats").format_help().split())

    assert "active in the last day" in text and "rooms by kind" in text and "messages sent per day" in text
