"""Shared fixtures for the reward tests: a promotion with a code reward, a gift reward, approved claims.

Fixture names are stable (other test modules use them): `reward_code_promotion`, `code_reward`,
`gift_reward`, `approved_claim_factory`; plus the staff roles `manager`, `administrator`,
`reviewer` (of Indonesia) and a plain `member`. A module may define its own fixture of the same
name; pytest then uses the module's.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from django.db import transaction

from membercenter.accounts.models import User
from membercenter.backoffice.roles import REVIEWER
from membercenter.claims.models import Claim, ClaimItem
from membercenter.promotions.models import Promotion
from membercenter.rewards.models import Reward
from membercenter.rewards.pools import CodeImportReport, codes_import, pool_for
from tests.claims.conftest import PromotionFactory, eligible_product, make_claim
from tests.factories import UserFactory, staff

_code_numbers = itertools.count(1)


def new_codes(n: int, prefix: str = "VCHR") -> list[str]:
    """`n` codes never used before in this test run (valid for the import's pattern)."""
    return [f"{prefix}-{next(_code_numbers):06d}-ZK" for _ in range(n)]


def codes_csv(codes: list[str], *, header: bool = True) -> str:
    return "\n".join((["code"] if header else []) + codes) + "\n"


def fill_pool(reward: Reward, codes: list[str], *, actor: User | None = None) -> CodeImportReport:
    """Load `codes` into the reward's pool through the real import (no allocation is triggered)."""
    report = codes_import(pool=pool_for(reward), csv_text=codes_csv(codes), actor=actor)
    assert report.added == len(codes), report.problems
    return report


@pytest.fixture
def member(db):
    return UserFactory()


@pytest.fixture
def reward_code_promotion(indonesia):
    """A published promotion of Indonesia whose rewards go out as soon as a claim is approved.

    Its purchase window ends today, so `tests.claims.conftest.eligible_product` products
    (bought ten days ago, category "laptop") qualify and can be submitted for real.
    """
    return PromotionFactory(
        regions=[indonesia],
        name_en="Boost Your Success",
        name_id="Tingkatkan Suksesmu",
        reward_delivery=Promotion.Delivery.ON_APPROVAL,
    )


@pytest.fixture
def code_reward(reward_code_promotion):
    """The promotion's default row: a digital code worth IDR 500,000, with its (empty) pool."""
    reward = Reward.objects.create(
        promotion=reward_code_promotion, kind=Reward.Kind.DIGITAL_CODE, name_en="Digital Code IDR 500.000",
        name_id="Kode Digital IDR 500.000", value=500000, currency="IDR",
    )  # fmt: skip
    pool_for(reward)
    return reward


@pytest.fixture
def gift_reward(indonesia):
    """A physical gift (stock 10), the default row of its own on-approval promotion."""
    promotion = PromotionFactory(
        regions=[indonesia], name_en="Backpack Bonus", name_id="Bonus Tas", reward_en="Backpack",
        reward_id="Tas ransel", reward_delivery=Promotion.Delivery.ON_APPROVAL,
    )  # fmt: skip
    return Reward.objects.create(
        promotion=promotion, kind=Reward.Kind.GIFT, name_en="Gaming Backpack", name_id="Tas Ransel Gaming", stock=10
    )


@pytest.fixture
def approved_claim_factory(request) -> Callable[..., Claim]:
    """make(promotion=None, *, member=None, products=1, reviewer=None, through_service=False) -> Claim.

    An approved claim of `promotion` (default: `reward_code_promotion`) with one grant per
    product, as approval makes them (rewards.services.grants_create) — nothing allocated yet.
    With through_service=True it is approved by claims.services.claim_approve instead, which
    also emails the member and, for an on-approval promotion, schedules the allocation job
    after commit.
    """

    def make(
        promotion: Promotion | None = None,
        *,
        member: User | None = None,
        products: int = 1,
        reviewer: User | None = None,
        through_service: bool = False,
    ) -> Claim:
        from membercenter.claims.services import claim_approve
        from membercenter.rewards.services import grants_create

        promotion = promotion or request.getfixturevalue("reward_code_promotion")
        member = member or UserFactory()
        claim = make_claim(product=eligible_product(member), promotion=promotion)
        for _ in range(products - 1):
            ClaimItem.objects.create(claim=claim, product=eligible_product(member), promotion=promotion)
        if through_service:
            return claim_approve(claim=claim, reviewer=reviewer or staff(REVIEWER, first_name="Rina"))
        with transaction.atomic():
            claim = Claim.objects.select_for_update().select_related("region").get(pk=claim.pk)
            claim.move_to(Claim.Status.APPROVED, by=reviewer)
            grants_create(claim=claim)
        return claim

    return make
