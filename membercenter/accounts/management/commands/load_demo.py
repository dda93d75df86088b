from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from membercenter.accounts.demo import demo_users_load
from membercenter.catalog.demo import demo_catalog_load


class Command(BaseCommand):
    help = "Load the demo catalog, serials and users. Safe to run again: nothing is duplicated."

    def handle(self, *args: object, **options: object) -> None:
        demo_catalog_load()
        with transaction.atomic():
            demo_users_load()
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
