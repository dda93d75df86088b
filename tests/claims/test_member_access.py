"""Who may open each member URL of a claim, its documents and uploads.

Anonymous visitors are sent to log in; the owner gets the page; another member
gets 404 (never 403: the object's existence is not revealed) and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.shortcuts import resolve_url
from django.urls import reverse

from membercenter.claims.models import Claim, ClaimDocument
from membercenter.notifications.models import InboxMessage
from tests.claims.conftest import RECIPIENT, PromotionFactory, eligible_product, make_claim, submit, upload_for
from tests.factories import UserFactory, image_bytes

pytestmark = pytest.mark.django_db


@dataclass
class World:
    owner: object
    other: object
    promotion: object
    claim: Claim  # submitted, with a sticker photo
    sent_back: Claim
    document: ClaimDocument
    upload: object
    product: object
    message: InboxMessage


@pytest.fixture
def world(db):
    owner, other = UserFactory(), UserFactory()
    promotion = PromotionFactory()
    product = eligible_product(owner)
    eligible_product(other)
    claim = submit(owner, promotion, [product])
    sent_back = make_claim(product=eligible_product(owner), status=Claim.Status.SENT_BACK, reason="More please")
    return World(
        owner=owner,
        other=other,
        promotion=promotion,
        claim=claim,
        sent_back=sent_back,
        document=ClaimDocument.objects.get(item__claim=claim),
        upload=upload_for(owner),
        product=product,
        message=InboxMessage.objects.get(user=owner),
    )


# name → (method, url); `owner` and `other` → the status each gets. The object always belongs to the owner.
MATRIX = {
    "claims:history": (lambda w: ("get", reverse("claims:history")), 200, 200),
    "claims:submitted": (lambda w: ("get", reverse("claims:submitted", args=[w.claim.pk])), 200, 404),
    "claims:again": (lambda w: ("get", reverse("claims:again", args=[w.sent_back.pk])), 200, 404),
    "claims:again (not sent back)": (lambda w: ("get", reverse("claims:again", args=[w.claim.pk])), 302, 404),
    "claims:withdraw": (lambda w: ("post", reverse("claims:withdraw", args=[w.claim.pk])), 302, 404),
    "claims:document": (
        lambda w: ("get", reverse("claims:document", args=[w.claim.pk, w.document.pk])), 200, 404,
    ),
    "claims:document (other claim)": (
        lambda w: ("get", reverse("claims:document", args=[w.sent_back.pk, w.document.pk])), 404, 404,
    ),
    "evidence:upload": (lambda w: ("get", reverse("evidence:upload", args=[w.upload.pk])), 200, 404),
    "products:invoice": (lambda w: ("get", reverse("products:invoice", args=[w.product.pk])), 200, 404),
    # Not an object of the owner: every member sees the page with their own products.
    "promotions:redeem": (lambda w: ("get", reverse("promotions:redeem", args=[w.promotion.slug])), 200, 200),
    # Confirm works on the member's own draft: the other member has none and is sent back to redeem.
    "promotions:confirm": (lambda w: ("get", reverse("promotions:confirm", args=[w.promotion.slug])), 200, 302),
    "inbox:message": (lambda w: ("get", reverse("inbox:message", args=[w.message.pk])), 200, 404),
}  # fmt: skip


def _request(client, world, name):
    method, url = MATRIX[name][0](world)
    response = getattr(client, method)(url)
    if hasattr(response, "streaming_content"):
        body = b"".join(response.streaming_content)
        response.close()
    else:
        body = response.content
    return response, body


def _draft_for_owner(client, world):
    """The owner is between step 6 and step 7-1 of a redemption: products chosen, photo uploaded."""
    product = eligible_product(world.owner)
    photo = SimpleUploadedFile("sticker.jpg", image_bytes("JPEG"), content_type="image/jpeg")
    data = {**RECIPIENT, "products": [product.pk], f"photo_{product.pk}": photo}
    response = client.post(reverse("promotions:redeem", args=[world.promotion.slug]), data)
    assert response.status_code == 302
    return product


@pytest.mark.parametrize("name", MATRIX)
def test_anonymous_is_sent_to_log_in(client, world, name):
    response, _ = _request(client, world, name)
    assert response.status_code == 302
    login = resolve_url(settings.LOGIN_URL)
    assert response["Location"].startswith(f"{login}?next=")
    world.claim.refresh_from_db()
    assert world.claim.status == Claim.Status.SUBMITTED


@pytest.mark.parametrize("name", MATRIX)
def test_the_owner_gets_it(client, world, name):
    client.force_login(world.owner)
    if name == "promotions:confirm":
        drafted = _draft_for_owner(client, world)
    response, body = _request(client, world, name)
    assert response.status_code == MATRIX[name][1]
    page = body.decode(errors="replace")
    if name == "claims:history":
        assert f"#{world.claim.pk}<" in page and f"#{world.sent_back.pk}<" in page
    elif name == "claims:submitted":
        assert "Request sent" in page
    elif name == "claims:again":
        assert "More please" in page
    elif name == "claims:withdraw":
        world.claim.refresh_from_db()
        assert world.claim.status == Claim.Status.WITHDRAWN
    elif name in ("claims:document", "evidence:upload", "products:invoice"):
        assert response["Content-Type"] == "image/jpeg" and body[:2] == b"\xff\xd8"
        assert response["Cache-Control"] == "private, no-store"
    elif name == "promotions:redeem":
        assert world.product.serial.sn in page
    elif name == "promotions:confirm":
        assert drafted.serial.sn in page
    elif name == "inbox:message":
        assert world.message.subject in page


@pytest.mark.parametrize("name", MATRIX)
def test_another_member_gets_404_and_changes_nothing(client, world, name):
    client.force_login(world.other)
    response, body = _request(client, world, name)
    assert response.status_code == MATRIX[name][2]
    page = body.decode(errors="replace")
    # Whatever the page, nothing of the owner's shows and nothing of theirs changes.
    assert world.product.serial.sn not in page
    assert f"#{world.claim.pk}<" not in page and world.message.subject not in page
    if response.status_code == 302:
        assert response["Location"] == reverse("promotions:redeem", args=[world.promotion.slug])
    world.claim.refresh_from_db()
    assert world.claim.status == Claim.Status.SUBMITTED
    assert world.message.__class__.objects.get(pk=world.message.pk).read_at is None


def test_a_withdraw_link_cannot_be_followed_with_get(client, world):
    client.force_login(world.owner)
    assert client.get(reverse("claims:withdraw", args=[world.claim.pk])).status_code == 405
    world.claim.refresh_from_db()
    assert world.claim.status == Claim.Status.SUBMITTED


STAFF_EXPECTED = {
    # Staff work on claims in the back office; a member's own pages never show them another's object...
    **{name: 404 for name in MATRIX if name not in ("claims:history", "promotions:redeem", "promotions:confirm")},
    "claims:document (other claim)": 404,
}


@pytest.mark.parametrize("persona", ["reviewer_of_region", "reviewer_of_other_region", "promotion_manager"])
@pytest.mark.parametrize("name", sorted(STAFF_EXPECTED))
def test_staff_get_404_on_members_objects_except_an_invoice_of_their_region(client, world, name, persona):
    from membercenter.backoffice.roles import PROMOTION_MANAGER, REVIEWER
    from tests.factories import RegionFactory, staff

    malaysia = RegionFactory(code="MY", name_en="Malaysia", name_id="Malaysia", currency="MYR")
    user = {
        "reviewer_of_region": lambda: staff(REVIEWER, regions=(world.product.region,)),
        "reviewer_of_other_region": lambda: staff(REVIEWER, regions=(malaysia,)),
        "promotion_manager": lambda: staff(PROMOTION_MANAGER),
    }[persona]()
    client.force_login(user)
    response, _ = _request(client, world, name)
    # ...but a reviewer checks the invoices of their region's products (the claim page shows them).
    expected = 200 if (name == "products:invoice" and persona == "reviewer_of_region") else STAFF_EXPECTED[name]
    assert response.status_code == expected
    if name == "claims:withdraw":
        world.claim.refresh_from_db()
        assert world.claim.status == Claim.Status.SUBMITTED
