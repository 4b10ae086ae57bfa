"""Pictures and files in rooms: the upload rules, storage, the thumbnail, and who may fetch them."""

import uuid
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from realtime.publish import frame_for  # frames are per language: the English one
from friends.models import Friendship
from rooms.attachments import attachment_storage
from rooms.models import Message, MessageError, RoomNotFound

HTMX = {"HTTP_HX_REQUEST": "true"}


def picture(name="beach.jpg", size=(1200, 800), fmt="JPEG", mode="RGB"):
    out = BytesIO()
    Image.new(mode, size, (30, 120, 200, 128)[: len(mode)]).save(out, fmt)
    return SimpleUploadedFile(name, out.getvalue(), content_type=f"image/{fmt.lower()}")


def document(name="notes.pdf", content=b"%PDF-1.4 not really"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def stored(name):
    return attachment_storage().exists(name)


# --- The rules ------------------------------------------------------------------------------


def test_a_picture_is_verified_stored_with_a_thumbnail_and_named_by_its_file(direct_room, alice):
    message = Message.objects.post_file(direct_room, alice, picture("Beach day.jpg"))

    message.refresh_from_db()
    assert (message.kind, message.body, message.sender) == ("image", "Beach day.jpg", alice)
    assert message.file_size == message.file.size
    assert stored(message.file.name) and stored(message.thumbnail.name)
    assert message.file.name.startswith(f"rooms/{direct_room.pk}/") and message.file.name.endswith(".jpg")
    with Image.open(message.thumbnail) as thumbnail:
        assert thumbnail.size == (480, 320) == (message.thumbnail_width, message.thumbnail_height)
    assert message.preview == "📷 Beach day.jpg"


def test_a_transparent_picture_keeps_its_transparency_in_the_thumbnail(direct_room, alice):
    message = Message.objects.post_file(direct_room, alice, picture("logo.png", (100, 50), "PNG", "RGBA"))

    with Image.open(message.thumbnail) as thumbnail:
        assert (thumbnail.format, thumbnail.mode, thumbnail.size) == ("PNG", "RGBA", (100, 50))


def test_another_file_is_stored_as_it_came(direct_room, alice):
    message = Message.objects.post_file(direct_room, alice, document("Q3 report.pdf"))

    assert (message.kind, message.body, message.file_size) == ("file", "Q3 report.pdf", 19)
    assert not message.thumbnail
    with message.file.open("rb") as f:
        assert f.read() == b"%PDF-1.4 not really"
    assert message.preview == "📎 Q3 report.pdf"


def test_a_file_named_as_a_picture_must_be_one(direct_room, alice):
    fake = SimpleUploadedFile("cat.png", b"<html><script>alert(1)</script></html>", content_type="image/png")

    with pytest.raises(MessageError, match="cat.png is not a valid image"):
        Message.objects.post_file(direct_room, alice, fake)
    assert not Message.objects.exists()


def test_a_picture_in_a_format_browsers_do_not_show_is_refused(direct_room, alice):
    with pytest.raises(MessageError, match="not a PNG, JPEG, GIF or WebP image"):
        Message.objects.post_file(direct_room, alice, picture("scan.png", fmt="TIFF"))


def test_a_file_over_the_limit_is_refused_with_its_size(direct_room, alice, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024

    with pytest.raises(MessageError) as refused:
        Message.objects.post_file(direct_room, alice, document("big.bin", b"x" * 2048))
    assert refused.value.message == "big.bin is 2.0\xa0KB; files can be at most 1.0\xa0KB."
    assert not Message.objects.exists()


def test_ten_megabytes_is_the_default_limit(settings):
    assert settings.ATTACHMENT_MAX_BYTES == 10 * 1024 * 1024


def test_a_picture_with_too_many_pixels_is_refused_before_it_is_decoded(direct_room, alice, settings):
    settings.IMAGE_MAX_PIXELS = 1000

    with pytest.raises(MessageError, match=r"wide.gif has too many pixels \(40 × 30\); pictures can have at most 1,000 pixels"):
        Message.objects.post_file(direct_room, alice, picture("wide.gif", (40, 30), "GIF", "P"))


def test_the_name_cannot_hide_its_real_extension(direct_room, alice):
    message = Message.objects.post_file(direct_room, alice, document("invoice\u202efdp.exe"))

    assert message.body == "invoicefdp.exe"


def test_an_empty_file_or_none_is_refused(direct_room, alice):
    with pytest.raises(MessageError, match="empty.txt is empty"):
        Message.objects.post_file(direct_room, alice, document("empty.txt", b""))
    with pytest.raises(MessageError, match="Choose a file"):
        Message.objects.post_file(direct_room, alice, None)


def test_a_path_in_the_name_is_dropped_and_the_stored_name_is_safe(direct_room, alice):
    message = Message.objects.post_file(direct_room, alice, document("../../etc/pass wd;.txt"))

    assert message.body == "pass wd;.txt"
    assert message.file.name.startswith(f"rooms/{direct_room.pk}/") and message.file.name.endswith("-pass_wd.txt")


def test_only_members_send_files(direct_room, carol):
    with pytest.raises(RoomNotFound):
        Message.objects.post_file(direct_room, carol, document())
    assert not Message.objects.exists()


def test_in_a_direct_room_only_friends_send_files(direct_room, alice, bob):
    Friendship.objects.unfriend(alice, bob)

    with pytest.raises(MessageError, match="no longer friends"):
        Message.objects.post_file(direct_room, alice, document())


def test_files_count_against_the_send_rate_limit(direct_room, alice, settings):
    settings.CHAT_RATE_LIMIT = 2
    Message.objects.post(direct_room, alice, "one")
    Message.objects.post_file(direct_room, alice, document())

    with pytest.raises(MessageError, match="too fast"):
        Message.objects.post_file(direct_room, alice, document())
    assert Message.objects.count() == 2


def test_the_same_client_id_stores_one_file(direct_room, alice, attachments):
    client_id = uuid.uuid4()
    first = Message.objects.post_file(direct_room, alice, document(), client_id=client_id)
    again = Message.objects.post_file(direct_room, alice, document(), client_id=client_id)

    assert again == first and not again.just_stored
    assert Message.objects.count() == 1
    assert len(list((attachments / "rooms" / str(direct_room.pk)).iterdir())) == 1


def test_a_file_message_is_broadcast_after_commit(direct_room, alice, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr("rooms.actions.publish", lambda group, html="", **kw: sent.append((group, frame_for(html, "en"))) or True)

    with django_capture_on_commit_callbacks(execute=True):
        message = Message.objects.post_file(direct_room, alice, picture())
        assert sent == []

    [(group, html)] = sent
    assert group == f"room.{direct_room.pk}"
    assert f'<img src="/messages/{message.pk}/thumbnail/" width="480" height="320" alt="beach.jpg">' in html


# --- Uploading over HTTP --------------------------------------------------------------------


def test_uploading_over_htmx_answers_with_the_message_and_its_room_item(client, direct_room, alice):
    client.force_login(alice)

    response = client.post(reverse("rooms:upload", args=[direct_room.pk]), {"file": picture()}, **HTMX)

    message = Message.objects.get()
    assert response.status_code == 200
    assert f'id="message-{message.pk}"' in response.text
    assert f'id="room-item-{direct_room.pk}" hx-swap-oob="true"' in response.text
    assert "📷 beach.jpg" in response.text


def test_uploading_without_javascript_goes_back_to_the_room_at_the_message(client, direct_room, alice):
    client.force_login(alice)

    response = client.post(reverse("rooms:upload", args=[direct_room.pk]), {"file": document()})

    assert response.status_code == 302
    assert response["Location"] == f"/chat/{direct_room.pk}/#message-{Message.objects.get().pk}"


def test_a_form_without_javascript_may_send_several_files_at_once(client, direct_room, alice):
    client.force_login(alice)

    response = client.post(reverse("rooms:upload", args=[direct_room.pk]), {"file": [document("a.txt"), document("b.txt")]})

    assert response.status_code == 302
    assert list(Message.objects.order_by("pk").values_list("body", flat=True)) == ["a.txt", "b.txt"]


def test_a_refused_upload_says_why(client, direct_room, alice, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    client.force_login(alice)
    url = reverse("rooms:upload", args=[direct_room.pk])

    over_htmx = client.post(url, {"file": document()}, **HTMX)
    plain = client.post(url, {"file": document()})

    assert over_htmx.status_code == plain.status_code == 422
    assert "notes.pdf is 19\xa0bytes; files can be at most 10\xa0bytes." in over_htmx.text
    assert "notes.pdf is 19\xa0bytes; files can be at most 10\xa0bytes." in plain.text
    assert not Message.objects.exists()


def test_uploading_to_a_room_you_are_not_in_is_404(client, direct_room, carol):
    client.force_login(carol)

    response = client.post(reverse("rooms:upload", args=[direct_room.pk]), {"file": document()})

    assert response.status_code == 404
    assert not Message.objects.exists()


def test_the_chat_page_offers_the_file_button_with_the_limit(client, direct_room, alice):
    client.force_login(alice)

    response = client.get(reverse("rooms:room", args=[direct_room.pk]))

    assert 'id="upload-form"' in response.text
    assert f'data-max-bytes="{10 * 1024 * 1024}"' in response.text
    assert 'title="Send a picture or a file (at most 10.0\xa0MB)"' in response.text


# --- Serving the files ----------------------------------------------------------------------


@pytest.fixture
def photo(direct_room, bob):
    return Message.objects.post_file(direct_room, bob, picture())


@pytest.fixture
def pdf(direct_room, bob):
    return Message.objects.post_file(direct_room, bob, document("Q3 report.pdf"))


def file_url(message, part="file"):
    return reverse(f"rooms:{part}", args=[message.pk])


def test_a_member_sees_a_picture_in_the_page_with_its_verified_type(client, alice, photo):
    client.force_login(alice)

    response = client.get(file_url(photo))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == 'inline; filename="beach.jpg"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "private" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == photo.file.open("rb").read()


def test_the_thumbnail_is_served_to_members_too(client, alice, photo):
    client.force_login(alice)

    response = client.get(file_url(photo, "thumbnail"))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    with Image.open(BytesIO(b"".join(response.streaming_content))) as thumbnail:
        assert thumbnail.size == (480, 320)


def test_any_other_file_is_a_download_whose_type_cannot_be_sniffed(client, alice, pdf):
    client.force_login(alice)

    response = client.get(file_url(pdf))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="Q3 report.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_non_member_gets_404_for_the_exact_urls(client, carol, photo, pdf):
    client.force_login(carol)

    for url in (file_url(photo), file_url(photo, "thumbnail"), file_url(pdf)):
        assert client.get(url).status_code == 404


def test_a_logged_out_visitor_gets_404_not_a_login_page(client, photo):
    for url in (file_url(photo), file_url(photo, "thumbnail")):
        response = client.get(url)
        assert response.status_code == 404


def test_someone_who_left_the_group_loses_its_files(client, group, alice, bob):
    message = Message.objects.post_file(group, alice, document())
    client.force_login(bob)
    assert client.get(file_url(message)).status_code == 200

    group.leave(bob)

    assert client.get(file_url(message)).status_code == 404


def test_a_text_message_has_no_file(client, direct_room, alice):
    message = Message.objects.post(direct_room, alice, "just words")
    client.force_login(alice)

    assert client.get(file_url(message)).status_code == 404
    assert client.get(file_url(message, "thumbnail")).status_code == 404


def test_files_are_not_reachable_under_media_url(client, alice, photo, settings):
    client.force_login(alice)

    assert not photo.file.path.startswith(str(settings.MEDIA_ROOT))
    assert client.get(f"/{settings.MEDIA_URL}{photo.file.name}").status_code == 404
    with pytest.raises(ValueError, match="no public URL"):
        photo.file.url


# --- Deleting removes the files -------------------------------------------------------------


def test_deleting_the_message_removes_its_files_and_the_urls_answer_404(
    client, alice, bob, photo, django_capture_on_commit_callbacks
):
    names = photo.stored_files()
    client.force_login(bob)

    with django_capture_on_commit_callbacks(execute=True):
        photo.soft_delete(bob)

    photo.refresh_from_db()
    assert (photo.body, photo.file.name, photo.thumbnail.name, photo.file_size) == ("", "", "", None)
    assert not any(stored(name) for name in names)
    assert client.get(file_url(photo)).status_code == 404
    assert client.get(file_url(photo, "thumbnail")).status_code == 404


def test_a_message_removed_from_the_database_takes_its_files_along(pdf, django_capture_on_commit_callbacks):
    name = pdf.file.name

    with django_capture_on_commit_callbacks(execute=True):
        Message.objects.filter(pk=pdf.pk).delete()

    assert not stored(name)
