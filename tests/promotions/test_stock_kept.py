"""A capped promotion's used stock, as member pages show it: kept in the cache, dropped when it changes."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from membercenter.claims import services
from membercenter.claims.models import Claim
from membercenter.promotions.selectors import eligibility_facts
from membercenter.promotions.stock import promotions_stock_used
from tests.claims.conftest import PromotionFactory, eligible_product, make_claim, submit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_count_is_kept_and_read_without_a_query():
    promotion = PromotionFactory(max_redemptions=5)
    make_claim(promotion=promotion)
    make_claim(promotion=promotion, status=Claim.Status.REJECTED)  # not active: not counted

    assert promotions_stock_used([promotion.pk]) == {promotion.pk: 1}
    with CaptureQueriesContext(connection) as queries:
        assert promotions_stock_used([promotion.pk]) == {promotion.pk: 1}
    assert len(queries) == 0


def test_a_submit_and_a_move_out_of_the_active_statuses_drop_the_count(django_capture_on_commit_callbacks):
    promotion = PromotionFactory(max_redemptions=5)
    assert promotions_stock_used([promotion.pk]) == {promotion.pk: 0}
    member = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        claim = submit(member, promotion, [eligible_product(member)])
    assert promotions_stock_used([promotion.pk]) == {promotion.pk: 1}

    with django_capture_on_commit_callbacks(execute=True):
        services.claim_withdraw(claim=claim, member=member)
    assert promotions_stock_used([promotion.pk]) == {promotion.pk: 0}


def test_pages_read_the_kept_count_and_the_submit_counts_exactly():
    promotion = PromotionFactory(max_redemptions=1)
    member = UserFactory()
    promotions_stock_used([promotion.pk])  # 0 kept
    make_claim(promotion=promotion)  # made without the services: the kept count does not know it

    shown = eligibility_facts(member_ids=[member.pk], promotion_ids=[promotion.pk], stock_kept=True)
    exact = eligibility_facts(member_ids=[member.pk], promotion_ids=[promotion.pk])

    assert shown.promotion_claims[promotion.pk] == 0
    assert exact.promotion_claims[promotion.pk] == 1
    with pytest.raises(ValidationError, match="All rewards of this promotion have been claimed"):
        submit(member, promotion, [eligible_product(member)])
