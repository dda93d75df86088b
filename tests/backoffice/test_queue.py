from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from membercenter.claims.models import Claim
from tests.backoffice.conftest import ClaimFactory, PromotionFactory

pytestmark = pytest.mark.django_db


def claim_numbers(html: str) -> list[int]:
    """The claim numbers in the queue table, in the order shown."""
    return [int(n) for n in re.findall(r'href="/staff/claims/(\d+)/[^"]*">#\d+</a>', html)]


def queue(client, **params) -> str:
    response = client.get(reverse("backoffice:queue"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_oldest_due_first_overdue_on_top(client, reviewer, indonesia, promotion):
    today = timezone.localdate()
    later = ClaimFactory(region=indonesia, promotion=promotion, due_on=today + dt.timedelta(days=9))
    overdue = ClaimFactory(region=indonesia, promotion=promotion, due_on=today - dt.timedelta(days=2))
    soon = ClaimFactory(region=indonesia, promotion=promotion, due_on=today + dt.timedelta(days=1))
    # Same due date: the one submitted first comes first.
    soon_older = ClaimFactory(
        region=indonesia, promotion=promotion, due_on=soon.due_on, submitted_at=timezone.now() - dt.timedelta(hours=5)
    )
    client.force_login(reviewer)
    html = queue(client)
    assert claim_numbers(html) == [overdue.pk, soon_older.pk, soon.pk, later.pk]
    assert html.count("overdue</span>") == 1


def test_default_is_submitted_and_counts_per_status(client, reviewer, indonesia, promotion, malaysia):
    waiting = ClaimFactory(region=indonesia, promotion=promotion)
    sent_back = ClaimFactory(region=indonesia, promotion=promotion, status=Claim.Status.SENT_BACK)
    ClaimFactory(region=indonesia, promotion=promotion, status=Claim.Status.APPROVED)
    ClaimFactory(region=malaysia)  # not this reviewer's: neither listed nor counted
    client.force_login(reviewer)
    html = queue(client)
    assert claim_numbers(html) == [waiting.pk]
    assert re.search(r"Redeem qualification under reviewing <span class=\"badge\">1</span>", html)
    assert re.search(r"Documents requested <span class=\"badge\">1</span>", html)
    assert re.search(r"Redeem Success <span class=\"badge\">1</span>", html)
    assert re.search(r"All statuses <span class=\"badge\">3</span>", html)
    assert claim_numbers(queue(client, status="sent_back")) == [sent_back.pk]
    assert len(claim_numbers(queue(client, status="all"))) == 3


def test_filters_promotion_region_due_and_held(client, administrator, reviewer, indonesia, malaysia, promotion):
    today = timezone.localdate()
    other_promo = PromotionFactory(regions=[indonesia, malaysia])
    a = ClaimFactory(region=indonesia, promotion=promotion, due_on=today - dt.timedelta(days=1))
    b = ClaimFactory(region=indonesia, promotion=other_promo, due_on=today + dt.timedelta(days=2))
    c = ClaimFactory(region=malaysia, promotion=other_promo, due_on=today + dt.timedelta(days=8))
    Claim.objects.filter(pk=b.pk).update(held_by=administrator, held_until=timezone.now() + dt.timedelta(minutes=20))
    Claim.objects.filter(pk=c.pk).update(held_by=reviewer, held_until=timezone.now() + dt.timedelta(minutes=20))
    client.force_login(administrator)
    assert claim_numbers(queue(client)) == [a.pk, b.pk, c.pk]
    assert claim_numbers(queue(client, promotion=other_promo.pk)) == [b.pk, c.pk]
    assert claim_numbers(queue(client, region=malaysia.pk)) == [c.pk]
    assert claim_numbers(queue(client, due="overdue")) == [a.pk]
    assert claim_numbers(queue(client, due="soon")) == [b.pk]
    assert claim_numbers(queue(client, held_by_me="on")) == [b.pk]
    # A bad filter value is ignored, not a server error.
    assert claim_numbers(queue(client, region="nonsense")) == [a.pk, b.pk, c.pk]


def test_a_reviewer_cannot_filter_to_another_region(client, reviewer, malaysia):
    ClaimFactory(region=malaysia)
    client.force_login(reviewer)
    html = queue(client, region=malaysia.pk)
    assert claim_numbers(html) == []
    assert "Malaysia" not in html


def _queries(client, url) -> int:
    client.get(url)  # the first request after logging in also records the session
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_queue_runs_the_same_number_of_queries_for_1_and_100_claims(client, reviewer, indonesia, promotion,
                                                                     django_assert_num_queries):  # fmt: skip
    ClaimFactory(region=indonesia, promotion=promotion, products=2)
    client.force_login(reviewer)
    url = reverse("backoffice:queue") + "?status=all"
    one = _queries(client, url)
    for n in range(99):
        ClaimFactory(region=indonesia, promotion=promotion, products=2, status="sent_back" if n % 3 else "submitted")
    with django_assert_num_queries(one):
        response = client.get(url)
    assert len(claim_numbers(response.content.decode())) == 50  # one page
    assert "100 claims" in response.content.decode()


def test_paginated_by_50(client, reviewer, indonesia, promotion):
    claims = [ClaimFactory(region=indonesia, promotion=promotion, products=0) for _ in range(51)]
    client.force_login(reviewer)
    first, second = queue(client), queue(client, page=2)
    assert len(claim_numbers(first)) == 50
    assert claim_numbers(second) == [claims[-1].pk]
    assert "Page 1 of 2" in first
