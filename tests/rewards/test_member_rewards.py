"""The member's side of rewards: what each product earns, and the reward in Redeem History.

Claims are approved through the services (claim_submit, claim_approve) and rewards go out
through the jobs (rewards_allocate, rewards_deliver), so the pages show what a member would
really see. A code must show only to its owner, only in the response to "Show code", and
every reveal and resend is in the audit log without the code itself.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from membercenter.audit.models import AuditEntry
from membercenter.claims.models import Claim
from membercenter.claims.services import claim_approve
from membercenter.notifications.models import InboxMessage, OutboxEmail
from membercenter.promotions.models import Promotion
from membercenter.rewards.crypto import code_decrypt
from membercenter.rewards.models import Reward, RewardCode, RewardGrant
from membercenter.rewards.pools import codes_import, pool_for
from membercenter.rewards.services import rewards_allocate, rewards_deliver
from tests.claims.conftest import PromotionFactory, eligible_product, make_claim, submit
from tests.factories import ProductModelFactory, SerialFactory, UserFactory

pytestmark = pytest.mark.django_db

_codes = itertools.count(1)
LATER = dt.timedelta(days=400)  # past any promotion period of these tests


# --- helpers ---------------------------------------------------------------------------------


def code_reward(promotion: Promotion, name: str = "Voucher IDR 500.000", **fields) -> Reward:
    return Reward.objects.create(
        promotion=promotion, kind=Reward.Kind.DIGITAL_CODE, name_en=name, name_id=name, value=500000,
        currency="IDR", **fields,
    )  # fmt: skip


def gift_reward(promotion: Promotion, name: str = "Backpack") -> Reward:
    return Reward.objects.create(promotion=promotion, kind=Reward.Kind.GIFT, name_en=name, name_id=name, stock=100)


def fill_pool(reward: Reward, n: int) -> list[str]:
    codes = [f"VCHR-{next(_codes):06d}-XQ" for _ in range(n)]
    report = codes_import(pool=pool_for(reward), csv_text="\n".join(codes), actor=None)
    assert report.added == n, report.problems
    return codes


def approved(member, promotion: Promotion, products=None) -> Claim:
    """A claim submitted by the member and approved by a reviewer, through the services."""
    products = products or [eligible_product(member)]
    claim = submit(member, promotion, products)
    return claim_approve(claim=claim, reviewer=UserFactory(is_staff=True))


def run_jobs(django_capture_on_commit_callbacks) -> None:
    """The period is over: allocate and deliver, and let the outbox send (after commit)."""
    with django_capture_on_commit_callbacks(execute=True):
        rewards_allocate(now=timezone.now() + LATER)
        rewards_deliver(now=timezone.now() + LATER)


def claim_row(html: str, claim: Claim) -> str:
    rows = [r for r in re.findall(r"<tr>.*?</tr>", html, flags=re.S) if f"#{claim.pk}<" in r]
    assert len(rows) == 1, f"claim #{claim.pk} is not one row of Redeem History"
    return " ".join(rows[0].split())


@pytest.fixture
def member(db):
    return UserFactory(email="siti@example.com")


@pytest.fixture
def promotion(db):
    return PromotionFactory(reward_delivery=Promotion.Delivery.PERIOD_END)


@pytest.fixture
def delivered(member, promotion, django_capture_on_commit_callbacks):
    """The member's approved claim whose code has been delivered; (grant, the code)."""
    codes = fill_pool(code_reward(promotion), 3)
    claim = approved(member, promotion)
    run_jobs(django_capture_on_commit_callbacks)
    grant = RewardGrant.objects.select_related("code").get(item__claim=claim)
    assert grant.status == RewardGrant.Status.DELIVERED
    code = code_decrypt(grant.code.ciphertext)
    assert code in codes
    mail.outbox.clear()
    return grant, code


# --- the redeem page: what each product earns ---------------------------------------------------


def test_redeem_page_shows_the_reward_each_eligible_product_earns(client, member, promotion):
    code_reward(promotion, "Voucher IDR 500.000")  # the default row of the tier table
    flagship = ProductModelFactory(name="Aurora 16 Studio")
    code_reward(promotion, "Voucher IDR 1.000.000", product_model=flagship)
    plain = eligible_product(member)
    studio = eligible_product(member, serial=SerialFactory(product_model=flagship))
    too_old = eligible_product(member)
    too_old.purchase_date = promotion.purchase_start - dt.timedelta(days=5)
    too_old.save()
    client.force_login(member)

    html = client.get(reverse("promotions:redeem", args=[promotion.slug])).content.decode()

    rows = {}
    for row in re.findall(r"<tr.*?</tr>", html, flags=re.S):
        for product in (plain, studio, too_old):
            if product.serial.sn in row:
                rows[product.serial.sn] = " ".join(row.split())
    assert "Reward for this product: <strong>Voucher IDR 500.000</strong>" in rows[plain.serial.sn]
    assert "Reward for this product: <strong>Voucher IDR 1.000.000</strong>" in rows[studio.serial.sn]
    assert "Not eligible" in rows[too_old.serial.sn]
    assert "Reward for this product" not in rows[too_old.serial.sn]


