import pytest

from friends.models import Friendship
from rooms.models import Room


def befriend(*users):
    """Make every two of users friends."""
    for i, a in enumerate(users):
        for b in users[i + 1 :]:
            Friendship.objects.befriend(a, b)


@pytest.fixture
def direct_room(alice, bob):
    """alice and bob, friends, in their direct room."""
    befriend(alice, bob)
    room, _ = Room.objects.get_or_create_direct(alice, bob)
    return room


@pytest.fixture
def group(alice, bob, carol):
    """"Weekend", owned by alice, with her friends bob and carol (who are not friends)."""
    befriend(alice, bob)
    befriend(alice, carol)
    return Room.objects.create_group(alice, "Weekend", [bob, carol])
