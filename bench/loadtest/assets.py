"""The pictures of the load test, made once by the project's own generator and kept in a cache folder.

- **Invoices** (`INVOICE_COMBOS`): one picture per (model, store, purchase date) as a member
  uploads it (a phone photo or scan, `evidence.samples.invoice_image`), its cleaned copy as
  the upload pipeline stores it (`evidence.images.evidence_clean`) and what OCR read on it
  (the `Scan` fields). Seeded products point at the cleaned copies and their readings; the
  registration wizard uploads the originals.
- **Sticker photos**: one per serial a member redeems during the test (the serial, its CHK
  and model code printed on a photographed label, `evidence.samples.sticker_image`), and
  two read once, whose text stands for the readings of the seeded claims' photos.

Nothing depends on the date, so a second run finds everything in the cache.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import random
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

# model code, store name (as in membercenter/catalog/demo_data.py), purchase date printed on the invoice
INVOICE_COMBOS: list[tuple[str, str, dt.date]] = [
    ("AUR14-C12", "Kilau Komputer", dt.date(2025, 6, 14)),
    ("AUR16-C12", "Rajawali PC Mart", dt.date(2025, 7, 2)),
    ("NMB15-G7", "Bintang Laptop Gallery", dt.date(2025, 7, 19)),
    ("NMB17-GP9", "Kilau Komputer", dt.date(2025, 8, 3)),
    ("ZPH13-A5", "Parahyangan Komputer", dt.date(2025, 8, 21)),
    ("ZPH14-B7", "Pelita Komputer Surabaya", dt.date(2025, 9, 6)),
    ("TTN-X700", "Rajawali PC Mart", dt.date(2025, 9, 27)),
    ("TTN-M300", "Malioboro Komputer", dt.date(2025, 10, 11)),
    ("FRG-G500", "Tugu Gaming Store", dt.date(2025, 10, 30)),
    ("NMB-AIO24", "Kilau Komputer", dt.date(2025, 11, 8)),
    ("NMB-AIO27P", "Dewata Komputer", dt.date(2025, 11, 22)),
    ("AUR14-C12", "Toba Laptop Center", dt.date(2025, 12, 6)),
]
STICKER_TEMPLATES = [("LTTPL00000001", "417", "AUR14-C12"), ("LTTPL00000002", "093", "TTN-X700")]
_VERSION = "1"  # bump when the pictures change


@dataclass(frozen=True)
class Reading:
    """A cleaned picture and what was read on it: the fields of a finished Scan."""

    clean: Path
    width: int
    height: int
    phash: str
    boxes: list
    invoice_number_key: str


def combo_key(index: int) -> str:
    model, store, day = INVOICE_COMBOS[index]
    return f"{index:02d}-{model}-{day:%Y%m%d}"


def _seed(*parts: object) -> int:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:12], 16)


def _jpeg(image: object, quality: int = 90) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)  # type: ignore[attr-defined]
    return out.getvalue()


def _invoice_picture(index: int, model_name: str, store_city: str) -> bytes:
    from membercenter.evidence import samples

    model, store, day = INVOICE_COMBOS[index]
    rng = random.Random(_seed("invoice", _VERSION, index))
    lines = [(model_name, 1, rng.randrange(80, 250) * 100_000), ("Mouse Wireless M110", 1, 150_000)]
    number = f"INV/{day:%Y}/{day:%m}/{rng.randrange(1, 999_999):06d}"
    image = samples.invoice_image(
        rng, store=store, number=number, date=day, lines=lines, city=store_city,
        layout=("table", "receipt")[index % 2], date_style="dmy_dash",
    )  # fmt: skip
    return _jpeg(image)


def _sticker_picture(sn: str, chk: str, model_code: str) -> bytes:
    from membercenter.evidence import samples

    rng = random.Random(_seed("sticker", _VERSION, sn))
    return _jpeg(samples.sticker_image(rng, sn=sn, chk=chk, model_code=model_code, brand="Nimbus"))


def _read(picture: Path, clean_path: Path) -> dict:
    """Clean the picture as an upload is cleaned, and read it as the worker reads it."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from membercenter.evidence import images
    from membercenter.evidence.ocr import ocr_image
    from membercenter.evidence.verdicts import invoice_number_key

    clean = images.evidence_clean(SimpleUploadedFile(picture.name, picture.read_bytes(), content_type="image/jpeg"))
    data = clean.content.read()
    clean_path.write_bytes(data)
    boxes = ocr_image(Image.open(io.BytesIO(data)))
    return {
        "width": clean.width,
        "height": clean.height,
        "phash": clean.phash,
        "boxes": [[b.text, *b.box, round(b.score, 3)] for b in boxes],
        "invoice_number_key": invoice_number_key(boxes),
    }


