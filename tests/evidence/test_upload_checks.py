"""The checks a member sees while uploading, with real OCR on pictures from the project's generator.

These tests commit (transaction=True): the reading is a job that runs after commit, in
process here as in `make run`, so the page that stored the picture shows its checks.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from membercenter.claims.models import Claim
from membercenter.evidence import samples
from membercenter.evidence.models import Scan, Upload
from membercenter.products.models import RegisteredProduct
from tests.claims.conftest import PromotionFactory
from tests.conftest import captcha_answer
from tests.factories import (
    CategoryFactory,
    ProductModelFactory,
    RegionFactory,
    SerialFactory,
    StoreFactory,
    UserFactory,
    image_bytes,
)

pytestmark = pytest.mark.django_db(transaction=True)

MODEL = "Vista AX242 12M"
STORE = "Toko Sinar Jaya Elektronik"
BOUGHT = dt.date(2024, 11, 28)


def jpeg(image) -> SimpleUploadedFile:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=90)
    return SimpleUploadedFile("invoice.jpg", out.getvalue(), content_type="image/jpeg")


def invoice(*, model: str | None = MODEL, store: str = STORE, date: dt.date = BOUGHT, seed: int = 1):
    lines = [("Mouse Wireless Arkon M110", 1, 150_000)]
    if model:
        lines.insert(0, (f"Nimbus {model}", 1, 12_999_000))
    return jpeg(
        samples.invoice_image(
            random.Random(seed), store=store, number="INV/2024/11/000123", date=date, lines=lines,
            layout="table", date_style="dmy_dash", distort=False,
        )
    )  # fmt: skip


def sticker(sn: str, seed: int = 2):
    return jpeg(samples.sticker_image(random.Random(seed), sn=sn, chk="417", model_code="NB-A242", distort=False))


@pytest.fixture
def catalog():
    region = RegionFactory()
    model = ProductModelFactory(category=CategoryFactory(), name=MODEL, code="NB-A242")
    serial = SerialFactory(sn="K9X000000001", chk="417", product_model=model, manufactured_on=dt.date(2024, 1, 15))
    store = StoreFactory(region=region, name=STORE, city="Bandung")
    member = UserFactory(region=region)
    return {"region": region, "model": model, "serial": serial, "store": store, "member": member}


def purchase_post(client, store, **data):
    url = reverse("products:register_purchase")
    page = client.get(url).content.decode()
    captcha_id = re.search(r'name="captcha_id" value="([0-9a-f-]+)"', page).group(1)
    form = {
        "region": store.region_id, "store": store.pk, "purchase_date": BOUGHT.isoformat(), "channel": "retail",
        "captcha_id": captcha_id, "captcha_answer": captcha_answer(page), **data,
    }  # fmt: skip
    return client.post(url, form)


def through_chk(client, serial):
    client.post(reverse("products:register"), {"serial_number": serial.sn})
    client.post(reverse("products:register_chk"), {"chk": serial.chk})


def test_an_invoice_without_the_model_is_shown_before_registering_and_can_still_be_sent(client, catalog):
    client.force_login(catalog["member"])
    through_chk(client, catalog["serial"])

    page = purchase_post(client, catalog["store"], invoice=invoice(model=None)).content.decode()

    assert f"We could not find the model name {MODEL} on this invoice" in page
    assert "Please look at the checks of your invoice below" in page
    assert not RegisteredProduct.objects.exists()  # nothing registered yet
    upload = Upload.objects.get()
    assert upload.scan.state == Scan.State.DONE
    assert f'name="invoice_upload" value="{upload.pk}"' in page

    # Sending the form again (the kept picture, no new file) registers it anyway.
    response = purchase_post(client, catalog["store"], invoice_upload=str(upload.pk))
    assert response.status_code == 302
    product = RegisteredProduct.objects.get()
    assert product.invoice.name == upload.file.name and product.invoice_scan == upload.scan
    assert not Upload.objects.exists()


def test_the_right_invoice_passes_its_checks_and_registers_at_once(client, catalog):
    client.force_login(catalog["member"])
    through_chk(client, catalog["serial"])

    response = purchase_post(client, catalog["store"], invoice=invoice())

    assert response.status_code == 302, response.content.decode()[:2000]
    product = RegisteredProduct.objects.get()
    assert product.invoice_scan.state == Scan.State.DONE
    assert product.invoice_scan.invoice_number_key  # read for the same-invoice signal


def test_checking_a_picture_only_shows_its_checks_and_keeps_the_captcha(client, catalog):
    client.force_login(catalog["member"])
    through_chk(client, catalog["serial"])

    page = purchase_post(client, catalog["store"], invoice=invoice(), check="invoice").content.decode()

    assert f"Model {MODEL} found on the invoice." in page
    assert f"Store {STORE} found on the invoice." in page
    assert "The invoice date (28-11-2024) matches the purchase date." in page
    assert not RegisteredProduct.objects.exists()


def test_a_wrong_purchase_date_is_pointed_out(client, catalog):
    client.force_login(catalog["member"])
    through_chk(client, catalog["serial"])

    page = purchase_post(
        client, catalog["store"], invoice=invoice(), purchase_date="2024-11-20", check="invoice"
    ).content.decode()

    assert "The date on this invoice (28-11-2024) is not the purchase date you entered (20-11-2024)." in page


def test_the_messages_are_in_the_members_language(client, catalog):
    member = catalog["member"]
    member.language = "id"
    member.save()
    client.force_login(member)
    through_chk(client, catalog["serial"])

    page = purchase_post(client, catalog["store"], invoice=invoice(model=None), check="invoice").content.decode()

    assert f"Kami tidak menemukan nama model {MODEL} pada invoice ini" in page


@pytest.fixture
def promotion(catalog):
    today = timezone.localdate()
    return PromotionFactory(
        regions=[catalog["region"]], categories=[catalog["model"].category],
        purchase_start=dt.date(2024, 12, 1), purchase_end=today, redeem_end=today + dt.timedelta(days=30),
    )  # fmt: skip


def registered(catalog, image, purchase_date: dt.date = BOUGHT) -> RegisteredProduct:
    from membercenter.evidence.services import upload_store
    from membercenter.products.services import product_register

    upload = upload_store(owner=catalog["member"], kind=Upload.Kind.INVOICE, upload=image)
    return product_register(
        member=catalog["member"], serial=catalog["serial"], chk="417", region=catalog["region"],
        store=catalog["store"], channel="retail", purchase_date=purchase_date, invoice=upload,
    )  # fmt: skip


RECIPIENT = {
    "full_name": "Joko Santoso", "email": "joko@example.com", "phone": "08123456789",
    "address": "Jl. Sudirman No. 100", "city": "Jakarta", "province": "DKI Jakarta", "postal_code": "10110",
    "unit": "-", "contact_name": "Joko", "contact_phone": "08123456789",
}  # fmt: skip


def test_redeem_shows_the_invoice_date_before_the_promotion_and_a_sticker_of_another_serial(client, catalog, promotion):
    # Registered as bought on 05-12-2024, but the invoice says 28-11-2024: before the promotion's start.
    product = registered(catalog, invoice(), purchase_date=dt.date(2024, 12, 5))
    client.force_login(catalog["member"])
    url = reverse("promotions:redeem", args=[promotion.slug])

    page = client.get(url).content.decode()
    assert "The date on this invoice (28-11-2024) is before the promotion&#x27;s start (01-12-2024)." in page

    data = {**RECIPIENT, "products": [product.pk], f"photo_{product.pk}": sticker("K9X000000777")}
    response = client.post(url, data)
    page = response.content.decode()
    assert response.status_code == 200  # shown before going on
    assert "We could not find serial number K9X000000001 on this photo" in page

    # The member goes on with the kept photo: the confirm page repeats what the checks found.
    kept = Upload.objects.get(kind=Upload.Kind.SERIAL_PHOTO)
    response = client.post(url, {**RECIPIENT, "products": [product.pk], f"photo_{product.pk}_upload": str(kept.pk)})
    assert response.status_code == 302
    page = client.get(reverse("promotions:confirm", args=[promotion.slug])).content.decode()
    assert "We could not find serial number K9X000000001 on this photo" in page


def test_a_submitted_claim_carries_its_checks_for_the_reviewer(client, catalog):
    today = timezone.localdate()
    promotion = PromotionFactory(
        regions=[catalog["region"]], categories=[catalog["model"].category],
        purchase_start=dt.date(2024, 11, 1), purchase_end=today,
    )  # fmt: skip
    product = registered(catalog, invoice())
    client.force_login(catalog["member"])
    url = reverse("promotions:redeem", args=[promotion.slug])
    data = {**RECIPIENT, "products": [product.pk], f"photo_{product.pk}": sticker("K9X000000001")}
    assert client.post(url, data).status_code == 302
    confirm = reverse("promotions:confirm", args=[promotion.slug])
    page = client.get(confirm).content.decode()
    assert "Serial number K9X000000001 found on the photo." in page
    token = re.search(r'name="submit_token" value="([0-9a-f-]+)"', page).group(1)
    captcha_id = re.search(r'name="captcha_id" value="([0-9a-f-]+)"', page).group(1)
    client.post(confirm, {"submit_token": token, "captcha_id": captcha_id, "captcha_answer": captcha_answer(page)})

    claim = Claim.objects.get()
    verdicts = {v["check"]: v["ok"] for v in claim.checks["items"][0]["verdicts"]}
    assert verdicts == {"model_found": True, "store_match": True, "date_in_window": True, "serial_match": True}
    assert claim.checks_passed is True and claim.flags == []


def test_a_hostile_upload_is_refused_on_the_page_without_a_server_error(client, catalog):
    client.force_login(catalog["member"])
    through_chk(client, catalog["serial"])
    svg = SimpleUploadedFile("invoice.jpg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')

    response = purchase_post(client, catalog["store"], invoice=svg)

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not Upload.objects.exists() and not Scan.objects.exists()
    assert not RegisteredProduct.objects.exists()


def test_the_same_invoice_from_two_accounts_flags_both_claims(catalog):
    """One re-saved at another JPEG quality and cropped by 3%: both claims name each other."""
    from membercenter.claims.checks import claim_checks_refresh
    from membercenter.claims.services import ItemEvidence, claim_submit
    from membercenter.evidence.services import upload_store
    from membercenter.products.services import product_register

    today = timezone.localdate()
    promotion = PromotionFactory(
        regions=[catalog["region"]], categories=[catalog["model"].category],
        purchase_start=dt.date(2024, 11, 1), purchase_end=today,
    )  # fmt: skip
    page = samples.invoice_image(
        random.Random(9), store=STORE, number="INV/2024/11/000123", date=BOUGHT,
        lines=[(f"Nimbus {MODEL}", 1, 12_999_000)], layout="table", distort=False,
    )  # fmt: skip
    w, h = page.size
    cropped = page.crop((int(w * 0.03), int(h * 0.03), w, h))
    claims = []
    for who, image, quality in ((catalog["member"], page, 92), (UserFactory(region=catalog["region"]), cropped, 60)):
        out = io.BytesIO()
        image.convert("RGB").save(out, "JPEG", quality=quality)
        serial = catalog["serial"] if who == catalog["member"] else SerialFactory(product_model=catalog["model"])
        upload = upload_store(owner=who, kind=Upload.Kind.INVOICE, upload=SimpleUploadedFile("i.jpg", out.getvalue()))
        product = product_register(
            member=who, serial=serial, chk=serial.chk, region=catalog["region"], store=catalog["store"],
            channel="retail", purchase_date=BOUGHT, invoice=upload,
        )  # fmt: skip
        photo = upload_store(
            owner=who, kind=Upload.Kind.SERIAL_PHOTO, upload=SimpleUploadedFile("p.jpg", image_bytes("JPEG"))
        )
        claims.append(
            claim_submit(
                member=who, promotion=promotion, evidence=[ItemEvidence(product.pk, serial_photo=photo)],
                recipient=RECIPIENT | {"phone": f"0812000{len(claims)}", "address": f"Jl. {len(claims)}"},
                submit_token=__import__("uuid").uuid4(),
            )
        )  # fmt: skip
    first, second = (claim_checks_refresh(c.pk) for c in claims)
    first.refresh_from_db()

    def named(claim: Claim, other: Claim) -> bool:
        return any(other.pk in f["claims"] for f in claim.flags if f["code"] == "same_invoice_image")

    assert named(first, second) and named(second, first)
    assert first.checks_passed is False and second.checks_passed is False
