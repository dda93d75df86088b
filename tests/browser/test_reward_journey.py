"""A code reward delivered at the end of the promotion period, as the member sees it on a phone.

The claim is approved by a reviewer through the service; Redeem History says the reward
comes at the end of the period; the period closes and the jobs run (allocation, delivery,
the outbox); the member reloads Redeem History, reads "Reward sent", presses "Show code"
and sees the code that the email brought.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from membercenter.claims.services import claim_approve
from membercenter.promotions.models import Promotion
from membercenter.rewards.models import Reward, RewardGrant
from membercenter.rewards.pools import codes_import, pool_for
from membercenter.rewards.services import rewards_allocate, rewards_deliver
from tests.browser.test_seed_story import fits_phone, log_in, member_step_done, menu
from tests.claims.conftest import PromotionFactory, eligible_product, submit
from tests.factories import (
    CategoryFactory,
    ProductModelFactory,
    RegionFactory,
    SerialFactory,
    StoreFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CODES = ["AURORA-7Q2K-9XW4", "AURORA-3MFD-8LZP", "AURORA-5TRB-1HVC"]
REWARD = "Voucher IDR 500.000"


def test_period_end_code_reward_reaches_the_member(live_server, new_page, settings, tmp_path):
    settings.SITE_URL = live_server.url
    base = live_server.url

    # A promotion that sends its rewards at the end of the period, with a pool of three codes.
    indonesia = RegionFactory(code="ID")
    laptop = CategoryFactory()
    promotion = PromotionFactory(
        name_en="Boost Your Success", regions=[indonesia], categories=[laptop],
        reward_delivery=Promotion.Delivery.PERIOD_END,
    )  # fmt: skip
    reward = Reward.objects.create(
        promotion=promotion, kind=Reward.Kind.DIGITAL_CODE, name_en=REWARD, name_id="Voucher IDR 500.000",
        value=500000, currency="IDR",
    )  # fmt: skip
    assert codes_import(pool=pool_for(reward), csv_text="code\n" + "\n".join(CODES), actor=None).added == 3

    # A member's eligible product, redeemed and approved by a reviewer.
    member = UserFactory(email="siti@example.com", first_name="Siti", region=indonesia, language="en")
    product = eligible_product(
        member, region=indonesia, store=StoreFactory(region=indonesia),
        serial=SerialFactory(product_model=ProductModelFactory(category=laptop, name="Aurora 14 Creator")),
    )  # fmt: skip
    claim = claim_approve(claim=submit(member, promotion, [product]), reviewer=UserFactory(is_staff=True))
    end = f"{promotion.redeem_end:%Y-%m-%d}"

    layout: list[str] = []
    phone = new_page()  # 360 px wide
    log_in(phone, base, member.email)
    menu(phone, "Redeem History").click()
    row = phone.locator("table tbody tr").filter(has_text=f"#{claim.pk}")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Redeem Success")
    expect(row).to_contain_text(f"Reward: {REWARD}.")
    expect(row).to_contain_text(f"Approved — your reward is sent at the end of the promotion period (after {end}).")
    expect(row.get_by_role("button", name="Show code")).to_have_count(0)
    member_step_done(phone, tmp_path, "1-history-approved", layout)

    # The period closes; the scheduled jobs run. Each commit lets the outbox send the email.
    promotion.redeem_end = timezone.localdate() - dt.timedelta(days=1)
    promotion.save(update_fields=["redeem_end"])
    RewardGrant.objects.filter(item__claim=claim).update(due_at=timezone.now() - dt.timedelta(minutes=1))
    assert rewards_allocate() == 1
    assert rewards_deliver() == 1
    grant = RewardGrant.objects.get(item__claim=claim)

    code_mails = [m for m in mail.outbox if member.email in m.to and "Your reward for Boost Your Success" in m.subject]
    assert len(code_mails) == 1, [m.subject for m in mail.outbox]
    emailed = [c for c in CODES if c in code_mails[0].body]
    assert len(emailed) == 1, "the code email does not hold exactly one of the pool's codes"
    code = emailed[0]

    phone.reload()
    row = phone.locator("table tbody tr").filter(has_text=f"#{claim.pk}")
    expect(row).to_contain_text("Reward sent")
    expect(row).to_contain_text(f"Reward sent on {timezone.localdate():%Y-%m-%d}.")
    expect(row).not_to_contain_text("end of the promotion period")
    expect(row).not_to_contain_text(code)
    expect(row.get_by_role("button", name="Email me the code again")).to_be_visible()
    member_step_done(phone, tmp_path, "2-history-reward-sent", layout)

    row.get_by_role("button", name="Show code").click()
    row = phone.locator("table tbody tr").filter(has_text=f"#{claim.pk}")
    expect(row).to_contain_text(re.compile(rf"Your code:\s*{re.escape(code)}"))
    assert phone.url.endswith(f"#grant-{grant.pk}")
    expect(row.get_by_role("button", name="Show code")).to_have_count(0)
    assert not any(c in phone.url for c in CODES)
    fits_phone(phone, "the shown code")
    member_step_done(phone, tmp_path, "3-code-shown", layout)

    # Leaving and coming back: the code is no longer on the page.
    menu(phone, "Redeem History").click()
    expect(phone.locator("table tbody tr").filter(has_text=f"#{claim.pk}")).to_contain_text("Reward sent")
    assert code not in phone.content()
    assert phone.url == base + reverse("claims:history")

    assert not layout, "content cut off on a 360 px phone:\n" + "\n".join(layout)
