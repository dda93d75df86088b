"""Finding the purchase date on an invoice, in the ways Indonesian shops and OCR write dates.

Numeric dates are day first (28-11-2024, 28/11/24, 28.11.2024), besides ISO
(2024-11-28) and month names in Indonesian and English, in full or short
("28 Nopember 2024", "28 Agt 2024", "Nov 28, 2024"). OCR adds its own forms: a
time glued on ("10/07/202413:19"), an O read as a zero inside a year or as the
first letter of "Oktober" glued to the day ("10ktober" for "1 Oktober").
"""

from __future__ import annotations

import datetime as dt
import re

from rapidfuzz import fuzz

from membercenter.evidence.ocr import TextBox
from membercenter.evidence.textlines import Box, Line, boxes_below

_MONTHS = {
    "januari": 1, "january": 1, "jan": 1,
    "februari": 2, "pebruari": 2, "february": 2, "feb": 2, "peb": 2,
    "maret": 3, "march": 3, "mar": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "june": 6, "jun": 6,
    "juli": 7, "july": 7, "jul": 7,
    "agustus": 8, "august": 8, "agt": 8, "agu": 8, "agus": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "october": 10, "okt": 10, "oct": 10,
    "november": 11, "nopember": 11, "nov": 11, "nop": 11,
    "desember": 12, "december": 12, "des": 12, "dec": 12,
}  # fmt: skip
_LONG_MONTHS = [name for name in _MONTHS if len(name) >= 5]
_MONTHS_FOLDED = {name.replace("i", "l"): month for name, month in _MONTHS.items()}

# Not next to other letters: "Jul2024" keeps its "l", "2O24" loses its "O".
_DIGITISH = re.compile(r"(?<![A-Za-z])[0-9OoIl|\]]+(?![A-Za-z])")
# A date ends where the digits do, or where a time glued on by OCR begins ("10/07/202413:19").
_YEAR_END = r"(?:(?![0-9])|(?=\d{1,2}[:.]\d{2}(?![0-9])))"
_NUMERIC_DMY = re.compile(rf"(?<![0-9])(\d{{1,2}})\s?[-/.]\s?(\d{{1,2}})\s?[-/.]\s?(\d{{4}}){_YEAR_END}")
_NUMERIC_DMY_SHORT = re.compile(rf"(?<![0-9])(\d{{1,2}})\s?[-/.]\s?(\d{{1,2}})\s?[-/.]\s?(\d{{2}}){_YEAR_END}")
_NUMERIC_YMD = re.compile(rf"(?<![0-9])(\d{{4}})\s?[-/.]\s?(\d{{1,2}})\s?[-/.]\s?(\d{{1,2}}){_YEAR_END}")
# Three digits for the day: its last one may be the month's first letter ("20 Oktober" read "200ktober").
# The month may start with a zero read for an O ("20 0ktober", "0ct 17, 2024").
_DAY_MONTH_YEAR = re.compile(rf"(?<![0-9])(\d{{1,3}})\s*([0A-Za-z][A-Za-z]{{2,9}})\.?\s*,?\s*(\d{{4}}){_YEAR_END}")
_MONTH_DAY_YEAR = re.compile(
    rf"(?<![A-Za-z0-9])([0A-Za-z][A-Za-z]{{2,9}})\.?\s*(\d{{1,2}})\s*[,.]?\s*(\d{{4}}){_YEAR_END}"
)
# A day's last digit that is really the month's first letter: "1 Oktober" read "10ktober".
_DIGIT_AS_LETTER = {"0": "od", "5": "s"}

_PURCHASE_LABEL = re.compile(
    r"tanggal|tgl|date|waktu\s*pe(?:mesanan|mbelian|sanan)|tanggal\s*pe(?:mbelian|sanan|mesanan)|dibuat|issued", re.I
)
# "Due Date" ends with "date": the other label is read to its end, so that it is the last label before the date.
_OTHER_DATE_LABEL = re.compile(
    r"(?:jatuh\s*tempo|due|tempo|dicetak|printed|print|garansi|warranty|berlaku|valid|kirim|pengiriman|ship|"
    r"delivery|lahir|expired|exp\b|batas)(?:\s*date)?",
    re.I,
)


def _digits_repaired(text: str) -> str:
    """Look-alike letters inside runs that are mostly digits read back as digits ("2O24" → "2024")."""

    def repair(match: re.Match[str]) -> str:
        run = match.group(0)
        if sum(c.isdigit() for c in run) * 2 < len(run):
            return run
        return run.translate(str.maketrans("OoIl|]", "001111"))

    return _DIGITISH.sub(repair, text)


