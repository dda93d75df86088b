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
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from membercenter.catalog.serials import SN_PATTERN, normalize_sn, sn_skeleton
from membercenter.evidence.dates import date_in_window, dates_in, purchase_date
from membercenter.evidence.ocr import TextBox
from membercenter.evidence.textlines import (
    Box,
    Line,
    Passage,
    alnum,
    alnum_with_positions,
    fold,
    group_lines,
    page_angle,
    passages,
    text_height,
    text_lines,
    union,
)

__all__ = [
    "Found",
    "InvoiceReading",
    "StickerReading",
    "date_in_window",
    "dates_in",
    "invoice_read",
    "model_matches",
    "serial_matches",
    "sticker_read",
    "store_matches",
    "text_lines",
    "clean_invoice_number",
]


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


# --- models -------------------------------------------------------------------------------------


def _model_core(name: str) -> str:
    """The tokens from the first one with a digit: "AX242 12M" of "Vista AX242 12M"."""
    tokens = name.split()
    first = next((i for i, token in enumerate(tokens) if any(c.isdigit() for c in token)), 0)
    core = " ".join(tokens[first:])
    # A lone number ("Stratos 15") or a very short code is not distinctive: the whole name is.
    if len(alnum(core)) < 4 or alnum(core).isdigit():
        return name
    return core


def _edge_free(neighbours: str, edge: str) -> bool:
    """Whether what is glued to a match without a separator (``neighbours``, nearest first) leaves it whole.

    ``edge`` is the match's own character on that side.
    """
    if not neighbours:
        return True
    # A word counts its look-alike digits as letters: "AERI0N" is still a word.
    word = re.match(r"[A-Z][A-Z01258]*", neighbours)
    if word:
        # A word OCR glued on ("GARANSI", "LAPTOPNIMBUS") rather than a variant letter or two ("12MX").
        return len(word.group(0)) >= 3
    # Digits glued to a letter start a new token ("12M" + "i7-…" read "17-…"); glued to a digit, the number goes on.
    return edge.isalpha()


def model_matches(
    boxes: list[TextBox], name: str, *, lines: list[list[TextBox]] | None = None, rivals: Sequence[str] = ()
) -> Found | None:
    """Where the catalog model ``name`` is printed among the boxes, or None.

    Looks in each line and in each box joined with the one under it (a name
    wrapped in a table cell). ``lines`` (from ``text_lines``) saves regrouping
    when many names are looked up on one invoice. ``rivals`` are other catalog
    models: where one whose name holds this one's is printed ("Duo 8G OC" for
    "Duo 8G"), that print is the rival, not this model.
    """
    needle = fold(_model_core(name))
    if not needle:
        return None
    longer = [rival for rival in (fold(_model_core(r)) for r in rivals) if needle in rival and rival != needle]
    grouped = [Line(line) for line in lines] if lines is not None else group_lines(boxes)
    for passage in passages(grouped):
        starts = _whole_token_starts(passage.text, needle)
        if not starts:
            continue
        taken = {start + rival.index(needle) for rival in longer for start in _whole_token_starts(passage.text, rival)}
        if any(start not in taken for start in starts):
            return Found(name, passage.box)
    return None


# What OCR glues after a model is often its spec, not more of the code: a number with a decimal part
# or a unit ("E2" + '23.6"'), or a processor ("A5MD" + "R5-7530U").
_SPEC = re.compile(
    r"\d+(?:[.,]\d+\s*|\s*)(?:\"|inch|in\b|gb|tb|hz|mm|cm|w\b|mah)|\d+[.,]\d|[a-z]{1,2}\d{1,2}-\d{3,5}", re.I
)


def _whole_token_starts(text: str, needle: str) -> list[int]:
    """Where, in ``text``'s letters and digits, the folded ``needle`` stands as a whole token (module notes)."""
    raw, positions = alnum_with_positions(text)
    folded = sn_skeleton(raw)
    starts = []
    start = folded.find(needle)
    while start != -1:
        end = start + len(needle)
        glued_before = raw[_token_start(positions, start) : start]
        glued_after = raw[end : _token_end(positions, end)]
        left = _edge_free(glued_before[::-1], raw[start])
        right = _edge_free(glued_after, raw[end - 1]) or bool(_SPEC.match(text, positions[end]))
        if left and right:
            starts.append(start)
        start = folded.find(needle, start + 1)
    return starts


