"""
Pictures people upload (avatars here, attachments in rooms/attachments.py), decoded safely.

A picture's dimensions are read from its header before anything is decoded, and more than
IMAGE_MAX_PIXELS (25 megapixels) is refused: a 300 KB PNG can declare 9000 x 9000 pixels and
take a gigabyte to decode. What is decoded is decoded small where the format allows (JPEG's
`draft` decodes at 1/2, 1/4 or 1/8 scale), shrunk with `reduce` before the fine resampling,
and at most IMAGE_DECODES_AT_ONCE pictures are decoded at once in a process (a semaphore: a
burst of uploads waits its turn rather than multiplying the memory).
"""

import threading
from contextlib import contextmanager
from io import BytesIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

INVALID = (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError)
# What EXIF's orientation asks for, as ImageOps.exif_transpose does it (applied to the small copy).
ORIENTATIONS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class PictureError(ValueError):
    """A picture that cannot be taken; the message says why, for the person who sent it."""


def too_many_pixels(image, name=None):
    """The refusal for image (opened, not decoded) when it has too many pixels, else None."""
    limit = settings.IMAGE_MAX_PIXELS
    if image.width * image.height <= limit:
        return None
    return _(
        "%(name)s has too many pixels (%(width)s × %(height)s); pictures can have at most "
        "%(limit)s pixels (%(megapixels)s megapixels)."
    ) % {
        "name": name or _("The picture"),
        "width": f"{image.width:,}",
        "height": f"{image.height:,}",
        "limit": f"{limit:,}",
        "megapixels": f"{limit / 1_000_000:g}",
    }


_slots_lock = threading.Lock()
_slots = {"size": None, "semaphore": None}


def _semaphore():
    with _slots_lock:
        size = settings.IMAGE_DECODES_AT_ONCE
        if _slots["size"] != size:  # first use, or a test changed the setting
            _slots.update(size=size, semaphore=threading.BoundedSemaphore(size))
        return _slots["semaphore"]


@contextmanager
def decoding():
    """One of the IMAGE_DECODES_AT_ONCE decoding slots, waited for up to IMAGE_DECODE_WAIT_SECONDS."""
    semaphore = _semaphore()
    if not semaphore.acquire(timeout=settings.IMAGE_DECODE_WAIT_SECONDS):
        raise PictureError(_("The server is busy with other pictures. Try again in a moment."))
    try:
        yield
    finally:
        semaphore.release()


def shrunk(image, box, *, fit=False):
    """
    image (opened, checked, not yet decoded) decoded at about the size of box and shrunk to it
    (`fit`: cropped to fill it), upright as its EXIF orientation says, in RGB or RGBA.
    """
    orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    image.draft("RGB" if image.mode not in ("L", "RGB") else image.mode, box)  # JPEG: decode at 1/2..1/8
    # Shrunk in the smallest mode that holds the picture (1 byte a pixel for grey), then RGB(A).
    final = "RGBA" if transparent else "RGB"
    working = "L" if image.mode in ("1", "L") and not transparent else final
    image.load()
    if image.mode != working:  # (convert to the same mode would copy the whole picture)
        image = image.convert(working)
    # Shrink by a whole factor first (cheap), to no less than twice the box, then resample.
    scale = min(image.width / box[0], image.height / box[1]) if fit else max(image.width / box[0], image.height / box[1])
    if scale >= 4:
        image = image.reduce(int(scale // 2))
    if fit:
        image = ImageOps.fit(image, box, Image.Resampling.LANCZOS)
    else:
        image.thumbnail(box, Image.Resampling.LANCZOS)
    if orientation in ORIENTATIONS:
        image = image.transpose(ORIENTATIONS[orientation])
    return (image if image.mode == final else image.convert(final)), transparent


def resized_avatar(upload):
    """A square PNG/JPEG of AVATAR_SIZE pixels made from the upload, or ValidationError."""
    if upload.size > settings.AVATAR_MAX_BYTES:
        raise ValidationError(_("The image is too large: at most %(mb)s MB.") % {"mb": settings.AVATAR_MAX_BYTES // (1024 * 1024)})
    try:
        upload.seek(0)
        with Image.open(upload) as probe:  # reads the header only
            if refusal := too_many_pixels(probe, _("The image")):
                raise ValidationError(refusal)
            probe.verify()
        upload.seek(0)
        size = settings.AVATAR_SIZE
        with decoding(), Image.open(upload) as image:
            square, has_alpha = shrunk(image, (size, size), fit=True)
        out = BytesIO()
        if has_alpha:
            square.save(out, "PNG", optimize=True)
        else:
            square.save(out, "JPEG", quality=88)
    except PictureError as error:
        raise ValidationError(str(error)) from None
    except INVALID:
        raise ValidationError(_("Upload a valid image (PNG, JPEG, GIF or WebP).")) from None
    return ContentFile(out.getvalue(), name=f"avatar.{'png' if has_alpha else 'jpg'}")
