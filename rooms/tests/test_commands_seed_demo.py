"""manage.py seed_demo: demo data through the models' methods, idempotent, messages in bulk."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from realtime.publish import frame_for  # frames are per language: the English one
from accounts.models import User
from friends.models import Friendship
from rooms.management.commands.seed_demo import Command
from rooms.models import Membership, Message, Room


def seed(*args):
    out, err = StringIO(), StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def counts():
    return {
        "people": User.objects.filter(username__startswith="demo").count(),
        "friendships": Friendship.objects.count(),
        "direct": Room.objects.filter(kind="direct").count(),
        "groups": Room.objects.filter(kind="group").count(),
        "messages": Message.objects.filter(kind="text").count(),
        "system": Message.objects.filter(kind="system").count(),
    }


def test_it_makes_people_friends_rooms_and_messages(db):
    out, err = seed("--users", "10", "--rooms", "3", "--messages", "500")

    assert counts() == {"people": 10, "friendships": 30, "direct": 10, "groups": 3, "messages": 500, "system": 3}
    assert "10 people, 10 direct rooms, 3 groups, 500 new messages" in out
    assert User.objects.get(username="demo001").check_password("chat-demo-2026")


def test_rooms_follow_the_models_rules(db):
    seed("--users", "6", "--rooms", "2", "--messages", "100")

    for room in Room.objects.filter(kind="direct"):
        low, high = room.direct_user_ids()
        assert Friendship.objects.are_friends(User(pk=low), User(pk=high))
        assert sorted(room.memberships.values_list("user_id", flat=True)) == [low, high]
    for group in Room.objects.filter(kind="group"):
        owner = group.memberships.get(role="owner").user
        others = User.objects.filter(memberships__room=group).exclude(pk=owner.pk)
        assert others.exists()
        assert all(Friendship.objects.are_friends(owner, other) for other in others)
        assert group.messages.filter(kind="system", body__contains="created the group").exists()
    for message in Message.objects.filter(kind="text").select_related("room"):
        assert Membership.objects.filter(room=message.room_id, user=message.sender_id).exists()


def test_running_it_again_adds_nothing_and_larger_numbers_add_what_is_missing(db):
    seed("--users", "8", "--rooms", "2", "--messages", "200")
    first = counts()

    out, _ = seed("--users", "8", "--rooms", "2", "--messages", "200")
    assert counts() == first
    assert "0 new messages" in out

    seed("--users", "12", "--rooms", "4", "--messages", "300")
    grown = counts()
    assert (grown["people"], grown["groups"], grown["messages"]) == (12, 4, 300)
    assert grown["direct"] > first["direct"]


def test_messages_skip_the_rate_limit_and_spread_over_the_last_week_in_id_order(db, settings):
    settings.CHAT_RATE_LIMIT = 1
    seed("--users", "2", "--rooms", "0", "--messages", "300")

    stamps = list(Message.objects.filter(kind="text").order_by("pk").values_list("created_at", flat=True))
    assert len(stamps) == 300  # two people, far over one message per five seconds
    assert stamps == sorted(stamps)
    assert timezone.now() - timedelta(days=7, minutes=1) < stamps[0] < stamps[-1] <= timezone.now()
    assert stamps[-1] - stamps[0] > timedelta(days=6)


def test_rooms_are_announced_but_seeded_messages_are_not_broadcast(db, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr("rooms.actions.publish", lambda group, html="", **kwargs: sent.append(frame_for(html, "en")) or True)

    with django_capture_on_commit_callbacks(execute=True):
        seed("--users", "3", "--rooms", "1", "--messages", "50")

    frames = "".join(sent)
    assert 'id="message-' in frames  # the group's "created the group" line, from create_group
    for pk in Message.objects.filter(kind="text").values_list("pk", flat=True):
        assert f'id="message-{pk}"' not in frames


def test_everyone_has_read_the_seeded_history(db):
    seed("--users", "4", "--rooms", "1", "--messages", "40")

    for membership in Membership.objects.all():
        newest = Message.objects.filter(room=membership.room_id).order_by("-pk").values_list("pk", flat=True).first()
        assert membership.last_read_message_id == newest


def test_a_progress_bar_goes_to_stderr_and_verbosity_0_hides_it(db):
    _, err = seed("--users", "3", "--messages", "20")
    quiet_out, quiet_err = StringIO(), StringIO()
    call_command("seed_demo", "--users", "3", "--messages", "30", verbosity=0, stdout=quiet_out, stderr=quiet_err)

    assert "messages" in err and "[##############################] 100% 20/20" in err
    assert quiet_err.getvalue() == ""


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--users", "1"], "--users must be at least 2"),
        (["--messages", "-5"], "cannot be negative"),
        (["--rooms", "many"], "invalid int value"),
    ],
)
def test_bad_numbers_are_clear_errors(db, args, error):
    with pytest.raises(CommandError, match=error):
        seed(*args)
    assert not User.objects.exists()


def test_the_help_says_what_it_makes_and_what_it_skips():
    text = " ".join(Command().create_parser("manage.py", "seed_demo").format_help().split())

    for words in ("idempotently", "rate limit", "broadcast", "--users N", "--rooms M", "--messages K"):
        assert words in text
