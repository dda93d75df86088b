"""The evidence checks on one file, as the check_evidence command and the bench run them.

The file goes through the upload pipeline (``evidence_clean``) first, so what is
read is exactly the picture the site keeps: same formats, same limits, same
downscaling. The results are plain JSON-ready dicts; the wording for members is
the caller's.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Sequence
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from membercenter.evidence.images import evidence_clean
from membercenter.evidence.ocr import ocr_image, ocr_ready
from membercenter.evidence.reading import (
    InvoiceReading,
    StickerReading,
    date_in_window,
    invoice_read,
    serial_matches,
    sticker_read,
)

Source = str | Path | bytes


def evidence_picture(source: Source) -> Image.Image:
    """The cleaned picture of a file or of uploaded bytes (raises UploadRejected)."""
    if isinstance(source, bytes):
        data, name = source, "upload"
    else:
        path = Path(source)
        data, name = path.read_bytes(), path.name
    clean = evidence_clean(SimpleUploadedFile(name, data))
    image = Image.open(io.BytesIO(clean.content.read()))
    image.load()
    return image


def invoice_check(
    source: Source,
    *,
    models: list[str],
    store: str | None,
    start: dt.date,
    end: dt.date,
    others: Sequence[str] = (),
) -> tuple[dict, InvoiceReading]:
    """The invoice's reading against a claim: the command's JSON object, and the reading behind it.

    ``seconds`` is the wall time from the file's bytes to the answers: the upload
    pipeline's decoding, OCR and reading; loading the OCR models once per process
    is not counted. ``models``: the registered model's name and aliases; ``others``:
    the catalog's other models, if known (see ``invoice_read``).
    """
    ocr_ready()
    began = time.perf_counter()
    reading = invoice_read(ocr_image(evidence_picture(source)), models=models, store=store, others=others)
    seconds = time.perf_counter() - began
    result = {
        "invoice_date": reading.invoice_date.isoformat() if reading.invoice_date else None,
        "store": reading.store.text if reading.store else None,
        "invoice_number": reading.invoice_number.text if reading.invoice_number else None,
        "models_found": [found.text for found in reading.models_found],
        "checks": {
            "model_found": bool(reading.models_found),
            "date_in_window": date_in_window(reading.invoice_date, start, end),
            "store_match": reading.store_matched,
        },
        "seconds": round(seconds, 3),
    }
    return result, reading


def serial_check(source: Source, *, serial: str) -> tuple[dict, StickerReading]:
    """The sticker photo's reading against the registered serial: the command's JSON object, and the reading."""
    ocr_ready()
    began = time.perf_counter()
    reading = sticker_read(ocr_image(evidence_picture(source)))
    seconds = time.perf_counter() - began
    result = {
        "serials_found": [found.text for found in reading.serials],
        "checks": {"serial_match": serial_matches(reading, serial) is not None},
        "seconds": round(seconds, 3),
    }
    return result, reading
