"""All Promotions: each card names what it is for, read in one query for all the cards.

The names come from `promotions_names_load` on All Promotions and from the promotion's
relations on the redeem page: both must say the same, in the member's language and order.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from membercenter.promotions.selectors import visible_promotions
from tests.backoffice.conftest import PromotionFactory
from tests.factories import CategoryFactory, ProductModelFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db


def _cards(html: str) -> dict[str, str]:
    """Promotion name → the card's line of categories or models."""
    return dict(re.findall(r'<h2>(.*?)</h2>\s*<p class="period">.*?</p>\s*<p class="cats">(.*?)</p>', html, re.S))


@pytest.fixture
def region():
    return RegionFactory(code="ID", name_en="Indonesia", name_id="Indonesia")


@pytest.fixture
def catalogue():
    return {
        "desktop": CategoryFactory(slug="desktop", name_en="Desktop PC", name_id="PC Desktop", position=2),
        "laptop": CategoryFactory(slug="laptop", name_en="Laptop", name_id="Laptop", position=1),
        "aio": CategoryFactory(slug="aio", name_en="All-in-One", name_id="PC Semua-dalam-Satu", position=3),
    }


def _promotion(region, *, name: str, categories=(), models=()):
    promotion = PromotionFactory(name_en=name, name_id=f"{name} (id)", regions=[region])
    promotion.eligible_categories.set(categories)
    promotion.eligible_models.set(models)
    return promotion


def test_cards_name_categories_in_order_or_else_models(region, catalogue):
    zeta = ProductModelFactory(name="Zeta 15 <Pro>", category=catalogue["laptop"])
    alpha = ProductModelFactory(name="Alpha 14", category=catalogue["laptop"])
    _promotion(region, name="Three kinds", categories=[catalogue["aio"], catalogue["desktop"], catalogue["laptop"]])
    _promotion(region, name="Two models", models=[zeta, alpha])
    _promotion(region, name="Anything")
    other_region = RegionFactory(code="MY", name_en="Malaysia", name_id="Malaysia")
    _promotion(other_region, name="Elsewhere", categories=[catalogue["laptop"]])

    english = UserFactory(region=region, language="en")
    client = Client()
    client.force_login(english)
    cards = _cards(client.get(reverse("promotions:list")).content.decode())
    assert cards == {
        "Three kinds": "Laptop, Desktop PC, All-in-One",  # by the categories' position
        "Two models": "Alpha 14, Zeta 15 &lt;Pro&gt;",  # by name, escaped
        "Anything": "",
    }

    indonesian = UserFactory(region=region, language="id")
    client.force_login(indonesian)
    cards = _cards(client.get(reverse("promotions:list")).content.decode())
    assert cards["Three kinds (id)"] == "Laptop, PC Desktop, PC Semua-dalam-Satu"


def test_the_redeem_page_card_says_the_same(region, catalogue):
    promotion = _promotion(region, name="Boost", categories=[catalogue["desktop"], catalogue["laptop"]])
    client = Client()
    client.force_login(UserFactory(region=region))
    listed = _cards(client.get(reverse("promotions:list")).content.decode())
    redeem = _cards(client.get(reverse("promotions:redeem", args=[promotion.slug])).content.decode())
    assert listed["Boost"] == redeem["Boost"] == "Laptop, Desktop PC"


def test_names_for_all_cards_in_one_query(region, catalogue, django_assert_num_queries):
    for n in range(5):
        _promotion(region, name=f"Promotion {n}", categories=[catalogue["laptop"], catalogue["aio"]])
    with django_assert_num_queries(2):  # the promotions, then the names of all their categories and models
        promotions = visible_promotions(region=region.pk)
    assert [p.eligible_names for p in promotions] == [["Laptop", "All-in-One"]] * 5
