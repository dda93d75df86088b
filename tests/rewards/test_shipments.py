"""Physical gifts: the courier's CSV, tracking numbers in, the shipped email, delivered/returned, the page."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from membercenter.audit.models import AuditEntry
from membercenter.backoffice.roles import PROMOTION_MANAGER, REVIEWER
from membercenter.claims.models import Claim, ClaimItem
from membercenter.notifications.models import InboxMessage, OutboxEmail
from membercenter.rewards.models import Reward, RewardGrant
from membercenter.rewards.services import grants_create
from membercenter.rewards.shipments import shipment_set_status, shipments_export, tracking_import
from tests.claims.conftest import PromotionFactory, eligible_product, make_claim
from tests.factories import UserFactory, staff

pytestmark = pytest.mark.django_db

Status = RewardGrant.Status

RECIPIENT = {
    "full_name": "Siti Rahma",
    "phone": "+62 812-3456-789",
    "address": "Jl. Merdeka No. 5",
    "unit": "Tower B, 12F",
    "city": "Bandung",
    "province": "Jawa Barat",
    "postal_code": "40111",
    "contact_name": "Andi",
    "contact_phone": "0813 1111 2222",
}


# --- fixtures and helpers (this file's own) -------------------------------------------


def gift_reward(promotion=None, **fields) -> Reward:
    return Reward.objects.create(
        promotion=promotion or PromotionFactory(),
        kind=Reward.Kind.GIFT,
        name_en="Gaming Backpack",
        name_id="Tas Ransel Gaming",
        **fields,
    )


def gift_claim(reward: Reward, *, products: int = 1, status: str = Status.PREPARING, due_at=None, **recipient):
    """An approved claim with `products` products, each with a gift grant in `status`."""
    member = UserFactory()
    claim = make_claim(product=eligible_product(member), promotion=reward.promotion, status=Claim.Status.APPROVED)
    Claim.objects.filter(pk=claim.pk).update(**{**RECIPIENT, **recipient})
    for _ in range(products - 1):
        ClaimItem.objects.create(claim=claim, product=eligible_product(member), promotion=reward.promotion)
    for item in claim.items.order_by("pk"):
        RewardGrant.objects.create(item=item, reward=reward, status=status, due_at=due_at or timezone.now())
    return claim


def grants_of(claim: Claim) -> list[RewardGrant]:
    return list(RewardGrant.objects.filter(item__claim=claim).order_by("pk"))


def rows(csv_text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(csv_text)))


def tracking_csv(*lines: str, header: str = "grant_id,courier,tracking_number") -> str:
    return "\n".join([header, *lines]) + "\n"


@pytest.fixture
def reward(db):
    return gift_reward()


@pytest.fixture
def reviewer(db):
    return staff(REVIEWER, first_name="Rina")


@pytest.fixture
def member(db):
    return UserFactory()


# --- export ---------------------------------------------------------------------------


def test_export_lists_the_due_gifts_being_prepared_with_recipient_and_product(reward, manager):
    claim = gift_claim(reward)
    gift_claim(reward, status=Status.SHIPPED)  # already on its way
    gift_claim(reward, due_at=timezone.now() + dt.timedelta(days=20))  # the period has not ended
    code = Reward.objects.create(
        promotion=reward.promotion, kind=Reward.Kind.DIGITAL_CODE, name_en="Code", name_id="Kode"
    )
    code_claim = gift_claim(code)  # a digital code is never shipped
    RewardGrant.objects.filter(item__claim=code_claim).update(status=Status.WAITING)

    out = rows(shipments_export(actor=manager))

    grant = grants_of(claim)[0]
    serial = grant.item.product.serial
    assert len(out) == 1
    assert out[0] == {
        "claim_id": str(claim.pk),
        "grant_id": str(grant.pk),
        "reward": "Gaming Backpack",
        **RECIPIENT,
        "product_name": serial.product_model.name,
        "serial_number": serial.sn,
        "courier": "",
        "tracking_number": "",
    }
    entry = AuditEntry.objects.get(action="export.shipments")
    assert entry.actor == manager
    assert "1 gift shipments exported" in entry.summary and str(grant.pk) in entry.summary
    assert RECIPIENT["address"] not in entry.summary  # the log says what was exported, not the addresses


def test_export_of_one_promotion_leaves_the_others_out(reward, manager):
    other = gift_claim(gift_reward())
    mine = gift_claim(reward)
    out = rows(shipments_export(actor=manager, promotion=reward.promotion))
    assert [r["claim_id"] for r in out] == [str(mine.pk)]
    assert str(other.pk) not in {r["claim_id"] for r in out}
    entry = AuditEntry.objects.get(action="export.shipments")
    assert (entry.target_type, entry.target_id) == ("promotions.promotion", str(reward.promotion.pk))


def test_export_keeps_a_members_formula_from_running_in_a_spreadsheet(reward, manager):
    gift_claim(reward, full_name='=HYPERLINK("http://evil.example","x")', contact_phone="-1+1")
    out = rows(shipments_export(actor=manager))[0]
    assert out["full_name"].startswith("'=")
    assert out["contact_phone"] == "'-1+1"
    assert out["phone"] == "+62 812-3456-789"  # a phone number stays as it is


# --- tracking import ------------------------------------------------------------------


def test_import_by_grant_id_ships_emails_and_completes_the_claim(reward, manager, django_capture_on_commit_callbacks):
    claim = gift_claim(reward)
    grant = grants_of(claim)[0]
    with django_capture_on_commit_callbacks(execute=True):
        report = tracking_import(csv_text=tracking_csv(f"{grant.pk},JNE,JNE123456789"), actor=manager)

    assert report.shipped == [grant.pk] and report.problems == [] and report.already_shipped == []
    grant.refresh_from_db()
    assert (grant.status, grant.courier, grant.tracking_number) == (Status.SHIPPED, "JNE", "JNE123456789")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.REWARD_SENT
    assert claim.events.last().to_status == Claim.Status.REWARD_SENT

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [claim.member.email]
    assert "shipped" in message.subject
    assert "JNE" in message.body and "JNE123456789" in message.body
    assert "8–12 weeks" in message.body
    assert "JNE123456789" in message.alternatives[0][0]
    assert InboxMessage.objects.filter(user=claim.member, body__contains="JNE123456789").exists()
    entry = AuditEntry.objects.get(action="import.tracking")
    assert entry.actor == manager and "1 gifts shipped" in entry.summary


def test_import_by_claim_id_ships_every_gift_of_the_claim(reward, manager):
    claim = gift_claim(reward, products=2)
    report = tracking_import(
        csv_text=tracking_csv(f"{claim.pk},SiCepat,SC0001", header="claim_id,courier,tracking_number"), actor=manager
    )
    assert sorted(report.shipped) == [g.pk for g in grants_of(claim)]
    assert {(g.status, g.tracking_number) for g in grants_of(claim)} == {(Status.SHIPPED, "SC0001")}
    assert OutboxEmail.objects.filter(template="reward_shipped").count() == 2  # once per gift
    claim.refresh_from_db()
    assert claim.status == Claim.Status.REWARD_SENT


def test_claim_waits_for_reward_sent_until_every_gift_has_shipped(reward, manager):
    claim = gift_claim(reward, products=2)
    first, second = grants_of(claim)
    tracking_import(csv_text=tracking_csv(f"{first.pk},JNE,A1"), actor=manager)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED
    tracking_import(csv_text=tracking_csv(f"{second.pk},JNE,A2"), actor=manager)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.REWARD_SENT


def test_rows_that_match_nothing_are_reported_with_their_line(reward, manager):
    shipped_claim = gift_claim(reward)
    no_gift = make_claim(status=Claim.Status.APPROVED)
    code = Reward.objects.create(promotion=reward.promotion, kind=Reward.Kind.DIGITAL_CODE, name_en="C", name_id="C")
    code_grant = grants_of(gift_claim(code))[0]
    good = grants_of(shipped_claim)[0]
    text = "\n".join(
        [
            "claim_id;grant_id;courier;tracking_number",  # semicolons, as a spreadsheet in Indonesian saves it
            f";{good.pk};JNE;OK1",
            ";999999;JNE;X1",
            "888888;;JNE;X2",
            ";abc;JNE;X3",
            f";{code_grant.pk};JNE;X4",
            f"{no_gift.pk};;JNE;X5",
            f";{good.pk};JNE;",
            ";;JNE;X7",
            f"{no_gift.pk};{good.pk};JNE;X8",
        ]
    )
    report = tracking_import(csv_text=text, actor=manager)
    assert report.shipped == [good.pk]
    assert report.problems == [
        (3, "no gift grant 999999"),
        (4, "no claim #888888"),
        (5, "grant_id “abc” is not a number"),
        (6, f"grant {code_grant.pk} is a digital code, not a gift"),
        (7, f"claim #{no_gift.pk} has no gift to ship"),
        (8, "courier or tracking number is empty"),
        (9, "no grant_id or claim_id"),
        (10, f"grant {good.pk} belongs to claim #{shipped_claim.pk}, not #{no_gift.pk}"),
    ]
    assert RewardGrant.objects.get(pk=code_grant.pk).tracking_number == ""


def test_importing_the_same_file_again_does_not_email_twice(reward, manager, django_capture_on_commit_callbacks):
    grant = grants_of(gift_claim(reward))[0]
    text = tracking_csv(f"{grant.pk},JNE,JNE1")
    with django_capture_on_commit_callbacks(execute=True):
        tracking_import(csv_text=text, actor=manager)
    with django_capture_on_commit_callbacks(execute=True):
        again = tracking_import(csv_text=text + f"{grant.pk},JNE,OTHER\n", actor=manager)
    assert len(mail.outbox) == 1
    assert again.shipped == []
    assert [(line, pk) for line, pk, _ in again.already_shipped] == [(2, grant.pk), (3, grant.pk)]
    assert "not changed" in again.already_shipped[1][2]
    grant.refresh_from_db()
    assert grant.tracking_number == "JNE1"


def test_a_file_without_the_columns_is_refused_whole(reward, manager):
    with pytest.raises(ValidationError) as err:
        tracking_import(csv_text="id,number\n1,2\n", actor=manager)
    assert "grant_id or claim_id" in err.value.messages[0]
    assert not AuditEntry.objects.filter(action="import.tracking").exists()


def test_import_status_column_marks_delivered_and_returned(reward, manager):
    shipped = grants_of(gift_claim(reward, status=Status.SHIPPED))[0]
    preparing = grants_of(gift_claim(reward))[0]
    lost = grants_of(gift_claim(reward, status=Status.SHIPPED))[0]
    text = tracking_csv(
        f"{shipped.pk},JNE,T1,Delivered", f"{preparing.pk},JNE,T2,returned", f"{lost.pk},JNE,T3,returned",
        header="grant_id,courier,tracking_number,status",
    )  # fmt: skip
    report = tracking_import(csv_text=text, actor=manager)
    assert RewardGrant.objects.get(pk=shipped.pk).status == Status.DELIVERED
    assert RewardGrant.objects.get(pk=lost.pk).status == Status.RETURNED
    assert RewardGrant.objects.get(pk=preparing.pk).status == Status.PREPARING
    assert report.problems == [(3, f"grant {preparing.pk} has not been shipped, so it cannot be returned")]


# --- delivered / returned -------------------------------------------------------------


def test_delivered_is_recorded_and_audited(reward, manager):
    grant = grants_of(gift_claim(reward, status=Status.SHIPPED))[0]
    grant = shipment_set_status(grant=grant, status=Status.DELIVERED, actor=manager)
    grant.refresh_from_db()
    assert grant.status == Status.DELIVERED and grant.delivered_at is not None
    assert AuditEntry.objects.filter(action="shipment.status", target_id=str(grant.pk), actor=manager).exists()


def test_a_gift_not_yet_shipped_cannot_be_delivered(reward, manager):
    grant = grants_of(gift_claim(reward))[0]
    with pytest.raises(ValidationError):
        shipment_set_status(grant=grant, status=Status.DELIVERED, actor=manager)
    with pytest.raises(ValidationError):
        shipment_set_status(grant=grant, status=Status.SHIPPED, actor=manager)
    assert RewardGrant.objects.get(pk=grant.pk).status == Status.PREPARING


def test_a_returned_gift_goes_back_to_stock(manager):
    reward = gift_reward(stock=1)
    grant = grants_of(gift_claim(reward, status=Status.SHIPPED))[0]
    waiting = make_claim(promotion=reward.promotion, status=Claim.Status.SUBMITTED)
    with pytest.raises(ValidationError):
        grants_create(claim=waiting)  # the one backpack is on its way to someone else

    shipment_set_status(grant=grant, status=Status.RETURNED, actor=manager)

    created = grants_create(claim=waiting)
    assert [g.status for g in created] == [Status.PREPARING]


# --- the back-office pages ------------------------------------------------------------

ROLES = ["anonymous", "member", "reviewer", "manager", "administrator"]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_answer_it_should(client, request, reward, role):
    grant = grants_of(gift_claim(reward, status=Status.SHIPPED))[0]
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    upload = SimpleUploadedFile("t.csv", tracking_csv(f"{grant.pk},JNE,T1").encode(), content_type="text/csv")
    answers = [
        client.get(reverse("backoffice:shipments")),
        client.get(reverse("backoffice:shipments_import")),
        client.post(reverse("backoffice:shipments_import"), {"file": upload}),
        client.post(reverse("backoffice:shipments_export")),
        client.post(reverse("backoffice:shipment_status", args=[grant.pk]), {"status": Status.DELIVERED}),
    ]
    for response in answers:
        if role == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
        elif role in ("member", "reviewer"):
            assert response.status_code == 404
        else:
            assert response.status_code in (200, 302)
    if role in ("manager", "administrator"):
        assert [r.status_code for r in answers] == [200, 200, 200, 200, 302]
        assert RewardGrant.objects.get(pk=grant.pk).status == Status.DELIVERED
    else:
        assert RewardGrant.objects.get(pk=grant.pk).status == Status.SHIPPED
        assert not AuditEntry.objects.exists()


def test_the_list_filters_by_promotion_and_status_and_counts_each_status(client, manager, reward):
    preparing = gift_claim(reward, full_name="Preparing Person")
    gift_claim(reward, status=Status.SHIPPED, full_name="Shipped Person")
    gift_claim(gift_reward(), full_name="Other Promotion Person")
    client.force_login(manager)

    page = client.get(reverse("backoffice:shipments"), {"promotion": reward.promotion.pk}).content.decode()
    assert "Preparing Person" in page and "Shipped Person" in page and "Other Promotion Person" not in page
    assert 'Preparing shipment <span class="badge">1</span>' in page
    assert 'Shipped <span class="badge">1</span>' in page

    page = client.get(reverse("backoffice:shipments"), {"status": Status.PREPARING}).content.decode()
    assert "Preparing Person" in page and "Shipped Person" not in page and "Other Promotion Person" in page
    assert f"#{preparing.pk}" in page


def test_export_button_downloads_the_csv(client, manager, reward):
    claim = gift_claim(reward)
    client.force_login(manager)
    response = client.post(reverse("backoffice:shipments_export"), {"promotion": reward.promotion.pk})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert rows(response.content.decode())[0]["claim_id"] == str(claim.pk)


def test_uploading_tracking_numbers_shows_the_report(client, manager, reward, django_capture_on_commit_callbacks):
    grant = grants_of(gift_claim(reward))[0]
    client.force_login(manager)
    upload = SimpleUploadedFile(
        "tracking.csv", ("\ufeff" + tracking_csv(f"{grant.pk},J&T,JT777", "424242,JNE,X")).encode(), "text/csv"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("backoffice:shipments_import"), {"file": upload})
    page = response.content.decode()
    assert "1 gift shipped" in page
    assert "no gift grant 424242" in page and '<td data-label="Line">3</td>' in page
    assert RewardGrant.objects.get(pk=grant.pk).tracking_number == "JT777"
    assert "J&T" in mail.outbox[0].body  # the plain-text email is not HTML-escaped


def test_a_file_that_is_not_utf8_is_refused_with_a_message(client, manager):
    client.force_login(manager)
    upload = SimpleUploadedFile("t.csv", "grant_id,courier,tracking_number\n1,Pos Indonésia,X\n".encode("latin-1"))
    response = client.post(reverse("backoffice:shipments_import"), {"file": upload})
    assert "UTF-8" in response.content.decode()


def test_a_shipped_gift_marked_returned_from_the_list(client, manager, reward):
    grant = grants_of(gift_claim(reward, status=Status.SHIPPED))[0]
    client.force_login(manager)
    response = client.post(
        reverse("backoffice:shipment_status", args=[grant.pk]),
        {"status": Status.RETURNED, "query": f"promotion={reward.promotion.pk}"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:shipments") + f"?promotion={reward.promotion.pk}"
    assert RewardGrant.objects.get(pk=grant.pk).status == Status.RETURNED


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_list_runs_the_same_queries_for_1_and_30_gifts(client, manager, reward):
    gift_claim(reward, status=Status.SHIPPED)
    client.force_login(manager)
    url = reverse("backoffice:shipments")
    _queries(client, url)  # warm-up: session, permissions
    small = _queries(client, url)
    for i in range(29):
        gift_claim(reward if i % 2 else gift_reward(), status=[Status.PREPARING, Status.SHIPPED][i % 2])
    large = _queries(client, url)
    assert large == small


# --- two imports at once ----------------------------------------------------------------


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_the_same_file_at_once_ship_and_email_each_gift_once():
    import threading

    manager = staff(PROMOTION_MANAGER)
    reward = gift_reward()
    claims = [gift_claim(reward) for _ in range(3)]
    grant_ids = [g.pk for c in claims for g in grants_of(c)]
    text = tracking_csv(*(f"{pk},JNE,T{pk}" for pk in grant_ids))
    barrier = threading.Barrier(4)
    results: list[object] = []

    def run() -> None:
        try:
            barrier.wait(timeout=15)
            results.append(tracking_import(csv_text=text, actor=manager))
        except Exception as err:  # noqa: BLE001 — the test looks at every outcome
            results.append(err)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert all(not isinstance(r, Exception) for r in results), results
    assert sorted(pk for r in results for pk in r.shipped) == grant_ids  # each gift shipped by one import
    assert sum(len(r.already_shipped) for r in results) == 3 * len(grant_ids)
    assert OutboxEmail.objects.filter(template="reward_shipped").count() == len(grant_ids)
    assert set(Claim.objects.filter(pk__in=[c.pk for c in claims]).values_list("status", flat=True)) == {
        Claim.Status.REWARD_SENT
    }
