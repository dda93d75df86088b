from __future__ import annotations

import datetime as dt
import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from membercenter.products.models import RegisteredProduct
from tests.factories import RegisteredProductFactory, SerialFactory, StoreFactory, image_bytes
from tests.products.conftest import big_bytes, png_declaring

pytestmark = pytest.mark.django_db


def media_files(settings) -> list[str]:
    found = []
    for root, _dirs, files in os.walk(settings.MEDIA_ROOT):
        found += [os.path.join(root, f) for f in files if "invoices" in root]
    return found


# --- step 1: serial number -------------------------------------------------------------


def test_known_serial_shows_the_product_from_the_registry(wizard, serial):
    response = wizard.serial_step(" k9x-000000001 ")
    assert response.status_code == 302
    page = wizard.client.get(reverse("products:register_chk")).content.decode()
    assert serial.product_model.name in page
    assert serial.product_model.code in page
    assert "Laptop" in page


def test_unknown_serial_gets_a_clear_message(wizard, serial):
    page = wizard.serial_step("ZZZ999999999").content.decode()
    assert "We cannot find serial number ZZZ999999999" in page
    assert "Did you mean" not in page


def test_lookalike_characters_give_a_did_you_mean(wizard, serial):
    page = wizard.serial_step("K9XOOOOOOOOl").content.decode()
    assert "We cannot find serial number K9XOOOOOOOOL" in page
    assert "Did you mean" in page
    assert 'value="K9X000000001"' in page


def test_malformed_serial_is_refused(wizard):
    page = wizard.serial_step("ab").content.decode()
    assert "6 to 32 letters and digits" in page


def test_serial_of_another_member_is_refused_with_a_way_to_support(wizard, serial):
    RegisteredProductFactory(serial=serial)
    page = wizard.serial_step(serial.sn).content.decode()
    assert "already registered to another account" in page
    assert reverse("support:new") in page and "serial=K9X000000001" in page


def test_own_serial_says_it_is_already_in_my_products(wizard, serial, member):
    RegisteredProductFactory(serial=serial, member=member)
    page = wizard.serial_step(serial.sn).content.decode()
    assert "already in My Products" in page


# --- step 2: CHK --------------------------------------------------------------------------


def test_wrong_chk_is_refused(wizard, serial):
    wizard.serial_step(serial.sn)
    page = wizard.chk_step("999").content.decode()
    assert "does not match" in page
    assert wizard.client.get(reverse("products:register_purchase")).status_code == 302


def test_chk_must_be_three_digits(wizard, serial):
    wizard.serial_step(serial.sn)
    assert "3 digits" in wizard.chk_step("4a7").content.decode()


def test_chk_guessing_is_limited(wizard, serial, settings):
    settings.CHK_RATE_PER_ACCOUNT = "3/h"
    wizard.serial_step(serial.sn)
    for guess in ("100", "101", "102"):
        assert wizard.chk_step(guess).status_code == 200
    assert wizard.chk_step(serial.chk).status_code == 429


def test_steps_cannot_be_skipped(wizard):
    assert wizard.client.get(reverse("products:register_chk"))["Location"] == reverse("products:register")
    assert wizard.client.get(reverse("products:register_purchase"))["Location"] == reverse("products:register")


# --- step 3: purchase and invoice ------------------------------------------------------------


def test_registration_saves_the_product_and_a_clean_invoice(wizard, serial, store, member, settings):
    wizard.through_chk(serial)
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"
    big = SimpleUploadedFile("photo.jpg", image_bytes("JPEG", size=(3200, 2400), exif=exif.tobytes()))
    response = wizard.purchase_step(store=store, upload=big)
    product = RegisteredProduct.objects.get()
    assert response["Location"] == reverse("products:registered", args=[product.pk])
    assert (product.member, product.serial, product.store) == (member, serial, store)
    assert product.purchase_date == dt.date(2024, 6, 1)
    stored = Image.open(product.invoice.open("rb"))
    assert stored.format == "JPEG" and stored.width == 1600 and stored.height == 1200
    assert not stored.getexif()
    assert b"SecretCameraMaker" not in product.invoice.open("rb").read()
    done = wizard.client.get(response["Location"]).content.decode()
    assert "Product registered" in done


@pytest.mark.parametrize(
    ("purchase_date", "message"),
    [("2999-01-01", "cannot be in the future"), ("2023-12-31", "before the product was made")],
)
def test_purchase_date_rules(wizard, serial, store, settings, purchase_date, message):
    wizard.through_chk(serial)
    page = wizard.purchase_step(store=store, purchase_date=purchase_date).content.decode()
    assert message in page
    assert not RegisteredProduct.objects.exists()
    assert media_files(settings) == []


