"""manage.py export_user and delete_user: the same actions as the pages, and a dry run that changes nothing."""

import json
import zipfile
from io import StringIO

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import CommandError, call_command

from accounts.models import DataExport, HeldUsername, User
from friends.models import Friendship
from rooms.models import Message, Room
from rooms.tests.conftest import befriend

pytestmark = pytest.mark.django_db


@pytest.fixture
def chatting(alice, bob):
    befriend(alice, bob)
    room, _ = Room.objects.get_or_create_direct(alice, bob)
    Message.objects.post(room, alice, "hello bob")
    Message.objects.post(room, bob, "hello alice")
    return room


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue()


def test_export_user_writes_the_zip_the_page_gives(chatting, alice, tmp_path):
    path = tmp_path / "alice.zip"

    output = run("export_user", "ALICE", "--output", str(path))

    assert f"Wrote {path}" in output and "messages: 1" in output
    data = json.loads(zipfile.ZipFile(path).read("data.json"))
    assert [m["text"] for m in data["messages"]] == ["hello bob"]
    assert not DataExport.objects.exists()  # an operator's export uses none of her hourly one


def test_export_user_dry_run_writes_nothing(chatting, alice, tmp_path):
    path = tmp_path / "alice.zip"

    output = run("export_user", "alice", "--output", str(path), "--dry-run")

    assert output.startswith("Dry run: nothing written.") and "messages: 1" in output
    assert not path.exists()


def test_export_user_refuses_to_overwrite_and_unknown_people(chatting, tmp_path):
    path = tmp_path / "taken.zip"
    path.write_bytes(b"mine")
    with pytest.raises(CommandError, match="exists"):
        run("export_user", "alice", "--output", str(path))
    assert path.read_bytes() == b"mine"
    with pytest.raises(CommandError, match="No account is called 'nobody'"):
        run("export_user", "nobody")


def test_delete_user_deletes_as_the_page_does(chatting, alice, bob):
    output = run("delete_user", "alice", "--noinput")

    assert output.startswith("Deleted alice (") and "friendships: 1" in output
    alice.refresh_from_db()
    assert alice.is_deleted and HeldUsername.objects.filter(username_key="alice").exists()
    assert Message.objects.get(body="hello bob").sender.display_name == "Deleted user"
    entry = LogEntry.objects.get(object_id=str(alice.pk))
    assert entry.object_repr == "alice"
    assert entry.change_message.startswith("Account deleted by an operator (manage.py delete_user), their messages kept")
    with pytest.raises(CommandError, match="is a deleted account|No account"):
        run("delete_user", f"deleted:{alice.pk}", "--noinput")


def test_delete_user_with_messages(chatting, alice):
    run("delete_user", "alice", "--noinput", "--delete-messages")
    assert Message.objects.get(sender=alice).deleted_at is not None
    assert Message.objects.get(body="hello alice").deleted_at is None


def test_delete_user_dry_run_changes_nothing(chatting, alice):
    before = list(User.objects.order_by("pk").values()), list(Message.objects.order_by("pk").values())

    output = run("delete_user", "alice", "--dry-run", "--delete-messages")

    assert output.startswith("Dry run: nothing changed. Deleting alice would remove") and "messages deleted: 1" in output
    assert (list(User.objects.order_by("pk").values()), list(Message.objects.order_by("pk").values())) == before
    assert Friendship.objects.count() == 1 and not HeldUsername.objects.exists() and not LogEntry.objects.exists()


def test_delete_user_asks_first(chatting, alice, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="Nothing deleted"):
        run("delete_user", "alice")
    alice.refresh_from_db()
    assert not alice.is_deleted
