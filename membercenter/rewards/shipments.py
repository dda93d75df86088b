"""Physical gifts: the courier's list (CSV out), tracking numbers (CSV in), delivery statuses.

A gift grant moves PREPARING → SHIPPED → DELIVERED or RETURNED; `GIFT_ALLOWED` is the
only place that says so. Every move locks the grant row, so two imports of the same
file (or two staff at once) ship a grant, and email its member, once.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Field, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from membercenter.accounts.models import User
from membercenter.audit.services import audit_record
from membercenter.claims.models import Claim
from membercenter.lib.authz import grants_of_promotions
from membercenter.lib.urls import absolute_url
from membercenter.notifications.services import notify
from membercenter.promotions.models import Promotion
from membercenter.rewards.models import Reward, RewardGrant
from membercenter.rewards.services import claim_mark_reward_sent_if_complete

Status = RewardGrant.Status

GIFT_STATUSES = (Status.PREPARING, Status.SHIPPED, Status.DELIVERED, Status.RETURNED)
# The only moves a gift can make.
GIFT_ALLOWED: dict[str, frozenset[str]] = {
    Status.PREPARING: frozenset({Status.SHIPPED}),
    Status.SHIPPED: frozenset({Status.DELIVERED, Status.RETURNED}),
    Status.DELIVERED: frozenset(),
    Status.RETURNED: frozenset(),
}

EXPORT_HEADER = [
    "claim_id",
    "grant_id",
    "reward",
    "full_name",
    "phone",
    "address",
    "unit",
    "city",
    "province",
    "postal_code",
    "contact_name",
    "contact_phone",
    "product_name",
    "serial_number",
    # Left empty for the courier (or the manager) to fill in: the same file imports back.
    "courier",
    "tracking_number",
]
IMPORT_MAX_ROWS = 20_000


def _max_length(name: str) -> int:
    field = RewardGrant._meta.get_field(name)
    if not isinstance(field, Field) or field.max_length is None:
        raise TypeError(f"RewardGrant.{name} has no max_length")
    return field.max_length


_FIELD_MAX = {name: _max_length(name) for name in ("courier", "tracking_number")}


# --- reads ---------------------------------------------------------------------------------


def gift_grants() -> QuerySet[RewardGrant]:
    """Every gift grant with what the shipments page and the export show, in one query."""
    return (
        RewardGrant.objects.filter(reward__kind=Reward.Kind.GIFT)
        .select_related("reward", "item__claim__promotion", "item__product__serial__product_model")
        .order_by("due_at", "item__claim_id", "pk")
    )


def in_scope(qs: QuerySet[RewardGrant], promotions: QuerySet[Promotion] | None) -> QuerySet[RewardGrant]:
    """The grants of `qs` of a reward of one of `promotions` (None: every promotion).

    The rule of authz.grants_managed_by (the grant pages' scope), so the lists, counts, courier
    file and tracking import show a manager exactly the grants those pages let them open.
    A subquery, not a list of ids: no extra query, however many promotions.
    """
    if promotions is None:
        return qs
    return grants_of_promotions(qs, promotions)


def scope_label(promotions: QuerySet[Promotion] | None) -> str:
    """The scope in words, for the audit log: "all promotions" or the promotions' names."""
    if promotions is None:
        return "all promotions"
    names = list(promotions.order_by("pk").values_list("name_en", flat=True))
    return f"the promotions managed ({', '.join(names) or 'none'})"


def shipments_for_staff(
    *, promotion_id: int | None = None, status: str = "", promotions: QuerySet[Promotion] | None = None
) -> QuerySet[RewardGrant]:
    """The shipments list: gifts, under the filters, of `promotions` only (None: every promotion)."""
    qs = in_scope(gift_grants(), promotions)
    if promotion_id:
        qs = qs.filter(item__claim__promotion_id=promotion_id)
    if status:
        qs = qs.filter(status=status)
    return qs


def shipment_counts(
    *, promotion_id: int | None = None, promotions: QuerySet[Promotion] | None = None
) -> dict[str, int]:
    """How many gifts are in each status (under the promotion filter, within `promotions`): one query."""
    qs = in_scope(RewardGrant.objects.filter(reward__kind=Reward.Kind.GIFT), promotions)
    if promotion_id:
        qs = qs.filter(item__claim__promotion_id=promotion_id)
    counts = qs.aggregate(**{s: Count("pk", filter=Q(status=s)) for s in GIFT_STATUSES})
    return {s: counts[s] or 0 for s in GIFT_STATUSES}


def promotions_with_gifts() -> QuerySet[Promotion]:
    return Promotion.objects.filter(rewards__kind=Reward.Kind.GIFT).distinct().order_by("-redeem_end", "name_en")


# --- export --------------------------------------------------------------------------------


_PHONE_LIKE = re.compile(r"[+\-]?[\d\s\-().]*")


def _cell(value: object) -> str:
    """A cell a spreadsheet shows as text: members type these, and a leading = runs as a formula."""
    text = str(value or "")
    if text[:1] in ("=", "@", "\t", "\r") or (text[:1] in ("+", "-") and not _PHONE_LIKE.fullmatch(text)):
        return "'" + text
    return text


def shipments_export(
    *, actor: User, promotion: Promotion | None = None, promotions: QuerySet[Promotion] | None = None
) -> str:
    """The courier's CSV: recipient data of every due gift still being prepared; audited once.

    `promotion` picks one promotion; `promotions` is the actor's scope (None: every promotion,
    for administrators). With both, only the gifts of `promotion` that are in the scope.
    """
    qs = in_scope(gift_grants(), promotions).filter(
        reward__kind=Reward.Kind.GIFT,
        status=Status.PREPARING,
        due_at__lte=timezone.now(),
        item__claim__status__in=[Claim.Status.APPROVED, Claim.Status.REWARD_SENT],
    )
    if promotion is not None:
        qs = qs.filter(item__claim__promotion=promotion)
    grants = list(
        qs.select_related("reward", "item__claim", "item__product__serial__product_model").order_by(
            "item__claim_id", "pk"
        )
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADER)
    for grant in grants:
        claim = grant.item.claim
        serial = grant.item.product.serial
        writer.writerow(
            [claim.pk, grant.pk, grant.reward.name_en]
            + [_cell(getattr(claim, name)) for name in EXPORT_HEADER[3:12]]
            + [_cell(serial.product_model.name), _cell(serial.sn), "", ""]
        )
    scope = f"promotion “{promotion.name_en}”" if promotion is not None else scope_label(promotions)
    ids = ", ".join(str(g.pk) for g in grants)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="export.shipments",
            target=promotion if promotion is not None else actor,
            summary=f"{len(grants)} gift shipments exported for the courier ({scope}); grants: {ids or 'none'}",
        )
    return out.getvalue()


