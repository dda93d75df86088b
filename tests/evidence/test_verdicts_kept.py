"""A picture's reading is kept per process, keyed on its boxes and the question: same answers, read once."""

from __future__ import annotations

import datetime as dt

from membercenter.evidence import reading as reading_module
from membercenter.evidence.models import Scan
from membercenter.evidence.verdicts import invoice_verdicts, sticker_verdicts

INVOICE = [
    ["TOKO SINAR JAYA ELEKTRONIK", 40, 20, 520, 60, 0.98, 0.0],
    ["Tanggal: 12/08/2026", 40, 80, 320, 110, 0.97, 0.0],
    ["Zephyr 13 Air 16GB", 40, 140, 400, 170, 0.95, 0.0],
    ["Total Rp 12.499.000", 40, 200, 420, 230, 0.96, 0.0],
]
STICKER = [["S/N: LTR000123456", 10, 10, 300, 40, 0.97, 0.0], ["CHK: 417", 10, 50, 120, 80, 0.96, 0.0]]


def _counting(monkeypatch, name):
    calls = []
    original = getattr(reading_module, name)

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(reading_module, name, counted)
    return calls


def test_an_invoice_is_read_once_for_the_same_question_and_again_for_another(monkeypatch):
    calls = _counting(monkeypatch, "invoice_read")
    # Boxes of their own (a bank date in the text): no other test's reading can be the one kept.
    scan = Scan(kind=Scan.Kind.INVOICE, state=Scan.State.DONE, boxes=[*INVOICE, ["Ref 7f3a91", 1, 1, 2, 2, 0.9, 0.0]])
    window = (dt.date(2026, 8, 1), dt.date(2026, 9, 30))

    first = invoice_verdicts(scan, model_names=["Zephyr 13 Air"], store="Sinar Jaya", window=window)
    again = invoice_verdicts(scan, model_names=["Zephyr 13 Air"], store="Sinar Jaya", window=window)
    other_store = invoice_verdicts(scan, model_names=["Zephyr 13 Air"], store="Mega Komputer", window=window)

    assert [v.as_json() for v in first] == [v.as_json() for v in again]
    assert {v.check: v.ok for v in first}["store_match"] is True
    assert {v.check: v.ok for v in other_store}["store_match"] is False
    assert len(calls) == 2  # the second question about the same boxes was read anew, the repeat was not


def test_new_boxes_for_the_same_picture_are_read_anew(monkeypatch):
    calls = _counting(monkeypatch, "sticker_read")
    scan = Scan(kind=Scan.Kind.SERIAL_PHOTO, state=Scan.State.DONE, boxes=[*STICKER, ["x9q2", 1, 1, 2, 2, 0.5, 0.0]])

    before = sticker_verdicts(scan, sn="LTR000123456")
    scan.boxes = [["S/N: LTR000999999", 10, 10, 300, 40, 0.97, 0.0], ["x9q2", 1, 1, 2, 2, 0.5, 0.0]]  # read again
    after = sticker_verdicts(scan, sn="LTR000123456")

    assert before[0].ok is True
    assert after[0].ok is False and "LTR000999999" in after[0].read
    assert len(calls) == 2
