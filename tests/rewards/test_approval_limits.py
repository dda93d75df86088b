"""Approval holds the promotion's limits and the gift stock, and gives each product its tier's reward."""

from __future__ import annotations

import html as htmllib

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from membercenter.backoffice.roles import REVIEWER
from membercenter.claims.models import Claim, ClaimItem
from membercenter.claims.services import claim_approve
from membercenter.rewards.models import Reward, RewardGrant
from tests.backoffice.conftest import ClaimFactory, PromotionFactory, staff
from tests.factories import (
    CategoryFactory,
    ProductModelFactory,
    RegionFactory,
    RegisteredProductFactory,
    SerialFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def indonesia():
    return RegionFactory(code="ID", name_en="Indonesia", name_id="Indonesia", time_zone="Asia/Jakarta")


@pytest.fixture
def reviewer(indonesia):
    return staff(REVIEWER, regions=(indonesia,), first_name="Rina")


def _code_reward(promotion, **fields) -> Reward:
    defaults = {"name_en": "Digital Code IDR 500.000", "name_id": "Kode Digital IDR 500.000", "value": 500000}
    return Reward.objects.create(
        promotion=promotion, kind=Reward.Kind.DIGITAL_CODE, currency="IDR", **defaults | fields
    )


def _gift(promotion, stock: int) -> Reward:
    return Reward.objects.create(
        promotion=promotion, kind=Reward.Kind.GIFT, name_en="Gaming mouse pad", name_id="Mouse pad gaming", stock=stock
    )


def _refused(claim: Claim, reviewer) -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        claim_approve(claim=claim, reviewer=reviewer)
    assert [e.code for e in refused.value.error_list] == ["stock"]
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED
    assert claim.decided_at is None and not claim.events.filter(to_status=Claim.Status.APPROVED).exists()
    assert not RewardGrant.objects.filter(item__claim=claim).exists()
    return refused.value


def test_approval_is_refused_once_the_promotion_has_given_its_maximum(indonesia, reviewer):
    promotion = PromotionFactory(regions=[indonesia], max_redemptions=2)
    _code_reward(promotion)
    # Three waiting claims for two rewards: the limit was lowered after they were submitted.
    first, second, third = (ClaimFactory(region=indonesia, promotion=promotion) for _ in range(3))

    claim_approve(claim=first, reviewer=reviewer)
    claim_approve(claim=second, reviewer=reviewer)
    error = _refused(third, reviewer)

    assert "This promotion has given all its 2 rewards; the claim cannot be approved." in error.messages
    assert RewardGrant.objects.count() == 2


def test_a_claim_whose_reward_was_already_sent_still_counts_against_the_maximum(indonesia, reviewer):
    promotion = PromotionFactory(regions=[indonesia], max_redemptions=1)
    ClaimFactory(region=indonesia, promotion=promotion, status=Claim.Status.REWARD_SENT)
    waiting = ClaimFactory(region=indonesia, promotion=promotion)

    _refused(waiting, reviewer)


def test_approval_is_refused_when_the_gift_stock_is_used(indonesia, reviewer):
    promotion = PromotionFactory(regions=[indonesia])
    gift = _gift(promotion, stock=2)
    one_product = ClaimFactory(region=indonesia, promotion=promotion)
    two_products = ClaimFactory(region=indonesia, promotion=promotion, products=2)
    last_one = ClaimFactory(region=indonesia, promotion=promotion)

    claim_approve(claim=one_product, reviewer=reviewer)
    # Two gifts needed, one left: refused as a whole, not half granted.
    error = _refused(two_products, reviewer)
    claim_approve(claim=last_one, reviewer=reviewer)

    assert "No Gaming mouse pad left in stock (2 given); the claim cannot be approved." in error.messages
    assert RewardGrant.objects.filter(reward=gift, status=RewardGrant.Status.PREPARING).count() == 2
    assert _refused(ClaimFactory(region=indonesia, promotion=promotion), reviewer)


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        ("promotion", "This promotion has given all its 1 rewards; the claim cannot be approved."),
        ("gift", "No Gaming mouse pad left in stock (1 given); the claim cannot be approved."),
    ],
)
def test_the_reviewer_sees_why_the_approval_was_refused(client, indonesia, reviewer, limit, message):
    promotion = PromotionFactory(regions=[indonesia], max_redemptions=1 if limit == "promotion" else None)
    if limit == "gift":
        _gift(promotion, stock=1)
        claim_approve(claim=ClaimFactory(region=indonesia, promotion=promotion), reviewer=reviewer)
    else:
        ClaimFactory(region=indonesia, promotion=promotion, status=Claim.Status.APPROVED)
    claim = ClaimFactory(region=indonesia, promotion=promotion)
    client.force_login(reviewer)

    response = client.post(reverse("backoffice:claim_approve", args=[claim.pk]), follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith(reverse("backoffice:claim", args=[claim.pk]))
    assert message in htmllib.unescape(response.content.decode())
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED
    assert 'id="approve-button"' in response.content.decode()  # still there to decide otherwise


def test_the_tier_table_gives_the_model_row_then_the_category_row_then_the_default(indonesia, reviewer):
    promotion = PromotionFactory(regions=[indonesia])
    laptop, desktop = CategoryFactory(slug="laptop"), CategoryFactory(slug="desktop", name_en="Desktop")
    flagship, other_laptop = ProductModelFactory(category=laptop), ProductModelFactory(category=laptop)
    tower = ProductModelFactory(category=desktop)
    default = _code_reward(promotion, name_en="Voucher IDR 100.000", value=100000)
    by_category = _code_reward(promotion, name_en="Voucher IDR 300.000", value=300000, category=laptop)
    by_model = _code_reward(promotion, name_en="Voucher IDR 500.000", value=500000, product_model=flagship)
    claim = ClaimFactory(region=indonesia, promotion=promotion, products=0)
    for model in (flagship, other_laptop, tower):
        product = RegisteredProductFactory(
            member=claim.member, region=indonesia, serial=SerialFactory(product_model=model)
        )
        ClaimItem.objects.create(claim=claim, product=product, promotion=promotion)

    claim_approve(claim=claim, reviewer=reviewer)

    earned = {
        g.item.product.serial.product_model_id: g.reward
        for g in RewardGrant.objects.select_related("item__product__serial", "reward")
    }
    assert earned == {flagship.pk: by_model, other_laptop.pk: by_category, tower.pk: default}


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("limit", ["promotion", "gift"])
def test_reviewers_approving_at_once_cannot_approve_past_the_stock(indonesia, limit):
    from tests.threads import run_together

    promotion = PromotionFactory(regions=[indonesia], max_redemptions=3 if limit == "promotion" else None)
    if limit == "gift":
        _gift(promotion, stock=3)
    else:
        _code_reward(promotion)
    claims = [ClaimFactory(region=indonesia, promotion=promotion) for _ in range(10)]
    reviewers = [staff(REVIEWER, regions=(indonesia,)) for _ in claims]

    results = run_together(
        [lambda c=c, r=r: claim_approve(claim=c, reviewer=r) for c, r in zip(claims, reviewers, strict=True)]
    )

    refused = [r for r in results if isinstance(r, ValidationError)]
    assert sum(isinstance(r, Claim) for r in results) == 3 and len(refused) == 7, results
    assert all([e.code for e in r.error_list] == ["stock"] for r in refused)
    assert Claim.objects.filter(status=Claim.Status.APPROVED).count() == 3
    assert RewardGrant.objects.count() == 3
