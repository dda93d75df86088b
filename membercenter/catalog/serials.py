"""Serial-number rules shared by the registration form, the import command and the API."""

from __future__ import annotations

import re

SN_PATTERN = re.compile(r"^[A-Z0-9]{6,32}$")
CHK_PATTERN = re.compile(r"^[0-9]{3}$")
_SEPARATORS = re.compile(r"[\s\-_./]+")
# Characters that members (and OCR) confuse, folded to one representative each.
_LOOKALIKE = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "S": "5", "B": "8", "Z": "2"})


def normalize_sn(raw: str) -> str:
    """Upper-case, without the spaces and dashes people copy from stickers."""
    return _SEPARATORS.sub("", raw or "").upper()


def sn_skeleton(sn: str) -> str:
    """The SN with look-alike characters folded, for "did you mean" look-ups."""
    return normalize_sn(sn).translate(_LOOKALIKE)


def is_valid_sn(sn: str) -> bool:
    return bool(SN_PATTERN.match(sn))


def is_valid_chk(chk: str) -> bool:
    return bool(CHK_PATTERN.match(chk))
