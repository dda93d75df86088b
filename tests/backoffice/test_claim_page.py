from __future__ import annotations

import datetime as dt
import html as htmllib

import pytest
from django.urls import reverse
from django.utils import timezone

from membercenter.claims.models import Claim, ClaimDocument, ClaimEvent, ReasonTemplate
from tests.backoffice.conftest import ClaimDocumentFactory, ClaimFactory, PromotionFactory, ReasonTemplateFactory

pytestmark = pytest.mark.django_db


def page(client, claim, **params) -> str:
    response = client.get(reverse("backoffice:claim", args=[claim.pk]), params)
    assert response.status_code == 200
    return htmllib.unescape(response.content.decode())


def test_opening_holds_the_claim_and_shows_the_hold_to_another_reviewer(client, reviewer, indonesia, claim):
    client.force_login(reviewer)
    assert "Held by you until" in page(client, claim)
    claim.refresh_from_db()
    assert claim.held_by == reviewer and claim.held_until > timezone.now()

    colleague = type(reviewer).objects.create_user(email="colleague@example.com", first_name="Tono", language="en")
    colleague.groups.set(reviewer.groups.all())
    colleague.review_regions.set([indonesia])
    client.force_login(colleague)
    html = page(client, claim)
    until = timezone.localtime(claim.held_until).strftime("%H:%M")
    assert f"Held by Rina Member until {until}" in html
    assert 'id="approve-button"' in html  # still allowed to view and decide
    claim.refresh_from_db()
    assert claim.held_by == reviewer  # the hold is not taken over


def test_an_expired_hold_passes_to_the_next_reviewer(client, reviewer, other_reviewer, administrator, claim):
    Claim.objects.filter(pk=claim.pk).update(held_by=reviewer, held_until=timezone.now() - dt.timedelta(minutes=1))
    client.force_login(administrator)
    assert "Held by Rina" not in page(client, claim)
    claim.refresh_from_db()
    assert claim.held_by == administrator


def test_shows_registry_purchase_recipient_pictures_and_rounds(client, reviewer, claim):
    item = claim.items.get()
    product = item.product
    # A second round, with a new invoice.
    ClaimEvent.objects.create(claim=claim, from_status="submitted", to_status="sent_back", actor=reviewer,
                              note="Please provide the invoice with your product name on it")  # fmt: skip
    ClaimEvent.objects.create(claim=claim, from_status="sent_back", to_status="submitted", actor=claim.member, round=2)
    new_invoice = ClaimDocumentFactory(item=item, kind=ClaimDocument.Kind.INVOICE, round=2)
    Claim.objects.filter(pk=claim.pk).update(round=2)
    client.force_login(reviewer)
    html = page(client, claim)
    for text in (
        product.serial.sn, product.serial.chk, product.serial.product_model.code, "2024-01-15",  # registry
        "2024-06-01", product.store.name, "Retail store",  # purchase
        "Budi Santoso", "Jl. Sudirman 1", "08123456789",  # recipient
        "Round 2", "Round 1", "Please provide the invoice with your product name on it",
    ):  # fmt: skip
        assert text in html, text
    assert html.index("Round 2") < html.index("Round 1")
    assert reverse("backoffice:claim_document", args=[claim.pk, new_invoice.pk]) in html
    assert reverse("backoffice:claim_item_invoice", args=[claim.pk, item.pk]) in html
    assert 'class="zoom"' in html


def test_rules_leave_the_claim_itself_out(client, reviewer, indonesia):
    # Limits of one: the claim under review uses them up, yet it must not fail them itself.
    promo = PromotionFactory(regions=[indonesia], max_redemptions=1, per_member_limit=1)
    claim = ClaimFactory(region=indonesia, promotion=promo)
    client.force_login(reviewer)
    html = page(client, claim)
    assert "all rules met" in html
    assert "All rewards of this promotion have been claimed" not in html
    assert "already redeemed" not in html


def test_rules_show_what_really_fails(client, reviewer, indonesia):
    promo = PromotionFactory(regions=[indonesia], max_redemptions=1, purchase_start=dt.date(2024, 7, 1))
    first = ClaimFactory(region=indonesia, promotion=promo)
    second = ClaimFactory(region=indonesia, promotion=promo)
    client.force_login(reviewer)
    html = page(client, second)
    assert "All rewards of this promotion have been claimed" in html  # the first claim holds the only one
    assert "before the promotion's start on 1 Jul 2024" in html
    assert first.pk != second.pk


def test_reason_templates_in_the_members_language(client, reviewer, claim):
    ReasonTemplateFactory()
    ReasonTemplateFactory(kind=ReasonTemplate.Kind.REJECT, title="Not our product", text_en="Not ours.",
                          text_id="Bukan produk kami.")  # fmt: skip
    ReasonTemplateFactory(title="Old one", is_active=False)
    claim.member.language = "id"
    claim.member.save()
    client.force_login(reviewer)
    html = page(client, claim)
    assert 'data-text="Mohon kirimkan invoice yang mencantumkan nama produk Anda, terima kasih."' in html
    assert 'data-text="Bukan produk kami."' in html
    assert "Old one" not in html
    assert '<label for="id_send_back-text">' in html and '<label for="id_reject-template">' in html


def test_decided_claim_offers_no_decision(client, reviewer, indonesia, promotion):
    claim = ClaimFactory(region=indonesia, promotion=promotion, status=Claim.Status.APPROVED)
    client.force_login(reviewer)
    html = page(client, claim)
    assert 'id="approve-button"' not in html
    assert "there is no decision to make" in html
    claim.refresh_from_db()
    assert claim.held_by is None  # a decided claim is not held


def test_next_claim_link_and_shortcut_help(client, reviewer, indonesia, promotion):
    today = timezone.localdate()
    first = ClaimFactory(region=indonesia, promotion=promotion, due_on=today)
    second = ClaimFactory(region=indonesia, promotion=promotion, due_on=today + dt.timedelta(days=1))
    client.force_login(reviewer)
    html = page(client, first)
    assert f'id="next-claim" href="/staff/claims/{second.pk}/"' in html
    assert "<kbd>a</kbd>" in html and "<kbd>n</kbd>" in html
    assert "js/backoffice.js" in html and "<script>" not in html
    # From the last one, "next" wraps round to the first.
    assert f'id="next-claim" href="/staff/claims/{first.pk}/"' in page(client, second)