def _make_invoice(job: tuple[int, str, str, str]) -> None:
    index, model_name, city, folder = job
    root = Path(folder)
    picture = root / f"{combo_key(index)}.jpg"
    picture.write_bytes(_invoice_picture(index, model_name, city))
    reading = _read(picture, root / f"{combo_key(index)}.clean.jpg")
    (root / f"{combo_key(index)}.json").write_text(json.dumps(reading))


def _make_sticker(job: tuple[str, str, str, str, bool]) -> None:
    sn, chk, code, folder, read = job
    root = Path(folder)
    picture = root / f"{sn}.jpg"
    picture.write_bytes(_sticker_picture(sn, chk, code))
    if read:
        (root / f"{sn}.json").write_text(json.dumps(_read(picture, root / f"{sn}.clean.jpg")))


class Assets:
    def __init__(self, cache: Path) -> None:
        self.invoices = cache / f"v{_VERSION}" / "invoices"
        self.stickers = cache / f"v{_VERSION}" / "stickers"

    def invoice_upload(self, index: int) -> Path:
        return self.invoices / f"{combo_key(index)}.jpg"

    def invoice_reading(self, index: int) -> Reading:
        return self._reading(self.invoices, combo_key(index))

    def sticker_upload(self, sn: str) -> Path:
        return self.stickers / f"{sn}.jpg"

    def sticker_reading(self, sn: str) -> Reading:
        return self._reading(self.stickers, sn)

    @staticmethod
    def _reading(folder: Path, key: str) -> Reading:
        data = json.loads((folder / f"{key}.json").read_text())
        return Reading(clean=folder / f"{key}.clean.jpg", **data)

    def prepare(self, *, models: dict[str, str], cities: dict[str, str], stickers: list[tuple[str, str, str]]) -> int:
        """Make what the cache lacks (in two processes); returns how many pictures were made."""
        self.invoices.mkdir(parents=True, exist_ok=True)
        self.stickers.mkdir(parents=True, exist_ok=True)
        invoice_jobs = [
            (i, models[model], cities[store], str(self.invoices))
            for i, (model, store, _day) in enumerate(INVOICE_COMBOS)
            if not (self.invoices / f"{combo_key(i)}.json").exists()
        ]
        template_sns = {sn for sn, _chk, _code in STICKER_TEMPLATES}
        sticker_jobs = [
            (sn, chk, code, str(self.stickers), sn in template_sns)
            for sn, chk, code in [*STICKER_TEMPLATES, *stickers]
            if not (self.stickers / f"{sn}.{'json' if sn in template_sns else 'jpg'}").exists()
        ]
        if not invoice_jobs and not sticker_jobs:
            return 0
        # OCR first (the slow part), then the plain pictures; each process loads the OCR engine once.
        with ProcessPoolExecutor(max_workers=2) as pool:
            list(pool.map(_make_invoice, invoice_jobs))
            list(pool.map(_make_sticker, sticker_jobs, chunksize=16))
        return len(invoice_jobs) + len(sticker_jobs)
