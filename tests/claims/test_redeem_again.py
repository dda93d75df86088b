from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from membercenter.claims import services
from membercenter.claims.models import Claim, ClaimDocument
from tests.claims.conftest import make_claim
from tests.conftest import captcha_answer
from tests.factories import UserFactory, image_bytes

pytestmark = pytest.mark.django_db

REASON = "Please provide the invoice with your product name on it, thanks."


def test_sent_back_email_links_to_redeem_again_and_a_new_round_keeps_old_documents(
    client, django_capture_on_commit_callbacks
):
    claim = make_claim()
    member = claim.member
    reviewer = UserFactory(is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.claim_send_back(claim=claim, reviewer=reviewer, reason=REASON)
    body = mail.outbox[-1].body
    assert REASON in body
    link = re.search(r"https?://\S+/redeem-history/\d+/again/", body).group(0)
    path = link.split("8000", 1)[1] if "8000" in link else link
    client.force_login(member)
    history = client.get(reverse("claims:history")).content.decode()
    assert REASON.replace(",", ",") in history and "Redeem Again" in history
    page = client.get(path).content.decode()
    assert REASON in page
    item = claim.items.get()
    captcha_id = re.search(r'name="captcha_id" value="([0-9a-f-]+)"', page).group(1)
    data = {
        "full_name": "Joko", "email": member.email, "phone": "08123456789", "address": "Jl. Baru 1",
        "contact_name": "Joko", "captcha_id": captcha_id, "captcha_answer": captcha_answer(page),
        f"invoice_{item.product_id}": SimpleUploadedFile("inv.jpg", image_bytes("JPEG")),
    }  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path, data)
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED and claim.round == 2 and claim.address == "Jl. Baru 1"
    assert ClaimDocument.objects.filter(item=item, kind="invoice", round=2).exists()
    assert list(claim.events.values_list("to_status", flat=True)) == ["submitted", "sent_back", "submitted"]


def test_redeem_again_needs_a_new_document(client):
    claim = make_claim(status=Claim.Status.SENT_BACK, reason=REASON)
    client.force_login(claim.member)
    page = client.get(reverse("claims:again", args=[claim.pk])).content.decode()
    captcha_id = re.search(r'name="captcha_id" value="([0-9a-f-]+)"', page).group(1)
    data = {
        "full_name": "Joko", "email": claim.email, "phone": "08123456789", "address": "Jl. Baru 1",
        "contact_name": "Joko", "captcha_id": captcha_id, "captcha_answer": captcha_answer(page),
    }  # fmt: skip
    page = client.post(reverse("claims:again", args=[claim.pk]), data).content.decode()
    assert "Upload at least one new document" in page
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SENT_BACK and claim.round == 1


def test_other_members_claims_are_404(client):
    claim = make_claim(status=Claim.Status.SENT_BACK)
    client.force_login(UserFactory())
    assert client.get(reverse("claims:again", args=[claim.pk])).status_code == 404
    assert client.post(reverse("claims:withdraw", args=[claim.pk])).status_code == 404
    assert client.get(reverse("claims:submitted", args=[claim.pk])).status_code == 404
