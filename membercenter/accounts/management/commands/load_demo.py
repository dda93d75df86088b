from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from membercenter.accounts.demo import DEMO_REVIEWER_ID, demo_users_load
from membercenter.accounts.models import User
from membercenter.catalog.demo import demo_catalog_load
from membercenter.claims.demo import demo_claims_load, demo_promotions_load, demo_support_load
from membercenter.rewards.demo import demo_rewards_load


class Command(BaseCommand):
    help = "Load the demo catalog, serials, users, promotions and claims. Safe to run again: nothing is duplicated."

    def handle(self, *args: object, **options: object) -> None:
        demo_catalog_load()
        with transaction.atomic():
            demo_users_load()
            demo_support_load()
            promotions = demo_promotions_load()
            demo_rewards_load(promos=promotions)
        demo_claims_load(reviewer=User.objects.get(email=DEMO_REVIEWER_ID), promos=promotions)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
