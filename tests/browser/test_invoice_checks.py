"""The invoice is checked while the member is still on the page (issue 5's browser test).

Real OCR reads pictures made by the project's generator; the member sees what is
missing before sending anything, and a better picture clears the warning.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from playwright.sync_api import Page, expect

from membercenter.evidence import samples
from membercenter.products.models import RegisteredProduct
from tests.browser.test_member_journey import answer_captcha, field
from tests.factories import (
    PASSWORD,
    CategoryFactory,
    ProductModelFactory,
    ProvinceFactory,
    RegionFactory,
    SerialFactory,
    StoreFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MODEL = "Vista AX242 12M"
STORE = "Toko Sinar Jaya Elektronik"
BOUGHT = dt.date(2024, 11, 28)


def invoice_file(tmp_path, name: str, *, model: str | None):
    lines = [("Mouse Wireless Arkon M110", 1, 150_000)]
    if model:
        lines.insert(0, (f"Nimbus {model}", 1, 12_999_000))
    image = samples.invoice_image(
        random.Random(3), store=STORE, number="INV/2024/11/000123", date=BOUGHT, lines=lines,
        layout="table", date_style="id_long", distort=False,
    )  # fmt: skip
    path = tmp_path / name
    image.convert("RGB").save(path, "JPEG", quality=88)
    return path


def test_a_missing_model_name_is_shown_before_sending_and_the_right_invoice_clears_it(live_server, new_page, tmp_path):
    region = RegionFactory()
    province = ProvinceFactory(region=region, code="JB", name="Jawa Barat")
    model = ProductModelFactory(category=CategoryFactory(), name=MODEL, code="NB-A242")
    serial = SerialFactory(sn="K9X000000001", chk="417", product_model=model, manufactured_on=dt.date(2024, 1, 15))
    store = StoreFactory(region=region, province=province, city="Bandung", name=STORE)
    member = UserFactory(region=region)
    page: Page = new_page()

    page.goto(f"{live_server.url}/accounts/login/")
    field(page, "Email").fill(member.email)
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/products/register/")
    field(page, "Serial Number").fill(serial.sn)
    page.get_by_role("button", name="Register", exact=True).click()
    field(page, "CHK").fill(serial.chk)
    page.get_by_role("button", name="Next").click()

    stores = field(page, "Store Name")
    if stores.locator("option").count() <= 1:
        page.get_by_role("button", name="Show the stores of this region").click()
    stores.select_option(label=str(store))
    field(page, "Purchase Date").fill(BOUGHT.isoformat())
    page.get_by_label("Retail store").check()
    answer_captcha(page)

    # An invoice without the model name: the warning appears as soon as the file is chosen.
    field(page, "Invoice Upload").set_input_files(invoice_file(tmp_path, "without-model.jpg", model=None))
    warning = page.get_by_text(f"We could not find the model name {MODEL} on this invoice")
    expect(warning).to_be_visible(timeout=30_000)
    expect(page.get_by_text(f"Store {STORE} found on the invoice.")).to_be_visible()
    assert not RegisteredProduct.objects.exists()  # nothing was sent

    # The right invoice replaces it: the warning is gone and the model is found.
    field(page, "Invoice Upload").set_input_files(invoice_file(tmp_path, "with-model.jpg", model=MODEL))
    expect(page.get_by_text(f"Model {MODEL} found on the invoice.")).to_be_visible(timeout=30_000)
    expect(warning).to_have_count(0)
    expect(page.get_by_text("The invoice date (28-11-2024) matches the purchase date.")).to_be_visible()

    # The answer typed before choosing the files still stands: one click registers it.
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Product registered")).to_be_visible()
    product = RegisteredProduct.objects.get()
    assert product.invoice_scan is not None and product.invoice_scan.state == "done"
