"""Account Overview: its figures (one query for all of them) are the member's own and right."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from membercenter.accounts.selectors import overview_figures
from membercenter.claims.models import Claim
from membercenter.notifications.models import InboxMessage
from membercenter.support.models import SupportRequest
from tests.backoffice.conftest import ClaimFactory, PromotionFactory
from tests.factories import RegionFactory, RegisteredProductFactory, UserFactory


def _summary(html: str) -> dict[str, str]:
    block = re.search(r'<dl class="summary">(.*?)</dl>', html, re.S)
    assert block
    return dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", block.group(1), re.S))


def _messages(user, n: int, *, read: int = 0) -> None:
    for i in range(n):
        InboxMessage.objects.create(
            user=user,
            subject=f"Message {i} for {user.first_name}",
            body="…",
            read_at=timezone.now() if i < read else None,
        )


@pytest.fixture
def members(db):
    """A member with a bit of everything, and another member whose data must not count."""
    region = RegionFactory(code="ID", name_en="Indonesia (en)", name_id="Indonesia (id)")
    member = UserFactory(first_name="Dewi", region=region)
    other = UserFactory(first_name="Eko", region=region)
    promotion = PromotionFactory(regions=[region])
    for status, n in ((Claim.Status.SUBMITTED, 2), (Claim.Status.APPROVED, 1), (Claim.Status.REJECTED, 1)):
        for _ in range(n):
            ClaimFactory(member=member, promotion=promotion, region=region, status=status)
    ClaimFactory(member=other, promotion=promotion, region=region, status=Claim.Status.SENT_BACK)
    RegisteredProductFactory.create_batch(2, member=member)  # 4 more came with the claims
    RegisteredProductFactory(member=other)
    SupportRequest.objects.create(member=member, topic="other", message="Hello")
    SupportRequest.objects.create(member=other, topic="other", message="Hi")
    SupportRequest.objects.create(member=other, topic="other", message="Hi again")
    _messages(member, 7, read=4)
    _messages(other, 3)
    return member, other


def test_figures_are_the_members_own(members):
    member, other = members
    mine, theirs = overview_figures(user=member), overview_figures(user=other)
    assert (mine.products, mine.support, mine.unread) == (6, 1, 3)
    assert (theirs.products, theirs.support, theirs.unread) == (2, 2, 3)
    labels = dict(Claim.Status.choices)
    assert mine.claims == [
        (labels[Claim.Status.SUBMITTED], 2),
        (labels[Claim.Status.APPROVED], 1),
        (labels[Claim.Status.REJECTED], 1),
    ]
    assert theirs.claims == [(labels[Claim.Status.SENT_BACK], 1)]
    assert mine.region == "Indonesia (en)"  # tests run in English


def test_page_shows_the_figures_latest_products_and_messages(members, django_assert_max_num_queries):
    member, other = members
    client = Client()
    client.force_login(member)
    client.get(reverse("accounts:overview"))  # the first page of a session also records it (Login Management)
    with django_assert_max_num_queries(5):  # session (a database one in tests) and user; figures, products, messages
        html = client.get(reverse("accounts:overview")).content.decode()
    summary = _summary(html)
    assert summary["Region / Location"] == "Indonesia (en)"
    assert summary["Registered products"] == "6"
    assert summary["Support requests"] == "1"
    assert "3 new" in html
    assert sum(1 for k in summary if k.startswith("Redemptions")) == 3
    # the five latest messages, newest first, the unread ones marked
    shown = re.findall(r'<li class="(unread)?"><a href="/inbox/(\d+)/">(.*?)</a>', html)
    assert [subject for _, _, subject in shown] == [f"Message {i} for Dewi" for i in (6, 5, 4, 3, 2)]
    assert [bool(unread) for unread, _, _ in shown] == [True, True, True, False, False]
    latest = list(member.products.order_by("-registered_at")[:5])
    for product in latest:
        assert f"{product.serial.product_model.name} · {product.serial.sn}" in html
    assert "Eko" not in html and "for Eko" not in html


def test_a_member_without_region_or_data(db):
    member = UserFactory(region=None)
    client = Client()
    client.force_login(member)
    html = client.get(reverse("accounts:overview")).content.decode()
    summary = _summary(html)
    assert summary["Region / Location"] == "-"
    assert summary["Registered products"] == "0"
    assert "Redemptions" not in html
    assert "You have not registered a product yet." in html
    assert "No messages yet." in html


def test_region_name_in_the_members_language(members, settings):
    member, _ = members
    member.language = "id"
    member.save()
    client = Client()
    client.force_login(member)
    html = client.get(reverse("accounts:overview")).content.decode()
    assert "Indonesia (id)" in html and "Indonesia (en)" not in html
