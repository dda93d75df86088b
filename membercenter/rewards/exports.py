"""The finance export: one CSV row per claimed product with its reward's status — never the code.

Rows are read with one query through a cursor (iterator), so the export streams in
constant memory and a constant number of queries however many claims there are.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from membercenter.accounts.models import User
from membercenter.audit.services import audit_record
from membercenter.claims.models import Claim, ClaimItem
from membercenter.promotions.models import Promotion
from membercenter.rewards.shipments import scope_label

CLAIMS_HEADER = [
    "claim_id", "promotion", "member_email", "region", "claim_status", "product", "serial_number",
    "reward", "reward_status", "allocated_at", "delivered_at", "courier", "tracking_number",
]  # fmt: skip
CHUNK = 2000
# A cell a spreadsheet would run as a formula starts with one of these.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object that hands back what csv.writer writes, for streaming."""

    def write(self, value: str) -> str:
        return value


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _items(*, promotion_id: int | None, status: str, promotions: QuerySet[Promotion] | None) -> Iterator[ClaimItem]:
    qs = ClaimItem.objects.select_related(
        "claim__member", "claim__promotion", "claim__region", "product__serial__product_model", "grant__reward"
    ).order_by("claim_id", "pk")
    if promotions is not None:
        # A subquery: still one query for the whole export.
        qs = qs.filter(claim__promotion__in=promotions.values("pk"))
    if promotion_id:
        qs = qs.filter(claim__promotion_id=promotion_id)
    if status:
        qs = qs.filter(claim__status=status)
    return qs.iterator(chunk_size=CHUNK)


def claims_export_rows(
    *, promotion_id: int | None = None, status: str = "", promotions: QuerySet[Promotion] | None = None
) -> Iterator[list[str]]:
    """The header, then one row per claim item (every product of every claim, in claim order).

    `promotions` is the exporter's scope (None: every promotion, for administrators).
    """
    yield CLAIMS_HEADER
    statuses = dict(Claim.Status.choices)
    for item in _items(promotion_id=promotion_id, status=status, promotions=promotions):
        claim = item.claim
        grant = getattr(item, "grant", None)
        model = item.product.serial.product_model
        yield [_cell(v) for v in (
            claim.pk, claim.promotion.name_en, claim.member.email, claim.region.code, str(statuses[claim.status]),
            f"{model.name} ({model.code})", item.product.serial.sn,
            grant.reward.name_en if grant else "", grant.get_status_display() if grant else "",
            grant.allocated_at if grant else None, grant.delivered_at if grant else None,
            grant.courier if grant else "", grant.tracking_number if grant else "",
        )]  # fmt: skip


def claims_export_lines(
    *, promotion_id: int | None = None, status: str = "", promotions: QuerySet[Promotion] | None = None
) -> Iterator[str]:
    """The export as CSV text, a line at a time."""
    writer = csv.writer(_Echo())
    for row in claims_export_rows(promotion_id=promotion_id, status=status, promotions=promotions):
        yield writer.writerow(row)


def claims_export_record(
    *, actor: User, promotion_id: int | None = None, status: str = "", promotions: QuerySet[Promotion] | None = None
) -> None:
    """Audit the export before any row leaves: who took which claims' data (one entry, naming the scope)."""
    promotion = Promotion.objects.filter(pk=promotion_id).first() if promotion_id else None
    scope = f"promotion “{promotion.name_en}”" if promotion else scope_label(promotions)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="export.claims",
            target=promotion or actor,
            summary=f"Claims exported as CSV for finance: {scope}, status {status or 'any'}",
        )
