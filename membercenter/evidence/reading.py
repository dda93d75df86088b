"""Reading invoices and serial stickers from OCR text, and comparing them with a claim.

Pure functions over ``TextBox`` lists: no database, no models, no OCR engine, so
they are tested on hand-written boxes. What OCR does to text decides the rules:

* spaces are dropped or added ("TOKOELEKTRONIKSINARJAYA", "AX242 12 M"), so names
  are compared on their letters and digits only;
* look-alike characters are swapped (O/0, I/1/l, S/5, B/8), so both sides are
  folded to one representative (the serial registry's ``sn_skeleton`` map);
* a photo is tilted, so the boxes of one printed line do not share a y; lines are
  rebuilt along the slant the detector measured.

A model name is matched on its *core*: the tokens from the first one holding a
digit ("AX242 12M" of "Vista AX242 12M"). The series name and the brand may be
missing, abbreviated or moved ("AX242 12M (Vista)"), while the core is what tells
"12M" from "8M". The core must stand as a whole: a glued neighbour of one or two
characters ("AX242 12MX") makes it another model; three letters or more are a
word OCR glued on ("12MGARANSI").
"""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from membercenter.catalog.serials import normalize_sn, sn_skeleton
from membercenter.evidence.ocr import TextBox

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Found:
    """What was read, and where (the union of the boxes it came from)."""

    text: str
    box: Box | None


@dataclass
class InvoiceReading:
    invoice_date: dt.date | None
    date: Found | None  # the text the date was read from
    store: Found | None  # the expected store's line when found, else a best guess (the letterhead, "Penjual: …")
    invoice_number: Found | None
    models_found: list[Found] = field(default_factory=list)  # Found.text: the candidate name as given
    store_matched: bool = False


@dataclass
class StickerReading:
    serials: list[Found]  # labelled serials ("S/N: …") first, then serial-like text (a barcode's digits)
    chk: Found | None


# --- text normal forms ------------------------------------------------------------------------

_LOOKALIKE = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "S": "5", "B": "8", "Z": "2"})
_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _alnum_with_positions(text: str) -> tuple[str, list[int]]:
    """The upper-cased ASCII letters and digits of ``text``, and where each one is in it."""
    chars, positions = [], []
    for i, c in enumerate(text):
        upper = c.upper()
        if upper in _ALNUM:
            chars.append(upper)
            positions.append(i)
    return "".join(chars), positions


def _alnum(text: str) -> str:
    """Upper-case letters and digits only: what survives OCR's spacing and punctuation."""
    return _alnum_with_positions(text)[0]


def _fold(text: str) -> str:
    """``_alnum`` with look-alike characters folded, for comparing two readings of the same print."""
    return _alnum(text).translate(_LOOKALIKE)


# --- lines --------------------------------------------------------------------------------------


@dataclass
class _Line:
    boxes: list[TextBox]

    @property
    def text(self) -> str:
        return " ".join(box.text for box in self.boxes)

    @property
    def box(self) -> Box:
        return _union(self.boxes)


def _union(boxes: list[TextBox]) -> Box:
    return (
        min(b.box[0] for b in boxes),
        min(b.box[1] for b in boxes),
        max(b.box[2] for b in boxes),
        max(b.box[3] for b in boxes),
    )


def _width(box: TextBox) -> int:
    return box.box[2] - box.box[0]


def _reliable_angle(box: TextBox) -> bool:
    # The detector's quadrilateral of a short word is often axis-aligned whatever the slant.
    return _width(box) > 3 * box.height


def _page_angle(boxes: list[TextBox]) -> float:
    angles = [box.angle for box in boxes if _reliable_angle(box)]
    return statistics.median(angles) if angles else 0.0


def _text_height(box: TextBox, angle: float) -> float:
    """The height of the letters, without what the slant adds to the axis-aligned box."""
    radians = math.radians(angle)
    return max(4.0, (box.height - _width(box) * abs(math.sin(radians))) / max(0.5, math.cos(radians)))


def text_lines(boxes: list[TextBox]) -> list[list[TextBox]]:
    """The boxes grouped into printed lines, top to bottom, each left to right."""
    return [line.boxes for line in _lines(boxes)]


