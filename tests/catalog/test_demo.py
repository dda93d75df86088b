from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from PIL import Image

from membercenter.accounts.models import NewsletterList
from membercenter.catalog.demo import DEMO_SERIALS_CSV, demo_catalog_load
from membercenter.catalog.models import Category, ProductModel, Province, Region, Serial, Store
from membercenter.catalog.serials import is_valid_chk, is_valid_sn

pytestmark = pytest.mark.django_db

MODELS = (Region, Province, Category, ProductModel, Serial, Store, NewsletterList)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def snapshot() -> dict[str, list[tuple]]:
    return {model.__name__: sorted(model.objects.values_list()) for model in MODELS}


def test_loading_twice_changes_and_duplicates_nothing():
    demo_catalog_load()
    first = snapshot()

    demo_catalog_load()

    assert snapshot() == first


def test_indonesia_has_its_38_provinces_and_the_other_regions_theirs():
    demo_catalog_load()

    indonesia = Region.objects.get(code="ID")
    assert (indonesia.currency, indonesia.time_zone) == ("IDR", "Asia/Jakarta")
    names = set(indonesia.provinces.values_list("name", flat=True))
    assert len(names) == 38
    new_papua = {"Papua Selatan", "Papua Tengah", "Papua Pegunungan", "Papua Barat Daya"}
    assert {"DKI Jakarta", "Jawa Barat", *new_papua} <= names
    assert Province.objects.filter(region__code="MY").count() == 16
    assert list(Province.objects.filter(region__code="SG").values_list("name", flat=True)) == ["Singapore"]


def test_catalog_has_categories_models_and_1000_importable_serials():
    demo_catalog_load()

    assert Category.objects.count() >= 6
    assert ProductModel.objects.count() >= 20
    assert Serial.objects.count() >= 1000
    # Every model has serials, so every product type can be registered in the demo.
    assert not ProductModel.objects.filter(serial__isnull=True).exists()
    assert Category.objects.get(slug="graphics-card").name_id == "Kartu Grafis"


def test_demo_serials_file_is_in_the_import_format():
    with DEMO_SERIALS_CSV.open(newline="") as stream:
        rows = list(csv.DictReader(stream))

    assert len(rows) == 1000
    assert all(is_valid_sn(r["sn"]) and 12 <= len(r["sn"]) <= 14 and is_valid_chk(r["chk"]) for r in rows)
    assert all("2023-01-01" <= r["manufactured_on"] <= "2025-06-30" for r in rows)


def test_partner_stores_cover_indonesian_provinces_every_channel_and_other_regions():
    demo_catalog_load()

    indonesian = Store.objects.filter(region__code="ID")
    assert indonesian.count() >= 25
    assert indonesian.values("province").distinct().count() >= 5
    assert set(indonesian.values_list("channel", flat=True)) == set(Store.Channel.values)
    assert Store.objects.filter(region__code="MY").exists()
    assert Store.objects.filter(region__code="SG").exists()


def test_every_category_has_sn_help_in_both_languages_and_a_picture():
    demo_catalog_load()

    for category in Category.objects.all():
        assert category.sn_help_en and category.sn_help_id
        with category.sn_help_image.open("rb") as stream:
            assert Image.open(stream).size == (640, 400)


def test_a_second_load_keeps_the_pictures_it_drew():
    demo_catalog_load()
    names = sorted(Category.objects.values_list("sn_help_image", flat=True))

    demo_catalog_load()

    assert sorted(Category.objects.values_list("sn_help_image", flat=True)) == names


def test_newsletter_lists_are_offered_in_both_languages():
    demo_catalog_load()

    assert list(NewsletterList.objects.values_list("slug", "name_id")) == [
        ("product-news", "Berita produk"),
        ("promotions", "Promo dan penawaran"),
        ("events", "Acara"),
    ]


def test_command_loads_and_reports_counts():
    out = io.StringIO()

    call_command("load_demo_catalog", stdout=out)

    assert "1,000 serials" in out.getvalue()
    assert "3 regions" in out.getvalue()
