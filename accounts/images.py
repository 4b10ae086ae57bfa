"""Avatar images: verified with Pillow, cropped to a square and stored small."""

from io import BytesIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError


def resized_avatar(upload):
    """A square PNG/JPEG of AVATAR_SIZE pixels made from the upload, or ValidationError."""
    if upload.size > settings.AVATAR_MAX_BYTES:
        raise ValidationError(f"The image is too large: at most {settings.AVATAR_MAX_BYTES // (1024 * 1024)} MB.")
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image = ImageOps.exif_transpose(image)
            size = settings.AVATAR_SIZE
            square = ImageOps.fit(image, (size, size), Image.Resampling.LANCZOS)
            has_alpha = square.mode in ("RGBA", "LA", "P")
            square = square.convert("RGBA" if has_alpha else "RGB")
            out = BytesIO()
            fmt, ext = ("PNG", "png") if has_alpha else ("JPEG", "jpg")
            square.save(out, fmt, quality=88) if fmt == "JPEG" else square.save(out, fmt, optimize=True)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError("Upload a valid image (PNG, JPEG, GIF or WebP).") from None
    return ContentFile(out.getvalue(), name=f"avatar.{ext}")
