from __future__ import annotations

import datetime as dt
import html as htmllib

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from membercenter.audit.models import AuditEntry
from membercenter.claims.models import Claim, ClaimEvent
from tests.backoffice.conftest import ClaimFactory, ReasonTemplateFactory

pytestmark = pytest.mark.django_db

TEMPLATE_EN = "Please provide the invoice with your product name on it, thanks."


def decide(client, claim, action: str, data: dict | None = None, query: str = ""):
    url = reverse(f"backoffice:claim_{action}", args=[claim.pk]) + (f"?{query}" if query else "")
    return client.post(url, data or {})


@pytest.mark.parametrize(
    ("action", "data", "status", "subject", "note"),
    [
        ("approve", {}, Claim.Status.APPROVED, "approved", ""),
        ("send_back", {"send_back-text": "The invoice is unreadable."}, Claim.Status.SENT_BACK, "", "unreadable"),
        ("reject", {"reject-text": "Bought outside the promotion."}, Claim.Status.REJECTED, "", "outside"),
    ],
)
def test_each_decision_moves_records_audits_and_emails(
    client, reviewer, claim, django_capture_on_commit_callbacks, action, data, status, subject, note
):
    client.force_login(reviewer)
    client.get(reverse("backoffice:claim", args=[claim.pk]))  # opened: held
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(client, claim, action, data)
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == status
    assert claim.held_by is None
    event = ClaimEvent.objects.filter(claim=claim).latest("pk")
    assert (event.from_status, event.to_status, event.actor) == (Claim.Status.SUBMITTED, status, reviewer)
    assert note in event.note
    entry = AuditEntry.objects.get(action=f"claim.{status}")
    assert entry.actor == reviewer and entry.target_id == str(claim.pk)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [claim.member.email]
    assert subject in mail.outbox[0].subject.lower()
    if note:
        assert note in mail.outbox[0].body


def test_template_and_free_text_are_joined_for_the_member(client, reviewer, claim, django_capture_on_commit_callbacks):
    template = ReasonTemplateFactory()
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        decide(
            client, claim, "send_back", {"send_back-template": template.pk, "send_back-text": "The photo is blurred."}
        )
    claim.refresh_from_db()
    assert claim.reason == f"{TEMPLATE_EN}\n\nThe photo is blurred."
    assert TEMPLATE_EN in mail.outbox[0].body and "The photo is blurred." in mail.outbox[0].body


def test_template_text_already_in_the_box_is_not_repeated(client, reviewer, claim):
    template = ReasonTemplateFactory()
    client.force_login(reviewer)
    decide(client, claim, "send_back", {"send_back-template": template.pk, "send_back-text": TEMPLATE_EN})
    claim.refresh_from_db()
    assert claim.reason == TEMPLATE_EN


def test_template_in_the_members_language(client, reviewer, claim):
    claim.member.language = "id"
    claim.member.save()
    template = ReasonTemplateFactory()
    client.force_login(reviewer)
    decide(client, claim, "send_back", {"send_back-template": template.pk})
    claim.refresh_from_db()
    assert claim.reason == template.text_id


@pytest.mark.parametrize("action", ["send_back", "reject"])
def test_send_back_or_reject_without_reason_is_refused(client, reviewer, claim, action):
    client.force_login(reviewer)
    response = decide(client, claim, action, {f"{action}-text": "   "})
    assert response.status_code == 200
    html = htmllib.unescape(response.content.decode())
    assert "Choose a reason template or write a reason." in html
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED
    assert not AuditEntry.objects.exists()
    assert not mail.outbox


def test_decision_on_a_decided_claim_is_a_message_not_an_error(client, reviewer, claim):
    client.force_login(reviewer)
    decide(client, claim, "reject", {"reject-text": "Not eligible."})
    response = decide(client, claim, "approve")
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:claim", args=[claim.pk])
    claim.refresh_from_db()
    assert claim.status == Claim.Status.REJECTED
    html = htmllib.unescape(client.get(response["Location"]).content.decode())
    assert "A claim that is Not eligible cannot become Redeem Success." in html
    assert AuditEntry.objects.count() == 1


def test_after_a_decision_the_next_claim_in_the_queue_opens(client, reviewer, indonesia, promotion):
    today = timezone.localdate()
    first = ClaimFactory(region=indonesia, promotion=promotion, due_on=today)
    second = ClaimFactory(region=indonesia, promotion=promotion, due_on=today + dt.timedelta(days=3))
    other_promo_claim = ClaimFactory(region=indonesia, due_on=today + dt.timedelta(days=1))
    client.force_login(reviewer)
    # The queue's filters travel with the claim: the next one is from the same promotion.
    response = decide(client, first, "approve", query=f"promotion={promotion.pk}")
    assert response["Location"] == reverse("backoffice:claim", args=[second.pk]) + f"?promotion={promotion.pk}"
    response = decide(client, second, "approve", query=f"promotion={promotion.pk}")
    assert response["Location"] == reverse("backoffice:queue") + f"?promotion={promotion.pk}"
    assert other_promo_claim.pk


def test_next_claim_skips_claims_another_reviewer_holds(client, reviewer, administrator, indonesia, promotion):
    today = timezone.localdate()
    first = ClaimFactory(region=indonesia, promotion=promotion, due_on=today)
    held = ClaimFactory(region=indonesia, promotion=promotion, due_on=today + dt.timedelta(days=1))
    free = ClaimFactory(region=indonesia, promotion=promotion, due_on=today + dt.timedelta(days=2))
    Claim.objects.filter(pk=held.pk).update(held_by=administrator, held_until=timezone.now() + dt.timedelta(minutes=9))
    client.force_login(reviewer)
    response = decide(client, first, "approve")
    assert response["Location"] == reverse("backoffice:claim", args=[free.pk])


def test_release_lets_another_reviewer_take_it(client, reviewer, claim):
    client.force_login(reviewer)
    client.get(reverse("backoffice:claim", args=[claim.pk]))
    response = client.post(reverse("backoffice:claim_release", args=[claim.pk]))
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.held_by is None


def test_get_on_a_decision_url_does_nothing(client, reviewer, claim):
    client.force_login(reviewer)
    assert client.get(reverse("backoffice:claim_approve", args=[claim.pk])).status_code == 405
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED
