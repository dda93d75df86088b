from __future__ import annotations

from django.conf import settings

from membercenter.accounts.models import MemberSession, User
from membercenter.catalog.models import Region


def default_region() -> Region | None:
    """The region a new visitor most likely lives in (the brand's home market)."""
    return Region.objects.filter(code=settings.DEFAULT_REGION_CODE, is_active=True).first()


def member_sessions(*, user: User) -> list[MemberSession]:
    return list(MemberSession.objects.filter(user=user).order_by("-last_activity"))


def overview_context(*, user: User) -> dict[str, object]:
    products = list(user.products.select_related("serial__product_model__category").order_by("-registered_at")[:5])
    return {
        "product_count": user.products.count(),
        "latest_products": products,
        "support_count": user.support_requests.count(),
    }
