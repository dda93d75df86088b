"""Fixtures for the catalog tests: a category with two models, and factory-file helpers."""

from __future__ import annotations

from pathlib import Path

import factory
import pytest
from django.utils import translation

from membercenter.catalog.models import Category, ProductModel

CSV_HEADER = "sn,chk,model,manufactured_on"


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"category-{n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")
    name_id = factory.Sequence(lambda n: f"Kategori {n}")


class ProductModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductModel
        django_get_or_create = ("code",)

    category = factory.SubFactory(CategoryFactory)
    code = factory.Sequence(lambda n: f"TST{n:02d}-A")
    name = factory.Sequence(lambda n: f"Test Laptop {n}")
    warranty_months = 24


@pytest.fixture
def laptop_models(db: None) -> dict[str, ProductModel]:
    """Two models of one category, by code."""
    laptops = CategoryFactory(slug="laptop", name_en="Laptop", name_id="Laptop")
    return {
        code: ProductModelFactory(category=laptops, code=code, name=name)
        for code, name in [("AUR14-C12", "Aurora 14 Creator"), ("NMB15-G7", "Nimbus 15 Gaming")]
    }


@pytest.fixture
def write_csv(tmp_path: Path):
    """Write lines (header included when asked) to a CSV file and return its path."""
    counter = iter(range(1000))

    def write(*lines: str, header: str | None = CSV_HEADER) -> Path:
        path = tmp_path / f"serials-{next(counter)}.csv"
        content = [header, *lines] if header is not None else list(lines)
        path.write_text("\n".join(content) + "\n", encoding="utf-8")
        return path

    return write


@pytest.fixture(autouse=True)
def _english():
    # Reasons and messages are translatable; the assertions read the English text.
    with translation.override("en"):
        yield
