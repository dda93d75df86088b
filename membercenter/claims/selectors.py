from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone

from membercenter.accounts.models import User
from membercenter.claims.models import Claim, ClaimItem
from membercenter.lib.compiled import CompiledQuery
from membercenter.lib.i18n import in_language


def _items() -> Prefetch:
    return Prefetch(
        "items",
        queryset=ClaimItem.objects.select_related("product__serial__product_model__category", "product__store"),
    )


# Redeem History's one query: each claim with its products and their reward grants (a claim
# without products would still show, its item columns empty). Only what the page shows
# (templates/claims/history.html, rewards/_claim_rewards.html): not the stored checks and
# fraud flags, which only reviewers read, nor the address.
_HISTORY_COLUMNS = (
    # the claim (0–4) and its promotion (5–10)
    "pk", "status", "submitted_at", "due_on", "reason",
    "promotion__name_en", "promotion__name_id", "promotion__reward_en", "promotion__reward_id",
    "promotion__reward_delivery", "promotion__redeem_end",
    # each product (11–13) and its grant (14–22)
    "items__pk", "items__product__serial__product_model__name", "items__product__serial__sn",
    "items__grant__pk", "items__grant__status", "items__grant__due_at", "items__grant__delivered_at",
    "items__grant__shipped_at", "items__grant__courier", "items__grant__tracking_number",
    "items__grant__reward__kind", "items__grant__reward__name_en", "items__grant__reward__name_id",
)  # fmt: skip
_HISTORY = CompiledQuery(
    "redeem-history",
    lambda member: (
        Claim.objects.filter(member=member).values_list(*_HISTORY_COLUMNS).order_by("-submitted_at", "-pk", "items__pk")
    ),
)


@dataclass(slots=True)
class HistoryGrant:
    reward_kind: str
    reward_name: str
    pk: int
    status: str
    due_at: dt.datetime
    delivered_at: dt.datetime | None
    shipped_at: dt.datetime | None
    courier: str
    tracking_number: str


@dataclass(slots=True)
class HistoryItem:
    model_name: str
    sn: str
    grant: HistoryGrant | None
    reward_due: bool  # its grant's delivery time has come ("being prepared", not "at the period's end")


@dataclass(slots=True)
class HistoryPromotion:
    name: str
    reward: str
    reward_delivery: str
    redeem_end: dt.date


@dataclass(slots=True)
class HistoryClaim:
    pk: int
    status: str
    submitted_at: dt.datetime
    due_on: dt.date
    reason: str
    promotion: HistoryPromotion
    items: list[HistoryItem] = field(default_factory=list)

    @property
    def has_rewards(self) -> bool:
        """A product of the claim has a reward grant."""
        return any(item.grant is not None for item in self.items)

    def get_status_display(self) -> str:
        """As the model's: the status's label, or the stored value when it is not one of them."""
        return str(_STATUS_LABELS.get(self.status, self.status))


_STATUS_LABELS = dict(Claim.Status.choices)


def member_claims(*, member: User) -> list[HistoryClaim]:
    """Redeem History: one query however many claims, compiled once (membercenter/lib/compiled.py).

    Rows of the member's claims, newest first, each as plain objects with what the page shows;
    names and rewards in the active language.
    """
    now = timezone.now()
    claims: list[HistoryClaim] = []
    for row in _HISTORY.rows(member=member.pk):
        pk, status, submitted_at, due_on, reason, *promotion, item, model_name, sn = row[:14]
        if not claims or claims[-1].pk != pk:
            name_en, name_id, reward_en, reward_id, reward_delivery, redeem_end = promotion
            shown = HistoryPromotion(
                name=in_language(name_en, name_id),
                reward=in_language(reward_en, reward_id),
                reward_delivery=reward_delivery,
                redeem_end=redeem_end,
            )
            claims.append(HistoryClaim(pk, status, submitted_at, due_on, reason, promotion=shown))
        if item is None:  # a claim without products: nothing to list
            continue
        sent = row[14:21]  # the grant: pk, status, due_at, delivered_at, shipped_at, courier, tracking number
        kind, reward_en, reward_id = row[21:]
        grant = None
        if sent[0] is not None:
            grant = HistoryGrant(kind, in_language(reward_en, reward_id), *sent)
        due = grant is not None and grant.due_at <= now
        claims[-1].items.append(HistoryItem(model_name=model_name, sn=sn, grant=grant, reward_due=due))
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
