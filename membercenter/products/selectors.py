from __future__ import annotations

from django.db.models import QuerySet

from membercenter.accounts.models import User
from membercenter.products.models import RegisteredProduct


def member_products(*, member: User) -> QuerySet[RegisteredProduct]:
    return (
        RegisteredProduct.objects.filter(member=member)
        .select_related("serial__product_model__category", "store", "region")
        .order_by("-purchase_date", "-pk")
    )


def product_for(*, user: User, pk: int) -> RegisteredProduct | None:
    """The product if `user` may see it: its owner, or staff."""
    qs = RegisteredProduct.objects.select_related("serial__product_model__category", "store", "region")
    if not user.is_staff:
        qs = qs.filter(member=user)
    return qs.filter(pk=pk).first()
