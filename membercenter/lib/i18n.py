"""Content that staff write in both languages: `<field>_en` / `<field>_id` columns."""

from __future__ import annotations

from django.utils.translation import get_language


def localized(obj: object, field: str) -> str:
    """The field in the active language, falling back to the other one when empty.

    The other column is read only when needed (on a model read with `.only()`, reading a
    deferred column is a query)."""
    first, second = ("en", "id") if _english() else ("id", "en")
    return getattr(obj, f"{field}_{first}", "") or getattr(obj, f"{field}_{second}", "")


def in_language(english: str, indonesian: str) -> str:
    """The same choice for a text's two versions read as plain values (rows without their object)."""
    if _english():
        return english or indonesian
    return indonesian or english


def _english() -> bool:
    return (get_language() or "id")[:2] == "en"
