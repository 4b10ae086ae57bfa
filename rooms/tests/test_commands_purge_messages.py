"""manage.py purge_messages: old messages deleted for good, in batches, counted."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rooms.management.commands.purge_messages import Command
from rooms.models import Message
from moderation.models import Report


def purge(*args):
    out = StringIO()
    call_command("purge_messages", *args, stdout=out)
    return out.getvalue()


def aged(room, sender, body, days):
    message = Message.objects.create(room=room, sender=sender, body=body)
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(days=days))
    return message


@pytest.fixture
def history(direct_room, group, alice, bob):
    """Old and recent messages in two rooms (the group also has its "created" line, now)."""
    return {
        "old_direct": [aged(direct_room, alice, f"old {n}", 40) for n in range(5)],
        "new_direct": aged(direct_room, bob, "recent", 2),
        "old_group": aged(group, alice, "old group", 35),
    }


def bodies():
    return sorted(Message.objects.exclude(kind="system").values_list("body", flat=True))


def test_it_deletes_messages_older_than_the_days_and_says_how_many(history):
    out = purge("--older-than", "30")

    assert "Deleted 6 message(s) older than 30 day(s)" in out
    assert bodies() == ["recent"]
    assert Message.objects.filter(kind="system").exists()


def test_it_works_in_batches(history):
    with CaptureQueriesContext(connection) as captured:
        out = purge("--older-than", "30", "--batch-size", "2")

    deletes = [q["sql"] for q in captured if q["sql"].startswith('DELETE FROM "rooms_message"')]
    assert len(deletes) == 3  # 6 messages, 2 at a time
    assert "Deleted 6 message(s)" in out


def test_one_room_only(history, direct_room):
    out = purge("--older-than", "30", "--room", str(direct_room.pk))

    assert "Deleted 5 message(s) older than 30 day(s)" in out and f"in room {direct_room.pk}" in out
    assert bodies() == ["old group", "recent"]


def test_a_dry_run_counts_and_deletes_nothing(history):
    out = purge("--older-than", "30", "--dry-run")

    assert "Would delete 6 message(s) older than 30 day(s)" in out and "Nothing was deleted" in out
    assert len(bodies()) == 7


def test_reports_go_with_their_messages(history, carol, group):
    report = Report.objects.file(history["old_group"], carol, Report.Reason.SPAM)

    purge("--older-than", "30")

    assert not Report.objects.filter(pk=report.pk).exists()


def test_nothing_old_is_nothing_deleted(direct_room):
    assert "Deleted 0 message(s)" in purge("--older-than", "1")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ([], "the following arguments are required: --older-than"),
        (["--older-than", "0"], "at least 1"),
        (["--older-than", "soon"], "a whole number"),
        (["--older-than", "3", "--room", "999999"], "There is no room with id 999999"),
    ],
)
def test_mistakes_are_clear_errors(db, args, error):
    with pytest.raises(CommandError, match=error):
        purge(*args)


def test_the_help_explains_it():
    text = " ".join(Command().create_parser("manage.py", "purge_messages").format_help().split())

    assert "--older-than DAYS" in text and "--dry-run" in text and "in batches" in text


def test_files_go_with_their_messages(direct_room, bob, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from rooms.attachments import attachment_storage

    upload = SimpleUploadedFile("old.pdf", b"%PDF-1.4 old", content_type="application/pdf")
    sent = Message.objects.post_file(direct_room, bob, upload)
    Message.objects.filter(pk=sent.pk).update(created_at=timezone.now() - timedelta(days=90))
    name = sent.file.name
    assert attachment_storage().exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        purge("--older-than", "30")

    assert not Message.objects.filter(pk=sent.pk).exists()
    assert not attachment_storage().exists(name)
