"""CompiledQuery: an ORM query compiled once per connection gives what the ORM gives, for any member."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from membercenter.claims.models import Claim, ClaimItem
from membercenter.claims.selectors import member_claims
from membercenter.lib.compiled import CompiledQuery
from membercenter.notifications.models import InboxMessage
from tests.claims.conftest import PromotionFactory, eligible_product, make_claim
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _messages(user):
    return InboxMessage.objects.filter(user=user).values_list("pk", "subject", "created_at", "read_at").order_by("pk")


def _inbox(user, subjects):
    for i, subject in enumerate(subjects):
        InboxMessage.objects.create(
            user=user, subject=subject, body="…", read_at=timezone.now() - dt.timedelta(hours=i) if i % 2 else None
        )


def test_rows_are_the_orms_rows_for_each_member():
    first, second = UserFactory(), UserFactory()
    _inbox(first, ["one", "two", "three"])
    _inbox(second, ["four"])
    built = []

    def build(user):
        built.append(user)
        return _messages(user)

    query = CompiledQuery("test-inbox", build)
    for user in (first, second, first):
        rows = query.rows(user=user.pk)
        assert rows == list(_messages(user))
    assert len(built) == 1  # compiled once for this connection, run three times
    created = query.rows(user=first.pk)[0][2]
    assert isinstance(created, dt.datetime) and timezone.is_aware(created)  # Django's converters applied


def test_a_compiled_query_sends_one_statement():
    user = UserFactory()
    _inbox(user, ["one"])
    query = CompiledQuery("test-one", _messages)
    query.rows(user=user.pk)
    with CaptureQueriesContext(connection) as ctx:
        assert len(query.rows(user=user.pk)) == 1
    assert len(ctx.captured_queries) == 1


def test_only_values_list_querysets_and_parameters_that_reach_the_sql():
    user = UserFactory()
    with pytest.raises(TypeError, match="values_list"):
        CompiledQuery("objects", lambda user: InboxMessage.objects.filter(user=user)).rows(user=user.pk)
    with pytest.raises(TypeError, match="distinct"):
        CompiledQuery("distinct", lambda user: _messages(user).distinct()).rows(user=user.pk)
    with pytest.raises(TypeError, match="do not reach"):
        # The parameter is turned into another value before it reaches the SQL (user + 1).
        CompiledQuery("changed", lambda user: _messages(user + 1)).rows(user=user.pk)


def test_history_rows_in_each_language_newest_first_with_products_grants_and_a_claim_without_any():
    from membercenter.rewards.models import Reward, RewardGrant

    member = UserFactory()
    promotion = PromotionFactory(name_en="Spring Deal", name_id="Promo Musim Semi")
    reward = Reward.objects.create(promotion=promotion, kind=Reward.Kind.GIFT, name_en="Mouse", name_id="Tetikus")
    now = timezone.now()
    two = make_claim(product=eligible_product(member), promotion=promotion, status=Claim.Status.APPROVED)
    ClaimItem.objects.create(claim=two, product=eligible_product(member), promotion=promotion)
    first_item = two.items.order_by("pk").first()
    RewardGrant.objects.create(item=first_item, reward=reward, due_at=now + dt.timedelta(days=3))
    bare = make_claim(product=eligible_product(member), promotion=promotion, status=Claim.Status.WITHDRAWN)
    bare.items.all().delete()
    newest = make_claim(product=eligible_product(member), promotion=promotion, status=Claim.Status.SUBMITTED)
    for claim, days in ((two, 2), (bare, 5), (newest, 0)):
        Claim.objects.filter(pk=claim.pk).update(submitted_at=now - dt.timedelta(days=days))
    make_claim(product=eligible_product(UserFactory()), promotion=promotion)  # someone else's
    with translation.override("en"):
        claims = member_claims(member=member)
    assert [c.pk for c in claims] == [newest.pk, two.pk, bare.pk]  # newest first
    shown = claims[1]
    items = ClaimItem.objects.filter(claim=two).select_related("product__serial").order_by("pk")
    assert [i.sn for i in shown.items] == [i.product.serial.sn for i in items]
    assert shown.has_rewards and not claims[0].has_rewards
    grant = shown.items[0].grant
    assert grant is not None and grant.reward_name == "Mouse" and grant.reward_kind == Reward.Kind.GIFT
    assert not shown.items[0].reward_due and shown.items[1].grant is None
    assert claims[2].items == [] and not claims[2].has_rewards
    assert shown.promotion.name == "Spring Deal"
    assert str(claims[0].get_status_display()) == str(Claim.Status.SUBMITTED.label)
    with translation.override("id"):
        again = member_claims(member=member)
        assert again[1].promotion.name == "Promo Musim Semi" and again[1].items[0].grant.reward_name == "Tetikus"


def test_objects_are_the_orms_objects_with_their_joined_objects():
    from membercenter.products.selectors import member_products, member_products_list

    member, other = UserFactory(), UserFactory()
    for owner in (member, member, other):
        eligible_product(owner)
    member_products_list(member=other)  # compiled with another member first
    expected = list(member_products(member=member))
    with CaptureQueriesContext(connection) as ctx:
        found = member_products_list(member=member)
        shown = [
            (p.pk, p.purchase_date, p.serial.sn, p.serial.product_model.name, p.serial.product_model.category.name,
             p.region.time_zone, p.store.name if p.store_id else None, p.warranty_ends_on)
            for p in found
        ]  # fmt: skip
    assert len(ctx.captured_queries) == 1  # the joined objects came with the row
    assert shown == [
        (p.pk, p.purchase_date, p.serial.sn, p.serial.product_model.name, p.serial.product_model.category.name,
         p.region.time_zone, p.store.name if p.store_id else None, p.warranty_ends_on)
        for p in expected
    ]  # fmt: skip
    assert [p.member_id for p in found] == [member.pk, member.pk]
    assert found[0]._state.db == "default" and not found[0]._state.adding
    # A column left out by .only() is deferred, read when asked, as with the ORM.
    channel = expected[0].channel
    with CaptureQueriesContext(connection) as ctx:
        assert found[0].channel == channel
    assert len(ctx.captured_queries) == 1


def test_rows_and_objects_need_their_own_kind_of_queryset():
    user = UserFactory()
    with pytest.raises(TypeError, match="model instances"):
        CompiledQuery("rows-as-objects", _messages).objects(user=user.pk)
    with pytest.raises(TypeError, match="prefetch_related"):
        CompiledQuery("prefetch", lambda user: InboxMessage.objects.filter(user=user).prefetch_related("user")).objects(
            user=user.pk
        )
