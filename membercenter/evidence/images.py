"""The upload pipeline for invoice pictures: check by content, then re-encode clean.

Every stored image is a fresh JPEG made from decoded pixels, so nothing of the
upload survives but the picture: no metadata (EXIF, GPS), no trailing payload,
no polyglot tricks.
"""

from __future__ import annotations

import io
import uuid
import warnings

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = ("JPEG", "PNG", "GIF")
_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")


class UploadRejected(Exception):
    """The upload is not an image we accept; the message is for the member."""


def image_sanitize(upload: UploadedFile, *, prefix: str = "") -> ContentFile:
    """A clean JPEG of the uploaded picture, at most UPLOAD_MAX_WIDTH pixels wide."""
    if upload.size is not None and upload.size > settings.UPLOAD_MAX_BYTES:
        raise UploadRejected(
            _("The file is %(size)s; the largest we accept is %(max)s. Please upload a smaller picture.")
            % {"size": filesizeformat(upload.size), "max": filesizeformat(settings.UPLOAD_MAX_BYTES)}
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not head.startswith(_MAGIC):
        raise UploadRejected(_("This file is not a JPG, GIF or PNG picture. Please upload a photo or scan of it."))
    image = _open_checked(upload)
    image = ImageOps.exif_transpose(image) or image
    image = _flatten(image)
    if image.width > settings.UPLOAD_MAX_WIDTH:
        height = max(1, round(image.height * settings.UPLOAD_MAX_WIDTH / image.width))
        image = image.resize((settings.UPLOAD_MAX_WIDTH, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)
    return ContentFile(out.getvalue(), name=f"{prefix}{uuid.uuid4().hex}.jpg")


def _open_checked(upload: UploadedFile) -> Image.Image:
    too_big = UploadRejected(
        _("This picture is too large (more than %(mp)s megapixels). Please upload a smaller picture.")
        % {"mp": settings.UPLOAD_MAX_PIXELS // 1_000_000}
    )
    unreadable = UploadRejected(_("This picture could not be read; it may be damaged. Please upload it again."))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            # Opening reads the header only: the pixel count is checked before decoding.
            image = Image.open(upload, formats=ACCEPTED_FORMATS)
            if image.width * image.height > settings.UPLOAD_MAX_PIXELS:
                raise too_big
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_big from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise unreadable from None
    return image


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: JPEG has no alpha or palette."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")
