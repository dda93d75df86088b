"""`manage.py load_demo_catalog`: the demo catalog; safe to run again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from membercenter.accounts.models import NewsletterList
from membercenter.catalog.demo import demo_catalog_load
from membercenter.catalog.models import Category, ProductModel, Province, Region, Serial, Store


class Command(BaseCommand):
    help = "Load the demo regions, provinces, categories, models, partner stores, newsletters and serials."

    def handle(self, *args: Any, **options: Any) -> None:
        demo_catalog_load()
        counts = {
            "regions": Region.objects.count(),
            "provinces": Province.objects.count(),
            "categories": Category.objects.count(),
            "models": ProductModel.objects.count(),
            "serials": Serial.objects.count(),
            "stores": Store.objects.count(),
            "newsletters": NewsletterList.objects.count(),
        }
        summary = ", ".join(f"{count:,} {name}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo catalog loaded: {summary}."))
