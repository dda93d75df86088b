from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone

from membercenter.accounts.models import User
from membercenter.claims.models import Claim, ClaimDocument, ClaimItem


def _items() -> Prefetch:
    return Prefetch(
        "items",
        queryset=ClaimItem.objects.select_related("product__serial__product_model__category", "product__store"),
    )


def _history_items() -> Prefetch:
    """Each product with its reward grant (a reverse one-to-one: joined, not one query per claim)."""
    return Prefetch(
        "items", queryset=ClaimItem.objects.select_related("product__serial__product_model", "grant__reward")
    )


def member_claims(*, member: User) -> list[Claim]:
    """Redeem History: a fixed number of queries however many claims.

    Without the stored checks and fraud flags, which only reviewers read (and which grow
    with every product of a claim). What the rewards part shows is read from the joined
    grants: `has_rewards` (a product of the claim has a grant) and each item's `reward_due`
    (its grant's delivery time has come, so that a reward still waiting after its date reads
    "being prepared" rather than "at the end of the period").
    """
    claims = list(
        Claim.objects.filter(member=member)
        .defer("checks", "flags")
        .select_related("promotion")
        .prefetch_related(_history_items())
        .order_by("-submitted_at", "-pk")
    )
    now = timezone.now()
    for claim in claims:
        grants = []
        for item in claim.items.all():
            grant = getattr(item, "grant", None)  # None: the joined grant is missing
            item.reward_due = grant is not None and grant.due_at <= now  # type: ignore[attr-defined]
            grants.append(grant)
        claim.has_rewards = any(g is not None for g in grants)  # type: ignore[attr-defined]
    return claims


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
    """The member's latest claim, for its recipient address (not its stored checks and flags)."""
    return Claim.objects.filter(member=member).defer("checks", "flags").order_by("-submitted_at").first()
