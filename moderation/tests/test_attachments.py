"""Moderators see reported pictures and files in the admin without being members."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.tests.factories import UserFactory
from rooms.models import Message
from moderation.models import Report

from .helpers import change


def picture():
    out = BytesIO()
    Image.new("RGB", (800, 600), (200, 30, 30)).save(out, "JPEG")
    return SimpleUploadedFile("rude.jpg", out.getvalue(), content_type="image/jpeg")


@pytest.fixture
def photo(direct_room, bob):
    return Message.objects.post_file(direct_room, bob, picture())


@pytest.fixture
def pdf(direct_room, bob):
    return Message.objects.post_file(direct_room, bob, SimpleUploadedFile("spam.pdf", b"%PDF-1.4 buy", "application/pdf"))


def attachment_url(message, part):
    return f"/admin/rooms/message/{message.pk}/attachment/{part}/"


def test_a_reported_picture_shows_on_the_report_and_the_message_page(mod_client, photo, alice):
    report = Report.objects.file(photo, alice, Report.Reason.EXPLICIT)

    for page in (mod_client.get(change(report)), mod_client.get(change(photo))):
        assert page.status_code == 200
        assert f'src="{attachment_url(photo, "thumbnail")}"' in page.text
        assert f'href="{attachment_url(photo, "file")}"' in page.text


def test_moderators_get_the_files_with_safe_headers(mod_client, photo, pdf):
    thumbnail = mod_client.get(attachment_url(photo, "thumbnail"))
    document = mod_client.get(attachment_url(pdf, "file"))

    assert thumbnail.status_code == 200 and thumbnail["Content-Type"].startswith("image/")
    assert document.status_code == 200 and document["Content-Type"] == "application/octet-stream"
    assert "attachment" in document["Content-Disposition"]
    for response in (thumbnail, document):
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
        response.close()


def test_nobody_else_gets_them_through_the_admin(client, photo, alice):
    assert client.get(attachment_url(photo, "file")).status_code == 302  # to the admin login
    client.force_login(alice)  # a member, but not staff
    assert client.get(attachment_url(photo, "file")).status_code == 302
    client.force_login(UserFactory(username="intern", is_staff=True))  # staff without the permission
    assert client.get(attachment_url(photo, "file")).status_code == 404


def test_a_deleted_or_missing_file_is_404(mod_client, moderator, photo):
    assert mod_client.get(attachment_url(photo, "other")).status_code == 404
    photo.soft_delete(by=moderator)

    assert mod_client.get(attachment_url(photo, "file")).status_code == 404
    assert mod_client.get(change(photo)).status_code == 200