def _lines(boxes: list[TextBox]) -> list[_Line]:
    page_angle = _page_angle(boxes)

    def angle_of(box: TextBox) -> float:
        return box.angle if _reliable_angle(box) else page_angle

    def straightened_y(box: TextBox) -> float:
        cx, cy = box.center
        return cy - math.tan(math.radians(page_angle)) * cx

    lines: list[_Line] = []
    for box in sorted(boxes, key=straightened_y):
        cx, cy = box.center
        best: tuple[float, _Line] | None = None
        for line in lines[-12:]:
            if any(_x_overlap(box, other) > 0.3 * min(_width(box), _width(other)) for other in line.boxes):
                continue
            ref = min(line.boxes, key=lambda other: abs(other.center[0] - cx))
            slant = angle_of(ref) if _width(ref) >= _width(box) else angle_of(box)
            rx, ry = ref.center
            offset = abs(cy - (ry + math.tan(math.radians(slant)) * (cx - rx)))
            tolerance = 0.5 * min(_text_height(ref, angle_of(ref)), _text_height(box, angle_of(box)))
            if offset < tolerance and (best is None or offset < best[0]):
                best = (offset, line)
        if best is None:
            lines.append(_Line([box]))
        else:
            best[1].boxes.append(box)
    for line in lines:
        line.boxes.sort(key=lambda b: b.box[0])
    return sorted(lines, key=lambda line: min(straightened_y(b) for b in line.boxes))


def _x_overlap(a: TextBox, b: TextBox) -> int:
    return max(0, min(a.box[2], b.box[2]) - max(a.box[0], b.box[0]))


def _below(box: TextBox, boxes: list[TextBox]) -> TextBox | None:
    """The box printed right under this one (a wrapped cell, a value under its label)."""
    height = box.height
    candidates = [
        other
        for other in boxes
        if other is not box
        and box.box[3] - 0.3 * height <= other.box[1] <= box.box[3] + 1.2 * height
        and other.center[1] > box.center[1] + 0.5 * height
        and (_x_overlap(box, other) > 0 or abs(other.box[0] - box.box[0]) < 2 * height)
    ]
    return min(candidates, key=lambda other: other.box[1], default=None)


@dataclass(frozen=True)
class _Passage:
    """A stretch of text to search, with where it is: one line, or a box and the one under it."""

    text: str
    box: Box


def _passages(boxes: list[TextBox], lines: list[_Line]) -> list[_Passage]:
    passages = [_Passage(line.text, line.box) for line in lines]
    for box in boxes:
        under = _below(box, boxes)
        if under is not None:
            passages.append(_Passage(f"{box.text} {under.text}", _union([box, under])))
    return passages


# --- models -------------------------------------------------------------------------------------


def _core_tokens(name: str) -> tuple[list[str], list[str]]:
    """(series, core): the name split before its first token with a digit."""
    tokens = name.split()
    first = next((i for i, token in enumerate(tokens) if any(c.isdigit() for c in token)), None)
    if first is None:
        return [], tokens
    core = tokens[first:]
    joined = _alnum(" ".join(core))
    # A lone number ("Stratos 15") or a very short code is not distinctive: the whole name is.
    if len(joined) < 4 or joined.isdigit():
        return [], tokens
    return tokens[:first], core


def _edge_free(neighbours: str, edge: str) -> bool:
    """Whether what is glued to a match (``neighbours``, nearest first) leaves it a whole token.

    ``edge`` is the match's own character on that side.
    """
    if not neighbours:
        return True
    run = re.match(r"[A-Z]+|[0-9]+", neighbours)
    glued = run.group(0) if run else ""
    if glued.isalpha():
        # A word OCR glued on ("GARANSI", "LAPTOPNIMBUS") rather than a variant letter or two ("12MX").
        return len(glued) >= 3
    # Digits glued to a letter start a new token ("12M" + "i7-…" read "17-…"); glued to a digit, the number goes on.
    return edge.isalpha()


def model_matches(boxes: list[TextBox], name: str, *, lines: list[list[TextBox]] | None = None) -> Found | None:
    """Where the catalog model ``name`` is printed among the boxes, or None.

    Looks in each line and in each box joined with the one under it (a name
    wrapped in a table cell). ``lines`` (from ``text_lines``) saves regrouping
    when many names are looked up on one invoice.
    """
    needle = _fold(" ".join(_core_tokens(name)[1]))
    if not needle:
        return None
    grouped = [_Line(line) for line in lines] if lines is not None else _lines(boxes)
    for passage in _passages(boxes, grouped):
        if _whole_token_in(passage.text, needle):
            return Found(name, passage.box)
    return None


