"""The automatic checks in words: each stored reading judged against what it must show.

A Verdict is language-neutral data (kept in Claim.checks as JSON); its message is
made in the reader's language when shown. ok is True (passed), False (failed: the
member is told what to upload instead) or None (not known: still reading, or the
picture could not be read; a reviewer looks).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from django.utils.translation import gettext as _

from membercenter.catalog.serials import sn_skeleton
from membercenter.evidence.models import Scan
from membercenter.evidence.ocr import TextBox


def _reading():  # noqa: ANN202 — imported when first needed
    from membercenter.evidence import reading

    return reading


MODEL_FOUND = "model_found"
DATE_IN_WINDOW = "date_in_window"
DATE_MATCHES = "date_matches"
STORE_MATCH = "store_match"
SERIAL_MATCH = "serial_match"
READABLE = "readable"


def day(d: dt.date) -> str:
    """Dates as invoices in the region print them: 28-11-2024."""
    return d.strftime("%d-%m-%Y")


@dataclass(frozen=True)
class Verdict:
    check: str
    ok: bool | None
    detail: str = ""
    params: dict = field(default_factory=dict)
    read: str = ""  # what the machine read for this check
    box: list[int] | None = None  # where, in the picture's pixels
    doc: str = ""  # which picture: "doc:<ClaimDocument id>", "product:<id>" or "upload:<uuid>"

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Verdict:
        stored: dict[str, Any] = {k: data.get(k) for k in ("check", "ok", "detail", "read", "box", "doc")}
        return cls(**stored, params=data["params"])

    @property
    def message(self) -> str:  # noqa: C901 — one message per outcome, read top to bottom
        p = self.params
        if self.detail == "pending":
            return _("We are still reading this picture.")
        if self.detail == "unreadable":
            return _("We could not read this picture automatically; a reviewer will look at it.")
        if self.check == MODEL_FOUND:
            if self.ok:
                return _("Model %(model)s found on the invoice.") % p
            return (
                _("We could not find the model name %(model)s on this invoice — upload an invoice that shows it.") % p
            )
        if self.check in (DATE_IN_WINDOW, DATE_MATCHES) and self.detail == "no_date":
            return _("We could not read a date on this invoice — upload an invoice that shows the purchase date.")
        if self.check == DATE_IN_WINDOW:
            if self.ok:
                return _("The invoice date (%(date)s) is within the promotion's purchase period.") % p
            if self.detail == "before_start":
                return _("The date on this invoice (%(date)s) is before the promotion's start (%(start)s).") % p
            return _("The date on this invoice (%(date)s) is after the promotion's purchase period (%(end)s).") % p
        if self.check == DATE_MATCHES:
            if self.ok:
                return _("The invoice date (%(date)s) matches the purchase date.") % p
            return _("The date on this invoice (%(date)s) is not the purchase date you entered (%(entered)s).") % p
        if self.check == STORE_MATCH:
            if self.ok:
                return _("Store %(store)s found on the invoice.") % p
            return (
                _("We could not find the store name %(store)s on this invoice — upload the invoice from that store.")
                % p
            )
        if self.check == SERIAL_MATCH:
            if self.ok:
                return _("Serial number %(sn)s found on the photo.") % p
            return (
                _(
                    "We could not find serial number %(sn)s on this photo — take a photo of the sticker on the product "
                    "(not the box)."
                )
                % p
            )
        return ""

    @property
    def label(self) -> str:
        return {
            MODEL_FOUND: _("Model on invoice"),
            DATE_IN_WINDOW: _("Invoice date in purchase period"),
            DATE_MATCHES: _("Invoice date = purchase date"),
            STORE_MATCH: _("Store on invoice"),
            SERIAL_MATCH: _("Serial on sticker photo"),
            READABLE: _("Picture readable"),
        }.get(self.check, self.check)


def boxes_of(scan: Scan) -> list[TextBox]:
    # [text, x0, y0, x1, y1, score, angle]; rows read before the angle was kept have six items.
    return [
        TextBox(text=row[0], box=(row[1], row[2], row[3], row[4]), score=row[5], angle=row[6] if len(row) > 6 else 0.0)
        for row in scan.boxes
    ]


T = TypeVar("T")

# A picture's reading, kept per process: the redeem page, the claim's checks and the reviewer's
# page judge the same few invoices again and again, and reading a page's text boxes into lines
# costs 10–20 ms of CPU each time. The key is what the reading depends on, and nothing else:
# the boxes themselves (a digest of them: a picture read again, or emptied by the retention
# job, is a new key) and the question asked of them.
READINGS_KEPT = 1024
_readings: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_readings_lock = threading.Lock()


def _scan_reading(scan: Scan, question: tuple[Any, ...], read: Callable[[], T]) -> T:
    boxes = hashlib.blake2b(repr(scan.boxes).encode(), digest_size=16).digest()
    key = (boxes, *question)
    with _readings_lock:
        if key in _readings:
            _readings.move_to_end(key)
            return _readings[key]
    reading = read()  # outside the lock: two threads may both read, and agree
    with _readings_lock:
        _readings[key] = reading
        while len(_readings) > READINGS_KEPT:
            _readings.popitem(last=False)
    return reading


def _unknown(scan: Scan | None, doc: str) -> list[Verdict] | None:
    if scan is None or scan.state == Scan.State.FAILED:
        return [Verdict(READABLE, None, "unreadable", doc=doc)]
    if scan.state == Scan.State.PENDING:
        return [Verdict(READABLE, None, "pending", doc=doc)]
    return None


def invoice_verdicts(
    scan: Scan | None,
    *,
    model_names: list[str],
    store: str | None,
    window: tuple[dt.date, dt.date] | None = None,
    purchase_date: dt.date | None = None,
    doc: str = "",
) -> list[Verdict]:
    """The model, the store and the date on an invoice; the first name in model_names is the one shown."""
    unknown = _unknown(scan, doc)
    if unknown is not None or scan is None:  # a missing scan always has its "unknown" verdict
        return unknown or []
    reading = _scan_reading(
        scan,
        ("invoice", tuple(model_names), store),
        lambda: _reading().invoice_read(boxes_of(scan), models=model_names, store=store),
    )
    found = reading.models_found[0] if reading.models_found else None
    verdicts = [
        Verdict(
            MODEL_FOUND, found is not None, params={"model": model_names[0]},
            read=found.text if found else "", box=_box(found), doc=doc,
        )
    ]  # fmt: skip
    if store:
        read = reading.store
        verdicts.append(
            Verdict(
                STORE_MATCH, reading.store_matched, params={"store": store},
                read=read.text if read else "", box=_box(read), doc=doc,
            )
        )  # fmt: skip
    date = reading.invoice_date
    where: dict[str, Any] = {"read": reading.date.text if reading.date else "", "box": _box(reading.date), "doc": doc}
    if window is not None:
        start, end = window
        params = {"start": day(start), "end": day(end), "date": day(date) if date else ""}
        if date is None:
            verdicts.append(Verdict(DATE_IN_WINDOW, False, "no_date", params, **where))
        else:
            ok = _reading().date_in_window(date, start, end)
            detail = "" if ok else ("before_start" if date < start else "after_end")
            verdicts.append(Verdict(DATE_IN_WINDOW, ok, detail, params, **where))
    if purchase_date is not None:
        params = {"entered": day(purchase_date), "date": day(date) if date else ""}
        if date is None:
            verdicts.append(Verdict(DATE_MATCHES, False, "no_date", params, **where))
        else:
            verdicts.append(Verdict(DATE_MATCHES, date == purchase_date, "", params, **where))
    return verdicts


def sticker_verdicts(scan: Scan | None, *, sn: str, doc: str = "") -> list[Verdict]:
    unknown = _unknown(scan, doc)
    if unknown is not None or scan is None:  # a missing scan always has its "unknown" verdict
        return unknown or []
    reading = _scan_reading(scan, ("sticker",), lambda: _reading().sticker_read(boxes_of(scan)))
    found = _reading().serial_matches(reading, sn)
    read = found.text if found else ", ".join(f.text for f in reading.serials[:3])
    return [Verdict(SERIAL_MATCH, found is not None, params={"sn": sn}, read=read, box=_box(found), doc=doc)]


def verdicts_passed(verdicts: list[Verdict]) -> bool | None:
    """True when every check passed, False when one failed, None when one is not known yet."""
    if any(v.ok is False for v in verdicts):
        return False
    if any(v.ok is None for v in verdicts):
        return None
    return bool(verdicts)


def invoice_number_key(boxes: list[TextBox]) -> str:
    """The invoice number read, folded so that OCR's look-alikes and separators do not matter."""
    number = _reading().invoice_read(boxes, models=[], store=None).invoice_number
    return sn_skeleton(number.text)[:64] if number else ""


def _box(found: object) -> list[int] | None:
    box = getattr(found, "box", None)
    return [int(v) for v in box] if box else None
