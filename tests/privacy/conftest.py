"""A member with something in every place the site keeps member data (real services where cheap).

`rich_member(**person)` returns a `Person`: the user, their products, claims, stored file names
and the personal strings (`needles`) a deletion must erase from every table.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from membercenter.accounts.models import MemberSession, NewsletterList, NewsletterSubscription, User
from membercenter.claims.models import Claim, ClaimDocument, ClaimEvent
from membercenter.evidence.models import Scan
from membercenter.notifications.services import notify
from membercenter.products.models import RegisteredProduct
from membercenter.rewards.models import RewardGrant
from membercenter.rewards.services import grant_allocate, grant_deliver, grants_create
from membercenter.support.services import support_request_create
from tests.claims.conftest import PromotionFactory, eligible_product, make_claim, upload_for
from tests.factories import PASSWORD, UserFactory, image_bytes
from tests.rewards.conftest import fill_pool, new_codes

_people = itertools.count(1)


@dataclass
class Person:
    user: User
    password: str
    client: Client
    products: list[RegisteredProduct]
    claims: dict[str, Claim]
    files: set[str]
    code: str
    needles: dict[str, str] = field(default_factory=dict)


def document(claim: Claim, kind: str = ClaimDocument.Kind.SERIAL_PHOTO, *, owner: User, ocr: str = "") -> ClaimDocument:
    """A stored picture attached to the claim's first product, with the reading that found `ocr` on it."""
    doc = ClaimDocument(item=claim.items.first(), kind=kind, round=claim.round)
    doc.file.save(f"{kind}.jpg", ContentFile(image_bytes("JPEG", size=(64, 48))), save=False)
    scan = Scan.objects.create(
        owner=owner, kind=kind, file=doc.file.name, phash="ffff0000ffff0000", state=Scan.State.DONE,
        boxes=[[ocr or "TOKO MAJU", 0, 0, 10, 10, 0.99, 0]],
    )  # fmt: skip
    doc.scan = scan
    doc.save()
    return doc


def _approve_and_deliver(claim: Claim, reward) -> str:  # noqa: ANN001
    code = new_codes(1, prefix="PRIV")[0]
    fill_pool(reward, [code])
    with transaction.atomic():
        locked = Claim.objects.select_for_update().select_related("region").get(pk=claim.pk)
        locked.move_to(Claim.Status.APPROVED, by=None)
        grants = grants_create(claim=locked)
    for grant in grants:
        grant_allocate(grant_id=grant.pk)
        grant_deliver(grant_id=grant.pk)
    assert RewardGrant.objects.get(pk=grants[0].pk).status == RewardGrant.Status.DELIVERED
    return code


@pytest.fixture
def rich_member(db, indonesia) -> Callable[..., Person]:  # noqa: ANN001
    from membercenter.promotions.models import Promotion
    from membercenter.rewards.models import Reward
    from membercenter.rewards.pools import pool_for

    def make(*, first_name: str, last_name: str, phone: str, address: str) -> Person:
        n = next(_people)
        email = f"{first_name}.{last_name}.{n}@example.com".lower()
        user = UserFactory(email=email, first_name=first_name, last_name=last_name, phone=phone, region=indonesia)
        promotion = PromotionFactory(regions=[indonesia], reward_delivery=Promotion.Delivery.ON_APPROVAL)
        reward = Reward.objects.create(
            promotion=promotion, kind=Reward.Kind.DIGITAL_CODE, name_en="Voucher", name_id="Voucher"
        )
        pool_for(reward)
        recipient = {
            "full_name": f"{first_name} {last_name}", "email": email, "phone": phone, "address": address,
            "postal_code": "12190", "contact_name": first_name, "contact_phone": phone,
        }  # fmt: skip
        products = [eligible_product(user, region=indonesia) for _ in range(4)]
        claims = {
            "rewarded": make_claim(product=products[0], promotion=promotion),
            "submitted": make_claim(product=products[1]),
            "rejected": make_claim(product=products[2], status=Claim.Status.REJECTED, reason="Invoice unreadable"),
        }
        Claim.objects.filter(pk__in=[c.pk for c in claims.values()]).update(
            **recipient, phone_key=phone[-8:], address_key=address.lower()
        )
        Claim.objects.filter(pk=claims["submitted"].pk).update(
            checks={"model": {"ok": True}}, flags=[{"code": "burst", "params": {"n": 5}, "claims": [], "members": []}]
        )
        for key, claim in claims.items():
            claims[key] = Claim.objects.get(pk=claim.pk)
        for claim in claims.values():
            document(claim, owner=user, ocr=f"{first_name} {last_name}")
            document(claim, ClaimDocument.Kind.INVOICE, owner=user)
        code = _approve_and_deliver(claims["rewarded"], reward)
        # products[3] is in no claim: deleting the account deletes it.
        upload = upload_for(user)
        notify(user=user, template="claim_received", context={"claim": claims["submitted"], "promotion": promotion})
        support_request_create(
            member=user, topic="other", serial_number="", message=f"Please call me on {phone} at {address}"
        )
        letter, _ = NewsletterList.objects.get_or_create(slug="news", defaults={"name_en": "News", "name_id": "Berita"})
        NewsletterSubscription.objects.create(user=user, newsletter=letter)
        client = Client(HTTP_USER_AGENT=f"PrivacyTestPhone/{n}.0")
        assert client.login(email=email, password=PASSWORD)
        assert client.get("/accounts/").status_code == 200  # Login Management records the session
        assert MemberSession.objects.filter(user=user).exists()
        files = {p.invoice.name for p in products} | {upload.file.name}
        files |= set(ClaimDocument.objects.filter(item__claim__member=user).values_list("file", flat=True))
        assert all(default_storage.exists(name) for name in files)
        return Person(
            user=user, password=PASSWORD, client=client, products=products, claims=claims, files=files, code=code,
            needles={
                "email": email, "first name": first_name, "last name": last_name, "phone": phone,
                "address": address, "device": f"PrivacyTestPhone/{n}.0",
            },
        )  # fmt: skip

    return make


def close_long_ago(claim: Claim, *, days: int) -> None:
    """Pretend the claim's last status change (and its submission) happened `days` ago."""
    when = timezone.now() - dt.timedelta(days=days)
    Claim.objects.filter(pk=claim.pk).update(submitted_at=when - dt.timedelta(days=1))
    ClaimEvent.objects.filter(claim=claim).update(created_at=when)


def text_columns_containing(needle: str) -> list[str]:
    """Every `table.column` of the database whose value, read as text, contains `needle` (any case)."""
    found = []
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            for column in connection.introspection.get_table_description(cursor, table):
                qt, qc = connection.ops.quote_name(table), connection.ops.quote_name(column.name)
                cursor.execute(
                    f"SELECT COUNT(*) FROM {qt} WHERE LOWER(CAST({qc} AS TEXT)) LIKE %s",  # noqa: S608
                    [f"%{needle.lower()}%"],
                )
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{column.name}")
    return found


def columns_count() -> int:
    with connection.cursor() as cursor:
        return sum(
            len(connection.introspection.get_table_description(cursor, t))
            for t in connection.introspection.table_names(cursor)
        )
