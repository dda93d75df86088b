from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from membercenter.accounts.models import User
from membercenter.claims.models import Claim, ClaimDocument, ClaimItem


def _items() -> Prefetch:
    return Prefetch(
        "items",
        queryset=ClaimItem.objects.select_related("product__serial__product_model__category", "product__store"),
    )


def member_claims(*, member: User) -> QuerySet[Claim]:
    """Redeem History: a fixed number of queries however many claims."""
    return (
        Claim.objects.filter(member=member)
        .select_related("promotion")
        .prefetch_related(_items())
        .order_by("-submitted_at", "-pk")
    )


def member_claim(*, member: User, pk: int) -> Claim | None:
    return (
        Claim.objects.filter(member=member, pk=pk)
        .select_related("promotion", "region")
        .prefetch_related(_items(), "items__documents")
        .first()
    )


def member_document(*, member: User, claim_pk: int, doc_pk: int) -> ClaimDocument | None:
    return ClaimDocument.objects.filter(pk=doc_pk, item__claim_id=claim_pk, item__claim__member=member).first()


def last_claim(*, member: User) -> Claim | None:
    return Claim.objects.filter(member=member).order_by("-submitted_at").first()