def test_redeem_page_without_a_tier_table_names_the_promotions_reward(client, member, promotion):
    product = eligible_product(member)
    client.force_login(member)
    html = " ".join(client.get(reverse("promotions:redeem", args=[promotion.slug])).content.decode().split())
    assert product.serial.sn in html
    assert f"Reward for this product: <strong>{promotion.reward_en}</strong>" in html


def test_redeem_page_reads_the_tier_table_once(client, member, promotion):
    code_reward(promotion)
    code_reward(promotion, "Voucher IDR 1.000.000", product_model=ProductModelFactory())
    eligible_product(member)
    client.force_login(member)
    url = reverse("promotions:redeem", args=[promotion.slug])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for _ in range(10):
        eligible_product(member, serial=SerialFactory(product_model=ProductModelFactory()))
    with CaptureQueriesContext(connection) as large:
        html = client.get(url).content.decode()
    assert html.count("Reward for this product") == 11
    assert len(large.captured_queries) == len(small.captured_queries)
    assert sum("rewards_reward" in q["sql"] for q in large.captured_queries) == 1


# --- Redeem History: when the reward comes -----------------------------------------------------


def test_approved_claim_of_a_period_end_promotion_says_when_the_reward_comes(client, member, promotion):
    code_reward(promotion)
    claim = approved(member, promotion)
    client.force_login(member)

    row = claim_row(client.get(reverse("claims:history")).content.decode(), claim)

    assert "Redeem Success" in row
    assert "Reward: Voucher IDR 500.000." in row
    end = promotion.redeem_end.strftime("%Y-%m-%d")
    assert f"Approved — your reward is sent at the end of the promotion period (after {end})." in row
    assert "Show code" not in row and "Email me the code again" not in row


def test_approved_claim_of_an_on_approval_promotion_is_being_prepared(client, member):
    promotion = PromotionFactory(reward_delivery=Promotion.Delivery.ON_APPROVAL)
    code_reward(promotion)  # its pool is empty: the code cannot be given yet
    claim = approved(member, promotion)
    client.force_login(member)

    row = claim_row(client.get(reverse("claims:history")).content.decode(), claim)

    assert "Approved — your reward is being prepared." in row
    assert "end of the promotion period" not in row


def test_a_code_still_waiting_after_the_period_is_being_prepared(client, member, promotion):
    code_reward(promotion)  # no codes: the pool ran dry
    claim = approved(member, promotion)
    RewardGrant.objects.filter(item__claim=claim).update(due_at=timezone.now() - dt.timedelta(hours=1))
    client.force_login(member)

    row = claim_row(client.get(reverse("claims:history")).content.decode(), claim)

    assert "Approved — your reward is being prepared." in row
    assert "end of the promotion period" not in row


def test_delivered_code_reads_reward_sent_with_the_date_and_offers_the_code(client, member, delivered):
    grant, code = delivered
    client.force_login(member)

    html = client.get(reverse("claims:history")).content.decode()
    row = claim_row(html, grant.item.claim)

    assert "Reward sent" in row  # the claim's status
    assert f"Reward sent on {timezone.localtime(grant.delivered_at):%Y-%m-%d}." in row
    assert f'action="{reverse("rewards:reveal", args=[grant.pk])}#grant-{grant.pk}"' in row
    assert f'action="{reverse("rewards:resend", args=[grant.pk])}"' in row
    assert code not in html  # only "Show code" shows it