# What OCR glues after a model is often its spec, not more of the code: a number with a decimal part
# or a unit ("E2" + '23.6"'), or a processor ("A5MD" + "R5-7530U").
_SPEC = re.compile(
    r"\d+(?:[.,]\d+\s*|\s*)(?:\"|inch|in\b|gb|tb|hz|mm|cm|w\b|mah)|\d+[.,]\d|[a-z]{1,2}\d{1,2}-\d{3,5}", re.I
)


def _whole_token_in(text: str, needle: str) -> bool:
    """Whether the folded ``needle`` occurs in ``text`` as a whole token (see the module's notes)."""
    raw, positions = _alnum_with_positions(text)
    folded = raw.translate(_LOOKALIKE)
    start = folded.find(needle)
    while start != -1:
        end = start + len(needle)
        # A separator printed in the text settles an edge; without one, look at what is glued on.
        separated_before = start == 0 or positions[start] - positions[start - 1] > 1
        separated_after = end == len(raw) or positions[end] - positions[end - 1] > 1
        left = separated_before or _edge_free(raw[:start][::-1], raw[start])
        right = (
            separated_after
            or _edge_free(raw[end:], raw[end - 1])
            or bool(_SPEC.match(text, positions[end]))
        )
        if left and right:
            return True
        start = folded.find(needle, start + 1)
    return False


# --- stores -------------------------------------------------------------------------------------

_LEGAL_FORMS = {"TOKO", "PT", "CV", "UD", "PD", "TB"}
_TRADE_WORDS = {"OFFICIAL", "STORE", "SHOP", "ELEKTRONIK", "ELECTRONIC", "ELECTRONICS", "KOMPUTER", "COMPUTER",
                "DIGITAL", "TEKNOLOGI", "TECHNOLOGY", "GADGET", "CELL", "PONSEL", "OFFICIALSTORE"}  # fmt: skip


def _store_forms(name: str) -> tuple[str, str]:
    """(distinctive, full): the folded name without legal form and trade words, and without legal form only."""
    words = [_alnum(word) for word in name.split()]
    words = [word for word in words if word]
    without_form = [word for word in words if word not in _LEGAL_FORMS] or words
    distinctive = [word for word in without_form if word not in _TRADE_WORDS] or without_form
    return "".join(distinctive).translate(_LOOKALIKE), "".join(without_form).translate(_LOOKALIKE)


def store_matches(boxes: list[TextBox], store: str, *, lines: list[list[TextBox]] | None = None) -> Found | None:
    """The line naming the store, or None. Fuzzy on the distinctive words, strict enough for "Sinar Abadi"."""
    distinctive, full = _store_forms(store)
    if not distinctive:
        return None
    grouped = [_Line(line) for line in lines] if lines is not None else _lines(boxes)
    best: tuple[float, _Passage] | None = None
    for passage in _passages(boxes, grouped):
        hay = _fold(passage.text)
        if len(distinctive) < 8:
            score = 100.0 if distinctive in hay else 0.0
        else:
            score = fuzz.partial_ratio(distinctive, hay)
        if score < 88 or fuzz.partial_ratio(full, hay) < 80:
            continue
        if best is None or score > best[0]:
            best = (score, passage)
    return Found(_strip_label(best[1].text, _SELLER_LABEL), best[1].box) if best else None


_SELLER_LABEL = re.compile(
    r"^\s*(?:penjual|nama\s*toko|toko|seller|store|merchant|dijual\s*oleh|sold\s*by)\s*[:：]\s*", re.I
)
_TITLE_WORDS = re.compile(
    r"(?:faktur|nota)\s*penjualan|invoice|faktur|nota|struk|receipt|kwitansi|rincian\s*pesanan|order\s*details|"
    r"detail\s*transaksi",
    re.I,
)


def _strip_label(text: str, label: re.Pattern[str]) -> str:
    return label.sub("", text).strip()


