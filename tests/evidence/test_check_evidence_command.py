"""`manage.py check_evidence`: the JSON contract, the summary, and refusals."""

from __future__ import annotations

import datetime as dt
import json
import random
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from membercenter.evidence.samples import invoice_image, sticker_image

INVOICE_KEYS = {"invoice_date", "store", "invoice_number", "models_found", "checks", "seconds"}


@pytest.fixture(scope="module")
def invoice_picture() -> Image.Image:
    lines = [("Nimbus Vista AX242 12M i5-1235U/8GB/512GB", 1, 11_499_000)]
    page = invoice_image(
        random.Random(31), store="CV MEGA KOMPUTER", number="FJ-2411-00042", date=dt.date(2024, 11, 28),
        lines=lines, layout="table", date_style="dmy_dash", distort=False,
    )  # fmt: skip
    return page.crop((0, 0, page.width, 900))  # the printed half: the blank rest only costs OCR time


def _run(*args: str) -> str:
    out = StringIO()
    call_command("check_evidence", *args, stdout=out)
    return out.getvalue()


def _invoice_args(path: Path) -> list[str]:
    return [
        "invoice",
        str(path),
        "--model",
        "Vista AX242 12M",
        "--model",
        "AX242-12M-021ID",
        "--store",
        "CV Mega Komputer",
        "--from",
        "2024-11-01",
        "--to",
        "2024-11-30",
    ]


def test_an_invoice_gives_one_json_object_with_the_agreed_keys(tmp_path: Path, invoice_picture: Image.Image) -> None:
    path = tmp_path / "invoice.png"
    invoice_picture.save(path)
    result = json.loads(_run(*_invoice_args(path), "--json"))
    assert set(result) == INVOICE_KEYS
    assert result["checks"] == {"model_found": True, "date_in_window": True, "store_match": True}
    assert result["invoice_date"] == "2024-11-28"
    assert result["models_found"] == ["Vista AX242 12M"]
    assert isinstance(result["store"], str)
    assert result["invoice_number"] == "FJ-2411-00042"
    assert isinstance(result["seconds"], float) and result["seconds"] > 0


def test_a_pdf_invoice_is_read_from_its_first_page(tmp_path: Path, invoice_picture: Image.Image) -> None:
    path = tmp_path / "invoice.pdf"
    invoice_picture.save(path, "PDF", resolution=150)
    args = _invoice_args(path)
    args[args.index("--to") + 1] = "2024-11-27"  # the window closed the day before
    result = json.loads(_run(*args, "--json"))
    assert result["invoice_date"] == "2024-11-28"
    assert result["checks"]["date_in_window"] is False
    assert result["checks"]["model_found"] is True


def test_a_sticker_gives_its_serials_and_the_match(tmp_path: Path) -> None:
    path = tmp_path / "sticker.webp"
    sticker_image(random.Random(32), sn="7E854406963", chk="207", model_code="VT-14L1").save(path, "WEBP", quality=90)
    result = json.loads(_run("serial", str(path), "--serial", "7E8544O6963", "--json"))
    assert set(result) == {"serials_found", "checks", "seconds"}
    assert result["serials_found"][0] == "7E854406963"
    assert all(isinstance(sn, str) for sn in result["serials_found"])
    assert result["checks"] == {"serial_match": True}
    assert isinstance(result["seconds"], float)

    summary = _run("serial", str(path), "--serial", "7E854406964")
    assert "7E854406963" in summary
    assert "NO" in summary


def test_without_json_a_short_summary_is_printed(tmp_path: Path, invoice_picture: Image.Image) -> None:
    path = tmp_path / "invoice.jpg"
    invoice_picture.save(path, quality=90)
    summary = _run(*_invoice_args(path))
    assert "2024-11-28" in summary
    assert "FJ-2411-00042" in summary
    assert "Vista AX242 12M" in summary
    assert not summary.lstrip().startswith("{")


def test_a_file_that_is_not_a_picture_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "invoice.jpg"
    path.write_text("<html><body>not an invoice</body></html>")
    with pytest.raises(CommandError, match="refused"):
        _run("serial", str(path), "--serial", "K2411N0012345")


def test_a_missing_file_or_a_bad_window_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        _run("serial", str(tmp_path / "nothing.jpg"), "--serial", "K2411N0012345")
    path = tmp_path / "x.png"
    path.write_bytes(b"")
    args = _invoice_args(path)
    args[args.index("--from") + 1] = "2024-12-01"
    with pytest.raises(CommandError, match="--from"):
        _run(*args)
    args[args.index("--from") + 1] = "28-11-2024"
    with pytest.raises(CommandError):
        _run(*args)
