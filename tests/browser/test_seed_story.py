"""The seed story in Chromium, end to end, as the member and the reviewer see it.

A member redeems two products of "Boost Your Success" on a phone; a reviewer (on a
desktop screen, in a separate browser context) sends the claim back with "Please provide
the invoice with your product name on it"; the member follows the link in that email,
uploads a new invoice and redeems again; the reviewer approves; Redeem History shows
"Redeem Success", the approval email arrived and the inbox holds every notification.

Every control is found by its visible label or role; every check is about what a person
sees on the page (or in the email), not about the database.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from membercenter.backoffice.roles import REVIEWER, roles_ensure
from membercenter.claims.models import ReasonTemplate
from tests.claims.conftest import PromotionFactory
from tests.factories import (
    PASSWORD,
    CategoryFactory,
    ProductModelFactory,
    ProvinceFactory,
    RegionFactory,
    RegisteredProductFactory,
    SerialFactory,
    StoreFactory,
    UserFactory,
    image_bytes,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 360
DESKTOP = {"width": 1280, "height": 900}
REASON = "Please provide the invoice with your product name on it, thanks."
REWARD = "Digital Code IDR 500.000"
UNDER_REVIEW = "Redeem qualification under reviewing"


# --- helpers ---------------------------------------------------------------------------------


def field(scope: Page | Locator, label: str) -> Locator:
    """The control whose <label> reads `label` (Django may add ":" and the template "*")."""
    return scope.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*:?\s*\*?\s*$"))


def answer_captcha(page: Page) -> None:
    question = page.locator("#captcha-question").inner_text()
    match = re.fullmatch(r"\s*(\d+)\s*\+\s*(\d+)\s*=\s*", question)
    assert match, f"captcha question not understood: {question!r}"
    field(page, "Captcha").fill(str(int(match.group(1)) + int(match.group(2))))


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    field(page, "Email").fill(email)
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def fits_phone(page: Page, what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{what} scrolls sideways on a {PHONE_WIDTH} px phone (scrollWidth {width})"


# Boxes that scroll sideways inside the page (a table in .tablewrap wider than the phone): the
# page itself fits, but what sticks out is cut off at the box's edge until the member swipes it.
CLIPPED_JS = """() => [...document.querySelectorAll('main *')].filter((el) => {
    const s = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return ['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowX) && el.scrollWidth > el.clientWidth + 1
        && box.width > 2 && box.right > 0 && box.left < window.innerWidth;  // not the off-screen default button
}).map((el) => {
    const box = el.getBoundingClientRect();
    const cut = [...el.querySelectorAll('label, input, button, a, span, p')]
        .filter((c) => c.getBoundingClientRect().right > box.right + 1 && c.offsetParent !== null)
        .map((c) => (c.tagName === 'INPUT' ? `<input name=${c.name}>` : c.innerText || c.tagName).trim().slice(0, 40));
    return `<${el.tagName.toLowerCase()} class="${el.className}"> is ${el.scrollWidth} px wide in ${el.clientWidth} px;`
        + ` cut off: ${[...new Set(cut)].join(' | ')}`;
})"""


def member_step_done(page: Page, tmp_path, name: str, problems: list[str]) -> None:  # noqa: ANN001
    """Every member page: no sideways scrolling at 360 px; a screenshot for debugging.

    Content cut off inside a sideways-scrolling box is collected in `problems` (asserted at
    the end, so that one layout bug does not hide the rest of the story).
    """
    fits_phone(page, name)
    problems += [f"{name} ({page.url}): {p}" for p in page.evaluate(CLIPPED_JS)]
    page.screenshot(path=str(tmp_path / f"member-{name}.png"), full_page=True)


def menu(page: Page, name: str) -> Locator:
    return page.get_by_role("navigation", name="Account menu").get_by_role("link", name=name, exact=True)


def image_loaded(page: Page, img: Locator) -> None:
    """The picture is really shown: the browser fetched and decoded it (lazy images once scrolled to)."""
    expect(img).to_be_visible()
    img.scroll_into_view_if_needed()
    if img.evaluate("(el) => el.tagName.toLowerCase()") == "svg":
        # A picture the checks have read is drawn in an <svg> with their boxes: its <image> must load.
        href = img.locator("image").get_attribute("href")
        response = page.request.get(re.match(r"https?://[^/]+", page.url).group(0) + href)
        assert response.ok and response.headers["content-type"] == "image/jpeg", (href, response.status)
        return
    page.wait_for_function("(el) => el.complete && el.naturalWidth > 0", arg=img.element_handle())


def member_mails(member, text: str) -> list:  # noqa: ANN001
    return [m for m in mail.outbox if member.email in m.to and text in m.subject]


# --- the story ---------------------------------------------------------------------------------


def test_seed_story_redeem_send_back_redeem_again_approve(live_server, new_page, settings, tmp_path):
    settings.SITE_URL = live_server.url  # the links in the emails must lead to this server
    base = live_server.url

    # 1. Setup: Indonesia with a partner store, the published promotion open today, a verified
    # member with two eligible registered products, a reviewer for Indonesia, a reason template.
    groups = roles_ensure()
    indonesia = RegionFactory(code="ID", name_en="Indonesia", name_id="Indonesia")
    province = ProvinceFactory(region=indonesia, code="JK", name="DKI Jakarta")
    store = StoreFactory(region=indonesia, province=province, city="Jakarta", name="Toko Komputer Maju")
    laptop = CategoryFactory()
    promotion = PromotionFactory(
        name_en="Boost Your Success", name_id="Tingkatkan Suksesmu", reward_en=REWARD, regions=[indonesia],
        categories=[laptop],
    )  # fmt: skip
    today = timezone.localdate()
    assert promotion.redeem_start <= today <= promotion.redeem_end
    member = UserFactory(
        email="siti@example.com", first_name="Siti", last_name="Rahayu", region=indonesia, language="en",
        phone="081234567890",
    )  # fmt: skip
    products = [
        RegisteredProductFactory(
            member=member,
            serial=SerialFactory(product_model=ProductModelFactory(category=laptop, name=name)),
            region=indonesia,
            store=store,
            purchase_date=today - dt.timedelta(days=10),
        )
        for name in ("Aurora 14 Creator", "Aurora 16 Studio")
    ]
    sns = [p.serial.sn for p in products]
    reviewer = UserFactory(
        email="rina@example.com", first_name="Rina", last_name="Reviewer", region=indonesia, language="en",
        is_staff=True,
    )  # fmt: skip
    reviewer.groups.add(groups[REVIEWER])
    reviewer.review_regions.set([indonesia])
    ReasonTemplate.objects.create(
        kind=ReasonTemplate.Kind.SEND_BACK,
        title="Invoice without product name",
        text_en=REASON,
        text_id="Mohon kirimkan invoice yang mencantumkan nama produk Anda, terima kasih.",
    )
    stickers = []
    for n in range(2):
        path = tmp_path / f"sticker-{n}.jpg"
        path.write_bytes(image_bytes("JPEG", size=(1024, 768), color="#dddddd"))
        stickers.append(path)
    new_invoice = tmp_path / "invoice-with-product-name.jpg"
    new_invoice.write_bytes(image_bytes("JPEG", size=(1200, 1600), color="#f4f4f4"))

    layout: list[str] = []  # content cut off on the phone, see member_step_done
    phone = new_page()  # 360 × 740, own cookies
    desk = new_page(viewport=DESKTOP)  # the reviewer, in another context
    log_in(phone, base, member.email)
    log_in(desk, base, reviewer.email)

    # 2. Member: Promotions → the card → Redeem.
    menu(phone, "Promotions").click()
    expect(phone.get_by_role("heading", name="Promotions", exact=True)).to_be_visible()
    card = phone.locator("article.card").filter(has=phone.get_by_role("heading", name="Boost Your Success"))
    expect(card).to_have_count(1)
    expect(card).to_contain_text(f"{promotion.purchase_start:%Y-%m-%d} – {promotion.purchase_end:%Y-%m-%d}")
    expect(card).to_contain_text("Laptop")
    expect(card).to_contain_text(REWARD)
    member_step_done(phone, tmp_path, "1-promotions", layout)
    card.get_by_role("link", name="Redeem >").click()

    expect(phone.get_by_role("heading", name="Promotion Redeem")).to_be_visible()
    for sn, sticker in zip(sns, stickers, strict=True):
        row = phone.locator("table tbody tr").filter(has_text=sn)
        expect(row).to_have_count(1)
        row.get_by_label("Redeem this product").check()
        row.get_by_label("Serial number photo").set_input_files(sticker)
        # htmx checks the photo at once and keeps it; the form then sends its id, not the file again.
        expect(row.get_by_text("Picture uploaded")).to_be_visible()
    # Recipient Information comes prefilled from the profile.
    expect(field(phone, "Full Name")).to_have_value("Siti Rahayu")
    expect(field(phone, "Email")).to_have_value(member.email)
    expect(field(phone, "Phone")).to_have_value("081234567890")
    expect(field(phone, "Contact Name")).to_have_value("Siti Rahayu")
    field(phone, "Address").fill("Jl. Sudirman No. 100")
    field(phone, "City").fill("Jakarta")
    member_step_done(phone, tmp_path, "2-redeem", layout)
    phone.get_by_role("button", name="Next", exact=True).click()

    # Confirm: a read-only summary of both products and the recipient, then the captcha.
    expect(phone.get_by_role("heading", name="Promotion Redeem Confirm")).to_be_visible()
    for sn in sns:
        expect(phone.locator("dd").filter(has_text=sn)).to_have_count(1)
    expect(phone.locator("dl.summary").last).to_contain_text("Jl. Sudirman No. 100")
    expect(phone.get_by_role("img", name="Serial number photo")).to_have_count(2)
    member_step_done(phone, tmp_path, "3-confirm", layout)
    answer_captcha(phone)
    phone.get_by_role("button", name="Submit", exact=True).click()

    expect(phone.get_by_role("heading", name="Request sent")).to_be_visible()
    expect(phone.get_by_text("every request is checked by our staff and takes 7–14 business days")).to_be_visible()
    expect(phone.get_by_text("look in the Spam")).to_be_visible()
    content = phone.locator("section.content")
    expect(content.get_by_role("link", name="Back to Promotions")).to_be_visible()
    expect(content.get_by_role("link", name="Redeem History", exact=True)).to_be_visible()
    member_step_done(phone, tmp_path, "4-request-sent", layout)
    assert member_mails(member, "Boost Your Success"), [m.subject for m in mail.outbox]

    content.get_by_role("link", name="Redeem History", exact=True).click()
    claim_row = phone.locator("table tbody tr").filter(has_text="Boost Your Success")
    expect(claim_row).to_have_count(1)
    expect(claim_row).to_contain_text(UNDER_REVIEW)
    expect(claim_row).to_contain_text("Decision expected by")
    for sn in sns:
        expect(claim_row).to_contain_text(sn)
    claim_no = re.search(r"#(\d+)", claim_row.inner_text()).group(1)
    member_step_done(phone, tmp_path, "5-history-submitted", layout)

    # 3. Reviewer: the queue, the claim with both products' invoice and sticker, send back.
    desk.goto(f"{base}/staff/claims/")
    expect(desk.get_by_role("heading", name="Review queue")).to_be_visible()
    queue_row = desk.locator("table tbody tr").filter(has=desk.get_by_role("link", name=f"#{claim_no}"))
    expect(queue_row).to_have_count(1)
    expect(queue_row).to_contain_text("Boost Your Success")
    expect(queue_row).to_contain_text("Siti Rahayu")
    queue_row.get_by_role("link", name=f"#{claim_no}").click()
    expect(desk.get_by_role("heading", name=re.compile(rf"Claim #{claim_no}\b"))).to_be_visible()
    for sn in sns:
        product = desk.locator("section.card.product").filter(has_text=sn)
        expect(product).to_have_count(1)
        image_loaded(desk, product.get_by_role("img", name="Invoice given at product registration"))
        image_loaded(desk, product.get_by_role("img", name="Serial sticker photo sent in round 1"))
    send_back = desk.locator("form").filter(has=desk.get_by_role("button", name="Send back to the member"))
    field(send_back, "Reason template").select_option(label="Invoice without product name")
    expect(field(send_back, "Reason for the member")).to_have_value(REASON)
    send_back.get_by_role("button", name="Send back to the member").click()
    expect(desk.get_by_text(f"Claim #{claim_no} sent back to the member.")).to_be_visible()
    expect(desk.get_by_text("No more claims in this queue.")).to_be_visible()

    # 4. Member: the sent-back email, its link, a new invoice for one product, Redeem.
    sent_back = member_mails(member, "please send more documents")
    assert len(sent_back) == 1, [m.subject for m in mail.outbox]
    assert "Boost Your Success" in sent_back[0].subject
    assert REASON in sent_back[0].body
    html = sent_back[0].alternatives[0][0] if sent_back[0].alternatives else ""
    assert "Redeem Again" in html, "the HTML email has no Redeem Again link"
    links = [u for u in re.findall(r"https?://\S+", sent_back[0].body) if "/again/" in u]
    assert len(links) == 1 and links[0].startswith(base), re.findall(r"https?://\S+", sent_back[0].body)
    phone.goto(links[0])
    expect(phone.get_by_role("heading", name="Redeem Again")).to_be_visible()
    expect(phone.get_by_text(REASON)).to_be_visible()
    first = phone.locator("section.card").filter(has_text=sns[0])
    expect(first).to_have_count(1)
    first.get_by_label("Upload a new invoice").set_input_files(new_invoice)
    expect(first.get_by_text("Picture uploaded")).to_be_visible()
    expect(field(phone, "Full Name")).to_have_value("Siti Rahayu")
    expect(field(phone, "Address")).to_have_value("Jl. Sudirman No. 100")
    member_step_done(phone, tmp_path, "6-redeem-again", layout)
    answer_captcha(phone)
    phone.get_by_role("button", name="Redeem", exact=True).click()

    expect(phone.get_by_text("Your redemption is sent again.")).to_be_visible()
    claim_row = phone.locator("table tbody tr").filter(has_text=f"#{claim_no}")
    expect(claim_row).to_have_count(1)
    expect(claim_row).to_contain_text(UNDER_REVIEW)
    expect(claim_row.get_by_role("link", name="Redeem Again")).to_have_count(0)
    member_step_done(phone, tmp_path, "7-history-resubmitted", layout)

    # 5. Reviewer: round 2 in the queue and the history, the new invoice shown; approve.
    desk.goto(f"{base}/staff/claims/")
    queue_row = desk.locator("table tbody tr").filter(has=desk.get_by_role("link", name=f"#{claim_no}"))
    expect(queue_row).to_contain_text("round 2")
    queue_row.get_by_role("link", name=f"#{claim_no}").click()
    expect(desk.get_by_role("heading", name=re.compile(rf"Claim #{claim_no}\b"))).to_be_visible()
    history = desk.locator("section.card").filter(has=desk.get_by_role("heading", name="History"))
    expect(history.get_by_role("heading", name="Round 1")).to_be_visible()
    expect(history.get_by_role("heading", name="Round 2")).to_be_visible()
    expect(history).to_contain_text(REASON)
    first_product = desk.locator("section.card.product").filter(has_text=sns[0])
    image_loaded(desk, first_product.get_by_role("img", name="Invoice sent in round 2"))
    desk.get_by_role("button", name="Approve", exact=True).click()
    expect(desk.get_by_text(f"Claim #{claim_no} approved.")).to_be_visible()

    # 6. Member: Redeem Success, the approval email, the inbox.
    menu(phone, "Redeem History").click()
    claim_row = phone.locator("table tbody tr").filter(has_text=f"#{claim_no}")
    expect(claim_row).to_contain_text("Redeem Success")
    expect(claim_row).to_contain_text(f"Reward: {REWARD}")
    member_step_done(phone, tmp_path, "8-history-approved", layout)

    approved = member_mails(member, "has been approved")
    assert len(approved) == 1, [m.subject for m in mail.outbox]
    assert "Redeem promotion Boost Your Success has been approved" in approved[0].body
    assert f"Reward: {REWARD}" in approved[0].body

    menu(phone, "Messages").click()
    expect(phone.get_by_role("heading", name="Messages")).to_be_visible()
    inbox = phone.locator("ul.inbox li")
    member_subjects = [m.subject for m in mail.outbox if member.email in m.to]
    assert len(member_subjects) == 4, member_subjects  # received, sent back, received again, approved
    expect(inbox).to_have_count(len(member_subjects))
    for subject in set(member_subjects):
        expect(inbox.filter(has_text=subject)).to_have_count(member_subjects.count(subject))
    member_step_done(phone, tmp_path, "9-inbox", layout)

    # Checked last so that the story above runs whole: on a 360 px phone nothing may be cut off.
    assert not layout, "content cut off on a 360 px phone:\n" + "\n".join(layout)
