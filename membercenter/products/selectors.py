from __future__ import annotations

from django.db.models import Q, QuerySet

from membercenter.accounts.models import User
from membercenter.products.models import RegisteredProduct


def member_products(*, member: User) -> QuerySet[RegisteredProduct]:
    return (
        RegisteredProduct.objects.filter(member=member)
        .select_related("serial__product_model__category", "store", "region")
        .order_by("-purchase_date", "-pk")
    )


def product_for(*, user: User, pk: int) -> RegisteredProduct | None:
    """The product if `user` may see it: its owner, or a reviewer of its region (administrators: any)."""
    from membercenter.backoffice.access import reviewer_regions

    qs = RegisteredProduct.objects.select_related("serial__product_model__category", "store", "region")
    regions = reviewer_regions(user)
    if regions is not None:
        qs = qs.filter(Q(member=user) | Q(region__in=regions.values("pk")))
    return qs.filter(pk=pk).first()
