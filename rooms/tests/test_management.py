from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from rooms.models import Room

from .conftest import befriend


def open_direct_room(*usernames):
    out = StringIO()
    call_command("open_direct_room", *usernames, stdout=out)
    return out.getvalue().strip()


def test_prints_the_room_id_and_the_same_id_again(alice, bob):
    befriend(alice, bob)

    first = open_direct_room("alice", "bob")
    second = open_direct_room("Bob", "alice")

    assert first == second == str(Room.objects.get().pk)


def test_unknown_users_are_an_error(alice):
    with pytest.raises(CommandError, match="no user named 'zed'"):
        open_direct_room("alice", "zed")


def test_non_friends_are_an_error(alice, carol):
    with pytest.raises(CommandError, match="Carol is not your friend"):
        open_direct_room("alice", "carol")
    assert not Room.objects.exists()
