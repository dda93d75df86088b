"""The upload pipeline for invoice pictures: check by content, then re-encode clean.

Every stored image is a fresh JPEG made from decoded pixels, so nothing of the
upload survives but the picture: no metadata (EXIF, GPS), no trailing payload,
no polyglot tricks. A PDF is accepted as its first page, rendered.

What a file is comes from its bytes, never from its name or the content type
the browser sent: both are chosen by the sender.
"""

from __future__ import annotations

import io
import math
import re
import threading
import uuid
import warnings
from dataclasses import dataclass

import imagehash
import pillow_heif
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

# Embedded thumbnails are off: Pillow's draft()/thumbnail() would otherwise decode a
# thumbnail, which a crafted file can make show a different picture than the image.
pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)

ACCEPT = "image/jpeg,image/png,image/gif,image/webp,image/heic,image/heif,.heic,.heif,application/pdf,.pdf"
ACCEPTED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "HEIF")

# JPEG cannot store a side longer than 65,535 pixels; a very long receipt is scaled to fit.
_JPEG_MAX_SIDE = 65_500

# Markup a browser would run if the file were ever served as a web page. Random or
# compressed picture data practically never holds these (each needs 6+ exact bytes);
# a bare "<svg" is only 4, so it counts only with what makes it live: a namespace or
# an event handler.
_MARKUP = re.compile(
    rb"<(?:script|iframe|html|body|\?php)[\s/>]|<svg[\s/][^>]{0,512}?(?:xmlns|on[a-z]+\s*=)|javascript:",
    re.IGNORECASE,
)

# PDFium is not thread-safe (pypdfium2 documents it); every call into it holds this lock.
_PDFIUM = threading.Lock()


class UploadRejected(Exception):
    """The upload is not an image we accept; the message is for the member."""


@dataclass(frozen=True)
class CleanImage:
    content: ContentFile  # the JPEG, named f"{prefix}{uuid4 hex}.jpg"
    width: int
    height: int
    phash: str  # 16 lowercase hex characters


def evidence_clean(upload: UploadedFile, *, prefix: str = "") -> CleanImage:
    """A clean JPEG of the uploaded picture or PDF (page 1), with its perceptual hash.

    Checks run cheapest first: size, what the bytes are, markup, then the pixel
    count from the header before anything is decoded.
    """
    data = _read_limited(upload)
    if not data:
        # Django's own wording (and translation), as its FileField says it.
        raise UploadRejected(_("The submitted file is empty."))
    kind = _kind_of(data)
    if kind is None:
        raise UploadRejected(
            _("This file is not a picture (JPG, PNG, GIF, WebP, HEIC) or a PDF. Please upload a photo or scan of it.")
        )
    if _MARKUP.search(data):
        raise UploadRejected(
            _("This file contains web page code, so we cannot accept it. Please upload a plain photo or scan of it.")
        )
    image = _pdf_first_page(data) if kind == "PDF" else _raster_decoded(data, kind)
    image = _fit(_flatten(image))
    bare = _bare(image)
    out = io.BytesIO()
    bare.save(out, "JPEG", quality=85, optimize=True)
    return CleanImage(
        content=ContentFile(out.getvalue(), name=f"{prefix}{uuid.uuid4().hex}.jpg"),
        width=bare.width,
        height=bare.height,
        phash=phash_of(bare),
    )


def image_sanitize(upload: UploadedFile, *, prefix: str = "") -> ContentFile:
    """A clean JPEG of the uploaded picture, at most UPLOAD_MAX_WIDTH pixels wide."""
    return evidence_clean(upload, prefix=prefix).content


def phash_of(image: Image.Image) -> str:
    """The 64-bit perceptual hash (DCT) as 16 hex characters: near-identical pictures get near-identical hashes.

    It sees the layout, not the text: two invoices printed on one template hash
    almost alike, so a close hash is a reason to look, never proof of a copy.
    The blank paper around the print is trimmed first: a copy cropped by a few
    percent loses margin, not content, and keeps its hash.
    """
    return str(imagehash.phash(_inked(image), hash_size=8))


def _inked(image: Image.Image) -> Image.Image:
    """The part of the picture with something printed on it (the whole picture when there is no margin)."""
    grey = image.convert("L")
    # Ink is anything clearly darker than paper; JPEG noise and light shadows are not.
    ink = grey.point(lambda v: 255 if v < 200 else 0)
    box = ink.getbbox()
    if box is None:
        return image
    left, top, right, bottom = box
    if (right - left) * (bottom - top) < 0.05 * image.width * image.height:
        return image  # a few dark specks on a blank page: nothing to trim to
    return image.crop(box)


def phash_distance(a: str, b: str) -> int:
    """How many of the 64 bits differ between two hashes (0 = the same picture)."""
    return (_phash_int(a) ^ _phash_int(b)).bit_count()


def phash_bands(h: str) -> tuple[int, int, int, int]:
    """The hash cut into four 16-bit bands, most significant first.

    Two hashes at most 3 bits apart share at least one whole band, so an indexed
    equality lookup on the bands finds every such near-duplicate.
    """
    value = _phash_int(h)
    return (value >> 48 & 0xFFFF, value >> 32 & 0xFFFF, value >> 16 & 0xFFFF, value & 0xFFFF)


