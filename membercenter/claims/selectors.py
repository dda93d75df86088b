from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone

from membercenter.accounts.models import User
from membercenter.claims.models import Claim, ClaimItem


def _items() -> Prefetch:
    return Prefetch(
        "items",
        queryset=ClaimItem.objects.select_related("product__serial__product_model__category", "product__store"),
    )


def _history_items() -> Prefetch:
    """Each product with its reward grant (a reverse one-to-one: joined, not one query per claim).

    Only the columns the history shows (templates/claims/history.html, rewards/_claim_rewards.html):
    building the SQL for every column of five joined tables, and objects with all of them, was
    most of the page's time.
    """
    return Prefetch(
        "items",
        queryset=ClaimItem.objects.select_related("product__serial__product_model", "grant__reward").only(
            "claim",
            "product__serial__sn",
            "product__serial__product_model__name",
            *(f"grant__{name}" for name in _GRANT_FIELDS),
            "grant__reward__kind",
            "grant__reward__name_en",
            "grant__reward__name_id",
        ),
    )


# What the history shows of a reward grant.
_GRANT_FIELDS = ("status", "due_at", "delivered_at", "shipped_at", "courier", "tracking_number", "reward")
# ... of a claim, and of its promotion.
_HISTORY_FIELDS = ("status", "submitted_at", "due_on", "reason", "promotion")
_HISTORY_PROMOTION_FIELDS = ("name_en", "name_id", "reward_en", "reward_id", "reward_delivery", "redeem_end")


def member_claims(*, member: User) -> list[Claim]:
    """Redeem History: a fixed number of queries however many claims.

    Only the columns the page shows: not the stored checks and fraud flags, which only
    reviewers read (and which grow with every product of a claim), nor the address. What
    the rewards part shows is read from the joined grants: `has_rewards` (a product of the
    claim has a grant) and each item's `reward_due` (its grant's delivery time has come, so
    that a reward still waiting after its date reads "being prepared" rather than "at the
    end of the period").
    """
    claims = list(
        Claim.objects.filter(member=member)
        .select_related("promotion")
        .only(*_HISTORY_FIELDS, *(f"promotion__{name}" for name in _HISTORY_PROMOTION_FIELDS))
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


def last_claim(*, member: User) -> Claim | None:
    """The member's latest claim, for its recipient address (not its stored checks and flags)."""
    return Claim.objects.filter(member=member).defer("checks", "flags").order_by("-submitted_at").first()
