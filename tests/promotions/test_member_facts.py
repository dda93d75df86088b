"""One member's eligibility facts come from one query, and say what the general path says.

The member pages, the redeem form and the submit service judge one member: their facts are read
by one SQL query (promotions.selectors._member_facts_load). The general path (several members,
the back office) reads them with the ORM. Both must agree on every claim status, on inactive
claim items and on other members' claims; and My Products must show the same verdicts.
"""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from membercenter.claims.models import Claim, ClaimItem
from membercenter.promotions.selectors import eligibility_facts
from tests.claims.conftest import PromotionFactory, eligible_product, make_claim
from tests.factories import ProductModelFactory, UserFactory

pytestmark = pytest.mark.django_db


def _claims_everywhere(members, promotions) -> None:
    """Claims of each member in each status over the promotions, some items inactive."""
    statuses = itertools.cycle(Claim.Status.values)
    for n, (member, promotion) in enumerate(itertools.product(members, promotions * 3)):
        claim = make_claim(product=eligible_product(member), promotion=promotion, status=next(statuses))
        if n % 4 == 0:
            ClaimItem.objects.filter(claim=claim).update(active=False)
        if n % 5 == 0:  # a second product in the claim
            ClaimItem.objects.create(claim=claim, product=eligible_product(member), promotion=promotion)


def test_one_members_facts_are_one_query_and_match_the_general_path():
    members = [UserFactory(), UserFactory(), UserFactory()]
    promotions = [PromotionFactory() for _ in range(3)]
    _claims_everywhere(members, promotions)
    quiet = UserFactory()  # no claims at all
    ids = [p.pk for p in promotions]
    general = eligibility_facts(member_ids=[m.pk for m in [*members, quiet]], promotion_ids=ids)
    assert general.active_items and general.member_claims  # the data set has something to compare
    for member in [*members, quiet]:
        with CaptureQueriesContext(connection) as queries:
            mine = eligibility_facts(member_ids=[member.pk], promotion_ids=ids)
        assert len(queries.captured_queries) == 1
        own_products = set(member.products.values_list("pk", flat=True))
        assert mine.active_items == {(p, promo) for p, promo in general.active_items if p in own_products}
        assert mine.promotion_claims == general.promotion_claims
        assert dict(mine.member_claims) == {k: n for k, n in general.member_claims.items() if k[0] == member.pk}
    # Counted as the database says, not from the test's own bookkeeping.
    for promotion in promotions:
        expected = Claim.objects.filter(promotion=promotion, status__in=Claim.ACTIVE).count()
        assert general.promotion_claims[promotion.pk] == expected


def test_no_promotions_no_query():
    member = UserFactory()
    with CaptureQueriesContext(connection) as queries:
        facts = eligibility_facts(member_ids=[member.pk], promotion_ids=[])
    assert not queries.captured_queries
    assert not facts.active_items and not facts.promotion_claims and not facts.member_claims


def test_my_products_shows_link_when_eligible_and_every_reason_when_not(client):
    member = UserFactory(language="en")
    product = eligible_product(member)
    category = product.serial.product_model.category
    open_one = PromotionFactory(regions=[product.region], categories=[category], name_en="Open <Deal>")
    other = PromotionFactory(regions=[product.region], name_en="Other Models")
    other.eligible_categories.clear()
    other.eligible_models.set([ProductModelFactory()])
    make_claim(product=eligible_product(member, region=product.region), promotion=open_one, status="approved")
    limited = PromotionFactory(regions=[product.region], categories=[category], name_en="Once Only")
    limited.per_member_limit = 1
    limited.save()
    claimed = eligible_product(member, region=product.region)
    make_claim(product=claimed, promotion=limited, status="submitted")
    client.force_login(member)
    page = client.get(reverse("products:mine")).content.decode()
    redeem = reverse("promotions:redeem", args=[open_one.slug])
    invoice = reverse("products:invoice", args=[product.pk])
    assert f'<a href="{redeem}">Open &lt;Deal&gt;</a> — eligible' in page
    assert f'href="{invoice}"' in page
    # Not eligible: the name, then each failed rule's message.
    model = product.serial.product_model.name
    assert f"Other Models — {model} is not one of the products of this promotion." in page
    assert "Once Only — You have reached the limit of 1 redemptions per member for this promotion." in page
    assert reverse("promotions:redeem", args=[limited.slug]) not in page
    assert page.count("Once Only — ") == 3  # each product's row
    # Two rules failed: both messages, one after the other.
    assert (
        "Once Only — This product was already redeemed (or is waiting for review, or was refused) in this promotion."
        " You have reached the limit of 1 redemptions per member for this promotion." in page
    )
    assert f"until {product.warranty_ends_on:%Y-%m-%d}" in page