def _store_guess(boxes: list[TextBox], lines: list[_Line]) -> Found | None:
    """No expected store found: the seller's label, else the letterhead (the largest print near the top)."""
    for line in lines:
        for box in line.boxes:
            match = _SELLER_LABEL.match(box.text)
            if match:
                rest = box.text[match.end() :].strip()
                if rest:
                    return Found(rest, box.box)
                following = line.boxes[line.boxes.index(box) + 1 :]
                if following:
                    return Found(following[0].text, following[0].box)
    if not boxes:
        return None
    top = min(b.box[1] for b in boxes)
    bottom = max(b.box[3] for b in boxes)
    angle = _page_angle(boxes)
    best: tuple[int, TextBox, str] | None = None
    for box in boxes:
        if box.box[1] > top + 0.25 * (bottom - top):
            continue
        # OCR may read the letterhead and the document's title as one line.
        name = _TITLE_WORDS.sub("", box.text).strip(" :-|")
        if sum(c.isalpha() for c in name) < 4 or sum(c.isdigit() for c in name) > 2:
            continue
        size = round(_text_height(box, angle) / 4)  # the letterhead is the largest print, give or take
        if best is None or size > best[0]:
            best = (size, box, name)
    return Found(best[2], best[1].box) if best else None


# --- dates --------------------------------------------------------------------------------------

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

# Not next to other letters: "Jul2024" keeps its "l", "2O24" loses its "O".
_DIGITISH = re.compile(r"(?<![A-Za-z])[0-9OoIl|\]]+(?![A-Za-z])")
# A date ends where the digits do, or where a time glued on by OCR begins ("10/07/202413:19").
_YEAR_END = r"(?:(?![0-9])|(?=\d{1,2}[:.]\d{2}(?![0-9])))"
_NUMERIC_DMY = re.compile(rf"(?<![0-9])(\d{{1,2}})\s?[-/.]\s?(\d{{1,2}})\s?[-/.]\s?(\d{{4}}){_YEAR_END}")
_NUMERIC_DMY_SHORT = re.compile(rf"(?<![0-9])(\d{{1,2}})\s?[-/.]\s?(\d{{1,2}})\s?[-/.]\s?(\d{{2}}){_YEAR_END}")
_NUMERIC_YMD = re.compile(rf"(?<![0-9])(\d{{4}})\s?[-/.]\s?(\d{{1,2}})\s?[-/.]\s?(\d{{1,2}}){_YEAR_END}")
_DAY_MONTH_YEAR = re.compile(rf"(?<![0-9])(\d{{1,2}})\s*([A-Za-z]{{3,10}})\.?\s*,?\s*(\d{{4}}){_YEAR_END}")
_MONTH_DAY_YEAR = re.compile(rf"(?<![A-Za-z])([A-Za-z]{{3,10}})\.?\s*(\d{{1,2}})\s*,?\s*(\d{{4}}){_YEAR_END}")
# A day's last digit that is really the month's first letter: "1 Oktober" read "10ktober".
_DIGIT_AS_LETTER = {"0": "od", "5": "s"}

_PURCHASE_LABEL = re.compile(
    r"tanggal|tgl|date|waktu\s*pe(?:mesanan|mbelian|sanan)|tanggal\s*pe(?:mbelian|sanan|mesanan)|dibuat|issued", re.I
)
_OTHER_DATE_LABEL = re.compile(
    r"jatuh\s*tempo|due|tempo|dicetak|printed|print|garansi|warranty|berlaku|valid|kirim|pengiriman|ship|delivery|"
    r"lahir|expired|exp\b|batas",
    re.I,
)


def _digits_repaired(text: str) -> str:
    """Look-alike letters inside runs that are mostly digits read back as digits ("2O24" → "2024")."""

    def repair(match: re.Match[str]) -> str:
        run = match.group(0)
        if sum(c.isdigit() for c in run) * 2 < len(run):
            return run
        return run.translate(str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1", "]": "1"}))

    return _DIGITISH.sub(repair, text)


def _month(word: str) -> tuple[int | None, int]:
    """The month a word names, and how sure (100: exactly a known spelling)."""
    word = word.lower()
    for variant in (word, word.replace("l", "i"), word.replace("i", "l")):  # "Mel" is "Mei"
        if variant in _MONTHS:
            return _MONTHS[variant], 100
    if len(word) >= 5:
        best = max(_LONG_MONTHS, key=lambda name: fuzz.ratio(word, name))
        score = round(fuzz.ratio(word, best))
        if score >= 80:
            return _MONTHS[best], score
    return None, 0


