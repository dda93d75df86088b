"""The translation catalogues: complete, placeholder-safe, compiled, and used by the pages."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
LANGS = ["id", "en"]

# printf-style placeholders as Python's % operator reads them: %(name)s, %s, %d, %r, %5.2f, ... (not %%).
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +\-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<conv>[diouxXeEfFgGcrsa%])"
)
HTML_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>")


def _po(lang: str) -> polib.POFile:
    return polib.pofile(str(LOCALE_DIR / lang / "LC_MESSAGES" / "django.po"))


def _placeholders(text: str) -> tuple[list[str], list[str]]:
    """Named placeholders (sorted, with their conversion) and positional ones (in order)."""
    named, positional = [], []
    for m in PLACEHOLDER.finditer(text):
        if m.group("conv") == "%":
            continue
        if m.group("name") is not None:
            named.append(f"%({m.group('name')}){m.group('conv')}")
        else:
            positional.append(m.group(0))
    return sorted(named), positional


def _translations(catalogue: polib._BaseFile) -> set[tuple]:
    """What a compiled catalogue maps, header left out."""
    return {
        (e.msgctxt, e.msgid, e.msgid_plural, e.msgstr, tuple(sorted(e.msgstr_plural.items())))
        for e in catalogue
        if e.msgid != "" and not e.obsolete and (e.msgstr or any(e.msgstr_plural.values()))
    }


ID_CATALOGUE = _po("id")
ID_ENTRIES = [e for e in ID_CATALOGUE if not e.obsolete]


def test_id_header():
    assert ID_CATALOGUE.metadata.get("Language") == "id"
    assert "charset=UTF-8" in ID_CATALOGUE.metadata.get("Content-Type", "")
    assert ID_CATALOGUE.metadata.get("Plural-Forms", "").replace(" ", "") == "nplurals=1;plural=0;"
    assert not ID_CATALOGUE.metadata_is_fuzzy, "the header of the id catalogue is marked fuzzy"


def test_en_header():
    en = _po("en")
    assert en.metadata.get("Language") == "en"
    assert "charset=UTF-8" in en.metadata.get("Content-Type", "")
    assert not en.metadata_is_fuzzy


def test_every_id_entry_is_translated_and_not_fuzzy():
    assert ID_ENTRIES, "the id catalogue is empty"
    fuzzy = [e.msgid for e in ID_ENTRIES if "fuzzy" in e.flags]
    untranslated = [
        e.msgid
        for e in ID_ENTRIES
        if (e.msgid_plural and not all(s.strip() for s in e.msgstr_plural.values()))
        or (not e.msgid_plural and not e.msgstr.strip())
    ]
    assert not fuzzy, f"fuzzy entries: {fuzzy}"
    assert not untranslated, f"untranslated entries: {untranslated}"


@pytest.mark.parametrize("entry", ID_ENTRIES, ids=lambda e: e.msgid[:40])
def test_id_placeholders_and_tags_are_kept(entry):
    # Indonesian has one plural form, so a plural entry is checked against msgid_plural.
    source = entry.msgid_plural or entry.msgid
    translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
    named, positional = _placeholders(source)
    tags = sorted(HTML_TAG.findall(source))
    for translated in translations:
        t_named, t_positional = _placeholders(translated)
        assert set(t_named) == set(named), f"placeholders differ: {source!r} -> {translated!r}"
        assert t_positional == positional, f"placeholders differ: {source!r} -> {translated!r}"
        assert sorted(HTML_TAG.findall(translated)) == tags, f"HTML tags differ: {source!r} -> {translated!r}"


@pytest.mark.parametrize("lang", LANGS)
def test_committed_mo_matches_po(lang, tmp_path):
    po = _po(lang)
    mo_path = LOCALE_DIR / lang / "LC_MESSAGES" / "django.mo"
    assert mo_path.exists(), f"{mo_path} is missing: run `manage.py compilemessages --ignore=.venv`"
    fresh = tmp_path / "django.mo"
    po.save_as_mofile(str(fresh))
    committed = polib.mofile(str(mo_path))
    expected = _translations(polib.mofile(str(fresh)))
    actual = _translations(committed)
    assert actual == expected, (
        f"{mo_path} is out of date with its .po "
        f"({len(expected - actual)} missing/changed, {len(actual - expected)} stale): "
        "run `manage.py compilemessages --ignore=.venv`"
    )
    for key in ("Content-Type", "Plural-Forms", "Language"):
        assert committed.metadata.get(key) == po.metadata.get(key), key


@pytest.mark.django_db
def test_login_page_in_indonesian(client):
    client.cookies["django_language"] = "id"
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="id">' in html
    assert "Masuk" in html
    assert "Lupa kata sandi?" in html
    assert "Log in" not in html


@pytest.mark.django_db
def test_login_page_in_english(client):
    client.cookies["django_language"] = "en"
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Log in" in html
    assert "Masuk" not in html
