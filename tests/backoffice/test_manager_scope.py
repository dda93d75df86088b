"""Promotion managers work on their own promotions only: lists, exports and imports included.

(The authorisation matrix in tests/security covers every URL with an id; these are the pages
without one, whose lists and files must leave other promotions out.)
"""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from membercenter.audit.models import AuditEntry
from membercenter.backoffice.roles import PROMOTION_MANAGER
from membercenter.lib import authz
from membercenter.rewards.models import RewardGrant
from tests.claims.conftest import PromotionFactory
from tests.factories import staff
from tests.rewards.test_shipments import gift_claim, gift_reward, grants_of, tracking_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_promotions():
    mine = PromotionFactory(name_en="Mine Promo", name_id="Promo Saya")
    theirs = PromotionFactory(name_en="Their Promo", name_id="Promo Mereka")
    theirs.managers.clear()
    manager = staff(PROMOTION_MANAGER, promotions=[mine])
    mine.managers.set([manager])
    return manager, mine, theirs


def csv_rows(response) -> list[dict[str, str]]:  # noqa: ANN001
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode())))


def test_the_promotion_list_shows_only_the_managers_promotions(client, two_promotions, administrator):
    manager, mine, theirs = two_promotions
    client.force_login(manager)
    page = client.get(reverse("backoffice:promotions")).content.decode()
    assert "Mine Promo" in page and "Their Promo" not in page
    client.force_login(administrator)
    page = client.get(reverse("backoffice:promotions")).content.decode()
    assert "Mine Promo" in page and "Their Promo" in page


def test_the_finance_export_holds_only_the_managers_promotions(client, two_promotions):
    manager, mine, theirs = two_promotions
    own = gift_claim(gift_reward(mine))
    other = gift_claim(gift_reward(theirs))
    client.force_login(manager)
    page = client.get(reverse("backoffice:exports")).content.decode()
    assert "Mine Promo" in page and "Their Promo" not in page
    rows = csv_rows(client.get(reverse("backoffice:export_claims")))
    assert [r["claim_id"] for r in rows] == [str(own.pk)]
    assert str(other.pk) not in {r["claim_id"] for r in rows}
    entry = AuditEntry.objects.get(action="export.claims")
    assert entry.actor == manager and "Mine Promo" in entry.summary and "Their Promo" not in entry.summary
    # Asking for the other promotion by its number is refused like an unknown one.
    response = client.get(reverse("backoffice:export_claims"), {"promotion": theirs.pk})
    assert response.status_code == 400 and "Their Promo" not in response.content.decode()


def test_the_shipments_page_and_courier_file_leave_other_promotions_out(client, two_promotions):
    manager, mine, theirs = two_promotions
    own = gift_claim(gift_reward(mine), full_name="Own Recipient")
    other = gift_claim(gift_reward(theirs), full_name="Other Recipient")
    client.force_login(manager)
    page = client.get(reverse("backoffice:shipments")).content.decode()
    assert "Own Recipient" in page and "Other Recipient" not in page
    page = client.get(reverse("backoffice:shipments"), {"promotion": theirs.pk}).content.decode()
    assert "Other Recipient" not in page
    rows = csv_rows(client.post(reverse("backoffice:shipments_export"), {}))
    assert [r["claim_id"] for r in rows] == [str(own.pk)]
    rows = csv_rows(client.post(reverse("backoffice:shipments_export"), {"promotion": theirs.pk}))
    assert str(other.pk) not in {r["claim_id"] for r in rows}


def test_a_tracking_import_ships_only_the_managers_gifts_and_says_nothing_of_others(client, two_promotions):
    manager, mine, theirs = two_promotions
    own = grants_of(gift_claim(gift_reward(mine)))[0]
    other_claim = gift_claim(gift_reward(theirs))
    other = grants_of(other_claim)[0]
    text = tracking_csv(f"{own.pk},JNE,OWN1", f"{other.pk},JNE,OTHER1", "999999,JNE,NONE1")
    client.force_login(manager)
    upload = SimpleUploadedFile("tracking.csv", text.encode(), "text/csv")
    page = client.post(reverse("backoffice:shipments_import"), {"file": upload}).content.decode()
    assert RewardGrant.objects.get(pk=own.pk).tracking_number == "OWN1"
    assert RewardGrant.objects.get(pk=other.pk).tracking_number == ""
    assert RewardGrant.objects.get(pk=other.pk).status == RewardGrant.Status.PREPARING
    # Someone else's gift reads exactly like a number that does not exist, on its own line.
    assert f"no gift grant {other.pk}" in page and "no gift grant 999999" in page
    assert '<td data-label="Line">3</td>' in page and '<td data-label="Line">4</td>' in page
    by_claim = tracking_csv(f"{other_claim.pk},JNE,OTHER2", header="claim_id,courier,tracking_number")
    upload = SimpleUploadedFile("tracking.csv", by_claim.encode(), "text/csv")
    page = client.post(reverse("backoffice:shipments_import"), {"file": upload}).content.decode()
    assert f"no claim #{other_claim.pk}" in page
    assert RewardGrant.objects.get(pk=other.pk).tracking_number == ""


def test_can_answers_as_the_scoped_lookups_do(two_promotions, administrator, indonesia):
    from membercenter.backoffice.roles import REVIEWER
    from tests.backoffice.conftest import ClaimFactory
    from tests.factories import RegionFactory, UserFactory

    manager, mine, theirs = two_promotions
    malaysia = RegionFactory(code="MY", name_en="Malaysia", name_id="Malaysia", currency="MYR")
    claim = ClaimFactory(region=indonesia, promotion=mine)
    jakarta, kl = staff(REVIEWER, regions=(indonesia,)), staff(REVIEWER, regions=(malaysia,))
    assert authz.can(manager, "promotion.manage", mine) and not authz.can(manager, "promotion.manage", theirs)
    assert authz.can(administrator, "promotion.manage", theirs)
    assert authz.can(jakarta, "claim.review", claim) and not authz.can(kl, "claim.review", claim)
    assert not authz.can(manager, "claim.review", claim)
    assert authz.can(claim.member, "own", claim) and not authz.can(UserFactory(), "own", claim)
    with pytest.raises(ValueError):
        authz.can(manager, "promotion.delete", mine)