def _day_and_month(day: str, word: str) -> tuple[int, int | None]:
    month, sure = _month(word)
    if len(day) == 2 and sure < 100:
        for letter in _DIGIT_AS_LETTER.get(day[1], ""):
            glued, glued_sure = _month(letter + word)
            if glued is not None and glued_sure > sure:
                return int(day[0]), glued
    return int(day), month


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


def _date_reading(boxes: list[TextBox], lines: list[_Line]) -> tuple[dt.date | None, Found | None]:
    """The purchase date: one next to a purchase-date label wins over one by a due or print date, then the first."""
    best: tuple[int, int, dt.date, Found] | None = None  # (-score, order, date, where)
    order = 0
    for line in lines:
        text = line.text
        for position, date in dates_in(text):
            order += 1
            before = text[:position]
            score = 0
            purchase = list(_PURCHASE_LABEL.finditer(before))
            other = list(_OTHER_DATE_LABEL.finditer(before))
            last_purchase = purchase[-1].end() if purchase else -1
            last_other = other[-1].end() if other else -1
            if last_other > last_purchase:
                score = -2
            elif purchase:
                score = 3
            candidate = (-score, order, date, Found(text, line.box))
            if best is None or candidate[:2] < best[:2]:
                best = candidate
    for box in boxes:  # a label with its value printed under it
        if _PURCHASE_LABEL.search(box.text) and not _OTHER_DATE_LABEL.search(box.text) and not dates_in(box.text):
            under = _below(box, boxes)
            found = dates_in(under.text) if under else []
            if under and found and (best is None or best[0] > -2):
                return found[0][1], Found(under.text, under.box)
    return (best[2], best[3]) if best else (None, None)


def date_in_window(d: dt.date | None, start: dt.date, end: dt.date) -> bool:
    """Both ends count: a purchase on the promotion's first or last day is in."""
    return d is not None and start <= d <= end


# --- invoice numbers ----------------------------------------------------------------------------

_NUMBER_LABEL = re.compile(
    r"(?<![A-Za-z])(?:no(?:mor)?\.?\s*(?:faktur|invoice|inv|nota|pesanan|transaksi|struk|order|trx)|"
    r"invoice\s*(?:no|number|#)|order\s*(?:id|no)|receipt\s*(?:no|number)|nota|no)\.?\s*[:：#]?\s*",
    re.I,
)
_BARE_NUMBER_LABEL = re.compile(r"(?:nota|no)\s*", re.I)  # only with its colon or dot: "No" heads a table column
_ROMAN = re.compile(r"^[IVXivx1l|]{1,4}$")
_NUMBER_VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9/\-._]{3,}")
_BARE_INVOICE = re.compile(r"\b[I1l]NV[/\-][A-Za-z0-9/\-._]{4,}", re.I)


