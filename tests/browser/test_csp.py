"""The strict Content-Security-Policy in a real browser: nothing the site needs is blocked.

Chromium enforces the policy the server sends. Every violation fires a
`securitypolicyviolation` event (relayed to the console by an init script, which the
policy does not govern) and Chromium logs its own "Refused to …" line. The walk covers
the member journey (log-in form, overview, promotions, redeem with the htmx upload check,
the confirm page's pictures), the reviewer's claim page with its script, a stored picture
opened on its own, and the Django admin. First, a control proves the policy is enforced
and that a violation would be seen.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import ConsoleMessage, Page, expect

from membercenter.backoffice.roles import REVIEWER, roles_ensure
from membercenter.claims.models import ClaimDocument
from tests.backoffice.conftest import ClaimFactory
from tests.claims.conftest import PromotionFactory
from tests.factories import (
    PASSWORD,
    CategoryFactory,
    ProductModelFactory,
    RegionFactory,
    RegisteredProductFactory,
    SerialFactory,
    StoreFactory,
    UserFactory,
    image_bytes,
    with_authenticator,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RELAY = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP-VIOLATION ${e.effectiveDirective} blocked=${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


class Violations:
    """Every CSP violation any page of a browser context reports, with the address it happened on."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.pages: list[str] = []

    def watch(self, page: Page) -> Page:
        page.context.add_init_script(RELAY)

        def on_console(message: ConsoleMessage) -> None:
            text = message.text
            # Chromium also names a Permissions-Policy it cannot parse (an unknown feature) here.
            if "CSP-VIOLATION" in text or "Content Security Policy" in text or "Permissions-Policy" in text:
                self.seen.append(f"{page.url}: {text}")

        page.on("console", on_console)
        page.on("load", lambda: self.pages.append(page.url))
        return page


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label(re.compile(r"^\s*Email")).fill(email)
    page.get_by_label(re.compile(r"^\s*Password")).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def logged_in_as(page: Page, base: str, user: object) -> None:
    """The browser carries a session of `user` made by the test client (password and code given)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])


def test_the_policy_is_enforced_and_a_violation_would_be_seen(live_server, new_page):
    watcher = Violations()
    page = watcher.watch(new_page())
    page.goto(f"{live_server.url}/accounts/login/")
    # What an injected script or style attribute would try: both refused, both reported.
    page.evaluate(
        """() => {
          const s = document.createElement("script");
          s.textContent = "window.injected = true";
          document.body.append(s);
          document.body.insertAdjacentHTML("beforeend", '<p id="styled" style="color: rgb(255, 0, 0)">x</p>');
        }"""
    )
    expect(page.locator("#styled")).to_have_count(1)
    assert page.evaluate("() => window.injected") is None
    assert page.evaluate("() => getComputedStyle(document.getElementById('styled')).color") != "rgb(255, 0, 0)"
    page.wait_for_timeout(200)  # the violation events are queued as tasks
    assert any("script-src" in v for v in watcher.seen), watcher.seen
    assert any("style-src" in v for v in watcher.seen), watcher.seen


def test_member_reviewer_and_admin_pages_run_without_a_csp_violation(
    live_server, new_page, settings, tmp_path, scorecard
):
    base = live_server.url
    settings.EVIDENCE_WAIT_SECONDS = 1.0  # the page need not wait for the reading (OCR) to finish
    today = timezone.localdate()
    groups = roles_ensure()
    indonesia = RegionFactory(code="ID", name_en="Indonesia", name_id="Indonesia")
    laptop = CategoryFactory()
    promotion = PromotionFactory(name_en="Boost Your Success", regions=[indonesia], categories=[laptop])
    member = UserFactory(
        email="siti@example.com", first_name="Siti", region=indonesia, language="en", phone="081234567890"
    )
    product = RegisteredProductFactory(
        member=member, region=indonesia, store=StoreFactory(region=indonesia),
        serial=SerialFactory(product_model=ProductModelFactory(category=laptop, name="Aurora 14 Creator")),
        purchase_date=today - dt.timedelta(days=10),
    )  # fmt: skip
    reviewer = UserFactory(email="rina@example.com", region=indonesia, language="en", is_staff=True)
    reviewer.groups.add(groups[REVIEWER])
    reviewer.review_regions.set([indonesia])
    claim = ClaimFactory(region=indonesia, promotion=PromotionFactory(regions=[indonesia]))
    # The administrator has an authenticator; force_login stands for password and code (tests/factories.py).
    admin = with_authenticator(UserFactory(email="admin@example.com", language="en", is_staff=True, is_superuser=True))
    sticker = tmp_path / "sticker.jpg"
    sticker.write_bytes(image_bytes("JPEG", size=(1024, 768), color="#dddddd"))
    watcher = Violations()

    # Anonymous pages, then the member, logging in through the form.
    phone = watcher.watch(new_page())
    for address in ("/", "/accounts/signup/", "/catalog/serial-number-help/", "/support/faq/"):
        phone.goto(base + address)
    log_in(phone, base, member.email)
    expect(phone.locator("html")).to_have_class(re.compile(r"\bjs\b"))  # site.js ran
    phone.goto(f"{base}/products/")
    phone.goto(f"{base}/promotions/")
    phone.goto(f"{base}/promotions/{promotion.slug}/")
    expect(phone.get_by_role("heading", name="Promotion Redeem")).to_be_visible()
    row = phone.locator("table tbody tr").filter(has_text=product.serial.sn)
    row.get_by_label("Redeem this product").check()
    row.get_by_label("Serial number photo").set_input_files(sticker)
    # htmx (loaded from /static/, configured by <meta>) posts the photo and swaps in its checks.
    expect(row.get_by_text("Picture uploaded")).to_be_visible(timeout=30_000)
    phone.get_by_label(re.compile(r"^\s*Address")).fill("Jl. Sudirman No. 100")
    phone.get_by_label(re.compile(r"^\s*City")).fill("Jakarta")
    phone.get_by_role("button", name="Next", exact=True).click()
    expect(phone.get_by_role("heading", name="Promotion Redeem Confirm")).to_be_visible()
    # The stored photo is shown (img-src 'self'), and opened on its own under its sandbox policy.
    picture = phone.get_by_role("img", name="Serial number photo").first
    picture.scroll_into_view_if_needed()
    phone.wait_for_function("(el) => el.complete && el.naturalWidth > 0", arg=picture.element_handle())
    phone.goto(base + picture.get_attribute("src"))

    # The reviewer's claim page: its script zooms a picture and jumps to the send-back reason.
    desk = watcher.watch(new_page(viewport={"width": 1280, "height": 900}))
    log_in(desk, base, reviewer.email)
    desk.goto(f"{base}/staff/claims/{claim.pk}/")
    expect(desk.get_by_role("heading", name=re.compile(f"Claim #{claim.pk}"))).to_be_visible()
    zoom = desk.locator("a.zoom").first
    zoom.click()
    expect(zoom).to_have_class(re.compile("zoomed"))
    desk.keyboard.press("Escape")
    desk.keyboard.press("s")
    expect(desk.get_by_label("Reason for the member").first).to_be_focused()
    document = ClaimDocument.objects.filter(item__claim=claim).first()
    desk.goto(f"{base}/staff/claims/{claim.pk}/documents/{document.pk}/")

    # The Django admin, with its own scripts: list, a change form with prepopulated and
    # autocomplete fields, the user form.
    console = watcher.watch(new_page(viewport={"width": 1280, "height": 900}))
    logged_in_as(console, base, admin)
    for address in (
        "/admin/",
        "/admin/accounts/user/",
        "/admin/accounts/user/add/",
        f"/admin/catalog/category/{laptop.pk}/change/",
        "/admin/catalog/region/add/",
    ):
        response = console.goto(base + address)
        assert response is not None and response.status == 200 and console.url == base + address, console.url
    console.goto(f"{base}/admin/catalog/category/add/")
    console.locator("#id_name_en").press_sequentially("Gaming Laptop")
    expect(console.locator("#id_slug")).to_have_value("gaming-laptop")  # prepopulate.js ran
    console.goto(f"{base}/admin/catalog/serial/add/")
    console.locator(".select2-selection").first.click()  # the autocomplete widget (select2) opens
    expect(console.locator(".select2-results__option").filter(has_text="Aurora 14 Creator")).to_have_count(1)

    visited = len(watcher.pages)
    scorecard.record("headers.csp_pages_visited", visited)
    scorecard.record("headers.csp_violations", len(watcher.seen))
    assert visited >= 20, watcher.pages
    assert not watcher.seen, "\n".join(watcher.seen)