def test_store_of_another_region_is_refused(wizard, serial, member):
    from tests.factories import RegionFactory

    elsewhere = StoreFactory(region=RegionFactory(code="MY", name_en="Malaysia", currency="MYR"))
    wizard.through_chk(serial)
    response = wizard.purchase_step(store=elsewhere, region=member.region_id)
    assert "Select a valid choice" in response.content.decode()
    assert not RegisteredProduct.objects.exists()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: SimpleUploadedFile("big.jpg", big_bytes(20 * 1024 * 1024)), "the largest we accept is"),
        (lambda: SimpleUploadedFile("setup.jpg", b"MZ\x90\x00" + os.urandom(4000)), "not a picture (JPG, PNG, GIF"),
        (lambda: SimpleUploadedFile("huge.png", png_declaring(30000, 30000)), "too large"),
        (lambda: SimpleUploadedFile("cut.jpg", image_bytes("JPEG")[:300]), "could not be read"),
        (lambda: SimpleUploadedFile("empty.jpg", b""), "The submitted file is empty"),
    ],
    ids=["20MB", "exe-renamed", "30000x30000-png", "truncated", "empty"],
)
def test_bad_uploads_are_refused_and_nothing_is_saved(wizard, serial, store, settings, upload, message):
    wizard.through_chk(serial)
    response = wizard.purchase_step(store=store, upload=upload())
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not RegisteredProduct.objects.exists()
    assert media_files(settings) == []


@pytest.mark.parametrize("fmt", ["PNG", "GIF"])
def test_png_and_gif_invoices_are_accepted(wizard, serial, store, fmt):
    wizard.through_chk(serial)
    upload = SimpleUploadedFile(f"invoice.{fmt.lower()}", image_bytes(fmt))
    assert wizard.purchase_step(store=store, upload=upload).status_code == 302
    assert Image.open(RegisteredProduct.objects.get().invoice.open("rb")).format == "JPEG"


def test_wrong_captcha_saves_nothing(wizard, serial, store, settings):
    wizard.through_chk(serial)
    page = wizard.purchase_step(store=store, captcha="0").content.decode()
    assert "captcha answer is wrong" in page
    assert not RegisteredProduct.objects.exists()
    assert media_files(settings) == []


def test_serial_taken_between_steps_is_refused(wizard, serial, store):
    wizard.through_chk(serial)
    RegisteredProductFactory(serial=serial)
    page = wizard.purchase_step(store=store).content.decode()
    assert "already registered to another account" in page
    assert RegisteredProduct.objects.count() == 1


def test_stores_follow_the_region(wizard, serial, store):
    from tests.factories import RegionFactory

    other = StoreFactory(region=RegionFactory(code="SG", name_en="Singapore", currency="SGD"), name="Lion Gadgets")
    html = wizard.client.get(reverse("products:store_options"), {"region": other.region_id}).content.decode()
    assert "Lion Gadgets" in html and store.name not in html
    wizard.through_chk(serial)
    page = wizard.client.post(
        reverse("products:register_purchase"), {"region": other.region_id, "change_region": "1"}
    ).content.decode()
    assert "Lion Gadgets" in page
    assert not RegisteredProduct.objects.exists()


# --- My Products and invoices --------------------------------------------------------------


def test_my_products_shows_warranty_end(client, member):
    product = RegisteredProductFactory(member=member, purchase_date=dt.date(2024, 2, 29))
    RegisteredProductFactory()  # someone else's
    client.force_login(member)
    page = client.get(reverse("products:mine")).content.decode()
    assert product.serial.sn in page
    assert "until 2026-02-28" in page
    assert page.count("<tr>") == 2  # header + the member's one product


def test_invoice_is_only_for_its_owner_and_staff(client, member):
    product = RegisteredProductFactory(member=member)
    url = reverse("products:invoice", args=[product.pk])
    assert client.get(url).status_code == 302  # anonymous: to login
    client.force_login(member)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"
    other = RegisteredProductFactory()
    assert client.get(reverse("products:invoice", args=[other.pk])).status_code == 404
    assert client.get(reverse("products:registered", args=[other.pk])).status_code == 404
    from django.contrib.auth.models import Group

    from membercenter.backoffice.roles import REVIEWER, roles_ensure
    from tests.factories import RegionFactory, UserFactory

    roles_ensure()
    client.force_login(UserFactory(is_staff=True))  # staff, but no reviewer of this region
    assert client.get(url).status_code == 404
    for regions, status in (([product.region], 200), ([RegionFactory(code="MY", name_en="Malaysia")], 404)):
        reviewer = UserFactory(is_staff=True)
        reviewer.groups.add(Group.objects.get(name=REVIEWER))
        reviewer.review_regions.set(regions)
        client.force_login(reviewer)
        assert client.get(url).status_code == status


def test_registration_page_image_stream_is_valid_jpeg():
    data = image_bytes("JPEG")
    assert Image.open(io.BytesIO(data)).format == "JPEG"


def test_serial_factory_serials_are_unique():
    assert SerialFactory().sn != SerialFactory().sn
