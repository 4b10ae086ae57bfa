"""Export my data: what the ZIP holds and does not hold, the page, the background build, one an hour."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts import export
from accounts.actions import AccountError, latest_export, start_export
from accounts.models import DataExport
from accounts.tests.factories import UserFactory
from chatsite.tests.pages import png
from friends.models import FriendRequest
from rooms.models import Favorite, Message, Room
from rooms.tests.conftest import befriend

EXPORT = "/accounts/export/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(alice, bob, carol):
    dave = UserFactory(username="dave", nickname="Dave", email="dave-secret@example.com")
    befriend(alice, bob)
    befriend(alice, carol)
    befriend(bob, carol)
    direct, _ = Room.objects.get_or_create_direct(alice, bob)
    group = Room.objects.create_group(alice, "Weekend", [bob, carol])
    bobs_room, _ = Room.objects.get_or_create_direct(bob, carol)
    hers = Message.objects.post(direct, alice, "hello bob")
    hers.edit(alice, "hello bob, edited")
    her_file = Message.objects.post_file(group, alice, SimpleUploadedFile("notes.txt", b"climbing notes", content_type="text/plain"))
    his = Message.objects.post(direct, bob, "a secret only for alice to star")
    Message.objects.post(direct, bob, "bob's unstarred words")
    Message.objects.post(bobs_room, bob, "between bob and carol")
    Favorite.objects.add(alice, his)
    Favorite.objects.add(bob, hers)
    his.react(alice, "👍")
    hers.react(bob, "❤️")  # bob's reaction, not hers
    reply = Message.objects.post(direct, alice, "yes!", reply_to=his)
    FriendRequest.objects.send(dave, alice, reason="we met at the crag")
    return locals()


def read_zip(data):
    archive = zipfile.ZipFile(io.BytesIO(data))
    return archive, json.loads(archive.read("data.json"))


def exported(user):
    out = io.BytesIO()
    export.write(user, out)
    return read_zip(out.getvalue())


def test_the_zip_holds_the_profile_friends_requests_rooms_messages_favorites_and_files(world, alice):
    alice.avatar = SimpleUploadedFile("me.png", png().read())
    alice.save()

    archive, data = exported(alice)

    assert data["profile"]["username"] == "alice" and data["profile"]["email"] == "alice@example.com"
    assert data["profile"]["preferences"] == {"theme": "system", "desktop_notifications": True, "hide_activity": False, "language": "", "time_zone": ""}
    assert archive.read(data["profile"]["avatar"]).startswith(b"\x89PNG")
    assert sorted(f["nickname"] for f in data["friends"]) == ["Bob", "Carol"]
    assert data["friend_requests"]["received"][0]["from"] == {"nickname": "Dave", "username": "dave"}
    assert data["friend_requests"]["received"][0]["reason"] == "we met at the crag"
    rooms = {room["title"]: room for room in data["rooms"]}
    assert set(rooms) == {"Bob", "Weekend"}
    assert rooms["Weekend"]["members"] == ["Alice", "Bob", "Carol"] and rooms["Weekend"]["your_role"] == "owner"
    texts = {m["text"]: m for m in data["messages"]}
    assert set(texts) == {"hello bob, edited", "notes.txt", "yes!"}
    assert texts["yes!"]["reply_to"] == world["his"].pk
    assert [(r["emoji"], r["message"]) for r in data["reactions"]] == [("👍", world["his"].pk)]
    assert texts["hello bob, edited"]["edited_at"] and texts["hello bob, edited"]["room_title"] == "Bob"
    assert archive.read(texts["notes.txt"]["file"]) == b"climbing notes"
    assert [(f["sender"], f["text"]) for f in data["favorites"]] == [("Bob", "a secret only for alice to star")]


def test_the_zip_holds_nothing_of_others_beyond_what_she_could_see(world, alice):
    archive, _ = exported(alice)
    everything = b"".join(archive.read(name) for name in archive.namelist()).decode("utf-8", "replace")

    for unseen in ("bob's unstarred words", "between bob and carol", "bob@example.com", "carol@example.com", "dave-secret@example.com"):
        assert unseen not in everything
    for hidden in ("password", "pbkdf2", "md5$"):
        assert hidden not in everything


def test_a_room_she_left_keeps_her_messages_but_not_its_title_or_members(world, alice, bob):
    world["group"].leave(alice)
    Room.objects.filter(pk=world["group"].pk).update(name="Renamed after she left")

    _, data = exported(alice)

    assert "Weekend" not in {room["title"] for room in data["rooms"]}
    notes = next(m for m in data["messages"] if m["text"] == "notes.txt")
    assert notes["room_title"] is None
    assert "Renamed after she left" not in json.dumps(data)


def test_the_page_builds_a_small_export_at_once_and_serves_it_to_her_only(client, world, alice, bob):
    client.force_login(alice)
    assert "Export my data" in client.get(EXPORT).content.decode()

    page = client.post(EXPORT, follow=True)

    job = DataExport.objects.get(user=alice)
    assert job.is_ready and job.done == job.total
    assert "is ready" in page.content.decode()
    download = client.get(f"/accounts/export/{job.pk}/download/")
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert "attachment" in download["Content-Disposition"]
    _, data = read_zip(b"".join(download.streaming_content))
    assert data["profile"]["username"] == "alice"
    client.force_login(bob)
    assert client.get(f"/accounts/export/{job.pk}/download/").status_code == 404


def test_one_export_an_hour_enforced_on_the_server(client, alice):
    client.force_login(alice)
    assert client.post(EXPORT).status_code == 302

    again = client.post(EXPORT)

    assert again.status_code == 422
    assert "You can export your data once an hour. The next export can start in" in again.content.decode()
    assert DataExport.objects.filter(user=alice).count() == 1
    DataExport.objects.update(created_at=timezone.now() - timedelta(hours=1, seconds=1))
    assert client.post(EXPORT).status_code == 302
    assert DataExport.objects.get(user=alice).created_at > timezone.now() - timedelta(minutes=1)  # a new one


def test_a_failed_or_stalled_export_does_not_count(alice, settings):
    DataExport.objects.create(user=alice, status=DataExport.Status.FAILED)
    stalled = DataExport.objects.create(user=alice)
    DataExport.objects.filter(pk=stalled.pk).update(updated_at=timezone.now() - timedelta(seconds=settings.EXPORT_STALLED_SECONDS + 1))

    assert latest_export(alice).status == DataExport.Status.FAILED  # the page says it failed

    job = start_export(alice)

    assert job.is_ready
    with pytest.raises(AccountError):
        start_export(alice)


def test_an_export_that_breaks_is_marked_failed_and_may_be_tried_again(alice, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(export, "write", broken)
    job = start_export(alice)
    assert job.status == DataExport.Status.FAILED
    monkeypatch.undo()
    assert start_export(alice).is_ready


@pytest.mark.django_db(transaction=True)
def test_a_big_export_is_built_in_the_background_with_its_progress_on_the_page(client, alice, bob, settings, monkeypatch):
    import threading
    import time

    befriend(alice, bob)
    room, _ = Room.objects.get_or_create_direct(alice, bob)
    for n in range(5):
        Message.objects.create(room=room, sender=alice, body=f"message {n}")
    settings.EXPORT_INLINE_ITEMS = 3  # this export has more items: the background builds it
    halfway, go_on = threading.Event(), threading.Event()
    real_write = export.write

    def paused_write(user, out, on_progress, total):
        def progress(done, total):
            on_progress(done, total)
            if done == 3:
                halfway.set()
                assert go_on.wait(10)

        return real_write(user, out, progress, total)

    monkeypatch.setattr(export, "write", paused_write)
    client.force_login(alice)

    started = client.post(EXPORT, headers={"HX-Request": "true"})

    assert started.status_code == 200
    assert halfway.wait(10)
    polled = client.get(EXPORT, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in polled and f"being built: {300 // DataExport.objects.get().total}% done" in polled
    go_on.set()
    deadline = time.monotonic() + 10
    while "is ready" not in polled:
        assert time.monotonic() < deadline, polled
        time.sleep(0.1)
        polled = client.get(EXPORT, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger' not in polled and "Download the ZIP" in polled
    job = DataExport.objects.get()
    _, data = read_zip(job.file.read())
    assert len(data["messages"]) == 5


def test_a_new_export_replaces_the_zip_before_it(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = start_export(alice)
    DataExport.objects.update(created_at=timezone.now() - timedelta(hours=2))
    storage = first.file.storage
    assert storage.exists(first.file.name)

    with django_capture_on_commit_callbacks(execute=True):
        second = start_export(alice)

    assert list(DataExport.objects.values_list("pk", flat=True)) == [second.pk]
    assert not storage.exists(first.file.name) and storage.exists(second.file.name)


def test_an_export_finishing_after_the_account_was_deleted_keeps_no_zip(alice, django_capture_on_commit_callbacks):
    from accounts.actions import build_export, delete_account

    job = DataExport.objects.create(user=alice, total=1)
    with django_capture_on_commit_callbacks(execute=True):
        delete_account(alice)
    storage = job.file.storage

    with django_capture_on_commit_callbacks(execute=True):
        build_export(job)

    assert job.status == DataExport.Status.FAILED and not DataExport.objects.exists()
    assert not storage.exists(job.file.name)


def test_a_file_counts_one_item_per_started_megabyte(alice, bob):
    befriend(alice, bob)
    room, _ = Room.objects.get_or_create_direct(alice, bob)
    Message.objects.post_file(room, alice, SimpleUploadedFile("small.txt", b"x", content_type="text/plain"))
    before = export.size(alice)

    Message.objects.post_file(room, alice, SimpleUploadedFile("big.bin", b"x" * (2 * 1024 * 1024 + 1), content_type="application/octet-stream"))

    assert export.size(alice) == before + 1 + 3  # the message, and its file's three started megabytes
