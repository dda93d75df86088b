"""Demo catalog: regions, provinces, categories, models, stores, newsletters and serials.

Every row is found by its natural key and updated in place, so loading twice
changes nothing and duplicates nothing.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from membercenter.accounts.models import NewsletterList
from membercenter.catalog import demo_data
from membercenter.catalog.demo_images import sn_help_png
from membercenter.catalog.models import Category, ProductModel, Province, Region, Store
from membercenter.catalog.services import serials_import

DEMO_SERIALS_CSV = Path(settings.BASE_DIR) / "demo" / "serials.csv"


class DemoDataError(RuntimeError):
    """The committed demo files do not load cleanly: a bug in the repository."""


def demo_catalog_load() -> None:
    with transaction.atomic():
        regions = _regions_load()
        _stores_load(regions)
        categories = _categories_load()
        _product_models_load(categories)
        _newsletters_load()
    # Files are written outside the transaction: a rollback could not remove them.
    for category in categories.values():
        _sn_help_image_ensure(category)
    _demo_serials_load()


def _regions_load() -> dict[str, Region]:
    regions = {}
    for code, name_en, name_id, currency, time_zone in demo_data.REGIONS:
        regions[code], _ = Region.objects.update_or_create(
            code=code,
            defaults={"name_en": name_en, "name_id": name_id, "currency": currency, "time_zone": time_zone},
        )
        for province_code, name in demo_data.PROVINCES[code]:
            Province.objects.update_or_create(region=regions[code], code=province_code, defaults={"name": name})
    return regions


def _stores_load(regions: dict[str, Region]) -> None:
    provinces = {p.code: p for p in Province.objects.filter(region__in=regions.values())}
    for region_code, province_code, city, name, channel in demo_data.STORES:
        Store.objects.update_or_create(
            region=regions[region_code],
            name=name,
            city=city,
            defaults={"province": provinces[province_code], "channel": channel, "is_active": True},
        )


def _categories_load() -> dict[str, Category]:
    categories = {}
    for position, (slug, name_en, name_id, where_en, where_id) in enumerate(demo_data.CATEGORIES, start=1):
        help_en, help_id = demo_data.sn_help_texts(where_en, where_id)
        categories[slug], _ = Category.objects.update_or_create(
            slug=slug,
            defaults={
                "name_en": name_en,
                "name_id": name_id,
                "sn_help_en": help_en,
                "sn_help_id": help_id,
                "position": position,
            },
        )
    return categories


def _sn_help_image_ensure(category: Category) -> None:
    """Draw the picture once; a picture that staff uploaded instead is kept."""
    image = category.sn_help_image
    if image and image.name and image.storage.exists(image.name):
        return
    caption = category.name_en if category.name_en == category.name_id else f"{category.name_en} / {category.name_id}"
    image.save(f"{category.slug}.png", ContentFile(sn_help_png(category.slug, caption)), save=True)


def _product_models_load(categories: dict[str, Category]) -> None:
    for code, name, slug, warranty_months in demo_data.PRODUCT_MODELS:
        ProductModel.objects.update_or_create(
            code=code,
            defaults={"name": name, "category": categories[slug], "warranty_months": warranty_months},
        )


def _newsletters_load() -> None:
    for position, (slug, name_en, name_id) in enumerate(demo_data.NEWSLETTERS, start=1):
        NewsletterList.objects.update_or_create(
            slug=slug, defaults={"name_en": name_en, "name_id": name_id, "position": position}
        )


def _demo_serials_load() -> None:
    # The same import path as the factory files staff load, so the demo exercises it.
    report = serials_import(source=DEMO_SERIALS_CSV)
    if report.rejected:
        raise DemoDataError(f"{DEMO_SERIALS_CSV} has rejected rows: {report.rejects[:5]}")
