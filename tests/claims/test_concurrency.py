"""Concurrent submits (double clicks, two tabs, a rush on the last rewards) keep the rules.

Real threads, each with its own database connection, released together by a barrier.
"""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
from django.core.exceptions import ValidationError

from membercenter.claims.models import Claim, ClaimItem
from tests.claims.conftest import PromotionFactory, eligible_product, upload_for
from tests.factories import UserFactory
from tests.threads import run_together

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True),
]


def _submit_job(member, promotion, products, token):
    from membercenter.claims.services import ItemEvidence, claim_submit
    from tests.claims.conftest import RECIPIENT

    # Uploads are made before the race: the confirm page has them already.
    evidence = [ItemEvidence(product_id=p.pk, serial_photo=upload_for(member)) for p in products]

    def job():
        return claim_submit(
            member=member, promotion=promotion, evidence=evidence, recipient=RECIPIENT, submit_token=token
        )

    return job


def _outcomes(results) -> Counter:
    kinds: Counter = Counter()
    for r in results:
        if isinstance(r, Claim):
            kinds["claim"] += 1
        elif isinstance(r, ValidationError):
            kinds["/".join(sorted({e.code or "?" for e in r.error_list}))] += 1
        else:
            kinds[f"unexpected {type(r).__name__}: {r}"] += 1
    return kinds


def test_fifty_submits_of_one_product_with_different_tokens_make_one_claim(scorecard):
    promotion = PromotionFactory()
    member = UserFactory()
    product = eligible_product(member)
    jobs = [_submit_job(member, promotion, [product], uuid.uuid4()) for _ in range(50)]

    results = run_together(jobs, within=20)

    # The security scorecard: the same product redeemed at once by 50 requests, and the claims beyond one.
    scorecard.record("concurrency.redemption_attempts", len(jobs))
    scorecard.record("concurrency.redemption_duplicates", max(Claim.objects.count() - 1, 0))
    outcomes = _outcomes(results)
    assert outcomes["claim"] == 1, outcomes
    assert sum(outcomes.values()) == 50 and set(outcomes) <= {"claim", "ineligible", "taken"}, outcomes
    for err in (r for r in results if isinstance(r, ValidationError)):
        assert "already redeemed (or is waiting for review" in " ".join(err.messages)
    assert Claim.objects.count() == 1
    assert ClaimItem.objects.filter(product=product, promotion=promotion, active=True).count() == 1


def test_fifty_submits_with_the_same_token_all_get_the_one_claim():
    promotion = PromotionFactory()
    member = UserFactory()
    products = [eligible_product(member), eligible_product(member)]
    token = uuid.uuid4()
    jobs = [_submit_job(member, promotion, products, token) for _ in range(50)]

    results = run_together(jobs, within=20)

    assert Claim.objects.count() == 1
    claim = Claim.objects.get()
    assert [r.pk if isinstance(r, Claim) else r for r in results] == [claim.pk] * 50
    assert claim.items.count() == 2 and claim.events.count() == 1


def test_a_promotion_with_n_rewards_accepts_exactly_n_claims():
    stock = 5
    promotion = PromotionFactory(max_redemptions=stock)
    members = [UserFactory() for _ in range(20)]
    jobs = [_submit_job(m, promotion, [eligible_product(m)], uuid.uuid4()) for m in members]

    results = run_together(jobs, within=20)

    outcomes = _outcomes(results)
    assert outcomes == Counter({"claim": stock, "ineligible": 20 - stock}), outcomes
    for err in (r for r in results if isinstance(r, ValidationError)):
        assert "All rewards of this promotion have been claimed." in " ".join(err.messages)
    assert Claim.objects.filter(promotion=promotion).count() == stock


def test_per_member_limit_holds_under_concurrent_submits():
    promotion = PromotionFactory(per_member_limit=1)
    member = UserFactory()
    jobs = [_submit_job(member, promotion, [eligible_product(member)], uuid.uuid4()) for _ in range(10)]

    results = run_together(jobs, within=20)

    outcomes = _outcomes(results)
    assert outcomes == Counter({"claim": 1, "ineligible": 9}), outcomes
    for err in (r for r in results if isinstance(r, ValidationError)):
        assert "limit of 1 redemptions per member" in " ".join(err.messages)
    assert Claim.objects.filter(member=member, promotion=promotion).count() == 1