def _token_start(positions: list[int], index: int) -> int:
    """Where the printed token holding alnum ``index`` starts: the characters before it with no separator between."""
    while index > 0 and positions[index] - positions[index - 1] == 1:
        index -= 1
    return index


def _token_end(positions: list[int], index: int) -> int:
    """Where the printed token that alnum ``index`` continues ends (``index`` itself when a separator is there)."""
    while 0 < index < len(positions) and positions[index] - positions[index - 1] == 1:
        index += 1
    return index


# --- stores -------------------------------------------------------------------------------------

_LEGAL_FORMS = {"TOKO", "PT", "CV", "UD", "PD", "TB"}
_TRADE_WORDS = {"OFFICIAL", "STORE", "SHOP", "ELEKTRONIK", "ELECTRONIC", "ELECTRONICS", "KOMPUTER", "COMPUTER",
                "DIGITAL", "TEKNOLOGI", "TECHNOLOGY", "GADGET", "CELL", "PONSEL", "OFFICIALSTORE"}  # fmt: skip


def _store_forms(name: str) -> tuple[str, str]:
    """(distinctive, full): the folded name without legal form and trade words, and without legal form only."""
    words = [alnum(word) for word in name.split()]
    words = [word for word in words if word]
    without_form = [word for word in words if word not in _LEGAL_FORMS] or words
    distinctive = [word for word in without_form if word not in _TRADE_WORDS] or without_form
    return sn_skeleton("".join(distinctive)), sn_skeleton("".join(without_form))


def store_matches(boxes: list[TextBox], store: str, *, lines: list[list[TextBox]] | None = None) -> Found | None:
    """The line naming the store, or None.

    A long distinctive part ("Sinar Jaya") is matched on its own, allowing about
    one misread letter in eight: OCR may garble the trade word next to it. A short
    one ("Mega") must be read exactly, and the whole name with its trade word
    nearly so: "Mega Komputindo" is another shop than "Mega Komputer".
    """
    distinctive, full = _store_forms(store)
    if not distinctive:
        return None
    grouped = [Line(line) for line in lines] if lines is not None else group_lines(boxes)
    best: tuple[int, Passage] | None = None
    for passage in passages(grouped):
        hay = fold(passage.text)
        if len(distinctive) >= 8:
            errors = _errors_within(distinctive, hay)
            allowed = max(1, len(distinctive) // 8)
        elif distinctive in hay:
            errors = _errors_within(full, hay)
            allowed = len(full) // 10
        else:
            continue
        if errors <= allowed and (best is None or errors < best[0]):
            best = (errors, passage)
    return Found(_strip_label(best[1].text, _SELLER_LABEL), best[1].box) if best else None


def _errors_within(needle: str, hay: str) -> int:
    """The fewest letters to change, add or drop to find ``needle`` somewhere in ``hay``."""
    if fuzz.partial_ratio(needle, hay) < 70:  # cheap way out for the many lines that are nothing like it
        return len(needle)
    previous = [0] * (len(hay) + 1)  # the match may start anywhere in hay: row 0 costs nothing
    for i, wanted in enumerate(needle, start=1):
        current = [i] + [0] * len(hay)
        for j, seen in enumerate(hay, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (wanted != seen))
        previous = current
    return min(previous)  # and end anywhere


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


def _store_guess(boxes: list[TextBox], lines: list[Line]) -> Found | None:
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
    angle = page_angle(boxes)
    best: tuple[int, TextBox, str] | None = None
    for box in boxes:
        if box.box[1] > top + 0.25 * (bottom - top):
            continue
        # OCR may read the letterhead and the document's title as one line.
        name = _TITLE_WORDS.sub("", box.text).strip(" :-|")
        if sum(c.isalpha() for c in name) < 4 or sum(c.isdigit() for c in name) > 2:
            continue
        size = round(text_height(box, angle) / 4)  # the letterhead is the largest print, give or take
        if best is None or size > best[0]:
            best = (size, box, name)
    return Found(best[2], best[1].box) if best else None


# --- invoice numbers ----------------------------------------------------------------------------

_NUMBER_LABEL = re.compile(
    r"(?<![A-Za-z])(?:no(?:mor)?\.?\s*(?:faktur|invoice|inv|nota|pesanan|transaksi|struk|order|trx)|"
    r"invoice\s*(?:no|number|#)|order\s*(?:id|no)|receipt\s*(?:no|number))\.?\s*[:：#]?\s*",
    re.I,
)
# A bare "No:" or "Nota:" is the number on a receipt, but "No." is also in every street address:
# what follows it must look like a document number.
_SHORT_NUMBER_LABEL = re.compile(r"(?<![A-Za-z])(?:nota|no)\s*[.:：#]\s*", re.I)
_ROMAN = re.compile(r"^[IVXivx1l|]{1,4}$")
_NUMBER_VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9/\-._\]}|]{3,}")  # ] } | are OCR's J, I and 1
_BARE_INVOICE = re.compile(r"\b[I1l]NV[/\-][A-Za-z0-9/\-._]{4,}", re.I)


