"""The reviewer's view of the automatic evidence checks: verdicts, boxes, flags, the queue filter, bulk approval."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from membercenter.audit.models import AuditEntry
from membercenter.backoffice.roles import REVIEWER
from membercenter.claims.fraud import Flag
from membercenter.claims.models import Claim, ClaimDocument
from membercenter.evidence.models import Scan
from membercenter.evidence.verdicts import MODEL_FOUND, READABLE, SERIAL_MATCH, STORE_MATCH, Verdict
from tests.backoffice.conftest import ClaimDocumentFactory, ClaimFactory
from tests.factories import staff

pytestmark = pytest.mark.django_db

W, H = 800, 600


# --- building the stored results the way the checks and the fraud rules store them ---


def scan_of(claim: Claim, file_name: str, boxes: list, *, state: str = Scan.State.DONE, kind: str = "invoice") -> Scan:
    return Scan.objects.create(
        owner=claim.member, kind=kind, file=file_name, width=W, height=H, state=state, boxes=boxes
    )


def store_checks(claim: Claim, verdicts_by_item: dict, *, passed: bool | None, flags: list | None = None) -> None:
    rows = [
        {
            "item": item.pk,
            "product": item.product_id,
            "sn": item.product.serial.sn,
            "model": item.product.serial.product_model.name,
            "verdicts": [v.as_json() for v in verdicts],
        }
        for item, verdicts in verdicts_by_item.items()
    ]
    Claim.objects.filter(pk=claim.pk).update(
        checks={"items": rows, "at": timezone.now().isoformat()}, checks_passed=passed, flags=flags or []
    )


def set_result(claim: Claim, *, passed: bool | None, flags: list | None = None) -> Claim:
    """A claim whose checks ran with this outcome (the verdicts themselves do not matter to the queue)."""
    item = claim.items.first()
    verdict = Verdict(MODEL_FOUND, passed, params={"model": "Aurora"}, doc=f"product:{item.product_id}")
    store_checks(claim, {item: [verdict]}, passed=passed, flags=flags)
    claim.refresh_from_db()
    return claim


def shared_phone(*claims: Claim) -> dict:
    return Flag(
        Flag.SHARED_PHONE, {"accounts": len(claims) + 1}, [c.pk for c in claims], [c.member_id for c in claims]
    ).as_json()


@pytest.fixture
def checked_claim(claim):
    """The claim with an invoice and a sticker photo, both read: the model found, the store and the serial not."""
    item = claim.items.get()
    sticker = item.documents.get()
    invoice = ClaimDocumentFactory(item=item, kind=ClaimDocument.Kind.INVOICE)
    invoice.scan = scan_of(
        claim,
        invoice.file.name,
        [
            ["AURORA 1 PRO", 10, 20, 200, 50, 0.98],
            ["TOKO LAIN", 10, 60, 150, 90, 0.95],
            ["Total 5.000.000", 10, 100, 300, 130, 0.9],
        ],
    )
    invoice.save()
    sticker.scan = scan_of(
        claim, sticker.file.name, [["S/N K9X0000O1234", 40, 400, 380, 440, 0.9]], kind="serial_photo"
    )
    sticker.save()
    model = item.product.serial.product_model.name
    sn, invoice_key, sticker_key = item.product.serial.sn, f"doc:{invoice.pk}", f"doc:{sticker.pk}"
    verdicts = [
        Verdict(MODEL_FOUND, True, "", {"model": model}, read="AURORA 1 PRO", box=[10, 20, 200, 50], doc=invoice_key),
        Verdict(STORE_MATCH, False, params={"store": item.product.store.name}, doc=invoice_key),
        Verdict(SERIAL_MATCH, False, params={"sn": sn}, read="K9X0000O1234", box=[40, 400, 380, 440], doc=sticker_key),
    ]
    store_checks(claim, {item: verdicts}, passed=False)
    claim.refresh_from_db()
    return claim, invoice, sticker, verdicts


def page(client, claim) -> str:
    response = client.get(reverse("backoffice:claim", args=[claim.pk]))
    assert response.status_code == 200
    return response.content.decode()


def svg_of(html: str, url: str) -> str:
    """The inline SVG drawn over the picture at `url`."""
    match = re.search(r'<svg class="overlay".*?<image href="' + re.escape(url) + r'".*?</svg>', html, re.S)
    assert match, f"no picture with boxes for {url}"
    return match.group(0)


# --- the claim page -------------------------------------------------------------------------


def test_claim_page_shows_each_verdict_what_was_read_and_the_boxes(client, reviewer, checked_claim):
    claim, invoice, sticker, verdicts = checked_claim
    client.force_login(reviewer)
    html = page(client, claim)
    text = htmllib.unescape(html)
    for verdict in verdicts:
        assert verdict.label in text
        assert verdict.message in text
    assert "AURORA 1 PRO" in text and "K9X0000O1234" in text
    assert "Checks run at" in text
    assert "check failed" in text  # the claim's badge
    # The invoice drawn with its boxes: the model's box green with what was read, every text read faintly.
    invoice_url = reverse("backoffice:claim_document", args=[claim.pk, invoice.pk])
    svg = svg_of(html, invoice_url)
    assert f'viewBox="0 0 {W} {H}"' in svg
    assert f'width="{W}" height="{H}"' in svg
    assert re.search(r'<rect class="mark ok" x="10" y="20" width="190" height="30"[^>]*><title>Model on invoice: ', svg)
    assert "AURORA 1 PRO" in htmllib.unescape(svg)
    assert svg.count("<rect ") == 1 + 3  # one check's box, three texts read
    # The store was not found: nothing to draw for it, but the verdict is listed as failed.
    assert "mark fail" not in svg
    # The sticker: the serial check failed, its box red.
    sticker_svg = svg_of(html, reverse("backoffice:claim_document", args=[claim.pk, sticker.pk]))
    assert re.search(r'<rect class="mark fail" x="40" y="400" width="340" height="40"', sticker_svg)
    # Each verdict says which picture it read, linked to it on the page.
    assert f'id="pic-doc-{invoice.pk}"' in html and f'href="#pic-doc-{invoice.pk}"' in html
    assert f'id="pic-doc-{sticker.pk}"' in html and f'href="#pic-doc-{sticker.pk}"' in html
    # A strict content security policy comes: no inline style or script in what we draw.
    assert "style=" not in svg and "<script" not in svg and " on" not in re.sub(r"<title>.*?</title>", "", svg)


def test_the_registration_invoice_gets_its_boxes_too(client, reviewer, claim):
    item = claim.items.get()
    product = item.product
    product.invoice_scan = scan_of(claim, product.invoice.name, [["AURORA", 5, 5, 105, 25, 0.9]])
    product.save()
    verdict = Verdict(
        MODEL_FOUND, True, params={"model": "Aurora"}, read="AURORA", box=[5, 5, 105, 25], doc=f"product:{product.pk}"
    )
    store_checks(claim, {item: [verdict]}, passed=True)
    client.force_login(reviewer)
    html = page(client, claim)
    svg = svg_of(html, reverse("backoffice:claim_item_invoice", args=[claim.pk, item.pk]))
    assert re.search(r'<rect class="mark ok" x="5" y="5" width="100" height="20"', svg)
    assert f'href="#pic-reg-{item.pk}"' in html
    assert "checks passed" in html


def test_a_picture_not_read_yet_is_shown_plainly_and_said_so(client, reviewer, claim):
    item = claim.items.get()
    sticker = item.documents.get()
    sticker.scan = scan_of(claim, sticker.file.name, [], state=Scan.State.PENDING, kind="serial_photo")
    sticker.save()
    store_checks(claim, {item: [Verdict(READABLE, None, "pending", doc=f"doc:{sticker.pk}")]}, passed=None)
    client.force_login(reviewer)
    html = page(client, claim)
    assert "We are still reading this picture." in html
    assert "<svg" not in html
    assert f'<img src="{reverse("backoffice:claim_document", args=[claim.pk, sticker.pk])}"' in html
    assert "not known yet" in html


def test_a_claim_never_checked_says_so(client, reviewer, claim):
    client.force_login(reviewer)
    html = page(client, claim)
    assert "The automatic checks have not run for this claim yet." in html
    assert "The automatic checks have not judged this product yet." in html


def test_fraud_flags_link_the_other_claims_the_reviewer_may_open(
    client, reviewer, indonesia, malaysia, promotion, claim
):
    mine = ClaimFactory(region=indonesia, promotion=promotion)
    elsewhere = ClaimFactory(region=malaysia)
    flag = shared_phone(mine, elsewhere)
    set_result(claim, passed=False, flags=[flag])
    client.force_login(reviewer)
    html = page(client, claim)
    assert htmllib.escape(Flag.from_json(flag).message, quote=False) in html
    assert "The recipient phone number is on claims of 3 accounts." in html
    assert f'<a href="{reverse("backoffice:claim", args=[mine.pk])}">#{mine.pk}</a>' in html
    # Another region's claim: its number is shown, but not as a link (its page would answer 404).
    assert reverse("backoffice:claim", args=[elsewhere.pk]) not in html
    assert f"#{elsewhere.pk} (not in your regions)" in html
    assert "flagged" in html


def test_run_the_checks_again(client, reviewer, claim):
    client.force_login(reviewer)
    url = reverse("backoffice:claim_checks_again", args=[claim.pk])
    assert "Run the checks again" in page(client, claim)
    assert client.get(url).status_code == 405  # no side effect on GET
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:claim", args=[claim.pk]) + "#checks"
    claim.refresh_from_db()
    rows = claim.checks["items"]
    assert [row["item"] for row in rows] == [claim.items.get().pk]
    assert rows[0]["verdicts"]  # judged: the registration invoice was never read, so "not known"
    assert claim.checks_passed is None
    assert AuditEntry.objects.filter(action="claim.checks", target_id=str(claim.pk), actor=reviewer).exists()


def test_run_the_checks_again_only_for_reviewers_of_the_claim(client, other_reviewer, member, manager, claim):
    url = reverse("backoffice:claim_checks_again", args=[claim.pk])
    for user in (other_reviewer, member, manager):
        client.force_login(user)
        assert client.post(url).status_code == 404
    claim.refresh_from_db()
    assert claim.checks == {}


def test_a_decided_claim_is_not_checked_again(client, reviewer, indonesia, promotion):
    claim = ClaimFactory(region=indonesia, promotion=promotion, status=Claim.Status.APPROVED)
    client.force_login(reviewer)
    assert "Run the checks again" not in page(client, claim)
    client.post(reverse("backoffice:claim_checks_again", args=[claim.pk]))
    claim.refresh_from_db()
    assert claim.checks == {}


# --- the queue ------------------------------------------------------------------------------


def claim_numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/staff/claims/(\d+)/[^"]*">#\d+</a>', html)]


def queue(client, **params) -> str:
    response = client.get(reverse("backoffice:queue"), params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def outcomes(indonesia, promotion):
    """One waiting claim per outcome of the checks, oldest due first in this order."""
    today = timezone.localdate()

    def make(days: int, **result) -> Claim:
        claim = ClaimFactory(region=indonesia, promotion=promotion, due_on=today + dt.timedelta(days=days))
        return set_result(claim, **result) if result else claim

    passed = make(1, passed=True)
    failed = make(2, passed=False)
    flagged = make(3, passed=False, flags=[shared_phone(failed)])
    unknown = make(4, passed=None)
    never = make(5)
    return {"passed": passed, "failed": failed, "flagged": flagged, "unknown": unknown, "never": never}


def test_queue_badge_per_row_and_the_checks_filter(client, reviewer, outcomes, indonesia, promotion, malaysia):
    also_passed_but_sent_back = set_result(
        ClaimFactory(region=indonesia, promotion=promotion, status=Claim.Status.SENT_BACK), passed=True
    )
    set_result(ClaimFactory(region=malaysia), passed=True)  # not this reviewer's
    client.force_login(reviewer)
    html = queue(client)
    assert claim_numbers(html) == [c.pk for c in outcomes.values()]
    rows = dict(zip(claim_numbers(html), html.split("<tr")[2:], strict=True))
    assert "checks passed" in rows[outcomes["passed"].pk]
    assert "check failed" in rows[outcomes["failed"].pk]
    assert "flagged" in rows[outcomes["flagged"].pk]
    assert "not known yet" in rows[outcomes["unknown"].pk]
    assert "not checked" in rows[outcomes["never"].pk]

    html = queue(client, checks="passed")
    assert claim_numbers(html) == [outcomes["passed"].pk]
    assert "1 claim ·" in html
    # The status counts follow the filter too.
    assert re.search(r"Redeem qualification under reviewing <span class=\"badge\">1</span>", html)
    assert re.search(r"Documents requested <span class=\"badge\">1</span>", html)
    assert claim_numbers(queue(client, checks="passed", status="sent_back")) == [also_passed_but_sent_back.pk]
    assert claim_numbers(queue(client, checks="failed")) == [outcomes["failed"].pk, outcomes["flagged"].pk]
    assert claim_numbers(queue(client, checks="unknown")) == [outcomes["unknown"].pk, outcomes["never"].pk]
    assert len(claim_numbers(queue(client, checks="nonsense"))) == 5  # a bad value is ignored


def test_queue_offers_bulk_approval_only_on_the_passed_filter(client, reviewer, outcomes):
    client.force_login(reviewer)
    assert "bulk-approve" not in queue(client)
    assert "bulk-approve" not in queue(client, checks="passed", status="sent_back")
    html = queue(client, checks="passed")
    assert "Approve the 1 claim shown" in html
    assert f'href="{reverse("backoffice:bulk_approve")}?checks=passed"' in html


def _queries(client, url) -> int:
    client.get(url)  # the first request after logging in also records the session
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_queue_with_badges_runs_the_same_queries_for_1_and_many_claims(client, reviewer, indonesia, promotion):
    set_result(ClaimFactory(region=indonesia, promotion=promotion, products=2), passed=True)
    client.force_login(reviewer)
    url = reverse("backoffice:queue") + "?status=all"
    one = _queries(client, url)
    other = ClaimFactory(region=indonesia, promotion=promotion)
    for n in range(30):
        claim = ClaimFactory(region=indonesia, promotion=promotion, products=2)
        set_result(claim, passed=[True, False, None][n % 3], flags=[shared_phone(other)] if n % 5 == 0 else None)
    assert _queries(client, url) == one
    assert _queries(client, url + "&checks=passed") == one


# --- bulk approval --------------------------------------------------------------------------


def bulk_url(**query) -> str:
    url = reverse("backoffice:bulk_approve")
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def ticked(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<input type="checkbox" name="claim" value="(\d+)"[^>]* checked>', html)]


@pytest.fixture
def bulk_case(indonesia, malaysia, promotion, administrator):
    """Claims that all passed, and the ones a bulk approval must leave alone."""
    today = timezone.localdate()
    first = set_result(ClaimFactory(region=indonesia, promotion=promotion, due_on=today), passed=True)
    second = set_result(ClaimFactory(region=indonesia, promotion=promotion, products=2), passed=True)
    failed = set_result(ClaimFactory(region=indonesia, promotion=promotion), passed=False)
    elsewhere = set_result(ClaimFactory(region=malaysia), passed=True)
    held = set_result(ClaimFactory(region=indonesia, promotion=promotion), passed=True)
    colleague = staff(REVIEWER, regions=(indonesia,), first_name="Dewi")
    Claim.objects.filter(pk=held.pk).update(held_by=colleague, held_until=timezone.now() + dt.timedelta(minutes=20))
    decided = set_result(ClaimFactory(region=indonesia, promotion=promotion, status=Claim.Status.REJECTED), passed=True)
    return {
        "first": first,
        "second": second,
        "failed": failed,
        "elsewhere": elsewhere,
        "held": held,
        "decided": decided,
    }


def test_confirmation_lists_the_claims_with_their_member_promotion_and_products(client, reviewer, bulk_case):
    first, second = bulk_case["first"], bulk_case["second"]
    client.force_login(reviewer)
    response = client.get(bulk_url(status="submitted", checks="passed"))
    assert response.status_code == 200
    html = response.content.decode()
    assert ticked(html) == [first.pk, second.pk]
    for claim in (first, second):
        assert claim.member.email in html
        for item in claim.items.all():
            assert item.product.serial.sn in html
    assert first.promotion.name in htmllib.unescape(html)
    assert "1 claim another reviewer is working on is left out." in html
    assert "Confirm: approve the ticked claims" in html
    # Looking at the list decides nothing.
    assert Claim.objects.filter(status=Claim.Status.APPROVED).count() == 0


def test_the_list_keeps_the_queue_filters_but_never_widens_past_passed_and_waiting(
    client, reviewer, bulk_case, indonesia
):
    client.force_login(reviewer)
    # Whatever the queue showed, the list is only waiting claims whose checks all passed.
    assert ticked(client.get(bulk_url(status="all")).content.decode()) == [
        bulk_case["first"].pk,
        bulk_case["second"].pk,
    ]
    assert ticked(client.get(bulk_url(due="overdue")).content.decode()) == []


def test_bulk_approve_approves_only_the_eligible_and_says_why_the_others_were_skipped(
    client, reviewer, bulk_case, django_capture_on_commit_callbacks
):
    c = bulk_case
    client.force_login(reviewer)
    numbers = [c[k].pk for k in ("first", "second", "failed", "elsewhere", "held", "decided")]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(bulk_url(status="submitted", checks="passed"), {"claim": numbers})
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:queue") + "?status=submitted&checks=passed"
    statuses = {k: Claim.objects.get(pk=c[k].pk).status for k in c}
    assert statuses == {
        "first": Claim.Status.APPROVED,
        "second": Claim.Status.APPROVED,
        "failed": Claim.Status.SUBMITTED,
        "elsewhere": Claim.Status.SUBMITTED,
        "held": Claim.Status.SUBMITTED,
        "decided": Claim.Status.REJECTED,
    }
    approved = Claim.objects.get(pk=c["first"].pk)
    assert approved.events.latest("pk").actor == reviewer
    assert AuditEntry.objects.filter(action="claim.approved", actor=reviewer).count() == 2
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert f"2 claims approved: #{c['first'].pk}, #{c['second'].pk}." in said
    assert f"Claim #{c['failed'].pk} not approved: its automatic checks no longer all pass." in said
    assert f"Claim #{c['elsewhere'].pk} not approved: not found." in said  # nothing told of another region
    assert f"Claim #{c['held'].pk} not approved: Dewi Member is reviewing it." in said
    assert f"Claim #{c['decided'].pk} not approved: it is already “Not eligible”." in said
    assert "4 claims skipped." in said


def test_a_claim_whose_checks_changed_after_the_list_is_skipped(client, reviewer, bulk_case):
    first, second = bulk_case["first"], bulk_case["second"]
    client.force_login(reviewer)
    html = client.get(bulk_url(checks="passed")).content.decode()
    assert ticked(html) == [first.pk, second.pk]
    # A picture was read again meanwhile and a check now fails.
    Claim.objects.filter(pk=second.pk).update(checks_passed=False)
    client.post(bulk_url(checks="passed"), {"claim": ticked(html)})
    assert Claim.objects.get(pk=first.pk).status == Claim.Status.APPROVED
    assert Claim.objects.get(pk=second.pk).status == Claim.Status.SUBMITTED


def test_a_claim_held_by_me_is_approved(client, reviewer, bulk_case):
    first = bulk_case["first"]
    Claim.objects.filter(pk=first.pk).update(held_by=reviewer, held_until=timezone.now() + dt.timedelta(minutes=20))
    client.force_login(reviewer)
    client.post(bulk_url(), {"claim": [first.pk]})
    assert Claim.objects.get(pk=first.pk).status == Claim.Status.APPROVED


def test_nothing_ticked_or_too_many_changes_nothing(client, reviewer, bulk_case):
    client.force_login(reviewer)
    response = client.post(bulk_url(checks="passed"), {})
    assert response.status_code == 200
    assert "Tick at least one claim." in response.content.decode()
    response = client.post(bulk_url(), {"claim": list(range(1, 103))})
    assert "At most 100 claims at a time." in response.content.decode()
    response = client.post(bulk_url(), {"claim": ["x"]})
    assert "Choose claims from the list." in response.content.decode()
    assert not Claim.objects.filter(status=Claim.Status.APPROVED).exists()


@pytest.mark.parametrize("role", ["member", "manager"])
def test_bulk_approval_is_not_there_for_people_without_review_rights(client, request, bulk_case, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get(bulk_url()).status_code == 404
    assert client.post(bulk_url(), {"claim": [bulk_case["first"].pk]}).status_code == 404
    assert Claim.objects.get(pk=bulk_case["first"].pk).status == Claim.Status.SUBMITTED


def test_bulk_approval_anonymous_goes_to_login_and_csrf_is_required(client, reviewer, bulk_case):
    response = client.post(bulk_url(), {"claim": [bulk_case["first"].pk]})
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(reviewer)
    assert strict.post(bulk_url(), {"claim": [bulk_case["first"].pk]}).status_code == 403
    assert Claim.objects.get(pk=bulk_case["first"].pk).status == Claim.Status.SUBMITTED


def test_another_regions_reviewer_sees_none_of_these_claims(client, other_reviewer, bulk_case):
    client.force_login(other_reviewer)
    html = client.get(bulk_url()).content.decode()
    assert ticked(html) == [bulk_case["elsewhere"].pk]
    client.post(bulk_url(), {"claim": [bulk_case["first"].pk]})
    assert Claim.objects.get(pk=bulk_case["first"].pk).status == Claim.Status.SUBMITTED


# --- in a browser, on a phone ---------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_boxes_drawn_on_a_phone_and_the_picture_still_zooms(live_server, reviewer, indonesia, promotion):
    from playwright.sync_api import expect

    from tests.backoffice.test_browser_review import logged_in, no_sideways_scroll
    from tests.browser.conftest import chromium_session

    claim = ClaimFactory(region=indonesia, promotion=promotion)
    item = claim.items.get()
    sticker = item.documents.get()
    sticker.scan = scan_of(claim, sticker.file.name, [["K9X1", 40, 400, 380, 440, 0.9]], kind="serial_photo")
    sticker.save()
    verdict = Verdict(
        SERIAL_MATCH, True, params={"sn": "K9X1"}, read="K9X1", box=[40, 400, 380, 440], doc=f"doc:{sticker.pk}"
    )
    store_checks(claim, {item: [verdict]}, passed=True)
    with chromium_session() as chromium:
        page = logged_in(chromium, live_server, reviewer)
        page.goto(f"{live_server.url}{reverse('backoffice:claim', args=[claim.pk])}")
        no_sideways_scroll(page)
        svg = page.locator(f"#pic-doc-{sticker.pk} svg.overlay")
        box = svg.bounding_box()
        assert box and 200 < box["width"] <= 360 and abs(box["height"] - box["width"] * H / W) < 2
        mark = svg.locator("rect.mark.ok")
        assert mark.bounding_box()["width"] > 100  # drawn to scale over the picture
        # The picture loaded inside the drawing (the private picture view answers the browser too).
        assert page.evaluate(
            "(async () => { const r = await fetch(document.querySelector('svg.overlay image').getAttribute('href'));"
            " return r.ok && r.headers.get('content-type').startsWith('image/'); })()"
        )
        link = page.locator(f"#pic-doc-{sticker.pk} a.zoom")
        link.click()
        expect(link).to_have_class(re.compile("zoomed"))
        assert svg.bounding_box()["height"] > box["height"]
        page.keyboard.press("Escape")
        expect(link).not_to_have_class(re.compile("zoomed"))
        page.close()
