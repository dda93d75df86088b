"""Allocation exactly once: a code goes to one grant and a grant gets one code, under real concurrency.

Real threads, each with its own database connection, released together by a barrier
(the pattern of tests/claims/test_concurrency.py). On PostgreSQL the number of threads
inside the database at one moment is capped by what the server can still accept: the
test server allows 100 connections and is shared, so 200 connections at once would fail
for a reason that has nothing to do with allocation.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections import Counter

import pytest
from django.core import mail
from django.utils import timezone

from membercenter.catalog.models import Serial
from membercenter.catalog.serials import sn_skeleton
from membercenter.claims.models import Claim, ClaimItem
from membercenter.products.models import RegisteredProduct
from membercenter.rewards.crypto import code_decrypt
from membercenter.rewards.models import Reward, RewardCode, RewardGrant
from membercenter.rewards.pools import codes_import, pool_for, pool_stats
from membercenter.rewards.services import grant_allocate, rewards_allocate
from tests.claims.conftest import PromotionFactory
from tests.factories import ProductModelFactory, RegionFactory, StoreFactory, UserFactory
from tests.threads import run_together

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True),
]

_serial_numbers = itertools.count(1)
_code_numbers = itertools.count(1)


# --- helpers shared with the delivery and approval tests ------------------------------


def code_reward(promotion=None, **fields) -> Reward:
    return Reward.objects.create(
        promotion=promotion or PromotionFactory(),
        kind=Reward.Kind.DIGITAL_CODE,
        name_en="Digital Code IDR 500.000",
        name_id="Kode Digital IDR 500.000",
        value=500000,
        currency="IDR",
        **fields,
    )


def approved_claims(
    count: int, *, reward: Reward, items_per_claim: int = 1, due_at: dt.datetime | None = None, member=None
) -> list[Claim]:
    """`count` approved claims of the reward's promotion, each product with its waiting grant.

    Made with bulk inserts: the allocation under test does not care how a claim was reviewed,
    and 200 claims through the member journey would make the test slow for nothing.
    """
    promotion = reward.promotion
    region = RegionFactory()
    member = member or UserFactory(region=region)
    store = StoreFactory(region=region)
    product_model = ProductModelFactory()
    run = uuid.uuid4().hex[:6].upper()
    serials = Serial.objects.bulk_create(
        Serial(
            sn=(sn := f"RW{run}{next(_serial_numbers):08d}"),
            skeleton=sn_skeleton(sn),
            chk="123",
            product_model=product_model,
            manufactured_on=dt.date(2024, 1, 15),
        )
        for _ in range(count * items_per_claim)
    )
    products = RegisteredProduct.objects.bulk_create(
        RegisteredProduct(
            member=member,
            serial=serial,
            region=region,
            store=store,
            channel=store.channel,
            purchase_date=timezone.localdate() - dt.timedelta(days=10),
            invoice="invoices/bench.jpg",
        )
        for serial in serials
    )
    claims = Claim.objects.bulk_create(
        Claim(
            member=member,
            promotion=promotion,
            region=region,
            status=Claim.Status.APPROVED,
            due_on=timezone.localdate(),
            decided_at=timezone.now(),
            full_name="Joko Santoso",
            email=member.email,
            phone="08123456789",
            address="Jl. Sudirman No. 100",
            contact_name="Joko Santoso",
        )
        for _ in range(count)
    )
    items = ClaimItem.objects.bulk_create(
        ClaimItem(claim=claims[n // items_per_claim], product=product, promotion=promotion)
        for n, product in enumerate(products)
    )
    due_at = due_at or timezone.now() - dt.timedelta(minutes=1)
    RewardGrant.objects.bulk_create(RewardGrant(item=item, reward=reward, due_at=due_at) for item in items)
    return claims


def new_codes(count: int) -> list[str]:
    run = uuid.uuid4().hex[:8].upper()
    return [f"TEST-{run}-{next(_code_numbers):06d}" for _ in range(count)]


def load_codes(reward: Reward, codes: list[str]) -> None:
    report = codes_import(pool=pool_for(reward), csv_text="code\n" + "\n".join(codes), actor=None)
    assert report.added == len(codes) and not report.problems


def _allocation() -> dict[int, tuple[str, int | None, dt.datetime | None]]:
    return {g.pk: (g.status, g.code_id, g.allocated_at) for g in RewardGrant.objects.all()}


def _given_codes() -> list[int]:
    return list(RewardGrant.objects.exclude(code=None).values_list("code_id", flat=True))


# --- tests -----------------------------------------------------------------------------------


def test_200_concurrent_allocations_against_150_codes_then_50_more_codes_serve_the_rest(scorecard):
    reward = code_reward()
    approved_claims(200, reward=reward)
    codes = new_codes(150)
    load_codes(reward, codes)
    pool = reward.pool
    grant_ids = list(RewardGrant.objects.values_list("pk", flat=True))

    results = run_together([lambda pk=pk: grant_allocate(grant_id=pk) for pk in grant_ids])

    given = _given_codes()
    # The security scorecard: 200 allocations at once, and the codes that went to more than one grant.
    scorecard.record("concurrency.allocation_attempts", len(grant_ids))
    scorecard.record("concurrency.allocation_duplicates", len(given) - len(set(given)))
    errors = [r for r in results if not isinstance(r, bool)]
    assert not errors, errors[:3]
    assert Counter(results) == Counter({True: 150, False: 50})
    assert Counter(RewardGrant.objects.values_list("status", flat=True)) == Counter(
        {RewardGrant.Status.ALLOCATED: 150, RewardGrant.Status.WAITING: 50}
    )
    assert len(given) == len(set(given)) == 150
    assert RewardCode.objects.filter(pool=pool, grant__isnull=False).count() == 150
    assert not RewardGrant.objects.filter(status=RewardGrant.Status.WAITING).exclude(code=None).exists()
    stats = pool_stats(pool)
    assert (stats.total, stats.allocated, stats.left, stats.waiting_claims) == (150, 150, 0, 50)
    assert stats.running_low  # the pool page warns: claims wait and no code is left

    more = new_codes(50)
    load_codes(reward, more)
    assert rewards_allocate() == 50

    assert not RewardGrant.objects.exclude(status=RewardGrant.Status.ALLOCATED).exists()
    given = _given_codes()
    assert len(given) == len(set(given)) == 200
    plain = [
        code_decrypt(c) for c in RewardCode.objects.filter(grant__isnull=False).values_list("ciphertext", flat=True)
    ]
    assert sorted(plain) == sorted(codes + more)

    # ...and the delivery job then sends every one of them, once.
    from membercenter.rewards.services import rewards_deliver

    mail.outbox.clear()
    assert rewards_deliver() == 200
    assert not Claim.objects.exclude(status=Claim.Status.REWARD_SENT).exists()
    bodies = [m.body for m in mail.outbox]
    assert len(bodies) == 200
    assert all(sum(code in body for body in bodies) == 1 for code in codes + more)


@pytest.mark.parametrize("batch", [500, 40])
def test_two_allocation_workers_at_once_give_each_grant_and_each_code_once(batch):
    reward = code_reward()
    approved_claims(300, reward=reward)
    load_codes(reward, new_codes(300))

    results = run_together([lambda: rewards_allocate(batch=batch), lambda: rewards_allocate(batch=batch)])

    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 300, results
    assert not RewardGrant.objects.exclude(status=RewardGrant.Status.ALLOCATED).exists()
    given = _given_codes()
    assert len(given) == len(set(given)) == 300
    assert not RewardCode.objects.filter(grant__isnull=True).exists()


def test_running_the_allocation_twice_changes_nothing_the_second_time():
    reward = code_reward()
    approved_claims(30, reward=reward)
    load_codes(reward, new_codes(20))

    assert rewards_allocate() == 20
    after_first = _allocation()
    assert rewards_allocate() == 0
    assert _allocation() == after_first
    assert Counter(status for status, _, _ in after_first.values()) == Counter(
        {RewardGrant.Status.ALLOCATED: 20, RewardGrant.Status.WAITING: 10}
    )

    # A single grant already allocated is left as it is, too.
    allocated = next(pk for pk, (status, _, _) in after_first.items() if status == RewardGrant.Status.ALLOCATED)
    assert grant_allocate(grant_id=allocated) is False
    assert _allocation() == after_first


def test_grants_not_yet_due_wait_for_their_date_and_other_pools_keep_their_codes():
    later = timezone.now() + dt.timedelta(days=3)
    reward = code_reward()
    approved_claims(5, reward=reward, due_at=later)
    other = code_reward()
    load_codes(other, new_codes(5))
    load_codes(reward, new_codes(5))

    assert rewards_allocate() == 0
    assert not RewardGrant.objects.exclude(status=RewardGrant.Status.WAITING).exists()

    assert rewards_allocate(now=later) == 5
    assert set(RewardGrant.objects.values_list("code__pool", flat=True)) == {reward.pool.pk}
    assert RewardCode.objects.filter(pool=other.pool, grant__isnull=True).count() == 5