# --- status moves --------------------------------------------------------------------------


def _move(grant: RewardGrant, status: str) -> None:
    """The one place a gift's status changes (on a locked row)."""
    if grant.reward.kind != Reward.Kind.GIFT:
        raise ValidationError(_("Only physical gifts are shipped."), code="not_gift")
    if status not in GIFT_ALLOWED.get(grant.status, frozenset()):
        raise ValidationError(
            _("A gift that is %(current)s cannot become %(target)s.")
            % {"current": grant.get_status_display(), "target": Status(status).label},
            code="transition",
        )
    grant.status = status
    fields = ["status"]
    if status == Status.DELIVERED:
        grant.delivered_at = timezone.now()
        fields.append("delivered_at")
    elif status == Status.SHIPPED:
        grant.shipped_at = timezone.now()
        fields.append("shipped_at")
    grant.save(update_fields=fields + (["courier", "tracking_number"] if status == Status.SHIPPED else []))


def _locked(grant_ids: Iterable[int]) -> dict[int, RewardGrant]:
    # Always in primary-key order, so that two imports never wait on each other in a cycle.
    qs = (
        RewardGrant.objects.select_for_update(of=("self",))
        .select_related("reward", "item__claim__member", "item__claim__promotion")
        .filter(pk__in=list(grant_ids))
        .order_by("pk")
    )
    return {g.pk: g for g in qs}


def _notify_shipped(grant: RewardGrant) -> None:
    claim = grant.item.claim
    notify(
        user=claim.member,
        template="reward_shipped",
        context={
            "claim": claim,
            "promotion": claim.promotion,
            "reward": grant.reward,
            "courier": grant.courier,
            "tracking_number": grant.tracking_number,
        },
        link=absolute_url("claims:history"),
    )


def _ship(grant: RewardGrant, *, courier: str, tracking_number: str) -> None:
    grant.courier, grant.tracking_number = courier, tracking_number
    _move(grant, Status.SHIPPED)
    _notify_shipped(grant)


