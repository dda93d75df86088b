"""The rewards services take a scope: `promotions=` (a queryset; None = every promotion, for administrators).

A promotion manager's lists, counts, courier file, tracking import and finance export are
limited to the promotions they manage, in the service itself: a row of another promotion
is left out, or answered exactly as a number that does not exist.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext

from membercenter.audit.models import AuditEntry
from membercenter.backoffice.roles import ADMINISTRATOR, PROMOTION_MANAGER
from membercenter.claims.models import Claim
from membercenter.lib import authz
from membercenter.lib.authz import promotion_scope
from membercenter.notifications.models import InboxMessage
from membercenter.promotions.models import Promotion
from membercenter.rewards import exports, shipments
from membercenter.rewards.models import Reward, RewardGrant
from tests.claims.conftest import PromotionFactory
from tests.factories import staff
from tests.rewards.test_shipments import gift_claim, gift_reward, grants_of, rows, tracking_csv

pytestmark = pytest.mark.django_db

Status = RewardGrant.Status


@pytest.fixture
def world(db):
    """Two promotions with a gift claim each; a manager of the first only."""
    mine = PromotionFactory(name_en="Mine Promo", name_id="Promo Saya")
    theirs = PromotionFactory(name_en="Their Promo", name_id="Promo Mereka")
    manager = staff(PROMOTION_MANAGER, promotions=[mine])
    own = gift_claim(gift_reward(mine), full_name="Own Recipient", products=2)
    other = gift_claim(gift_reward(theirs), full_name="Other Recipient")
    return manager, mine, theirs, own, other


def scope_of(manager) -> QuerySet[Promotion]:  # noqa: ANN001
    return Promotion.objects.filter(pk__in=manager.managed_promotions.values("pk"))


def claim_ids(grants) -> set[int]:  # noqa: ANN001
    return {g.item.claim_id for g in grants}


def csv_dicts(lines) -> list[dict[str, str]]:  # noqa: ANN001
    return list(csv.DictReader(io.StringIO("".join(lines))))


# --- the scope a view passes -----------------------------------------------------------------


def test_the_scope_is_none_for_an_administrator_and_the_managed_promotions_for_a_manager(world):
    manager, mine, theirs, *_ = world
    assert promotion_scope(staff(ADMINISTRATOR)) is None
    assert list(promotion_scope(manager)) == [mine]
    # A promotion made later is every administrator's (None), and no manager's until assigned.
    later = PromotionFactory()
    assert later not in promotion_scope(manager)
    assert list(authz.promotions_managed_by(manager)) == [mine]


# --- list and counts -------------------------------------------------------------------------


def test_the_shipments_list_and_counts_hold_only_the_scope(world):
    manager, mine, theirs, own, other = world
    scope = scope_of(manager)
    assert claim_ids(shipments.shipments_for_staff(promotions=scope)) == {own.pk}
    assert claim_ids(shipments.shipments_for_staff()) == {own.pk, other.pk}
    # Asking for another promotion within the scope finds nothing.
    assert list(shipments.shipments_for_staff(promotion_id=theirs.pk, promotions=scope)) == []
    assert shipments.shipment_counts(promotions=scope)[Status.PREPARING] == 2
    assert shipments.shipment_counts()[Status.PREPARING] == 3
    assert shipments.shipment_counts(promotion_id=theirs.pk, promotions=scope) == dict.fromkeys(
        shipments.GIFT_STATUSES, 0
    )
    assert list(shipments.shipments_for_staff(promotions=Promotion.objects.none())) == []
    assert sum(shipments.shipment_counts(promotions=Promotion.objects.none()).values()) == 0


def test_the_counts_are_one_query_with_the_scope(world):
    manager, *_ = world
    with CaptureQueriesContext(connection) as ctx:
        shipments.shipment_counts(promotions=scope_of(manager))
    assert len(ctx.captured_queries) == 1


# --- the courier's file ----------------------------------------------------------------------


def test_the_courier_file_of_a_scope_leaves_other_promotions_out_and_is_audited_once(world):
    manager, mine, theirs, own, other = world
    out = rows(shipments.shipments_export(actor=manager, promotions=scope_of(manager)))
    assert [r["claim_id"] for r in out] == [str(own.pk), str(own.pk)]
    assert "Other Recipient" not in {r["full_name"] for r in out}
    entry = AuditEntry.objects.get(action="export.shipments")
    assert entry.actor == manager
    assert "the promotions managed (Mine Promo)" in entry.summary and "Their Promo" not in entry.summary
    # A promotion outside the scope, asked for by name, gives an empty file.
    assert rows(shipments.shipments_export(actor=manager, promotion=theirs, promotions=scope_of(manager))) == []


def test_the_courier_file_without_a_scope_holds_every_promotion(world):
    manager, mine, theirs, own, other = world
    admin = staff(ADMINISTRATOR)
    out = rows(shipments.shipments_export(actor=admin, promotions=None))
    assert sorted({r["claim_id"] for r in out}) == sorted({str(own.pk), str(other.pk)})
    assert "all promotions" in AuditEntry.objects.get(action="export.shipments").summary


# --- the tracking import ---------------------------------------------------------------------


def test_a_row_of_another_promotion_answers_exactly_like_an_unknown_number(world):
    manager, mine, theirs, own, other = world
    own_grant, other_grant = grants_of(own)[0], grants_of(other)[0]
    code_reward = Reward.objects.create(
        promotion=theirs, kind=Reward.Kind.DIGITAL_CODE, name_en="Code", name_id="Kode", value=1, currency="IDR"
    )
    code = grants_of(gift_claim(code_reward, status=Status.WAITING))[0]
    text = tracking_csv(
        f"{own_grant.pk},JNE,OWN1", f"{other_grant.pk},JNE,OTHER1", f"{code.pk},JNE,CODE1", "999999,JNE,NONE1"
    )
    report = shipments.tracking_import(csv_text=text, actor=manager, promotions=scope_of(manager))
    assert report.shipped == [own_grant.pk]
    assert report.problems == [
        (3, f"no gift grant {other_grant.pk}"),
        (4, f"no gift grant {code.pk}"),  # not "is a digital code": that would tell it exists
        (5, "no gift grant 999999"),
    ]
    other_grant.refresh_from_db()
    assert (other_grant.status, other_grant.tracking_number) == (Status.PREPARING, "")
    # Only the manager's own member hears of a shipment.
    assert InboxMessage.objects.filter(user=own.member).count() == 1
    assert not InboxMessage.objects.filter(user=other.member).exists()
    entry = AuditEntry.objects.get(action="import.tracking")
    assert "the promotions managed (Mine Promo)" in entry.summary and "1 gifts shipped" in entry.summary


def test_a_claim_of_another_promotion_answers_like_a_claim_that_does_not_exist(world):
    manager, mine, theirs, own, other = world
    text = tracking_csv(
        f"{other.pk},JNE,OTHER2", f"{own.pk},JNE,OWN2", "999999,JNE,NONE2", header="claim_id,courier,tracking_number"
    )
    report = shipments.tracking_import(csv_text=text, actor=manager, promotions=scope_of(manager))
    assert report.problems == [(2, f"no claim #{other.pk}"), (4, "no claim #999999")]
    assert sorted(report.shipped) == [g.pk for g in grants_of(own)]
    assert {g.tracking_number for g in grants_of(other)} == {""}
    assert Claim.objects.get(pk=own.pk).status == Claim.Status.REWARD_SENT


def test_without_a_scope_the_import_ships_every_promotions_gifts(world):
    manager, mine, theirs, own, other = world
    other_grant = grants_of(other)[0]
    report = shipments.tracking_import(
        csv_text=tracking_csv(f"{other_grant.pk},JNE,OTHER3"), actor=staff(ADMINISTRATOR), promotions=None
    )
    assert report.shipped == [other_grant.pk] and report.problems == []
    assert "all promotions" in AuditEntry.objects.get(action="import.tracking").summary


# --- the finance export ----------------------------------------------------------------------


def test_the_finance_export_of_a_scope_holds_its_claims_in_claim_order(world):
    manager, mine, theirs, own, other = world
    second = gift_claim(gift_reward(mine))  # a later claim of the same promotion
    scope = scope_of(manager)
    lines = list(exports.claims_export_lines(promotions=scope))
    assert lines[0].strip() == ",".join(exports.CLAIMS_HEADER)
    data = csv_dicts(lines)
    assert [r["claim_id"] for r in data] == [str(own.pk), str(own.pk), str(second.pk)]
    assert {r["promotion"] for r in data} == {"Mine Promo"}
    everyone = csv_dicts(exports.claims_export_lines(promotions=None))
    assert {r["claim_id"] for r in everyone} == {str(own.pk), str(other.pk), str(second.pk)}
    # One promotion within the scope, and another promotion asked for within it.
    assert csv_dicts(exports.claims_export_lines(promotion_id=mine.pk, promotions=scope)) == data
    assert csv_dicts(exports.claims_export_lines(promotion_id=theirs.pk, promotions=scope)) == []


def test_the_finance_export_with_a_scope_is_still_one_query(world):
    manager, mine, *_ = world
    rows_of = []
    for extra in (0, 5):
        for _ in range(extra):
            gift_claim(gift_reward(mine))
        with CaptureQueriesContext(connection) as ctx:
            rows_of.append(len(list(exports.claims_export_rows(promotions=scope_of(manager)))))
        assert len(ctx.captured_queries) == 1
    assert rows_of == [3, 8]  # the header and 2 products, then 5 claims more


def test_the_finance_export_is_audited_once_naming_the_scope(world):
    manager, mine, theirs, *_ = world
    exports.claims_export_record(actor=manager, promotions=scope_of(manager), status=Claim.Status.APPROVED)
    entry = AuditEntry.objects.get(action="export.claims")
    assert entry.summary == ("Claims exported as CSV for finance: the promotions managed (Mine Promo), status approved")
    exports.claims_export_record(actor=manager, promotion_id=mine.pk, promotions=scope_of(manager))
    assert "promotion “Mine Promo”" in AuditEntry.objects.filter(action="export.claims").latest("pk").summary
    exports.claims_export_record(actor=staff(ADMINISTRATOR))
    assert "all promotions, status any" in AuditEntry.objects.filter(action="export.claims").latest("pk").summary


# --- one rule: the services' scope is the grant pages' (authz.grants_managed_by) ------------------


def test_the_shipments_scope_is_the_grant_pages_scope_even_when_reward_and_claim_disagree(world):
    """A grant's promotion is its reward's, for the shipments services as for authz (the grant pages).

    A grant whose reward belongs to another promotion than its claim (bad data, or a fix by
    hand) must not be in one manager's shipments list yet open only on another's grant page.
    """
    manager, mine, theirs, own, other = world
    stray = gift_claim(gift_reward(theirs), full_name="Stray Recipient")
    RewardGrant.objects.filter(item__claim=stray).update(reward=gift_reward(mine))
    their_manager = staff(PROMOTION_MANAGER, promotions=[theirs])
    gifts = RewardGrant.objects.filter(reward__kind=Reward.Kind.GIFT)

    mismatches = 0
    for user in (manager, their_manager, staff(ADMINISTRATOR)):
        listed = set(shipments.shipments_for_staff(promotions=promotion_scope(user)).values_list("pk", flat=True))
        openable = set(authz.grants_managed_by(user, gifts).values_list("pk", flat=True))
        mismatches += len(listed ^ openable)

    assert mismatches == 0
    assert stray.pk in claim_ids(shipments.shipments_for_staff(promotions=scope_of(manager)))
