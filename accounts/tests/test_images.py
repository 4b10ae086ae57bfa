"""
Pictures are checked by their header before they are decoded, decoded small, and a few at a
time (core/images.py), for avatars and for pictures sent in rooms alike.
"""

import struct
import zlib
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile

from core.images import decoding
from rooms.models import Message, MessageError, Room
from rooms.tests.conftest import befriend

PROFILE = "/accounts/profile/"


def huge_png(width, height, name="huge.png"):
    """A 1-bit black PNG of width x height pixels: a few hundred KB that decode to gigabytes."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then the pixels
    deflate = zlib.compressobj(9)
    data = b"".join(deflate.compress(row) for _ in range(height)) + deflate.flush()
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
    png += chunk(b"IDAT", data) + chunk(b"IEND", b"")
    return SimpleUploadedFile(name, png, content_type="image/png")


def jpeg(size, name="photo.jpg", exif=None):
    out = BytesIO()
    image = Image.new("RGB", size, (30, 120, 200))
    image.save(out, "JPEG", **({"exif": exif} if exif else {}))
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


@pytest.fixture
def decoded(monkeypatch):
    """The (format, size) of every picture Pillow decodes."""
    seen = []
    load = ImageFile.ImageFile.load

    def spy(self):
        if self.tile:
            seen.append((self.format, self.size))
        return load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return seen


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.ATTACHMENTS_ROOT = str(tmp_path / "attachments")


def test_a_9000_by_9000_avatar_is_refused_from_its_header_without_being_decoded(client, alice, media, decoded):
    upload = huge_png(9000, 9000)
    assert upload.size < 400 * 1024
    client.force_login(alice)

    response = client.post(PROFILE, {"action": "profile", "nickname": "Alice", "avatar": upload})

    assert response.status_code == 422
    assert "The image has too many pixels (9,000 × 9,000); pictures can have at most 25,000,000 pixels" in response.text
    assert decoded == []
    alice.refresh_from_db()
    assert not alice.avatar


def test_a_7000_by_7000_picture_sent_in_a_room_is_refused_without_being_decoded(alice, bob, decoded):
    befriend(alice, bob)
    room, _ = Room.objects.get_or_create_direct(alice, bob)

    with pytest.raises(MessageError) as refused:
        Message.objects.post_file(room, alice, huge_png(7000, 7000, "poster.png"))

    assert "poster.png has too many pixels (7,000 × 7,000)" in refused.value.message
    assert decoded == []
    assert not Message.objects.exists()


def test_a_picture_of_25_megapixels_is_still_taken(alice, bob):
    befriend(alice, bob)
    room, _ = Room.objects.get_or_create_direct(alice, bob)
    message = Message.objects.post_file(room, alice, huge_png(5000, 5000, "plan.png"))
    assert (message.kind, message.thumbnail_width, message.thumbnail_height) == ("image", 480, 480)


def test_a_large_jpeg_is_decoded_at_a_fraction_of_its_size(client, alice, media, decoded):
    client.force_login(alice)
    client.post(PROFILE, {"action": "profile", "nickname": "Alice", "avatar": jpeg((4000, 3000))})

    alice.refresh_from_db()
    with Image.open(alice.avatar.path) as stored:
        assert stored.size == (256, 256)
    [(fmt, (width, height))] = [seen for seen in decoded if seen[0] == "JPEG"][:1]
    assert width * height <= 4000 * 3000 / 16  # draft: decoded at 1/4 scale or less


def test_the_exif_orientation_still_turns_the_thumbnail_upright(alice, bob):
    befriend(alice, bob)
    room, _ = Room.objects.get_or_create_direct(alice, bob)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    message = Message.objects.post_file(room, alice, jpeg((1200, 600), exif=exif.tobytes()))
    assert (message.thumbnail_width, message.thumbnail_height) == (240, 480)


def test_when_every_decoding_slot_is_taken_an_upload_waits_then_says_the_server_is_busy(client, alice, media, settings):
    settings.IMAGE_DECODES_AT_ONCE = 1
    settings.IMAGE_DECODE_WAIT_SECONDS = 0.2
    client.force_login(alice)

    with decoding():  # the one slot, held by another upload
        busy = client.post(PROFILE, {"action": "profile", "nickname": "Alice", "avatar": jpeg((600, 400))})
    assert busy.status_code == 422
    assert "The server is busy with other pictures. Try again in a moment." in busy.text

    done = client.post(PROFILE, {"action": "profile", "nickname": "Alice", "avatar": jpeg((600, 400))})
    assert done.status_code == 302
