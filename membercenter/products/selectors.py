from __future__ import annotations

from django.db.models import QuerySet

from membercenter.accounts.models import User
from membercenter.lib.compiled import CompiledQuery
from membercenter.products.models import RegisteredProduct


def member_products(*, member: User) -> QuerySet[RegisteredProduct]:
    """My Products: the member's products, with only what the page shows and judges.

    The table (products/my_products.html) and each open promotion's rules
    (promotions.selectors.product_eligibility, messages included); not the invoice, its
    reading or the registration details. For the whole product, see `member_products_full`.
    """
    return member_products_full(member=member).only(*_MY_PRODUCTS_FIELDS)


# The same query, compiled once per connection (membercenter/lib/compiled.py): the page asks it
# on every visit.
_MY_PRODUCTS = CompiledQuery("my-products", lambda member: member_products(member=member))


def member_products_list(*, member: User) -> list[RegisteredProduct]:
    """`member_products`, read: the same objects, without building the query again each time."""
    return _MY_PRODUCTS.objects(member=member.pk)


_MY_PRODUCTS_FIELDS = (
    "member",
    "purchase_date",
    "serial__sn",
    "serial__product_model__name",
    "serial__product_model__warranty_months",
    "serial__product_model__category__name_en",
    "serial__product_model__category__name_id",
    "store__name",
    "region__name_en",
    "region__name_id",
    "region__time_zone",
)


def member_products_full(*, member: User) -> QuerySet[RegisteredProduct]:
    return (
        RegisteredProduct.objects.filter(member=member)
        .select_related("serial__product_model__category", "store", "region")
        .order_by("-purchase_date", "-pk")
    )
