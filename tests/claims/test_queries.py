"""Member pages run a fixed number of SQL queries whatever the number of claims or products."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from membercenter.claims.models import Claim, ClaimItem
from membercenter.promotions.kept import promotions_changed
from membercenter.promotions.models import Promotion
from membercenter.promotions.stock import promotion_stock_forget
from tests.claims.conftest import PromotionFactory, eligible_product, make_claim
from tests.factories import CategoryFactory, ProductModelFactory, SerialFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db

STATUSES = itertools.cycle(Claim.Status.values)


def queries_for(client, url) -> tuple[int, str]:
    # What the member pages keep in the cache (promotions/kept.py, promotions/stock.py) is read
    # afresh each time: what is measured is how the page loads it.
    promotions_changed()
    for pk in Promotion.objects.values_list("pk", flat=True):
        promotion_stock_forget(pk)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def assert_same_count(client, url, grow, *, expect_in_page):
    """Measure with the small data set, grow it, measure again: the count must not move."""
    queries_for(client, url)  # warm-up: sessions, content types and the like are read once
    small, _ = queries_for(client, url)
    grow()
    large, page = queries_for(client, url)
    for text in expect_in_page():
        assert text in page
    assert large == small, f"{url}: {small} queries with the small data set, {large} with the large one"


def add_claims(member, promotions, n):
    """n claims over several promotions, in every status, some with two products."""
    claims = []
    for i in range(n):
        claim = make_claim(
            product=eligible_product(member), promotion=promotions[i % len(promotions)], status=next(STATUSES)
        )
        if i % 3 == 0:
            second = eligible_product(member)
            ClaimItem.objects.create(claim=claim, product=second, promotion=claim.promotion, active=False)
        claims.append(claim)
    return claims


def test_redeem_history_queries_do_not_grow_with_claims(client):
    member = UserFactory()
    promotions = [PromotionFactory() for _ in range(5)]
    add_claims(member, promotions, 1)
    client.force_login(member)
    added: list[Claim] = []
    assert_same_count(
        client,
        reverse("claims:history"),
        lambda: added.extend(add_claims(member, promotions, 99)),
        expect_in_page=lambda: [f"#{c.pk}<" for c in added] + [p.name_en for p in promotions],
    )
    assert Claim.objects.filter(member=member).count() == 100


def test_my_products_queries_do_not_grow_with_claims(client):
    member = UserFactory()
    promotions = [PromotionFactory() for _ in range(3)]
    promotions[0].eligible_stores.set([StoreFactory()])
    promotions[1].eligible_models.set([ProductModelFactory()])
    add_claims(member, promotions, 1)
    client.force_login(member)
    assert_same_count(
        client,
        reverse("products:mine"),
        lambda: add_claims(member, promotions, 99),
        expect_in_page=lambda: [p.serial.sn for p in member.products.all()],
    )


def test_promotions_list_queries_do_not_grow_with_promotions(client):
    member = UserFactory()
    desktop = CategoryFactory(slug="desktop", name_en="Desktop", name_id="Desktop")

    def promotion(i):
        promo = PromotionFactory(categories=[CategoryFactory(), desktop] if i % 2 else None)
        if i % 3 == 0:
            promo.eligible_categories.clear()
            promo.eligible_models.set([ProductModelFactory(), ProductModelFactory()])
        return promo

    made = [promotion(0)]
    client.force_login(member)
    assert_same_count(
        client,
        reverse("promotions:list"),
        lambda: made.extend(promotion(i) for i in range(1, 20)),
        expect_in_page=lambda: [p.name_en for p in made],
    )


def test_redeem_page_queries_do_not_grow_with_products(client):
    member = UserFactory()
    promo = PromotionFactory(max_redemptions=50, per_member_limit=30)
    store = StoreFactory()
    promo.eligible_stores.set([store])
    products = [eligible_product(member, store=store)]

    def more():
        for i in range(19):
            kwargs = {"store": store if i % 4 else StoreFactory()}
            if i % 5 == 0:
                kwargs["serial"] = SerialFactory(
                    product_model=ProductModelFactory(category=CategoryFactory(slug="monitor", name_en="Monitor"))
                )
            products.append(eligible_product(member, **kwargs))
        make_claim(product=products[3], promotion=promo)

    client.force_login(member)
    assert_same_count(
        client,
        reverse("promotions:redeem", args=[promo.slug]),
        more,
        expect_in_page=lambda: [p.serial.sn for p in products] + ["already redeemed", "does not take part"],
    )