def test_gift_shows_its_shipment(client, member, promotion):
    gift_reward(promotion)
    claim = approved(member, promotion)
    grant = RewardGrant.objects.get(item__claim=claim)
    client.force_login(member)
    url = reverse("claims:history")
    assert "sent at the end of the promotion period" in claim_row(client.get(url).content.decode(), claim)

    RewardGrant.objects.filter(pk=grant.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    assert "Approved — your gift is being prepared for shipping." in claim_row(client.get(url).content.decode(), claim)

    shipped_at = timezone.now()
    RewardGrant.objects.filter(pk=grant.pk).update(
        status=RewardGrant.Status.SHIPPED, courier="JNE", tracking_number="JNE0012345678", delivered_at=shipped_at
    )
    row = claim_row(client.get(url).content.decode(), claim)
    assert "Your gift is on its way." in row
    assert f"Reward sent on {timezone.localtime(shipped_at):%Y-%m-%d}." in row
    assert "Courier: JNE" in row and "JNE0012345678" in row

    RewardGrant.objects.filter(pk=grant.pk).update(status=RewardGrant.Status.DELIVERED)
    assert "Your gift has been delivered." in claim_row(client.get(url).content.decode(), claim)
    assert "Show code" not in claim_row(client.get(url).content.decode(), claim)

    RewardGrant.objects.filter(pk=grant.pk).update(status=RewardGrant.Status.RETURNED)
    assert "The parcel came back to us." in claim_row(client.get(url).content.decode(), claim)


def test_claim_of_two_products_names_each_products_reward(client, member, promotion):
    code_reward(promotion)
    gift_reward(promotion, "Aurora Backpack")
    flagship = ProductModelFactory(name="Aurora 16 Studio")
    code_reward(promotion, "Voucher IDR 1.000.000", product_model=flagship)
    products = [eligible_product(member), eligible_product(member, serial=SerialFactory(product_model=flagship))]
    claim = approved(member, promotion, products)
    client.force_login(member)

    row = claim_row(client.get(reverse("claims:history")).content.decode(), claim)

    assert f"<strong>{products[0].serial.product_model.name}</strong> · Reward: Voucher IDR 500.000." in row
    assert "<strong>Aurora 16 Studio</strong> · Reward: Voucher IDR 1.000.000." in row


# --- Show code ---------------------------------------------------------------------------------


def test_owner_reveals_the_code_in_the_response_only_and_it_is_audited(client, member, delivered):
    grant, code = delivered
    client.force_login(member)
    url = reverse("rewards:reveal", args=[grant.pk])

    response = client.post(url)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert "Your code: <strong" in html and code in claim_row(html, grant.item.claim)
    assert html.count(code) == 1
    entry = AuditEntry.objects.get(action="reward.reveal")
    assert (entry.actor, entry.target_type, entry.target_id) == (member, "rewards.rewardgrant", str(grant.pk))
    assert code not in entry.summary
    # Nowhere to be found again: not in the session, not on the next page.
    assert code not in str(dict(client.session.items()))
    assert code not in client.get(reverse("claims:history")).content.decode()

    client.post(url)
    assert AuditEntry.objects.filter(action="reward.reveal").count() == 2  # each reveal


def test_another_member_cannot_reveal_or_resend(client, delivered):
    grant, code = delivered
    client.force_login(UserFactory())
    for name in ("rewards:reveal", "rewards:resend"):
        response = client.post(reverse(name, args=[grant.pk]))
        assert response.status_code == 404
        assert code not in response.content.decode()
    assert not AuditEntry.objects.filter(action__startswith="reward.").exists()
    assert not mail.outbox


def test_anonymous_is_sent_to_log_in(client, delivered):
    grant, _ = delivered
    for name in ("rewards:reveal", "rewards:resend"):
        response = client.post(reverse(name, args=[grant.pk]))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    assert not AuditEntry.objects.filter(action__startswith="reward.").exists()


def test_reveal_is_a_post(client, member, delivered):
    grant, _ = delivered
    client.force_login(member)
    assert client.get(reverse("rewards:reveal", args=[grant.pk])).status_code == 405


def test_reveal_before_delivery_is_refused_with_a_message(client, member, promotion):
    fill_pool(code_reward(promotion), 2)
    claim = approved(member, promotion)
    rewards_allocate(now=timezone.now() + LATER)  # allocated, not yet delivered
    grant = RewardGrant.objects.get(item__claim=claim)
    assert grant.status == RewardGrant.Status.ALLOCATED
    client.force_login(member)

    response = client.post(reverse("rewards:reveal", args=[grant.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("claims:history")
    assert "Your code has not been sent yet" in response.content.decode()
    assert "Your code:" not in response.content.decode()
    assert not AuditEntry.objects.filter(action="reward.reveal").exists()


# --- Email me the code again ---------------------------------------------------------------------


def test_resend_sends_one_email_with_the_code_that_the_outbox_does_not_keep(
    client, member, delivered, django_capture_on_commit_callbacks
):
    grant, code = delivered
    client.force_login(member)
    outbox_before = OutboxEmail.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("rewards:resend", args=[grant.pk]), follow=True)

    assert f"We sent the code again to {member.email}." in response.content.decode()
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [member.email]
    assert code in sent.body
    assert code in sent.alternatives[0][0]
    row = OutboxEmail.objects.order_by("-pk").first()
    assert OutboxEmail.objects.count() == outbox_before + 1
    assert row.status == OutboxEmail.Status.SENT
    assert code not in row.body_text and code not in row.body_html
    assert not InboxMessage.objects.filter(body__contains=code).exists()
    entry = AuditEntry.objects.get(action="reward.resend")
    assert entry.actor == member and code not in entry.summary


def test_resend_is_limited_to_three_an_hour(client, member, delivered, django_capture_on_commit_callbacks):
    grant, _ = delivered
    client.force_login(member)
    url = reverse("rewards:resend", args=[grant.pk])
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url)
    assert len(mail.outbox) == 3

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)

    assert "Please wait before asking again" in response.content.decode()
    assert len(mail.outbox) == 3
    assert AuditEntry.objects.filter(action="reward.resend").count() == 3


def test_resend_before_delivery_is_refused(client, member, promotion, django_capture_on_commit_callbacks):
    code_reward(promotion)
    claim = approved(member, promotion)
    grant = RewardGrant.objects.get(item__claim=claim)
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("rewards:resend", args=[grant.pk]), follow=True)
    assert "This code has not been delivered yet." in response.content.decode()
    assert not mail.outbox


