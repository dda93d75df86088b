"""Serving stored files: uploads (invoices, sticker photos, banners) and generated exports.

No file is ever served from MEDIA_URL or the static root: a view checks who asks, then answers
with one of these helpers. Whatever a file holds, a browser treats it as a picture or a download,
never as a page of this site:

- the content type comes from the stored bytes (every upload is re-encoded to JPEG by
  membercenter.evidence.images), never from a file name the sender chose;
- a picture is shown inline under a generated file name; anything else is an attachment;
- the response has its own sandboxing Content-Security-Policy (no script, no plugin, no
  origin), which the site-wide CSP middleware leaves as it is, and nosniff.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePosixPath
from typing import TypeVar

from django.core.files import File
from django.http import FileResponse, Http404
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

# What a stored file may do when a browser opens it by itself: show itself as a picture.
# "sandbox" gives the document a unique opaque origin, no scripts, no forms, no plugins. The
# inline style is the browser's own image viewer (Chromium styles it inline); the file has none
# of its own, and in a sandbox without script a style can do no harm.
SANDBOX_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
PRIVATE = "private, no-store"  # invoices and addresses are personal data: no shared or disk cache

# Magic numbers of the formats a browser shows as a picture and cannot run.
_IMAGE_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
)
_GENERATED_STEM = re.compile(r"[A-Za-z0-9_-]{1,100}")

R = TypeVar("R", bound=HttpResponseBase)


def image_type(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a picture, from its first bytes; None when it is not one we show."""
    for magic, content_type, extension in _IMAGE_SIGNATURES:
        if head.startswith(magic):
            return content_type, extension
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def download_name(stored_name: str, extension: str) -> str:
    """The file name a browser is given: the stored (generated) name, or a digest of it when it is not plain."""
    stem = PurePosixPath(stored_name).stem
    if not _GENERATED_STEM.fullmatch(stem):
        stem = hashlib.sha256(stored_name.encode()).hexdigest()[:32]
    return f"{stem}.{extension}"


def sandboxed(response: R) -> R:
    """The headers every served file carries, whatever it is."""
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["X-Content-Type-Options"] = "nosniff"
    return response


def stored_file_response(file: File | None, *, cache_control: str = PRIVATE) -> FileResponse:
    """A stored file for someone already authorised: a picture inline, anything else as a download."""
    if not file:
        raise Http404
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    head = handle.read(16)
    handle.seek(0)
    kind = image_type(head)
    if kind is not None:
        content_type, extension = kind
        response = FileResponse(handle, content_type=content_type, filename=download_name(file.name or "", extension))
    else:
        response = FileResponse(
            handle,
            content_type="application/octet-stream",
            as_attachment=True,
            filename=download_name(file.name or "", "bin"),
        )
    response["Cache-Control"] = cache_control
    return sandboxed(response)


def private_image_response(file: File | None) -> FileResponse:
    """A member's stored picture (invoice, sticker photo, pending upload): never cached, never active content."""
    return stored_file_response(file)


def as_download(response: R, *, filename: str) -> R:
    """A generated file (CSV export…): saved by the browser, never shown, never cached, sandboxed."""
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = PRIVATE
    return sandboxed(response)