def _month(word: str) -> tuple[int | None, int]:
    """The month a word names, and how sure (100: a known spelling, give or take an i read as l)."""
    word = word.lower()
    if word.startswith("0"):
        word = "o" + word[1:]
    folded = word.replace("i", "l")
    if folded in _MONTHS_FOLDED:  # "Mel" is "Mei", "Jull" is "Juli"
        return _MONTHS_FOLDED[folded], 100
    if len(word) >= 5:
        best = max(_LONG_MONTHS, key=lambda name: fuzz.ratio(word, name))
        score = round(fuzz.ratio(word, best))
        if score >= 80:
            return _MONTHS[best], score
    return None, 0


def _day_and_month(day: str, word: str) -> tuple[int, int | None]:
    """The day and month of "28 Nopember", also when OCR glued the month's first letter to the day as a digit."""
    readings = []
    if len(day) <= 2:
        readings.append((int(day), *_month(word)))
    if len(day) >= 2:
        for letter in _DIGIT_AS_LETTER.get(day[-1], ""):
            readings.append((int(day[:-1]), *_month(letter + word)))
    day_number, month, _sure = max(readings, key=lambda reading: reading[2], default=(0, None, 0))
    return day_number, month


def _make_date(year: int, month: int | None, day: int) -> dt.date | None:
    if month is None:
        return None
    if year < 100:
        year += 2000
    if not 2000 <= year <= 2099:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def dates_in(text: str) -> list[tuple[int, dt.date]]:
    """Every plausible date in the text, with where it starts. Numeric dates are day first."""
    text = _digits_repaired(text)
    found: list[tuple[int, dt.date]] = []
    taken: list[tuple[int, int]] = []

    def add(match: re.Match[str], date: dt.date | None) -> None:
        span = match.span()
        if date is not None and not any(s < span[1] and span[0] < e for s, e in taken):
            found.append((span[0], date))
            taken.append(span)

    for m in _NUMERIC_YMD.finditer(text):
        add(m, _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
    for pattern in (_NUMERIC_DMY, _NUMERIC_DMY_SHORT):
        for m in pattern.finditer(text):
            add(m, _make_date(int(m.group(3)), int(m.group(2)), int(m.group(1))))
    for m in _DAY_MONTH_YEAR.finditer(text):
        day, month = _day_and_month(m.group(1), m.group(2))
        add(m, _make_date(int(m.group(3)), month, day))
    for m in _MONTH_DAY_YEAR.finditer(text):
        add(m, _make_date(int(m.group(3)), _month(m.group(1))[0], int(m.group(2))))
    return sorted(found, key=lambda item: item[0])


def purchase_date(boxes: list[TextBox], lines: list[Line]) -> tuple[dt.date | None, tuple[str, Box] | None]:
    """The purchase date: next to a purchase-date label if one is, else the first date on the page.

    A date after a due, delivery, print or warranty label is never the purchase.
    Returns the date and the text and box it was read from.
    """
    candidates: list[tuple[int, int, dt.date, tuple[str, Box]]] = []  # (label score, -order, date, where)
    for line in lines:
        for position, date in dates_in(line.text):
            label = _date_label(line.text[:position])
            if label != "other":
                score = 3 if label == "purchase" else 0
                candidates.append((score, -len(candidates), date, (line.text, line.box)))
    below = boxes_below(lines)
    for box in boxes:  # a label with its value printed under it (an order page's two-row layout)
        if _date_label(box.text) != "purchase" or dates_in(box.text):
            continue
        under = below.get(id(box))
        if under is not None and _date_label(under.text) is None and (found := dates_in(under.text)):
            candidates.append((2, -len(candidates), found[0][1], (under.text, under.box)))
    if not candidates:
        return None, None
    _score, _order, date, where = max(candidates, key=lambda candidate: candidate[:2])
    return date, where


def _date_label(before: str) -> str | None:
    """ "purchase" or "other" for the last date label in the text before a date, None without one."""
    purchase = [match.end() for match in _PURCHASE_LABEL.finditer(before)]
    other = [match.end() for match in _OTHER_DATE_LABEL.finditer(before)]
    if not purchase and not other:
        return None
    return "other" if max(other, default=-1) >= max(purchase, default=-1) else "purchase"


def date_in_window(d: dt.date | None, start: dt.date, end: dt.date) -> bool:
    """Both ends count: a purchase on the promotion's first or last day is in."""
    return d is not None and start <= d <= end
