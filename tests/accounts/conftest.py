"""Fixtures for the accounts tests: places, newsletter lists, and an Indonesian catalogue."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest

from membercenter.accounts.models import NewsletterList
from tests.factories import RegionFactory

# A few Indonesian strings, compiled per test: pages and mails can then be checked for
# their language whether or not the project's own catalogue is compiled.
INDONESIAN = {
    "My Profile": "Profil Saya",
    "Verify your email for the %(brand)s Member Center": "Verifikasi email Anda untuk %(brand)s Member Center",
    "Reset your %(brand)s password": "Atur ulang kata sandi %(brand)s Anda",
}


@pytest.fixture
def indonesian(settings, tmp_path: Path) -> dict[str, str]:
    catalogue = polib.POFile()
    catalogue.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": "id"}
    for msgid, msgstr in INDONESIAN.items():
        catalogue.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    folder = tmp_path / "locale" / "id" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    catalogue.save_as_mofile(str(folder / "django.mo"))
    settings.LOCALE_PATHS = [str(tmp_path / "locale")]  # also resets Django's translation caches
    return INDONESIAN


@pytest.fixture
def region(db):
    return RegionFactory()


@pytest.fixture
def other_region(db):
    return RegionFactory(
        code="MY", name_en="Malaysia", name_id="Malaysia", currency="MYR", time_zone="Asia/Kuala_Lumpur"
    )


@pytest.fixture
def newsletter_lists(db) -> list[NewsletterList]:
    return [
        NewsletterList.objects.create(slug="promotions", name_en="Promotions", name_id="Promosi", position=1),
        NewsletterList.objects.create(slug="products", name_en="New products", name_id="Produk baru", position=2),
        NewsletterList.objects.create(slug="events", name_en="Events", name_id="Acara", position=3),
    ]