def shipment_set_status(*, grant: RewardGrant, status: str, actor: User) -> RewardGrant:
    """Staff: a shipped gift arrived (delivered) or came back (returned, which frees its stock)."""
    if status not in (Status.DELIVERED, Status.RETURNED):
        raise ValidationError(_("Choose delivered or returned."), code="status")
    with transaction.atomic():
        grant = _locked([grant.pk])[grant.pk]
        previous = grant.status
        _move(grant, status)
        claim_mark_reward_sent_if_complete(grant.item.claim_id)
        audit_record(
            actor=actor,
            action="shipment.status",
            target=grant,
            summary=f"Gift of claim #{grant.item.claim_id} (grant {grant.pk}): {previous} → {grant.status}",
        )
    return grant


# --- tracking import -----------------------------------------------------------------------


@dataclass
class TrackingImportReport:
    shipped: list[int] = field(default_factory=list)  # grants shipped now: their members were emailed
    changed: list[tuple[int, int, str]] = field(default_factory=list)  # (line, grant, new status), no email
    already_shipped: list[tuple[int, int, str]] = field(default_factory=list)  # (line, grant, its tracking number)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, reason): matched nothing or refused


@dataclass
class _Row:
    line: int
    grant_ids: list[int]
    courier: str
    tracking_number: str
    status: str


def _header_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", (name or "").strip().lower())


