"""The redeem and confirm pages read each product's invoice reading with the products, not one by one."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from membercenter.evidence.models import Scan
from tests.claims.conftest import PromotionFactory, eligible_product, upload_for
from tests.claims.test_queries import assert_same_count, queries_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def product_with_reading(member):
    """A registered product whose invoice was read (the redeem page shows the reading's checks)."""
    scan = Scan.objects.create(owner=member, kind=Scan.Kind.INVOICE, file="invoices/x.jpg", state=Scan.State.DONE)
    product = eligible_product(member)
    product.invoice_scan = scan
    product.save(update_fields=["invoice_scan"])
    return product


def test_redeem_page_queries_do_not_grow_with_read_invoices(client):
    member = UserFactory()
    promotion = PromotionFactory()
    products = [product_with_reading(member)]
    client.force_login(member)

    assert_same_count(
        client,
        reverse("promotions:redeem", args=[promotion.slug]),
        lambda: products.extend(product_with_reading(member) for _ in range(9)),
        expect_in_page=lambda: [p.serial.sn for p in products],
    )


def test_confirm_page_queries_do_not_grow_with_read_invoices(client):
    member = UserFactory()
    promotion = PromotionFactory()
    products = [product_with_reading(member) for _ in range(6)]
    client.force_login(member)

    def confirm_page(chosen) -> int:
        session = client.session
        session["redeem_draft"] = {
            "promotion": promotion.pk,
            "products": [p.pk for p in chosen],
            "uploads": {str(p.pk): str(upload_for(member).pk) for p in chosen},
            "recipient": {"full_name": "Joko", "email": member.email, "phone": "0812", "address": "Jl. 1"},
            "token": str(uuid.uuid4()),
        }
        session.save()
        queries_for(client, reverse("promotions:confirm", args=[promotion.slug]))  # warm-up
        count, page = queries_for(client, reverse("promotions:confirm", args=[promotion.slug]))
        assert all(p.serial.sn in page for p in chosen)
        return count

    one, six = confirm_page(products[:1]), confirm_page(products)

    # Only each chosen product's pending sticker photo is read on its own; its invoice reading is not.
    assert six - one == 5