def clean_invoice_number(raw: str) -> str:
    """Look-alikes set right per segment: digits in the numeric parts, letters in the lettered ones."""
    parts = re.split(r"([/\-._])", raw.strip().strip(".:"))
    cleaned = []
    for part in parts:
        letters = sum(c.isalpha() for c in part)
        digits = sum(c.isdigit() for c in part)
        if _ROMAN.match(part) and letters:  # the month in "001/INV/XI/2024", a 1 read for an I
            part = part.upper().translate(str.maketrans({"1": "I", "L": "I", "|": "I"}))
        elif digits > letters:
            part = part.translate(str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1"}))
        elif letters and not digits:
            part = part.upper().translate(str.maketrans({"0": "O", "1": "I"}))
        cleaned.append(part)
    text = "".join(cleaned)
    return re.sub(r"^1NV", "INV", text)


def _number_reading(lines: list[_Line]) -> Found | None:
    for line in lines:
        for i, box in enumerate(line.boxes):
            for match in _NUMBER_LABEL.finditer(box.text):
                if _BARE_NUMBER_LABEL.fullmatch(match.group(0)):
                    continue
                rest = box.text[match.end() :].lstrip(":：# ")
                source = box
                if not rest and i + 1 < len(line.boxes):
                    source = line.boxes[i + 1]
                    rest = source.text.lstrip(":：# ")
                value = _NUMBER_VALUE.match(rest)
                if value and any(c.isdigit() for c in value.group(0)):
                    return Found(clean_invoice_number(value.group(0)), source.box)
    for line in lines:
        for box in line.boxes:
            bare = _BARE_INVOICE.search(box.text)
            if bare:
                return Found(clean_invoice_number(bare.group(0)), box.box)
    return None


# --- the invoice --------------------------------------------------------------------------------


def invoice_read(boxes: list[TextBox], *, models: list[str], store: str | None) -> InvoiceReading:
    """What the invoice says, and which of the candidate ``models`` and whether the expected ``store`` are on it."""
    lines = _lines(boxes)
    grouped = [line.boxes for line in lines]
    invoice_date, date_found = _date_reading(boxes, lines)
    found_models = [found for name in models if (found := model_matches(boxes, name, lines=grouped))]
    store_found = store_matches(boxes, store, lines=grouped) if store else None
    return InvoiceReading(
        invoice_date=invoice_date,
        date=date_found,
        store=store_found or _store_guess(boxes, lines),
        invoice_number=_number_reading(lines),
        models_found=found_models,
        store_matched=store_found is not None,
    )


# --- the serial sticker -------------------------------------------------------------------------

_SN_LABEL = re.compile(r"^(?:serial\s*(?:no|number|num)?\.?|[S5]\s*[/I1l|\\]?\s*N)\s*[:：.;]?\s*", re.I)
_OTHER_LABEL = re.compile(r"\b(?:CHK|MODEL|P\s*/\s*N|EAN|UPC|MAC|SDPPI|QTY|COLOR|RATING)\b", re.I)
_CHK = re.compile(r"CHK\s*[:：.;]?\s*([0-9OoIlSB|]{3})(?![0-9])", re.I)
_SERIAL_SHAPE = re.compile(r"^[A-Z0-9]{8,24}$")


def _serial_like(text: str) -> bool:
    sn = normalize_sn(text)
    digits = sum(c.isdigit() for c in sn)
    if not _SERIAL_SHAPE.match(sn) or digits < 4:
        return False
    return not (sn.isdigit() and len(sn) in (12, 13))  # an EAN or UPC under a barcode


def sticker_read(boxes: list[TextBox]) -> StickerReading:
    """The serials and the CHK code printed on a label."""
    lines = _lines(boxes)
    labelled: list[Found] = []
    loose: list[Found] = []
    chk: Found | None = None
    for line in lines:
        for i, box in enumerate(line.boxes):
            text = box.text.strip()
            if chk is None and (match := _CHK.search(text)):
                digits = match.group(1).translate(str.maketrans("OoIl|SB", "0011158"))
                chk = Found(digits, box.box)
            label = _SN_LABEL.match(text)
            if label and (label.end() > 1 and _looks_labelled(text, label)):
                value = _OTHER_LABEL.split(text[label.end() :])[0]
                following = line.boxes[i + 1] if i + 1 < len(line.boxes) else None
                if len(normalize_sn(value)) < 8 and following is not None:
                    value = f"{value}{_OTHER_LABEL.split(following.text)[0]}"
                sn = normalize_sn(value).lstrip(":")
                if sn:
                    labelled.append(Found(sn, box.box if len(normalize_sn(value)) else None))
                continue
            if not _OTHER_LABEL.search(text) and _serial_like(text):
                loose.append(Found(normalize_sn(text), box.box))
    serials: list[Found] = []
    seen: set[str] = set()
    for found in labelled + loose:
        key = sn_skeleton(found.text)
        if key not in seen:
            seen.add(key)
            serials.append(found)
    return StickerReading(serials=serials, chk=chk)


def _looks_labelled(text: str, label: re.Match[str]) -> bool:
    """ "SN: K24…" or "S/N K24…", but not a serial that merely starts with S or 5 followed by N."""
    head = text[: label.end()]
    return bool(re.search(r"[:：/.;\s]|serial", head, re.I)) or len(normalize_sn(text[label.end() :])) >= 6


def serial_matches(reading: StickerReading, sn: str) -> Found | None:
    """The serial read that is ``sn``, allowing only look-alike characters to differ."""
    target = sn_skeleton(sn)
    if not target:
        return None
    return next((found for found in reading.serials if sn_skeleton(found.text) == target), None)
