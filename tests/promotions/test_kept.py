"""The promotions member pages list are kept in the cache, and a change to a promotion is seen at once."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from membercenter.promotions.models import Promotion
from membercenter.promotions.selectors import visible_promotions
from tests.claims.conftest import PromotionFactory
from tests.factories import RegionFactory

pytestmark = pytest.mark.django_db


def _names(region):
    return [p.name_en for p in visible_promotions(region=region)]


def test_all_promotions_is_read_once_then_kept():
    region = RegionFactory()
    PromotionFactory(regions=[region], name_en="Work Smarter")

    assert _names(region) == ["Work Smarter"]
    with CaptureQueriesContext(connection) as queries:
        assert _names(region) == ["Work Smarter"]
    assert len(queries) == 0


def test_a_change_to_a_promotion_or_its_regions_is_seen_at_once():
    region, other = RegionFactory(), RegionFactory(code="MY", name_en="Malaysia", name_id="Malaysia", currency="MYR")
    promotion = PromotionFactory(regions=[region], name_en="Work Smarter")
    assert _names(region) == ["Work Smarter"] and _names(other) == []

    promotion.name_en = "Work Smarter Rewards"
    promotion.save()
    assert _names(region) == ["Work Smarter Rewards"]

    promotion.regions.add(other)  # a relation: m2m_changed
    assert _names(other) == ["Work Smarter Rewards"]

    promotion.status = promotion.Status.DRAFT
    promotion.save()
    assert _names(region) == [] and _names(other) == []


def test_the_process_holds_what_it_read_and_still_sees_a_change(monkeypatch):
    from django.core.cache import cache

    from membercenter.promotions import kept

    region = RegionFactory()
    promotion = PromotionFactory(regions=[region], name_en="Work Smarter")
    assert _names(region) == ["Work Smarter"]
    asked = []
    real_get = cache.get
    monkeypatch.setattr(cache, "get", lambda key, *a, **kw: asked.append(key) or real_get(key, *a, **kw))
    assert _names(region) == ["Work Smarter"]
    assert asked == [kept.VERSION_KEY]  # the version only: the promotions came from this process
    promotion.name_en = "Work Smarter Rewards"
    promotion.save()  # a new version: what the process holds is not asked for any more
    assert _names(region) == ["Work Smarter Rewards"]


def test_no_value_outlives_its_minute_in_a_process(monkeypatch):
    from django.core.cache import cache

    from membercenter.promotions import kept

    region = RegionFactory()
    PromotionFactory(regions=[region], name_en="Work Smarter")
    loaded = time.time()
    assert _names(region) == ["Work Smarter"]
    # The promotions change without a signal (a queryset update): only the minute bounds them.
    Promotion.objects.update(name_en="Work Smarter Rewards")
    # Another process reads the kept value 50 s after it was loaded: it holds it for 10 s, not 60.
    kept._held.clear()
    monkeypatch.setattr(kept.time, "time", lambda: loaded + 50)
    assert _names(region) == ["Work Smarter"]
    monkeypatch.setattr(kept.time, "time", lambda: loaded + kept.KEPT_SECONDS + 1)
    cache.delete_many(list(kept._held))  # as the cache itself has let it go by now
    assert _names(region) == ["Work Smarter Rewards"]