# --- Redeem History stays a fixed number of queries --------------------------------------------


def _claims_with_rewards(member, promotions, rewards, n):
    """n claims in every reward state: waiting, allocated, delivered code; preparing, shipped gift."""
    states = itertools.cycle(["waiting", "allocated", "delivered", "preparing", "shipped", "none"])
    made = []
    for i in range(n):
        state = next(states)
        promotion = promotions[i % len(promotions)]
        status = Claim.Status.APPROVED if state in ("waiting", "allocated", "preparing") else Claim.Status.REWARD_SENT
        if state == "none":
            status = Claim.Status.APPROVED
        claim = make_claim(product=eligible_product(member), promotion=promotion, status=status)
        made.append(claim)
        if state == "none":
            continue
        item = claim.items.get()
        code_kind = state in ("waiting", "allocated", "delivered")
        grant = RewardGrant(
            item=item,
            reward=rewards[promotion.pk][0 if code_kind else 1],
            status=state,
            due_at=timezone.now() - dt.timedelta(days=1) if i % 2 else timezone.now() + dt.timedelta(days=9),
        )
        if state in ("allocated", "delivered"):
            grant.code = RewardCode.objects.filter(pool__reward=grant.reward, grant__isnull=True).first()
        if state in ("delivered", "shipped"):
            grant.delivered_at = timezone.now()
        if state == "shipped":
            grant.courier, grant.tracking_number = "JNE", f"JNE{i:08d}"
        grant.save()
    return made


def test_redeem_history_queries_do_not_grow_with_rewards(client, member):
    promotions = [PromotionFactory(), PromotionFactory(reward_delivery=Promotion.Delivery.ON_APPROVAL)]
    rewards = {}
    for promotion in promotions:
        rewards[promotion.pk] = [code_reward(promotion), gift_reward(promotion)]
        fill_pool(rewards[promotion.pk][0], 40)
    made = _claims_with_rewards(member, promotions, rewards, 6)
    client.force_login(member)
    url = reverse("claims:history")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    made += _claims_with_rewards(member, promotions, rewards, 60)
    with CaptureQueriesContext(connection) as large:
        html = client.get(url).content.decode()
    for claim in made:
        assert f"#{claim.pk}<" in html
    assert html.count("Show code") == 66 // 6
    assert html.count("Courier: JNE") == 66 // 6
    assert len(large.captured_queries) == len(small.captured_queries), (
        f"{len(small.captured_queries)} queries for 6 claims, {len(large.captured_queries)} for 66"
    )


def test_reveal_page_queries_do_not_grow_with_claims(client, member, promotion, delivered):
    grant, _ = delivered
    rewards = {promotion.pk: [Reward.objects.get(promotion=promotion), gift_reward(promotion)]}
    fill_pool(rewards[promotion.pk][0], 30)
    client.force_login(member)
    url = reverse("rewards:reveal", args=[grant.pk])
    client.post(url)
    with CaptureQueriesContext(connection) as small:
        client.post(url)
    _claims_with_rewards(member, [promotion], rewards, 30)
    with CaptureQueriesContext(connection) as large:
        client.post(url)
    assert len(large.captured_queries) == len(small.captured_queries)
