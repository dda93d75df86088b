from __future__ import annotations

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Now

from membercenter.accounts.models import User
from membercenter.claims.models import Claim, ClaimDocument, ClaimItem


def _items() -> Prefetch:
    return Prefetch(
        "items",
        queryset=ClaimItem.objects.select_related("product__serial__product_model__category", "product__store"),
    )


def _history_items() -> Prefetch:
    """Each product with its reward grant (a reverse one-to-one: joined, not one query per claim).

    `reward_due` says whether the grant's delivery time has come, so that a reward still
    waiting after its date reads "being prepared" rather than "at the end of the period".
    """
    return Prefetch(
        "items",
        queryset=ClaimItem.objects.select_related(
            "product__serial__product_model__category", "product__store", "grant__reward"
        ).annotate(reward_due=ExpressionWrapper(Q(grant__due_at__lte=Now()), output_field=BooleanField())),
    )


def member_claims(*, member: User) -> QuerySet[Claim]:
    """Redeem History: a fixed number of queries however many claims."""
    return (
        Claim.objects.filter(member=member)
        .select_related("promotion")
        .annotate(has_rewards=Exists(ClaimItem.objects.filter(claim=OuterRef("pk"), grant__isnull=False)))
        .prefetch_related(_history_items())
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
