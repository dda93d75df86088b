"""The reviewer's claim page in Chromium on a phone: shortcuts, reason templates, zoom, no sideways scrolling."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect

from membercenter.claims.models import Claim
from tests.backoffice.conftest import ClaimFactory, ReasonTemplateFactory
from tests.browser.conftest import PHONE, chromium_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """Chromium for this module only: closed before the member journeys start their own."""
    with chromium_session() as browser:
        yield browser


def logged_in(chromium, live_server, user) -> Page:
    client = Client()
    client.force_login(user)
    context = chromium.new_context(viewport=PHONE, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return page


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_reviewer_keys_templates_and_zoom(chromium, live_server, reviewer, indonesia, promotion):
    first = ClaimFactory(region=indonesia, promotion=promotion)
    second = ClaimFactory(region=indonesia, promotion=promotion)
    ReasonTemplateFactory()
    page = logged_in(chromium, live_server, reviewer)
    page.goto(f"{live_server.url}/staff/claims/")
    no_sideways_scroll(page)
    page.get_by_role("link", name=f"#{first.pk}").click()
    expect(page.get_by_role("heading", name=re.compile(f"Claim #{first.pk}"))).to_be_visible()
    no_sideways_scroll(page)

    # A click zooms the picture in place, a second click (or Escape) puts it back.
    sticker = page.locator("a.zoom").nth(1)
    sticker.click()
    expect(sticker).to_have_class(re.compile("zoomed"))
    page.keyboard.press("Escape")
    expect(sticker).not_to_have_class(re.compile("zoomed"))

    # "s" goes to the send-back reason; choosing a template writes its text there.
    page.keyboard.press("s")
    reason = page.get_by_label("Reason for the member").first
    expect(reason).to_be_focused()
    page.locator("#id_send_back-template").select_option(label="Invoice without product name")
    expect(reason).to_have_value("Please provide the invoice with your product name on it, thanks.")
    reason.press("End")
    reason.type(" The date is cut off.")
    page.get_by_role("button", name="Send back to the member").click()

    # The next claim opens; "a" approves it.
    expect(page.get_by_role("heading", name=re.compile(f"Claim #{second.pk}"))).to_be_visible()
    first.refresh_from_db()
    assert first.status == Claim.Status.SENT_BACK
    assert first.reason == "Please provide the invoice with your product name on it, thanks. The date is cut off."
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("a")
    expect(page.get_by_text("No more claims in this queue.")).to_be_visible()
    second.refresh_from_db()
    assert second.status == Claim.Status.APPROVED
