import atexit
import os
import shutil
import tempfile

import pytest

from friends.models import Friendship
from rooms.models import Room

# Attachments of this run go to a scratch folder: the tests' own (see `attachments` below)
# and, through the environment it inherits, the live server's for the browser tests.
os.environ.setdefault("ATTACHMENTS_ROOT", tempfile.mkdtemp(prefix="chat-attachments-"))
atexit.register(shutil.rmtree, os.environ["ATTACHMENTS_ROOT"], ignore_errors=True)


@pytest.fixture(autouse=True)
def attachments(settings, tmp_path):
    """Each test stores its files in a folder of its own."""
    settings.ATTACHMENTS_ROOT = str(tmp_path / "attachments")
    return tmp_path / "attachments"


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