def clean_invoice_number(raw: str) -> str:
    """Look-alikes set right per segment: digits in the numeric parts, letters in the lettered ones."""
    parts = re.split(r"([/\-._])", raw.strip().strip(".:"))
    cleaned = []
    for part in parts:
        letters = sum(c.isalpha() or c in "]}" for c in part)
        digits = sum(c.isdigit() for c in part)
        if _ROMAN.match(part) and letters:  # the month in "001/INV/XI/2024", a 1 read for an I
            part = part.upper().translate(str.maketrans("1L|", "III"))
        elif digits > letters:
            part = part.translate(str.maketrans("OoIl|]", "001111"))
        elif letters and not digits:
            part = part.upper().translate(str.maketrans("01|]}", "OIIJJ"))
        cleaned.append(part)
    text = "".join(cleaned)
    return re.sub(r"^1NV", "INV", text)


def _number_reading(lines: list[Line]) -> Found | None:
    for label, fewest_digits in ((_NUMBER_LABEL, 1), (_SHORT_NUMBER_LABEL, 4)):
        for line in lines:
            for i, box in enumerate(line.boxes):
                for match in label.finditer(box.text):
                    rest, source = box.text[match.end() :].lstrip(":：# "), box
                    if not rest and i + 1 < len(line.boxes):  # the value in its own box, further right
                        source = line.boxes[i + 1]
                        rest = source.text.lstrip(":：# ")
                    value = _NUMBER_VALUE.match(rest)
                    if value and sum(c.isdigit() for c in value.group(0)) >= fewest_digits:
                        return Found(clean_invoice_number(value.group(0)), source.box)
    for line in lines:
        for box in line.boxes:
            bare = _BARE_INVOICE.search(box.text)
            if bare:
                return Found(clean_invoice_number(bare.group(0)), box.box)
    return None


# --- the invoice --------------------------------------------------------------------------------


def invoice_read(
    boxes: list[TextBox], *, models: list[str], store: str | None, others: Sequence[str] = ()
) -> InvoiceReading:
    """What the invoice says, and which of the candidate ``models`` and whether the expected ``store`` are on it.

    ``others``: the catalog's other models, when known; one whose name holds a
    candidate's ("… 8G OC" for "… 8G") then does not count as the candidate.
    """
    lines = group_lines(boxes)
    grouped = [line.boxes for line in lines]
    invoice_date, date_where = purchase_date(boxes, lines)
    rivals = [name for name in others if name not in models]
    found_models = [found for name in models if (found := model_matches(boxes, name, lines=grouped, rivals=rivals))]
    store_found = store_matches(boxes, store, lines=grouped) if store else None
    return InvoiceReading(
        invoice_date=invoice_date,
        date=Found(*date_where) if date_where else None,
        store=store_found or _store_guess(boxes, lines),
        invoice_number=_number_reading(lines),
        models_found=found_models,
        store_matched=store_found is not None,
    )


