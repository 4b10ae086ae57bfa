"""
Images and files sent in rooms: where they are kept, and what an upload must be.

Attachments live in their own storage (`STORAGES["attachments"]`, by default the folder
`ATTACHMENTS_ROOT`, outside MEDIA_ROOT) that has no URL: nothing serves them but the file
view (`rooms.views.attachment`), which answers members of the room only. A file whose name
says it is a picture (.png, .jpg, .jpeg, .gif, .webp) must be one, verified by Pillow, of at
most IMAGE_MAX_PIXELS (read from its header), and gets a thumbnail (decoded small, one of a
few decodes at once: core/images.py); anything else is kept as it came, for download.
"""

import secrets
from dataclasses import dataclass
from io import BytesIO
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, storages
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.functional import cached_property
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from core.images import PictureError, decoding, shrunk, too_many_pixels
from core.text import without_control_characters

# A file named like a picture must be one of these formats; it is stored with its format's
# extension, which later says what type to serve it as.
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".webp"}
IMAGE_FORMATS = {"PNG": ".png", "JPEG": ".jpg", "GIF": ".gif", "WEBP": ".webp"}
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp"}
NAME_MAX_LENGTH = 200


class AttachmentStorage(FileSystemStorage):
    """
    Files under ATTACHMENTS_ROOT (read when first used, and again when a test changes it).
    They have no URL: `url()` refuses, so no template can link past the membership check.
    """

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.ATTACHMENTS_ROOT)

    def url(self, name):
        raise ValueError("Attachments have no public URL: link to the rooms:file view instead.")

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "ATTACHMENTS_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)


def attachment_storage():
    """The storage of Message.file and Message.thumbnail (a callable, so settings can swap it)."""
    return storages["attachments"]


def attachment_path(message, filename):
    """rooms/<room id>/<random>-<name>: unguessable, and grouped by room for operators."""
    return f"rooms/{message.room_id}/{secrets.token_hex(8)}-{filename}"


def image_content_type(path):
    """The type an image is served with, from the extension it was stored under."""
    return IMAGE_TYPES[PurePath(path).suffix.lower()]


class AttachmentError(ValueError):
    """The upload cannot be sent; the message says why, for the person who tried."""


@dataclass
class Attachment:
    """A checked upload, ready to become a message (see `Message.objects.post_file`)."""

    kind: str  # "image" or "file", as Message.Kind
    name: str  # what people see: the name it was uploaded with, tidied
    size: int
    file: object  # a django File to store
    thumbnail: ContentFile | None = None
    thumbnail_width: int | None = None
    thumbnail_height: int | None = None

    @classmethod
    def from_upload(cls, upload):
        """
        Check an uploaded file (at most ATTACHMENT_MAX_BYTES) and, for a picture, verify it
        with Pillow and make its thumbnail. Raises AttachmentError saying what is wrong.
        """
        if upload is None or not getattr(upload, "name", None):
            raise AttachmentError(_("Choose a file to send."))
        limit = settings.ATTACHMENT_MAX_BYTES
        if upload.size > limit:
            raise AttachmentError(
                _("%(name)s is %(size)s; files can be at most %(most)s.")
                % {"name": display_name(upload.name), "size": filesizeformat(upload.size), "most": filesizeformat(limit)}
            )
        if upload.size == 0:
            raise AttachmentError(_("%(name)s is empty.") % {"name": display_name(upload.name)})
        name = display_name(upload.name)
        if PurePath(name).suffix.lower() not in IMAGE_EXTENSIONS:
            upload.name = stored_name(name)
            return cls(kind="file", name=name, size=upload.size, file=upload)
        return cls._image(upload, name)

    @classmethod
    def _image(cls, upload, name):
        try:
            upload.seek(0)
            with Image.open(upload) as probe:  # reads the header only
                if probe.format not in IMAGE_FORMATS:
                    raise AttachmentError(_("%(name)s is not a PNG, JPEG, GIF or WebP image.") % {"name": name})
                if refusal := too_many_pixels(probe, name):
                    raise AttachmentError(refusal)
                image_format = probe.format
                probe.verify()
            upload.seek(0)
            with decoding(), Image.open(upload) as image:
                thumbnail, width, height = _thumbnail(image)
        except AttachmentError:
            raise
        except PictureError as error:
            raise AttachmentError(str(error)) from None
        except Image.DecompressionBombError:  # Pillow's own limit, checked as it opens
            raise AttachmentError(_("%(name)s has too many pixels.") % {"name": name}) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise AttachmentError(_("%(name)s is not a valid image (PNG, JPEG, GIF or WebP).") % {"name": name}) from None
        upload.seek(0)
        upload.name = stored_name(str(PurePath(name).with_suffix(IMAGE_FORMATS[image_format])))
        return cls(
            kind="image",
            name=name,
            size=upload.size,
            file=upload,
            thumbnail=thumbnail,
            thumbnail_width=width,
            thumbnail_height=height,
        )


def _thumbnail(image):
    """A small copy of image (upright, within THUMBNAIL_SIZE pixels): JPEG, or PNG if transparent."""
    size = settings.ATTACHMENT_THUMBNAIL_SIZE
    image, transparent = shrunk(image, (size, size))
    out = BytesIO()
    if transparent:
        image.save(out, "PNG", optimize=True)
        name = "thumbnail.png"
    else:
        image.save(out, "JPEG", quality=82, optimize=True)
        name = "thumbnail.jpg"
    return ContentFile(out.getvalue(), name=name), image.width, image.height


def display_name(name):
    """
    The name people see: the last part of the path, at most 200 characters, without control
    or format characters (so no right-to-left override can disguise "exe.pdf" as "pdf.exe").
    """
    name = PurePath(str(name).replace("\\", "/")).name
    name = without_control_characters(name).strip() or "file"
    if len(name) > NAME_MAX_LENGTH:
        suffix = PurePath(name).suffix[:20]
        name = name[: NAME_MAX_LENGTH - len(suffix)] + suffix
    return name


def stored_name(name):
    """A safe file name for the storage (at most about 100 characters), made from the name people see."""
    try:
        safe = PurePath(get_valid_filename(name))
    except SuspiciousFileOperation:
        return "file"
    return safe.stem[:90] + safe.suffix[:10]


def file_response(message, part, *, cache_control):
    """
    The stored file ("file") or thumbnail ("thumbnail") of message as a response, or None
    when there is none. Pictures show in the page; every other file is a download with its
    type hidden (application/octet-stream), sniffing off and a sandbox, so nothing it holds
    can run as a page of this site. Who may see it is the caller's check.
    """
    stored = message.thumbnail if part == "thumbnail" else message.file
    if part not in ("file", "thumbnail") or not stored:
        return None
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        return None
    if part == "thumbnail":
        response = FileResponse(handle, content_type=message.thumbnail_content_type)
    else:
        response = FileResponse(
            handle, as_attachment=not message.is_image, filename=message.body, content_type=message.file_content_type
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = cache_control
    return response