def _phash_int(h: str) -> int:
    if len(h) != 16:
        raise ValueError(f"a perceptual hash is 16 hex characters, not {h!r}")
    return int(h, 16)


def _read_limited(upload: UploadedFile) -> bytes:
    """The upload's bytes, refused when over UPLOAD_MAX_BYTES; never reads more than one byte past it."""
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise _too_many_bytes(upload.size)
    upload.seek(0)
    data = upload.read(limit + 1)
    upload.seek(0)
    if len(data) > limit:  # the declared size was wrong
        raise _too_many_bytes(len(data))
    return data


def _too_many_bytes(size: int) -> UploadRejected:
    return UploadRejected(
        _("The file is %(size)s; the largest we accept is %(max)s. Please upload a smaller picture.")
        % {"size": filesizeformat(size), "max": filesizeformat(settings.UPLOAD_MAX_BYTES)}
    )


def _kind_of(data: bytes) -> str | None:
    """The format the bytes really are (a Pillow format name or "PDF"), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp" and pillow_heif.get_file_mimetype(data[:12]).startswith("image/hei"):
        return "HEIF"
    # Some PDF writers put a byte-order mark or blank lines before the header.
    if data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"%PDF-"):
        return "PDF"
    return None


def _too_many_pixels() -> UploadRejected:
    return UploadRejected(
        _("This picture is too large (more than %(mp)s megapixels). Please upload a smaller picture.")
        % {"mp": f"{settings.UPLOAD_MAX_PIXELS / 1_000_000:g}"}
    )


def _unreadable_picture() -> UploadRejected:
    return UploadRejected(_("This picture could not be read; it may be damaged. Please upload it again."))


def _raster_decoded(data: bytes, kind: str) -> Image.Image:
    """The decoded picture, upright; the pixel count is checked from the header before decoding."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            # Opening reads the header only; `formats` keeps Pillow to the kind the bytes claimed.
            image = Image.open(io.BytesIO(data), formats=(kind,))
            if image.width * image.height > settings.UPLOAD_MAX_PIXELS:
                raise _too_many_pixels()
            image.load()
            # pillow-heif applies the HEIF rotation itself and resets the EXIF orientation to 1,
            # so this turns a HEIC photo only once.
            return ImageOps.exif_transpose(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, RuntimeError):
            # RuntimeError: libheif's decoding errors.
            raise _unreadable_picture() from None


def _pdf_first_page(data: bytes) -> Image.Image:
    """Page 1 of the PDF, rendered within the width and pixel limits; no other page is loaded."""
    with _PDFIUM:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as err:
            if err.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
                raise UploadRejected(
                    _(
                        "This PDF is protected with a password. "
                        "Please upload it without the password, or upload a photo or scan of it."
                    )
                ) from None
            raise _unreadable_pdf() from None
        try:
            return _pdf_render_first(pdf)
        finally:
            # Closed here, under the lock, rather than by a finaliser on some other thread.
            pdf.close()


def _pdf_render_first(pdf: pdfium.PdfDocument) -> Image.Image:
    try:
        pdf.init_forms()  # filled-in form fields are drawn as a viewer shows them
        page = pdf[0]
    except pdfium.PdfiumError:
        raise _unreadable_pdf() from None
    try:
        width, height = page.get_size()
        if not (width > 0 and height > 0):
            raise _unreadable_pdf()
        bitmap = page.render(scale=_pdf_scale(width, height))
        try:
            return bitmap.to_pil().convert("RGB")  # a copy that outlives the bitmap
        finally:
            bitmap.close()
    finally:
        page.close()


def _pdf_scale(width: float, height: float) -> float:
    """Pixels per PDF unit for a page of this size: at most UPLOAD_MAX_WIDTH wide and within the pixel limit.

    PDFium rounds the bitmap size up, so the scale aims at whole-pixel targets
    (rounded down) and stays a hair under them: rounding up cannot then add a pixel.
    """
    fit = min(
        settings.UPLOAD_MAX_WIDTH / width,
        math.sqrt(settings.UPLOAD_MAX_PIXELS / (width * height)),
        _JPEG_MAX_SIDE / height,
    )
    target_width = max(1, math.floor(width * fit + 1e-6))
    target_height = max(1, math.floor(height * fit + 1e-6))
    return min(target_width / width, target_height / height) * (1 - 1e-9)


def _unreadable_pdf() -> UploadRejected:
    return UploadRejected(
        _("This PDF could not be read; it may be damaged. Please upload it again, or upload a photo or scan of it.")
    )


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: JPEG has no alpha, palette or 16-bit grey."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        # 16-bit grey (some scanners' PNGs); a plain convert would clip it to white.
        image = image.convert("I").point(lambda value: value / 256, "L")
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _fit(image: Image.Image) -> Image.Image:
    """At most UPLOAD_MAX_WIDTH wide (and within JPEG's side limit), never enlarged."""
    scale = min(1.0, settings.UPLOAD_MAX_WIDTH / image.width, _JPEG_MAX_SIDE / image.height)
    if scale >= 1.0:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _bare(image: Image.Image) -> Image.Image:
    """The pixels alone in a new image: Pillow carries some `info` (a JPEG comment, for one) into what it saves."""
    return Image.frombytes("RGB", image.size, image.tobytes())