# --- the serial sticker -------------------------------------------------------------------------

_SN_LABEL = re.compile(r"^(?:seria[l1i|]\s*(?:no|number|num)?\.?|[S5]\s*[/I1l|\\]?\s*N)\s*[:：.;]?\s*", re.I)
_OTHER_LABEL = re.compile(r"(?<![A-Z])(?:CHK|MODEL|P\s*/\s*N|EAN|UPC|MAC|SDPPI|QTY|COLOR|RATING)(?![A-Z])", re.I)
_CHK = re.compile(r"CHK\s*[:：.;]?\s*([0-9OoIlSB|]{3})(?![0-9])", re.I)
_SERIAL_SHAPE = re.compile(r"^[A-Z0-9]{8,24}$")
_SERIAL_GROUP = re.compile(r"^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$")


def _serial_like(text: str) -> bool:
    """Printed like a serial: one token of letters and digits (or two, a serial printed in groups)."""
    if re.search(r"/|\s\S*\s", text.strip()):
        return False
    sn = normalize_sn(text)
    digits = sum(c.isdigit() for c in sn)
    if not _SERIAL_SHAPE.match(sn) or digits < 4:
        return False
    return not (sn.isdigit() and len(sn) in (12, 13))  # an EAN or UPC under a barcode


def sticker_read(boxes: list[TextBox]) -> StickerReading:
    """The serials and the CHK code printed on a label."""
    lines = group_lines(boxes)
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
            if label and label.end() > 1 and _looks_labelled(text, label):
                if found := _labelled_serial(text[label.end() :], box, line.boxes[i + 1 :]):
                    labelled.append(found)
                if _separated(text, label):
                    continue
                # "SN12345678" may be a label glued to its value, or a serial that starts with SN.
            # Unlabelled (under a barcode), or after a label OCR garbled beyond recognition.
            value = re.split(r"[:：]", text)[-1]
            if not _OTHER_LABEL.search(text) and _serial_like(value):
                loose.append(Found(normalize_sn(value), box.box))
    serials: list[Found] = []
    seen: set[str] = set()
    for found in labelled + loose:
        key = sn_skeleton(found.text)
        if key not in seen:
            seen.add(key)
            serials.append(found)
    return StickerReading(serials=serials, chk=chk)


def _labelled_serial(rest: str, box: TextBox, following: list[TextBox]) -> Found | None:
    """The serial after an "S/N" label: in the label's box, and on in the boxes right after it.

    OCR splits a serial printed in groups ("K2411N 0012345") into boxes; they are
    joined while they follow closely and are one group of letters and digits each
    (a rating like "20V 6.75A" is not).
    """
    parts, last = [_OTHER_LABEL.split(rest)[0]], box
    for nxt in following:
        close = nxt.box[0] - last.box[2] <= last.height
        if not close or _OTHER_LABEL.search(nxt.text) or not _SERIAL_GROUP.match(nxt.text.strip()):
            break
        parts.append(nxt.text)
        last = nxt
    for count in range(len(parts), 0, -1):  # the longest join first, down to the label's own box
        sn = normalize_sn("".join(parts[:count])).lstrip(":")
        if SN_PATTERN.match(sn) or (count == 1 and sn):
            return Found(sn, union([box, *following[: count - 1]]))
    return None


def _looks_labelled(text: str, label: re.Match[str]) -> bool:
    """ "SN: K24…" or "S/N K24…", but not a serial that merely starts with S or 5 followed by N."""
    return _separated(text, label) or len(normalize_sn(text[label.end() :])) >= 6


def _separated(text: str, label: re.Match[str]) -> bool:
    """Whether the label is set off from its value (a colon, slash, space) or spelled out ("Serial")."""
    return bool(re.search(r"[:：/.;\s]|serial", text[: label.end()], re.I))


def serial_matches(reading: StickerReading, sn: str) -> Found | None:
    """The serial read that is ``sn``, allowing only look-alike characters to differ."""
    target = sn_skeleton(sn)
    if not target:
        return None
    return next((found for found in reading.serials if sn_skeleton(found.text) == target), None)