def _reader(csv_text: str) -> csv.DictReader:
    text = csv_text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(first, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return csv.DictReader(io.StringIO(text), dialect=dialect)


def _int(value: str) -> int | None:
    value = value.strip().lstrip("#")
    return int(value) if value.isdigit() else None


_IMPORT_STATUSES: dict[str, str] = {
    "": Status.SHIPPED,
    **{s: s for s in (Status.SHIPPED, Status.DELIVERED, Status.RETURNED)},
}


def _parse(csv_text: str) -> list[tuple[int, dict[str, str]]]:
    reader = _reader(csv_text)
    header = [_header_key(h) for h in reader.fieldnames or []]
    missing = [c for c in ("courier", "tracking_number") if c not in header]
    if "grant_id" not in header and "claim_id" not in header:
        missing.insert(0, "grant_id or claim_id")
    if missing:
        raise ValidationError(
            _("The file has no column %(columns)s (the first row must name the columns).")
            % {"columns": ", ".join(missing)},
            code="header",
        )
    reader.fieldnames = header
    rows = []
    # Line numbers as a spreadsheet shows them: the header is line 1.
    for line, raw in enumerate(reader, start=2):
        if line - 1 > IMPORT_MAX_ROWS:
            raise ValidationError(
                _("The file has more than %(n)s rows; split it.") % {"n": IMPORT_MAX_ROWS}, code="size"
            )
        row = {k: (v or "").strip() for k, v in raw.items() if isinstance(k, str) and isinstance(v, str)}
        if any(row.values()):
            rows.append((line, row))
    return rows


def _match(
    rows: list[tuple[int, dict[str, str]]], report: TrackingImportReport, promotions: QuerySet[Promotion] | None
) -> list[_Row]:
    """Rows → the gift grants they name; rows that name nothing are reported, with why.

    Grants and claims outside `promotions` are not looked at: a row naming one answers
    exactly as a row naming a number that does not exist.
    """
    grant_ids = {g for _, r in rows if (g := _int(r.get("grant_id", ""))) is not None}
    claim_ids = {c for _, r in rows if (c := _int(r.get("claim_id", ""))) is not None}
    grants = in_scope(RewardGrant.objects.filter(pk__in=grant_ids), promotions)
    by_grant = {g["pk"]: g for g in grants.values("pk", "item__claim_id", "reward__kind")}
    claims = Claim.objects.filter(pk__in=claim_ids)
    if promotions is not None:
        claims = claims.filter(promotion__in=promotions.values("pk"))
    claims_found = set(claims.values_list("pk", flat=True))
    gifts_of_claim: dict[int, list[int]] = {}
    for pk, gift_claim_id in (
        in_scope(RewardGrant.objects.filter(item__claim_id__in=claim_ids, reward__kind=Reward.Kind.GIFT), promotions)
        .order_by("pk")
        .values_list("pk", "item__claim_id")
    ):
        gifts_of_claim.setdefault(gift_claim_id, []).append(pk)

    matched = []
    for line, row in rows:
        raw_grant, raw_claim = row.get("grant_id", ""), row.get("claim_id", "")
        grant_id, claim_id = _int(raw_grant), _int(raw_claim)
        courier, tracking, status = row.get("courier", ""), row.get("tracking_number", ""), row.get("status", "")
        problem = ""
        if raw_grant and grant_id is None:
            problem = f"grant_id “{raw_grant}” is not a number"
        elif raw_claim and claim_id is None:
            problem = f"claim_id “{raw_claim}” is not a number"
        elif grant_id is None and claim_id is None:
            problem = "no grant_id or claim_id"
        elif grant_id is not None and grant_id not in by_grant:
            problem = f"no gift grant {grant_id}"
        elif grant_id is not None and by_grant[grant_id]["reward__kind"] != Reward.Kind.GIFT:
            problem = f"grant {grant_id} is a digital code, not a gift"
        elif grant_id is not None and claim_id is not None and by_grant[grant_id]["item__claim_id"] != claim_id:
            problem = f"grant {grant_id} belongs to claim #{by_grant[grant_id]['item__claim_id']}, not #{claim_id}"
        elif grant_id is None and claim_id not in claims_found:
            problem = f"no claim #{claim_id}"
        elif grant_id is None and claim_id not in gifts_of_claim:
            problem = f"claim #{claim_id} has no gift to ship"
        elif _header_key(status) not in _IMPORT_STATUSES:
            problem = f"status “{status}” is not shipped, delivered or returned"
        elif not courier or not tracking:
            problem = "courier or tracking number is empty"
        elif len(courier) > _FIELD_MAX["courier"] or len(tracking) > _FIELD_MAX["tracking_number"]:
            problem = "courier or tracking number is too long"
        if problem:
            report.problems.append((line, problem))
            continue
        # The checks above leave a grant id, or else a claim id with gifts to ship.
        ids = [grant_id] if grant_id is not None else gifts_of_claim.get(claim_id or 0, [])
        matched.append(_Row(line, ids, courier, tracking, _IMPORT_STATUSES[_header_key(status)]))
    return matched


def _apply(row: _Row, grant: RewardGrant, report: TrackingImportReport) -> None:
    if grant.status == Status.RETURNED:
        report.problems.append((row.line, f"grant {grant.pk} was returned; it is not shipped again"))
        return
    if grant.status == Status.PREPARING:
        if row.status == Status.RETURNED:
            report.problems.append((row.line, f"grant {grant.pk} has not been shipped, so it cannot be returned"))
            return
        _ship(grant, courier=row.courier, tracking_number=row.tracking_number)
        report.shipped.append(grant.pk)
    elif row.status == Status.SHIPPED or row.status == grant.status:
        note = grant.tracking_number
        if grant.tracking_number != row.tracking_number:
            note += f" (the file says {row.tracking_number}; not changed)"
        report.already_shipped.append((row.line, grant.pk, note))
        return
    if row.status != Status.SHIPPED and row.status != grant.status:
        try:
            _move(grant, row.status)
        except ValidationError as err:
            report.problems.append((row.line, f"grant {grant.pk}: {' '.join(err.messages)}"))
            return
        report.changed.append((row.line, grant.pk, row.status))


def tracking_import(
    *, csv_text: str, actor: User, promotions: QuerySet[Promotion] | None = None
) -> TrackingImportReport:
    """Courier and tracking number per gift (by grant_id, or claim_id for all of a claim's gifts).

    A gift being prepared becomes shipped and its member is emailed, once: a gift
    already shipped is reported, not emailed again. Rows that match nothing are
    reported with their line number. One transaction, audited.

    `promotions` is the actor's scope (None: every promotion, for administrators): a row
    naming a gift or claim of another promotion is refused with the same words as a
    number that does not exist, so the report says nothing about other promotions.
    """
    report = TrackingImportReport()
    rows = _parse(csv_text)
    with transaction.atomic():
        matched = _match(rows, report, promotions)
        grants = _locked(g for row in matched for g in row.grant_ids)
        for row in matched:
            for grant_id in row.grant_ids:
                _apply(row, grants[grant_id], report)
        # After every row, so that a claim whose gifts are on several rows is complete.
        for claim_id in sorted({grants[g].item.claim_id for g in report.shipped}):
            claim_mark_reward_sent_if_complete(claim_id)
        audit_record(
            actor=actor,
            action="import.tracking",
            target=actor,
            summary=(
                f"Tracking numbers imported ({scope_label(promotions)}): {len(report.shipped)} gifts shipped, "
                f"{len(report.changed)} status changes, "
                f"{len(report.already_shipped)} already shipped, {len(report.problems)} rows refused; "
                f"shipped grants: {', '.join(map(str, report.shipped)) or 'none'}"
            ),
        )
    report.problems.sort()
    return report
