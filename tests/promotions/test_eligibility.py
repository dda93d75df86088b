"""Each eligibility rule of SPEC §3 on both sides of its boundary, with the member-facing reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from membercenter.claims import services as claim_services
from membercenter.claims.models import Claim
from membercenter.promotions.models import Promotion
from membercenter.promotions.selectors import RULES, eligibility_facts, product_eligibility
from tests.claims.conftest import PromotionFactory, make_claim
from tests.factories import (
    CategoryFactory,
    ProductModelFactory,
    RegionFactory,
    RegisteredProductFactory,
    SerialFactory,
    StoreFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PURCHASE_START, PURCHASE_END = dt.date(2026, 1, 1), dt.date(2026, 3, 31)
REDEEM_START, REDEEM_END = dt.date(2026, 1, 15), dt.date(2026, 4, 30)
TODAY = dt.date(2026, 2, 15)
DAY = dt.timedelta(days=1)


@pytest.fixture
def laptop(db):
    return CategoryFactory(slug="laptop", name_en="Laptop", name_id="Laptop")


@pytest.fixture
def promo(laptop):
    return PromotionFactory(
        purchase_start=PURCHASE_START,
        purchase_end=PURCHASE_END,
        redeem_start=REDEEM_START,
        redeem_end=REDEEM_END,
        categories=[laptop],
    )


def product(member=None, *, bought=dt.date(2026, 2, 1), model=None, store=None, region=None, **kwargs):
    serial = SerialFactory(product_model=model) if model else SerialFactory()
    extra = {"store": store} if store else {}
    if region is not None:
        extra.setdefault("store", StoreFactory(region=region))
        extra["region"] = region
    return RegisteredProductFactory(
        member=member or UserFactory(), serial=serial, purchase_date=bought, **extra, **kwargs
    )


def judge(prod, promotion, today=TODAY):
    promotion = Promotion.objects.get(pk=promotion.pk)  # fresh: no stale prefetch of its rules
    facts = eligibility_facts(member_ids=[prod.member_id], promotion_ids=[promotion.pk])
    return product_eligibility(product=prod, promotion=promotion, facts=facts, today=today)


def failed(verdict) -> dict[str, str]:
    return {v.rule: v.message for v in verdict.failures}


def test_a_product_meeting_every_rule_is_eligible(promo):
    verdict = judge(product(), promo)
    assert verdict.ok and failed(verdict) == {}
    assert [v.rule for v in verdict.verdicts] == list(RULES)


# --- purchase window ---------------------------------------------------------------


@pytest.mark.parametrize("bought", [PURCHASE_START, PURCHASE_END], ids=["first_day", "last_day"])
def test_bought_on_the_first_or_last_day_of_the_window_is_eligible(promo, bought):
    assert judge(product(bought=bought), promo).ok


def test_bought_the_day_before_the_window_is_not_and_says_both_dates(promo):
    verdict = judge(product(bought=PURCHASE_START - DAY), promo)
    assert failed(verdict) == {
        "purchase_window": "Your invoice date 31 Dec 2025 is before the promotion's start on 1 Jan 2026."
    }


def test_bought_the_day_after_the_window_is_not_and_says_both_dates(promo):
    verdict = judge(product(bought=PURCHASE_END + DAY), promo)
    assert failed(verdict) == {
        "purchase_window": "Your invoice date 1 Apr 2026 is after the promotion's purchase period ended on 31 Mar 2026."
    }


# --- redemption open today ---------------------------------------------------------


@pytest.mark.parametrize("today", [REDEEM_START, REDEEM_END], ids=["opening_day", "deadline_day"])
def test_redeeming_on_the_opening_day_and_on_the_deadline_is_allowed(promo, today):
    assert judge(product(), promo, today=today).ok


def test_the_day_before_redemption_opens_is_refused(promo):
    verdict = judge(product(), promo, today=REDEEM_START - DAY)
    assert failed(verdict) == {"open": "Redemption opens on 15 Jan 2026."}


def test_the_day_after_the_deadline_is_refused(promo):
    verdict = judge(product(), promo, today=REDEEM_END + DAY)
    assert failed(verdict) == {"open": "Redemption for this promotion closed on 30 Apr 2026."}


def test_the_redemption_window_may_end_after_the_purchase_window(promo):
    """SPEC §3: the redemption deadline may lie after the purchase window."""
    assert judge(product(bought=PURCHASE_END), promo, today=PURCHASE_END + 20 * DAY).ok


@pytest.mark.parametrize("status", [Promotion.Status.DRAFT, Promotion.Status.CLOSED])
def test_a_draft_or_closed_promotion_is_not_open(promo, status):
    promo.status = status
    promo.save()
    assert set(failed(judge(product(), promo))) == {"open"}


# --- region ------------------------------------------------------------------------


def test_region_in_and_out(promo):
    malaysia = RegionFactory(code="MY", name_en="Malaysia", name_id="Malaysia", time_zone="Asia/Kuala_Lumpur")
    assert judge(product(region=RegionFactory()), promo).ok
    verdict = judge(product(region=malaysia), promo)
    assert failed(verdict) == {"region": "This promotion is not offered for products bought in Malaysia."}
    promo.regions.add(malaysia)
    assert judge(product(region=malaysia), promo).ok


# --- participating stores ----------------------------------------------------------


def test_participating_store_listed_or_not(promo):
    partner, other = StoreFactory(name="Toko Mitra"), StoreFactory(name="Toko Lain")
    promo.eligible_stores.set([partner])
    assert judge(product(store=partner), promo).ok
    verdict = judge(product(store=other), promo)
    assert failed(verdict) == {"store": "Toko Lain does not take part in this promotion."}


def test_no_store_listed_means_any_store(promo):
    assert not promo.eligible_stores.exists()
    assert judge(product(store=StoreFactory(name="Toko Mana Saja")), promo).ok


# --- models and categories ---------------------------------------------------------


def test_a_listed_model_is_eligible_and_a_sibling_model_is_not(promo, laptop):
    listed, sibling = ProductModelFactory(category=laptop), ProductModelFactory(category=laptop, name="Aurora 9")
    promo.eligible_categories.clear()
    promo.eligible_models.set([listed])
    assert judge(product(model=listed), promo).ok
    verdict = judge(product(model=sibling), promo)
    assert failed(verdict) == {"model": "Aurora 9 is not one of the products of this promotion."}


def test_a_model_of_a_listed_category_is_eligible(promo, laptop):
    assert judge(product(model=ProductModelFactory(category=laptop)), promo).ok


def test_neither_models_nor_categories_listed_means_any_product(promo):
    promo.eligible_categories.clear()
    desktop = CategoryFactory(slug="desktop", name_en="Desktop", name_id="Desktop")
    assert judge(product(model=ProductModelFactory(category=desktop)), promo).ok


def test_a_model_of_another_category_is_not_eligible(promo):
    desktop = CategoryFactory(slug="desktop", name_en="Desktop", name_id="Desktop")
    verdict = judge(product(model=ProductModelFactory(category=desktop, name="Tower X")), promo)
    assert failed(verdict) == {"model": "Tower X is not one of the products of this promotion."}


def test_listed_models_add_to_listed_categories(promo):
    desktop = CategoryFactory(slug="desktop", name_en="Desktop", name_id="Desktop")
    tower = ProductModelFactory(category=desktop)
    promo.eligible_models.set([tower])
    assert judge(product(model=tower), promo).ok
    assert judge(product(), promo).ok  # a laptop, by its category


# --- already redeemed --------------------------------------------------------------


def test_a_product_in_an_active_claim_is_already_redeemed_and_withdrawing_frees_it(promo):
    prod = product()
    claim = make_claim(product=prod, promotion=promo)
    verdict = judge(prod, promo)
    assert failed(verdict) == {
        "not_redeemed": (
            "This product was already redeemed (or is waiting for review, or was refused) in this promotion."
        )
    }
    claim_services.claim_withdraw(claim=claim, member=prod.member)
    assert judge(prod, promo).ok


@pytest.mark.parametrize(
    "status", [Claim.Status.SENT_BACK, Claim.Status.APPROVED, Claim.Status.REWARD_SENT, Claim.Status.REJECTED]
)
def test_every_active_status_and_a_final_rejection_hold_the_product(promo, status):
    prod = product()
    make_claim(product=prod, promotion=promo, status=status)
    assert "not_redeemed" in failed(judge(prod, promo))


def test_a_claim_in_another_promotion_does_not_count(promo):
    prod = product()
    make_claim(product=prod, promotion=PromotionFactory())
    assert judge(prod, promo).ok


# --- stock and per-member limit ----------------------------------------------------


def test_stock_n_minus_one_claims_leave_one_reward_and_n_claims_none(promo):
    promo.max_redemptions = 3
    promo.save()
    for _ in range(2):
        make_claim(product=product(), promotion=promo)
    make_claim(product=product(), promotion=promo, status=Claim.Status.WITHDRAWN)  # gave its reward back
    assert judge(product(), promo).ok
    make_claim(product=product(), promotion=promo)
    verdict = judge(product(), promo)
    assert failed(verdict) == {"stock": "All rewards of this promotion have been claimed."}


def test_per_member_limit_under_and_at_the_limit(promo):
    promo.per_member_limit = 2
    promo.save()
    member = UserFactory()
    make_claim(product=product(member), promotion=promo)
    make_claim(product=product(member), promotion=promo, status=Claim.Status.REJECTED)  # not counted
    make_claim(product=product(), promotion=promo)  # another member's: not counted
    assert judge(product(member), promo).ok
    make_claim(product=product(member), promotion=promo)
    verdict = judge(product(member), promo)
    assert failed(verdict) == {
        "member_limit": "You have reached the limit of 2 redemptions per member for this promotion."
    }


# --- the member's language ---------------------------------------------------------


def test_reasons_are_given_in_indonesian_where_translated(promo):
    """Every reason goes through gettext; with the Indonesian catalogue they read in Indonesian."""
    before = "Your invoice date %(date)s is before the promotion's start on %(start)s."
    after = "Your invoice date %(date)s is after the promotion's purchase period ended on %(end)s."
    cases = [
        (product(bought=PURCHASE_START - DAY), TODAY, before),
        (product(bought=PURCHASE_END + DAY), TODAY, after),
        (product(), REDEEM_END + DAY, "Redemption for this promotion closed on %(date)s."),
        (product(), REDEEM_START - DAY, "Redemption opens on %(date)s."),
    ]
    english = [judge(p, promo, today=t).failures[0].message for p, t, _ in cases]
    with translation.override("id"):
        indonesian = [judge(p, promo, today=t).failures[0].message for p, t, _ in cases]
        translated = [translation.gettext(msgid) != msgid for _, _, msgid in cases]
    for en, id_, is_translated in zip(english, indonesian, translated, strict=True):
        assert id_  # a reason is always given
        if is_translated:
            assert id_ != en


def test_dates_in_reasons_follow_the_members_language(promo):
    with translation.override("id"):
        message = judge(product(bought=PURCHASE_START - DAY), promo).failures[0].message
    assert "31 Des 2025" in message and "1 Jan 2026" in message
