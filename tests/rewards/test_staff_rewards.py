"""The back office's reward pages: the tier table, the pool page, resends, the finance export, who may see them."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from membercenter.audit.models import AuditEntry
from membercenter.backoffice.roles import REVIEWER
from membercenter.claims.models import Claim
from membercenter.rewards.crypto import code_decrypt, code_mask
from membercenter.rewards.models import CodePool, Reward, RewardGrant
from membercenter.rewards.services import rewards_allocate, rewards_deliver
from tests.factories import CategoryFactory, ProductModelFactory, staff
from tests.rewards.conftest import fill_pool, new_codes

pytestmark = pytest.mark.django_db


def reward_data(**overrides) -> dict:
    data = {
        "kind": "code",
        "name_en": "Digital Code IDR 1.000.000",
        "name_id": "Kode Digital IDR 1.000.000",
        "value": "1000000",
        "currency": "idr",
        "stock": "",
        "product_model": "",
        "category": "",
    }
    data.update(overrides)
    return data


def text(response) -> str:
    return " ".join(response.content.decode().split())


def deliver_all(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        rewards_allocate()
        rewards_deliver()


# --- the tier table -------------------------------------------------------------------------


def test_manager_adds_edits_and_deletes_tier_rows_and_each_change_is_audited(client, manager, reward_code_promotion):
    flagship = ProductModelFactory(name="Aurora Flagship")
    client.force_login(manager)
    new = reverse("backoffice:reward_create", args=[reward_code_promotion.pk])
    page = client.get(new).content.decode()
    assert '<label for="id_name_en"' in page and 'value="IDR"' in page  # the region's currency is offered

    response = client.post(new, reward_data())
    assert response.status_code == 302, text(response)[:3000]
    default = Reward.objects.get()
    assert (default.kind, default.value, default.currency, default.stock) == ("code", 1000000, "IDR", None)
    assert CodePool.objects.filter(reward=default).exists()  # a code reward has its pool from the start

    client.post(new, reward_data(kind="gift", name_en="Backpack", name_id="Tas", value="", currency="", stock="25",
                                 product_model=flagship.pk))  # fmt: skip
    gift = Reward.objects.get(kind="gift")
    assert (gift.product_model, gift.stock, gift.value, gift.currency) == (flagship, 25, None, "")

    response = client.post(reverse("backoffice:reward_edit", args=[gift.pk]),
                           reward_data(kind="gift", name_en="Big Backpack", name_id="Tas", value="", currency="",
                                       stock="30", product_model=flagship.pk))  # fmt: skip
    assert response.status_code == 302
    gift.refresh_from_db()
    assert (gift.name_en, gift.stock) == ("Big Backpack", 30)

    listing = text(client.get(reverse("backoffice:rewards", args=[reward_code_promotion.pk])))
    assert "Digital Code IDR 1.000.000" in listing and "Big Backpack" in listing and "Aurora Flagship" in listing

    response = client.post(reverse("backoffice:reward_delete", args=[gift.pk]))
    assert response.status_code == 302 and not Reward.objects.filter(pk=gift.pk).exists()
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["reward.create", "reward.create", "reward.update", "reward.delete"]
    update = AuditEntry.objects.get(action="reward.update")
    assert update.actor == manager and "name_en" in update.summary and "stock" in update.summary


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"value": ""}, "value", "A digital code needs its value."),
        ({"value": "0"}, "value", "The value must be more than zero."),
        ({"currency": "RP"}, "currency", "three letters"),
        ({"product_model": "MODEL", "category": "CATEGORY"}, "category", "not both"),
    ],
)
def test_a_tier_row_that_breaks_a_rule_is_refused_with_the_reason(client, manager, reward_code_promotion, overrides,
                                                                  field, message):  # fmt: skip
    model, category = ProductModelFactory(), CategoryFactory(slug="aio", name_en="AIO")
    overrides = {k: {"MODEL": model.pk, "CATEGORY": category.pk}.get(v, v) for k, v in overrides.items()}
    client.force_login(manager)
    response = client.post(
        reverse("backoffice:reward_create", args=[reward_code_promotion.pk]), reward_data(**overrides)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert field in response.context["form"].errors
    assert not Reward.objects.exists() and not AuditEntry.objects.exists()


def test_two_rows_for_the_same_products_are_refused(client, manager, code_reward):
    client.force_login(manager)
    response = client.post(reverse("backoffice:reward_create", args=[code_reward.promotion_id]), reward_data())
    assert response.status_code == 200
    assert "already has a reward for these products: Digital Code IDR 500.000" in response.content.decode()
    assert Reward.objects.count() == 1


def test_a_reward_with_codes_or_claims_can_be_neither_deleted_nor_change_kind(client, manager, code_reward):
    fill_pool(code_reward, new_codes(1))
    client.force_login(manager)
    response = client.post(reverse("backoffice:reward_delete", args=[code_reward.pk]), follow=True)
    assert "cannot be deleted" in response.content.decode()
    assert Reward.objects.filter(pk=code_reward.pk).exists()
    response = client.post(reverse("backoffice:reward_edit", args=[code_reward.pk]),
                           reward_data(kind="gift", value="", currency="", stock="5"))  # fmt: skip
    assert response.status_code == 200 and "its kind cannot change" in response.content.decode()
    code_reward.refresh_from_db()
    assert code_reward.kind == "code"


def test_list_warns_when_fewer_codes_are_left_than_claims_waiting(client, manager, code_reward, approved_claim_factory):
    fill_pool(code_reward, new_codes(2))
    claims = [approved_claim_factory() for _ in range(3)]
    rewards_allocate()
    client.force_login(manager)
    page = text(client.get(reverse("backoffice:rewards", args=[code_reward.promotion_id])))
    assert "only 0 codes left for 1 claims waiting" in page
    assert "2 of 2 codes allocated, 0 delivered" in page

    detail = client.get(reverse("backoffice:reward", args=[code_reward.pk]))
    html = text(detail)
    assert "Only 0 codes left for 1 claims waiting" in html
    waiting = RewardGrant.objects.get(status=RewardGrant.Status.WAITING).item.claim
    waiting_section = html.split('id="waiting"')[1].split('id="codes"')[0]
    assert f'href="{reverse("backoffice:claim", args=[waiting.pk])}"' in waiting_section
    assert [c for c in claims if f"#{c.pk}<" in waiting_section] == [waiting]
    stats = detail.context["stats"]
    assert (stats.total, stats.allocated, stats.delivered, stats.left, stats.waiting_claims) == (2, 2, 0, 0, 1)


def test_a_gift_row_shows_its_stock_left(client, manager, gift_reward, approved_claim_factory):
    approved_claim_factory(gift_reward.promotion, products=2)
    client.force_login(manager)
    response = client.get(reverse("backoffice:reward", args=[gift_reward.pk]))
    assert response.context["stats"].stock_left == 8
    assert "Codes" not in text(response)  # a gift has no pool


# --- the pool page: codes masked, resend ---------------------------------------------------------


def test_pool_page_shows_codes_masked_with_status_and_claim(client, manager, code_reward, approved_claim_factory,
                                                            django_capture_on_commit_callbacks):  # fmt: skip
    codes = new_codes(3)
    fill_pool(code_reward, codes)
    delivered_claim, allocated_claim = approved_claim_factory(), approved_claim_factory()
    deliver_all(django_capture_on_commit_callbacks)  # both allocated and delivered...
    RewardGrant.objects.filter(item__claim=allocated_claim).update(status=RewardGrant.Status.ALLOCATED,
                                                                   delivered_at=None)  # fmt: skip
    client.force_login(manager)
    html = client.get(reverse("backoffice:reward", args=[code_reward.pk])).content.decode()
    for code in codes:
        assert code not in html
        assert code_mask(code) in html
    code_table = html.split('id="codes"')[1].split("<tbody>")[1].split("</tbody>")[0]
    rows = re.findall(r"<tr>.*?</tr>", code_table, flags=re.S)
    labels = {"free": "free", "allocated": "Allocated", "delivered": "Delivered"}
    by_status = {status: [r for r in rows if f">{label}<" in r] for status, label in labels.items()}
    assert {k: len(v) for k, v in by_status.items()} == {"free": 1, "allocated": 1, "delivered": 1}
    assert reverse("backoffice:claim", args=[delivered_claim.pk]) in by_status["delivered"][0]
    assert reverse("backoffice:claim", args=[allocated_claim.pk]) in by_status["allocated"][0]
    assert "Resend code email" in by_status["delivered"][0]
    assert "Resend code email" not in by_status["allocated"][0] + by_status["free"][0]


def test_staff_resend_sends_the_code_email_again_and_is_audited(client, manager, code_reward, approved_claim_factory,
                                                                django_capture_on_commit_callbacks):  # fmt: skip
    fill_pool(code_reward, new_codes(1))
    claim = approved_claim_factory()
    deliver_all(django_capture_on_commit_callbacks)
    grant = RewardGrant.objects.select_related("code").get(item__claim=claim)
    code = code_decrypt(grant.code.ciphertext)
    mail.outbox.clear()
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("backoffice:grant_resend", args=[grant.pk]), follow=True)
    assert f"The code email of claim #{claim.pk} is being sent again." in text(response)
    assert len(mail.outbox) == 1 and code in mail.outbox[0].body and mail.outbox[0].to == [claim.member.email]
    entry = AuditEntry.objects.get(action="reward.resend")
    assert entry.actor == manager and code not in entry.summary


def test_resend_of_a_code_not_yet_delivered_is_refused(client, manager, code_reward, approved_claim_factory):
    fill_pool(code_reward, new_codes(1))
    claim = approved_claim_factory()
    rewards_allocate()
    grant = RewardGrant.objects.get(item__claim=claim)
    client.force_login(manager)
    response = client.post(reverse("backoffice:grant_resend", args=[grant.pk]), follow=True)
    assert "has not been delivered yet" in text(response)
    assert not mail.outbox and not AuditEntry.objects.filter(action="reward.resend").exists()


# --- the finance export -----------------------------------------------------------------------


def export(client, **query) -> list[dict[str, str]]:
    response = client.get(reverse("backoffice:export_claims"), query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="claims-')
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_export_has_a_row_per_claimed_product_with_reward_status_and_never_the_code(
    client, administrator, code_reward, approved_claim_factory, django_capture_on_commit_callbacks
):
    codes = new_codes(1)
    fill_pool(code_reward, codes)
    delivered = approved_claim_factory()
    deliver_all(django_capture_on_commit_callbacks)
    waiting = approved_claim_factory(products=2)
    client.force_login(administrator)
    rows = export(client)
    assert list(rows[0]) == ["claim_id", "promotion", "member_email", "region", "claim_status", "product",
                             "serial_number", "reward", "reward_status", "allocated_at", "delivered_at", "courier",
                             "tracking_number"]  # fmt: skip
    assert [r["claim_id"] for r in rows] == [str(delivered.pk), str(waiting.pk), str(waiting.pk)]
    first = rows[0]
    item = delivered.items.select_related("product__serial").get()
    assert first["promotion"] == "Boost Your Success" and first["member_email"] == delivered.member.email
    assert first["region"] == "ID" and first["claim_status"] == "Reward sent"
    assert first["serial_number"] == item.product.serial.sn
    assert first["reward"] == "Digital Code IDR 500.000" and first["reward_status"] == "Delivered"
    assert first["allocated_at"] and first["delivered_at"]
    assert [r["reward_status"] for r in rows[1:]] == ["Waiting for allocation"] * 2
    assert all(codes[0] not in value for row in rows for value in row.values())
    entry = AuditEntry.objects.get(action="export.claims")
    assert entry.actor == administrator and "all promotions" in entry.summary


def test_export_filters_by_promotion_and_a_wrong_filter_exports_nothing(client, manager, code_reward, gift_reward,
                                                                        approved_claim_factory):  # fmt: skip
    code_claim, gift_claim = approved_claim_factory(), approved_claim_factory(gift_reward.promotion)
    client.force_login(manager)
    rows = export(client, promotion=gift_reward.promotion_id)
    assert [(r["claim_id"], r["reward"], r["reward_status"]) for r in rows] == [
        (str(gift_claim.pk), "Gaming Backpack", "Preparing shipment")
    ]
    assert [r["claim_id"] for r in export(client, status=Claim.Status.APPROVED)] == [str(code_claim.pk),
                                                                                  str(gift_claim.pk)]  # fmt: skip
    response = client.get(reverse("backoffice:export_claims"), {"promotion": "999999"})
    assert response.status_code == 400
    assert AuditEntry.objects.filter(action="export.claims").count() == 2
    assert "Backpack Bonus" in AuditEntry.objects.filter(action="export.claims").order_by("pk").first().summary


def test_export_runs_the_same_queries_for_one_claim_or_many(client, manager, code_reward, approved_claim_factory):
    approved_claim_factory()
    client.force_login(manager)
    url = reverse("backoffice:export_claims")

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            b"".join(client.get(url).streaming_content)
        return len(ctx.captured_queries)

    queries()  # the first request also loads the session's user and permissions
    few = queries()
    for _ in range(4):
        approved_claim_factory(products=2)
    assert queries() == few


def test_export_keeps_a_formula_from_running_in_a_spreadsheet(client, manager, gift_reward, approved_claim_factory):
    claim = approved_claim_factory(gift_reward.promotion)
    RewardGrant.objects.filter(item__claim=claim).update(courier="=HYPERLINK(1)", tracking_number="+123")
    client.force_login(manager)
    row = export(client)[0]
    assert (row["courier"], row["tracking_number"]) == ("'=HYPERLINK(1)", "'+123")


def test_export_page_offers_the_filters_with_labels(client, manager, reward_code_promotion):
    client.force_login(manager)
    html = client.get(reverse("backoffice:exports")).content.decode()
    assert '<label for="id_promotion"' in html and '<label for="id_status"' in html
    assert f'action="{reverse("backoffice:export_claims")}"' in html


# --- who may open which page ----------------------------------------------------------------------


PAGES = [
    ("backoffice:rewards", "promotion"),
    ("backoffice:reward_create", "promotion"),
    ("backoffice:reward", "reward"),
    ("backoffice:reward_edit", "reward"),
    ("backoffice:codes_import", "reward"),
    ("backoffice:exports", None),
    ("backoffice:export_claims", None),
]
POSTS = [("backoffice:reward_delete", "reward"), ("backoffice:grant_resend", "grant")]


@pytest.fixture
def objects(code_reward, approved_claim_factory):
    claim = approved_claim_factory()
    return {"promotion": code_reward.promotion_id, "reward": code_reward.pk,
            "grant": RewardGrant.objects.get(item__claim=claim).pk}  # fmt: skip


def url_of(name: str, arg: str | None, objects: dict) -> str:
    return reverse(name, args=[objects[arg]] if arg else [])


@pytest.mark.parametrize(("name", "arg"), PAGES + POSTS)
def test_anonymous_is_sent_to_log_in(client, objects, name, arg):
    url = url_of(name, arg, objects)
    response = client.post(url) if (name, arg) in POSTS else client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("who", ["member", "reviewer", "staff_without_role"])
@pytest.mark.parametrize(("name", "arg"), PAGES + POSTS)
def test_staff_without_the_promotion_role_get_404(client, objects, request, who, name, arg):
    user = staff(None) if who == "staff_without_role" else request.getfixturevalue(who)
    if who == "staff_without_role":
        user.is_staff = True
        user.save()
    client.force_login(user)
    url = url_of(name, arg, objects)
    response = client.post(url) if (name, arg) in POSTS else client.get(url)
    assert response.status_code == 404
    assert Reward.objects.exists() and not AuditEntry.objects.exists()


@pytest.mark.parametrize("who", ["manager", "administrator"])
@pytest.mark.parametrize(("name", "arg"), PAGES)
def test_promotion_managers_and_administrators_open_every_page(client, objects, request, who, name, arg):
    client.force_login(request.getfixturevalue(who))
    response = client.get(url_of(name, arg, objects))
    assert response.status_code == 200


def test_reviewer_sees_no_rewards_link_but_manager_does(client, reviewer, manager, reward_code_promotion):
    rewards_url = reverse("backoffice:rewards", args=[reward_code_promotion.pk])
    edit_url = reverse("backoffice:promotion_edit", args=[reward_code_promotion.pk])
    client.force_login(manager)
    assert rewards_url in client.get(edit_url).content.decode()
    assert reverse("backoffice:exports") in client.get(reverse("backoffice:home")).content.decode()
    client.force_login(reviewer)
    assert reverse("backoffice:exports") not in client.get(reverse("backoffice:home")).content.decode()


def test_reviewer_role_alone_cannot_export(client, db):
    client.force_login(staff(REVIEWER))
    assert client.get(reverse("backoffice:export_claims")).status_code == 404
