"""Real OCR on a few generated pictures: one of each invoice layout and two sticker photos.

The bench (bench/bench_evidence.py) measures the checks on a large set; these
make sure that the whole path — upload pipeline, OCR, reading — works here.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from functools import cache

import pytest
from PIL import Image

from membercenter.evidence.checks import evidence_picture, invoice_check, serial_check
from membercenter.evidence.ocr import TextBox, ocr_image
from membercenter.evidence.reading import date_in_window, invoice_read, model_matches, store_matches
from membercenter.evidence.samples import invoice_image, sticker_image

NOVEMBER = (dt.date(2024, 11, 1), dt.date(2024, 11, 30))


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


@cache
def _table_invoice() -> bytes:
    lines = [
        ("Laptop Nimbus Stratos 15 B12VE i7-12650H/16GB/1TB", 1, 15_999_000),
        ("Mouse Wireless Arkon M110", 2, 150_000),
    ]
    image = invoice_image(
        random.Random(11), store="TOKO SINAR JAYA ELEKTRONIK", number="INV/2024/11/000123",
        date=dt.date(2024, 11, 28), lines=lines, layout="table", date_style="id_long",
    )  # fmt: skip
    return _jpeg(image)


@cache
def _boxes(name: str) -> list[TextBox]:
    data = {"receipt": _receipt, "online": _online_order}[name]()
    return ocr_image(evidence_picture(data))


def _receipt() -> bytes:
    lines = [("VELTRA AERION V460 DUO 8G", 1, 4_250_000), ("Kabel HDMI 1.5m", 1, 85_000)]
    image = invoice_image(
        random.Random(12), store="CV. MEGA KOMPUTER", number="NT-241031-0042", date=dt.date(2024, 10, 31),
        lines=lines, layout="receipt", date_style="dmy_slash",
    )  # fmt: skip
    return _jpeg(image)


def _online_order() -> bytes:
    lines = [("Arkon Helix G24C4 E2 23.6 inch 180Hz", 1, 2_399_000)]
    image = invoice_image(
        random.Random(13), store="Tokoku Official Store", number="INV/20241105/MPL/4512345678",
        date=dt.date(2024, 11, 5), lines=lines, layout="online", date_style="en_short",
    )  # fmt: skip
    return _jpeg(image)


def test_a_photographed_table_invoice_passes_every_check() -> None:
    result, reading = invoice_check(
        _table_invoice(), models=["Stratos 15 B12VE", "S15-B12VE-1024ID"], store="Toko Sinar Jaya Elektronik",
        start=NOVEMBER[0], end=NOVEMBER[1],
    )  # fmt: skip
    assert result["checks"] == {"model_found": True, "date_in_window": True, "store_match": True}
    assert result["invoice_date"] == "2024-11-28"
    assert result["models_found"] == ["Stratos 15 B12VE"]
    assert result["invoice_number"] == "INV/2024/11/000123"
    assert reading.store is not None and reading.store.box is not None


def test_a_receipt_photo_gives_its_date_and_tells_the_store_from_a_near_namesake() -> None:
    boxes = _boxes("receipt")
    reading = invoice_read(boxes, models=["Aerion V460 Duo 8G"], store="CV Mega Komputer")
    assert reading.invoice_date == dt.date(2024, 10, 31)
    assert not date_in_window(reading.invoice_date, *NOVEMBER)  # bought the day before the promotion
    assert reading.store_matched
    assert [found.text for found in reading.models_found] == ["Aerion V460 Duo 8G"]
    assert store_matches(boxes, "CV Mega Komputindo") is None
    assert model_matches(boxes, "Aerion V460 Duo 16G") is None


def test_an_order_page_screenshot_names_its_seller() -> None:
    boxes = _boxes("online")
    reading = invoice_read(boxes, models=["Helix G24C4 E2"], store="Tokoku Official Store")
    assert reading.invoice_date == dt.date(2024, 11, 5)
    assert reading.store_matched
    assert reading.models_found
    assert not invoice_read(boxes, models=["Helix G27C4 E2"], store="Gadgetindo Official Store").store_matched
    assert model_matches(boxes, "Helix G27C4 E2") is None


@pytest.mark.parametrize(
    ("kind", "printed", "registered", "matches"),
    [
        ("device", "K2411N0012345", "K24I1N0O12345", True),  # typed with look-alikes: the same serial
        ("box", None, "K2411N0012345", False),  # the carton's label has no serial
    ],
)
def test_a_sticker_photo_is_compared_with_the_registered_serial(
    kind: str, printed: str | None, registered: str, matches: bool
) -> None:
    image = sticker_image(
        random.Random(21), sn=printed, chk="123" if printed else None, model_code="NB-1584", kind=kind,
        model_name="Nimbus Stratos 15 B12VE",
    )  # fmt: skip
    result, reading = serial_check(_jpeg(image), serial=registered)
    assert result["checks"]["serial_match"] is matches
    if printed:
        assert result["serials_found"][0] == printed
        assert reading.chk is not None and reading.chk.text == "123"
    else:
        assert result["serials_found"] == []
