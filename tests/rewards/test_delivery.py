"""Delivery: each code email leaves exactly once, carries the code, and only when the reward is due."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from membercenter.claims.models import Claim, ClaimEvent
from membercenter.claims.services import claim_approve
from membercenter.notifications.models import InboxMessage, OutboxEmail
from membercenter.promotions.models import Promotion
from membercenter.rewards.crypto import code_decrypt
from membercenter.rewards.models import RewardGrant
from membercenter.rewards.services import rewards_allocate, rewards_deliver
from tests.claims.conftest import PromotionFactory, make_claim
from tests.factories import UserFactory
from tests.rewards.test_allocation import approved_claims, code_reward, load_codes, new_codes
from tests.threads import run_together


def _code_emails() -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if "Your reward for" in m.subject]


def _sent_once(codes: list[str]) -> bool:
    bodies = [m.body for m in _code_emails()]
    return all(sum(code in body for body in bodies) == 1 for code in codes)


@pytest.mark.django_db
def test_running_the_delivery_job_twice_sends_each_code_email_once(django_capture_on_commit_callbacks):
    reward = code_reward()
    approved_claims(5, reward=reward)
    codes = new_codes(5)
    load_codes(reward, codes)
    assert rewards_allocate() == 5

    with django_capture_on_commit_callbacks(execute=True):
        first = rewards_deliver()
    with django_capture_on_commit_callbacks(execute=True):
        second = rewards_deliver()

    assert (first, second) == (5, 0)
    rows = OutboxEmail.objects.filter(template="reward_code")
    assert rows.count() == 5 and not rows.exclude(status=OutboxEmail.Status.SENT).exists()
    assert len(_code_emails()) == 5
    assert _sent_once(codes)
    assert not RewardGrant.objects.exclude(status=RewardGrant.Status.DELIVERED).exists()


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_two_delivery_workers_at_once_send_each_code_email_once():
    reward = code_reward()
    approved_claims(20, reward=reward, items_per_claim=2)
    codes = new_codes(40)
    load_codes(reward, codes)
    assert rewards_allocate() == 40
    mail.outbox.clear()

    results = run_together([rewards_deliver, rewards_deliver])

    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 40
    assert OutboxEmail.objects.filter(template="reward_code", status=OutboxEmail.Status.SENT).count() == 40
    assert len(_code_emails()) == 40
    assert _sent_once(codes)
    # Each claim moved to "reward sent" once, by whichever worker delivered its last grant.
    assert Counter(Claim.objects.values_list("status", flat=True)) == Counter({Claim.Status.REWARD_SENT: 20})
    assert ClaimEvent.objects.filter(to_status=Claim.Status.REWARD_SENT).count() == 20


@pytest.mark.django_db
def test_the_email_carries_the_code_and_the_stored_rows_only_a_placeholder(django_capture_on_commit_callbacks):
    reward = code_reward()
    member = UserFactory(email="joko@example.com", first_name="Joko")
    approved_claims(1, reward=reward, member=member)
    [code] = new_codes(1)
    load_codes(reward, [code])
    rewards_allocate()

    with django_capture_on_commit_callbacks(execute=True):
        rewards_deliver()

    [message] = _code_emails()
    assert message.to == ["joko@example.com"]
    assert code in message.body
    html = message.alternatives[0][0]
    assert code in html
    grant = RewardGrant.objects.select_related("code").get()
    assert code_decrypt(grant.code.ciphertext) == code

    row = OutboxEmail.objects.get(template="reward_code")
    placeholder = f"[[reward-code:{grant.pk}]]"
    assert placeholder in row.body_text and placeholder in row.body_html
    assert code not in row.body_text + row.body_html + row.subject
    inbox = InboxMessage.objects.get(user=member, subject=row.subject)
    assert code not in inbox.body and "[[reward-code" not in inbox.body
    assert "(shown in Redeem History)" in inbox.body
    assert grant.status == RewardGrant.Status.DELIVERED and grant.delivered_at is not None


@pytest.mark.django_db
def test_the_claim_is_reward_sent_only_when_every_product_has_its_reward(django_capture_on_commit_callbacks):
    reward = code_reward()
    [claim] = approved_claims(1, reward=reward, items_per_claim=2)
    load_codes(reward, new_codes(1))  # one code for two products: the pool runs dry
    assert rewards_allocate() == 1

    with django_capture_on_commit_callbacks(execute=True):
        assert rewards_deliver() == 1
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED

    load_codes(reward, new_codes(1))
    assert rewards_allocate() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert rewards_deliver() == 1
    claim.refresh_from_db()
    assert claim.status == Claim.Status.REWARD_SENT
    assert claim.events.filter(to_status=Claim.Status.REWARD_SENT).count() == 1
    assert len(_code_emails()) == 2


@pytest.mark.django_db
def test_a_period_end_reward_is_neither_allocated_nor_sent_before_the_period_closes(
    django_capture_on_commit_callbacks,
):
    redeem_end = timezone.localdate() + dt.timedelta(days=30)
    promotion = PromotionFactory(reward_delivery=Promotion.Delivery.PERIOD_END, redeem_end=redeem_end)
    reward = code_reward(promotion)
    [code] = new_codes(1)
    load_codes(reward, [code])
    claim = make_claim(promotion=promotion)

    with django_capture_on_commit_callbacks(execute=True):
        claim_approve(claim=claim, reviewer=UserFactory(is_staff=True))

    grant = RewardGrant.objects.get(item__claim=claim)
    # Midnight after the last redemption day, in the claim's region (Jakarta).
    closes = dt.datetime.combine(redeem_end + dt.timedelta(days=1), dt.time.min, tzinfo=ZoneInfo("Asia/Jakarta"))
    assert grant.due_at == closes
    for now in (timezone.now(), closes - dt.timedelta(seconds=1)):
        with django_capture_on_commit_callbacks(execute=True):
            assert rewards_allocate(now=now) == 0
            assert rewards_deliver(now=now) == 0
    grant.refresh_from_db()
    assert grant.status == RewardGrant.Status.WAITING and grant.code_id is None
    assert not _code_emails() and not OutboxEmail.objects.filter(template="reward_code").exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert rewards_allocate(now=closes) == 1
        assert rewards_deliver(now=closes) == 1
    [message] = _code_emails()
    assert code in message.body
    claim.refresh_from_db()
    assert claim.status == Claim.Status.REWARD_SENT


@pytest.mark.django_db
def test_an_on_approval_reward_is_sent_as_soon_as_the_claim_is_approved(django_capture_on_commit_callbacks):
    promotion = PromotionFactory(reward_delivery=Promotion.Delivery.ON_APPROVAL)
    reward = code_reward(promotion)
    [code] = new_codes(1)
    load_codes(reward, [code])
    claim = make_claim(promotion=promotion)

    with django_capture_on_commit_callbacks(execute=True):
        claim_approve(claim=claim, reviewer=UserFactory(is_staff=True))

    [message] = _code_emails()
    assert code in message.body
    claim.refresh_from_db()
    assert claim.status == Claim.Status.REWARD_SENT
