"""Content that staff write in both languages: `<field>_en` / `<field>_id` columns."""

from __future__ import annotations

from django.utils.translation import get_language


def localized(obj: object, field: str) -> str:
    """The field in the active language, falling back to the other one when empty."""
    lang = (get_language() or "id")[:2]
    first, second = ("en", "id") if lang == "en" else ("id", "en")
    return getattr(obj, f"{field}_{first}", "") or getattr(obj, f"{field}_{second}", "")
