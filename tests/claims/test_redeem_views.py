from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from membercenter.claims.models import Claim, ClaimDocument
from membercenter.evidence.models import Upload
from membercenter.notifications.models import InboxMessage
from tests.claims.conftest import eligible_product
from tests.conftest import captcha_answer
from tests.factories import image_bytes

pytestmark = pytest.mark.django_db

RECIPIENT = {
    "full_name": "Joko Santoso",
    "email": "joko@example.com",
    "phone": "08123456789",
    "address": "Jl. Sudirman No. 100",
    "city": "Jakarta",
    "province": "DKI Jakarta",
    "postal_code": "10110",
    "unit": "-",
    "contact_name": "Joko",
    "contact_phone": "08123456789",
}


def photo(name="sticker.jpg"):
    return SimpleUploadedFile(name, image_bytes("JPEG"), content_type="image/jpeg")


def redeem_step(client, promotion, products, **extra):
    data = {**RECIPIENT, "products": [p.pk for p in products], **extra}
    for p in products:
        data.setdefault(f"photo_{p.pk}", photo())
    return client.post(reverse("promotions:redeem", args=[promotion.slug]), data)


def confirm_step(client, promotion):
    page = client.get(reverse("promotions:confirm", args=[promotion.slug])).content.decode()
    token = re.search(r'name="submit_token" value="([0-9a-f-]+)"', page).group(1)
    captcha_id = re.search(r'name="captcha_id" value="([0-9a-f-]+)"', page).group(1)
    data = {"submit_token": token, "captcha_id": captcha_id, "captcha_answer": captcha_answer(page)}
    return client.post(reverse("promotions:confirm", args=[promotion.slug]), data), data


def test_member_redeems_two_products_in_one_claim(client, member, promotion, django_capture_on_commit_callbacks):
    products = [eligible_product(member), eligible_product(member)]
    client.force_login(member)
    page = client.get(reverse("promotions:redeem", args=[promotion.slug])).content.decode()
    assert products[0].serial.sn in page and 'name="products"' in page
    assert redeem_step(client, promotion, products).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        response, _data = confirm_step(client, promotion)
    claim = Claim.objects.get()
    assert response["Location"] == reverse("claims:submitted", args=[claim.pk])
    assert claim.status == Claim.Status.SUBMITTED and claim.items.count() == 2
    assert ClaimDocument.objects.filter(kind="serial_photo").count() == 2
    assert not Upload.objects.exists()
    assert claim.full_name == "Joko Santoso" and claim.postal_code == "10110"
    assert len(mail.outbox) == 1 and promotion.name_en in mail.outbox[0].subject
    assert InboxMessage.objects.filter(user=member).count() == 1
    done = client.get(response["Location"]).content.decode()
    assert "7–14 business days" in done and claim.due_on.strftime("%Y") in done
    history = client.get(reverse("claims:history")).content.decode()
    assert "Redeem qualification under reviewing" in history and products[1].serial.sn in history


def test_submitting_twice_makes_one_claim(client, member, promotion):
    product = eligible_product(member)
    client.force_login(member)
    redeem_step(client, promotion, [product])
    first, data = confirm_step(client, promotion)
    again = client.post(reverse("promotions:confirm", args=[promotion.slug]), data)
    assert Claim.objects.count() == 1
    assert again["Location"] == first["Location"]


def test_sticker_photo_is_required_per_product(client, member, promotion):
    product = eligible_product(member)
    client.force_login(member)
    page = redeem_step(client, promotion, [product], **{f"photo_{product.pk}": ""}).content.decode()
    assert "Upload a photo of the serial number sticker" in page
    assert not Claim.objects.exists()


def test_bad_sticker_photo_is_refused(client, member, promotion):
    product = eligible_product(member)
    client.force_login(member)
    bad = SimpleUploadedFile("x.jpg", b"PK\x03\x04zipzipzip")
    page = redeem_step(client, promotion, [product], **{f"photo_{product.pk}": bad}).content.decode()
    assert "not a picture (JPG, PNG, GIF" in page
    assert not Upload.objects.exists()


def test_ineligible_product_has_no_checkbox_and_says_why(client, member, promotion):
    import datetime as dt

    old = eligible_product(member)
    old.purchase_date = promotion.purchase_start - dt.timedelta(days=1)
    old.save()
    client.force_login(member)
    page = client.get(reverse("promotions:redeem", args=[promotion.slug])).content.decode()
    assert "is before the promotion&#x27;s start" in page or "is before the promotion's start" in page
    assert f'value="{old.pk}"' not in page
    redeem_step(client, promotion, [old])
    assert not Claim.objects.exists()


def test_unverified_member_cannot_submit(client, member, promotion):
    member.email_verified_at = None
    member.save()
    product = eligible_product(member)
    client.force_login(member)
    redeem_step(client, promotion, [product])
    response, _ = confirm_step(client, promotion)
    assert "verify your email" in response.content.decode()
    assert not Claim.objects.exists()


def test_withdraw_frees_the_product(client, member, promotion):
    product = eligible_product(member)
    client.force_login(member)
    redeem_step(client, promotion, [product])
    confirm_step(client, promotion)
    claim = Claim.objects.get()
    client.post(reverse("claims:withdraw", args=[claim.pk]))
    claim.refresh_from_db()
    assert claim.status == Claim.Status.WITHDRAWN and not claim.items.filter(active=True).exists()
    page = client.get(reverse("promotions:redeem", args=[promotion.slug])).content.decode()
    assert f'value="{product.pk}"' in page


def test_pages_of_the_journey_render(client, member, promotion):
    eligible_product(member)
    client.force_login(member)
    for name in ("promotions:list", "claims:history", "inbox:list", "accounts:overview", "products:mine"):
        assert client.get(reverse(name)).status_code == 200
    assert client.get(reverse("support:faq")).status_code == 200
    assert promotion.name_en in client.get(reverse("promotions:list")).content.decode()
    assert promotion.name_en in client.get(reverse("products:mine")).content.decode()
