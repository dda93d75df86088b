"""Reads for the back office. Every list page runs a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.fields.json import KT
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from membercenter.accounts.models import User
from membercenter.audit.models import AuditEntry
from membercenter.claims.checks import item_checks
from membercenter.claims.fraud import Flag
from membercenter.claims.models import Claim, ClaimDocument, ClaimEvent, ClaimItem, ReasonTemplate
from membercenter.evidence.models import Scan
from membercenter.evidence.verdicts import Verdict
from membercenter.lib import authz
from membercenter.lib.authz import claims_visible_to
from membercenter.notifications.models import OutboxEmail
from membercenter.promotions.models import Promotion
from membercenter.promotions.selectors import (
    Eligibility,
    EligibilityFacts,
    eligibility_facts,
    product_eligibility,
    promotions_rules_load,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DUE_SOON_DAYS = 3
QUEUE_ORDER = ("due_on", "submitted_at", "pk")
# The queue's "checks" filter → Claim.checks_passed.
CHECKS_FILTER: dict[str, bool | None] = {"passed": True, "failed": False, "unknown": None}
BULK_APPROVE_MAX = 100


@dataclass(frozen=True)
class QueueFilters:
    """What the reviewer chose on the queue page; empty means "any"."""

    status: str = Claim.Status.SUBMITTED  # "" = every status
    promotion_id: int | None = None
    region_id: int | None = None
    due: str = ""  # "", "overdue" or "soon"
    held_by_me: bool = False
    checks: str = ""  # "", "passed", "failed" (a check failed or a fraud flag) or "unknown"


def _filtered(qs: QuerySet[Claim], *, user: User, filters: QueueFilters, with_status: bool) -> QuerySet[Claim]:
    if filters.promotion_id:
        qs = qs.filter(promotion_id=filters.promotion_id)
    if filters.region_id:
        qs = qs.filter(region_id=filters.region_id)
    if filters.due:
        today = timezone.localdate()
        # Only a claim still waiting for a decision can be overdue.
        qs = qs.filter(status=Claim.Status.SUBMITTED)
        if filters.due == "overdue":
            qs = qs.filter(due_on__lt=today)
        elif filters.due == "soon":
            qs = qs.filter(due_on__gte=today, due_on__lte=today + dt.timedelta(days=DUE_SOON_DAYS))
    if filters.held_by_me:
        qs = qs.filter(held_by=user, held_until__gt=timezone.now())
    if filters.checks:
        qs = qs.filter(checks_passed=CHECKS_FILTER[filters.checks])
    if with_status and filters.status:
        qs = qs.filter(status=filters.status)
    return qs


def review_queue(*, user: User, filters: QueueFilters) -> QuerySet[Claim]:
    """The reviewer's claims, oldest due first, with what the queue table shows."""
    items = ClaimItem.objects.select_related("product__serial__product_model").order_by("pk")
    return (
        _filtered(claims_visible_to(user), user=user, filters=filters, with_status=True)
        .select_related("member", "promotion", "region", "held_by")
        .prefetch_related(Prefetch("items", queryset=items))
        # The badge needs only whether the checks ran, not every verdict they stored.
        .defer("checks")
        .annotate(checks_at=KT("checks__at"))
        .order_by(*QUEUE_ORDER)
    )


def checks_state(claim: Claim, *, ran: bool) -> str:
    """The checks badge: "flagged", "passed", "failed", "unknown" (being read, or unreadable) or "" (not run).

    Reads only `flags` and `checks_passed` (the queue does not load the stored verdicts).
    """
    if claim.flags:
        return "flagged"
    if claim.checks_passed is not None:
        return "passed" if claim.checks_passed else "failed"
    return "unknown" if ran else ""


def bulk_approve_candidates(*, user: User, filters: QueueFilters) -> tuple[list[Claim], int, int]:
    """The claims a bulk approval from this queue would decide, at most BULK_APPROVE_MAX.

    Only claims waiting for a decision whose every check passed, whatever the status and
    checks filters say; claims another reviewer holds are left out. Returns the claims,
    how many more there are beyond the cap, and how many were left out as held.
    """
    filters = replace(filters, status=Claim.Status.SUBMITTED, checks="passed")
    held = Claim.held_by_other_q(user, timezone.now())
    claims = list(review_queue(user=user, filters=filters).exclude(held)[:BULK_APPROVE_MAX])
    counts = _filtered(claims_visible_to(user), user=user, filters=filters, with_status=True).aggregate(
        total=Count("pk"), held=Count("pk", filter=held)
    )
    more = max(0, counts["total"] - counts["held"] - BULK_APPROVE_MAX)
    return claims, more, counts["held"]


def queue_counts(*, user: User, filters: QueueFilters) -> dict[str, int]:
    """How many claims each status has, under the other filters: one aggregate query."""
    qs = _filtered(claims_visible_to(user), user=user, filters=filters, with_status=False)
    counts = qs.aggregate(**{status: Count("pk", filter=Q(status=status)) for status in Claim.Status.values})
    return {status: counts[status] or 0 for status in Claim.Status.values}


def queue_next_claim(*, user: User, filters: QueueFilters, after: Claim) -> Claim | None:
    """The claim after `after` in the queue, wrapping round; skips claims another reviewer holds."""
    qs = (
        _filtered(claims_visible_to(user), user=user, filters=filters, with_status=True)
        .exclude(pk=after.pk)
        .exclude(Claim.held_by_other_q(user, timezone.now()))
        .order_by(*QUEUE_ORDER)
    )
    later = (
        Q(due_on__gt=after.due_on)
        | Q(due_on=after.due_on, submitted_at__gt=after.submitted_at)
        | Q(due_on=after.due_on, submitted_at=after.submitted_at, pk__gt=after.pk)
    )
    return qs.filter(later).first() or qs.first()


# --- the claim page ---------------------------------------------------------------------------


RULE_LABELS = {
    "model": _("Eligible model or category"),
    "purchase_window": _("Bought in the purchase window"),
    "open": _("Promotion open on the day of the claim"),
    "region": _("Bought in a promotion region"),
    "store": _("Participating store"),
    "not_redeemed": _("Not redeemed in another claim"),
    "stock": _("Rewards left"),
    "member_limit": _("Under the per-member limit"),
}


MARK_COLOURS = {"ok": "#17652f", "fail": "#b00020", "unknown": "#b06a00", "text": "#1f3f7f"}


@dataclass(frozen=True)
class Mark:
    """A rectangle drawn over a picture, in the picture's own pixels."""

    x: int
    y: int
    width: int
    height: int
    title: str
    state: str  # "ok", "fail", "unknown" (a check's box) or "text" (any text the machine read)

    @property
    def colour(self) -> str:
        return MARK_COLOURS[self.state]


@dataclass
class Overlay:
    """What to draw over one picture: the boxes the checks used, and faintly every text read."""

    width: int
    height: int
    marks: list[Mark] = field(default_factory=list)
    texts: list[Mark] = field(default_factory=list)


@dataclass(frozen=True)
class CheckView:
    """One automatic check of a product, with the picture it looked at."""

    verdict: Verdict
    place: str  # which picture, in words
    anchor: str  # the id of that picture's figure on the page; "" when it is not shown

    @property
    def state(self) -> str:
        return _verdict_state(self.verdict)


@dataclass
class ItemView:
    """One product of the claim as the reviewer sees it."""

    item: ClaimItem
    eligibility: Eligibility
    invoices: list[ClaimDocument] = field(default_factory=list)
    serial_photos: list[ClaimDocument] = field(default_factory=list)
    checks: list[CheckView] | None = None  # None: the automatic checks have not judged this product
    registration_overlay: Overlay | None = None  # over the invoice given at registration

    @property
    def rules(self) -> list[tuple[StrOrPromise, bool, str]]:
        return [(RULE_LABELS.get(v.rule, v.rule), v.ok, v.message) for v in self.eligibility.verdicts]


@dataclass
class RoundView:
    number: int
    events: list[ClaimEvent] = field(default_factory=list)
    documents: list[ClaimDocument] = field(default_factory=list)


def claim_page_queryset() -> QuerySet[Claim]:
    return Claim.objects.select_related("member", "promotion", "region", "held_by")


def claim_items(*, claim: Claim) -> list[ClaimItem]:
    documents = ClaimDocument.objects.select_related("scan")
    return list(
        claim.items.select_related(
            "product__serial__product_model__category",
            "product__store",
            "product__region",
            "product__member",
            "product__invoice_scan",
        )
        .prefetch_related(Prefetch("documents", queryset=documents))
        .order_by("pk")
    )


def facts_without_claim(*, claim: Claim, items: list[ClaimItem]) -> EligibilityFacts:
    """The eligibility facts as they were for this claim: its own hold on stock and products removed.

    `eligibility_facts` counts every active claim, this one included, so read as is
    the rules "not redeemed", "stock" and "member limit" would fail because of the
    very claim under review.
    """
    facts = eligibility_facts(
        member_ids={claim.member_id, *(i.product.member_id for i in items)}, promotion_ids=[claim.promotion_id]
    )
    if claim.status not in Claim.ACTIVE:
        return facts
    for item in items:
        if item.active:
            facts.active_items.discard((item.product_id, item.promotion_id))
    if facts.promotion_claims[claim.promotion_id] > 0:
        facts.promotion_claims[claim.promotion_id] -= 1
    member_key = (claim.member_id, claim.promotion_id)
    if facts.member_claims[member_key] > 0:
        facts.member_claims[member_key] -= 1
    return facts


def claim_submitted_day(claim: Claim) -> dt.date:
    """The day, in the claim's region, the member first submitted it (when "open" is judged)."""
    return claim.submitted_at.astimezone(ZoneInfo(claim.region.time_zone)).date()


def claim_item_views(*, claim: Claim) -> list[ItemView]:
    items = claim_items(claim=claim)
    promotion = Promotion.objects.get(pk=claim.promotion_id)
    promotions_rules_load([promotion])  # its rule sets in one query
    facts = facts_without_claim(claim=claim, items=items)
    day = claim_submitted_day(claim)
    views = []
    for item in items:
        verdict = product_eligibility(product=item.product, promotion=promotion, facts=facts, today=day)
        view = ItemView(item=item, eligibility=verdict)
        for doc in sorted(item.documents.all(), key=lambda d: (-d.round, d.uploaded_at)):
            doc.overlay = None  # type: ignore[attr-defined]  # set by claim_checks_view
            if doc.kind == ClaimDocument.Kind.INVOICE:
                view.invoices.append(doc)
            else:
                view.serial_photos.append(doc)
        views.append(view)
    return views


def claim_rounds(*, claim: Claim, item_views: list[ItemView]) -> list[RoundView]:
    """The history, newest round first: each round's status changes and the documents sent in it."""
    rounds: dict[int, RoundView] = defaultdict(lambda: RoundView(number=0))
    labels = dict(Claim.Status.choices)
    for event in claim.events.select_related("actor").order_by("created_at", "pk"):
        event.from_label = labels.get(event.from_status, event.from_status)  # type: ignore[attr-defined]
        event.to_label = labels.get(event.to_status, event.to_status)  # type: ignore[attr-defined]
        rounds[event.round].events.append(event)
    for view in item_views:
        for doc in view.invoices + view.serial_photos:
            rounds[doc.round].documents.append(doc)
    for number, round_view in rounds.items():
        round_view.number = number
    return [rounds[n] for n in sorted(rounds, reverse=True)]


# --- the automatic evidence checks and fraud flags on the claim page ---

OCR_TEXTS_MAX = 400  # the faint boxes of every text read; a dense receipt has a few hundred


def _verdict_state(verdict: Verdict) -> str:
    return "unknown" if verdict.ok is None else ("ok" if verdict.ok else "fail")


def doc_anchor(key: str, item: ClaimItem) -> str:
    """The id of the figure showing picture `key` ("doc:<id>" or "product:<id>") on the claim page."""
    kind, _sep, pk = key.partition(":")
    if kind == "doc":
        return f"pic-doc-{pk}"
    if kind == "product" and pk == str(item.product_id):
        return f"pic-reg-{item.pk}"
    return ""


def _place(key: str, docs: dict[str, ClaimDocument], item: ClaimItem) -> tuple[str, str]:
    doc = docs.get(key)
    if doc is not None:
        place = _("%(kind)s, round %(round)s") % {"kind": doc.get_kind_display(), "round": doc.round}
        return str(place), doc_anchor(key, item)
    if key == f"product:{item.product_id}" and item.product.invoice:
        return str(_("Invoice given at product registration")), doc_anchor(key, item)
    return "", ""


def _overlay(scan: Scan | None, verdicts: list[Verdict]) -> Overlay | None:
    """The boxes over one picture, or None when it has not been read (nothing to draw)."""
    if scan is None or scan.state != Scan.State.DONE or not scan.width or not scan.height:
        return None
    overlay = Overlay(width=scan.width, height=scan.height)
    rank = {"text": 0, "ok": 1, "unknown": 2, "fail": 3}
    marks: dict[tuple[int, ...], Mark] = {}
    for verdict in verdicts:
        if not verdict.box or len(verdict.box) != 4:
            continue
        x0, y0, x1, y1 = (int(v) for v in verdict.box)
        key = (min(x0, x1), min(y0, y1), abs(x1 - x0), abs(y1 - y0))
        title = f"{verdict.label}: “{verdict.read}”" if verdict.read else str(verdict.label)
        state = _verdict_state(verdict)
        seen = marks.get(key)
        if seen is not None:  # two checks read the same words (the date): one box, both titles, worst colour
            title = f"{seen.title}; {title}"
            state = max(seen.state, state, key=rank.__getitem__)
        marks[key] = Mark(*key, title=title, state=state)
    overlay.marks = list(marks.values())
    for row in (scan.boxes or [])[:OCR_TEXTS_MAX]:
        text, x0, y0, x1, y1 = row[:5]
        x0, y0, x1, y1 = (int(v) for v in (x0, y0, x1, y1))
        overlay.texts.append(Mark(min(x0, x1), min(y0, y1), abs(x1 - x0), abs(y1 - y0), str(text), "text"))
    return overlay


def claim_checks_view(*, claim: Claim, item_views: list[ItemView]) -> None:
    """Put the stored checks on each product of the page, and their boxes on the pictures they read."""
    rows = {row["item"]: row for row in item_checks(claim)}
    for view in item_views:
        row = rows.get(view.item.pk)
        if row is None:
            continue
        docs = {f"doc:{d.pk}": d for d in view.invoices + view.serial_photos}
        by_picture: dict[str, list[Verdict]] = defaultdict(list)
        view.checks = []
        for verdict in row["verdicts"]:
            place, anchor = _place(verdict.doc or "", docs, view.item)
            view.checks.append(CheckView(verdict=verdict, place=place, anchor=anchor))
            by_picture[verdict.doc or ""].append(verdict)
        for key, verdicts in by_picture.items():
            if key in docs:
                docs[key].overlay = _overlay(docs[key].scan, verdicts)  # type: ignore[attr-defined]
            elif key == f"product:{view.item.product_id}":
                view.registration_overlay = _overlay(view.item.product.invoice_scan, verdicts)


def claim_checks_at(claim: Claim) -> dt.datetime | None:
    """When the automatic checks last judged the claim."""
    at = (claim.checks or {}).get("at")
    try:
        return dt.datetime.fromisoformat(at) if at else None
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class FlagView:
    message: str
    claims: list[tuple[int, bool]]  # (other claim's number, whether this reviewer may open it)


def claim_flag_views(*, claim: Claim, user: User) -> list[FlagView]:
    """The claim's fraud flags; the other claims they name are links only where the reviewer may follow."""
    flags = [Flag.from_json(data) for data in claim.flags or []]
    others = {pk for flag in flags for pk in flag.claims} - {claim.pk}
    mine = set(claims_visible_to(user).filter(pk__in=others).values_list("pk", flat=True)) if others else set()
    return [
        FlagView(message=flag.message, claims=[(pk, pk in mine) for pk in flag.claims if pk != claim.pk])
        for flag in flags
    ]


def reason_templates(*, kind: str) -> QuerySet[ReasonTemplate]:
    return ReasonTemplate.objects.filter(kind=kind, is_active=True).order_by("position", "title")


def claim_document(*, claim: Claim, doc_pk: int) -> ClaimDocument | None:
    return ClaimDocument.objects.filter(pk=doc_pk, item__claim=claim).first()


def claim_item(*, claim: Claim, item_pk: int) -> ClaimItem | None:
    return ClaimItem.objects.select_related("product").filter(pk=item_pk, claim=claim).first()


# --- other pages -----------------------------------------------------------------------------


def promotions_for_staff(*, user: User) -> QuerySet[Promotion]:
    """The promotions `user` manages (administrators: all), with their claim counts."""
    return (
        authz.promotions_managed_by(user)
        .prefetch_related("regions")
        .annotate(claim_count=Count("claims", distinct=True))
        .order_by("-redeem_end", "name_en")
    )


@dataclass(frozen=True)
class AuditFilters:
    actor_id: int | None = None
    action: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def audit_entries(*, filters: AuditFilters) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.select_related("actor").order_by("-created_at", "-pk")
    if filters.actor_id:
        qs = qs.filter(actor_id=filters.actor_id)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.date_from:
        qs = qs.filter(created_at__date__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(created_at__date__lte=filters.date_to)
    return qs


def audit_actors() -> QuerySet[User]:
    return User.objects.filter(pk__in=AuditEntry.objects.values("actor_id")).order_by("email")


def audit_actions() -> list[str]:
    return list(AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct())


def outbox_failures() -> QuerySet[OutboxEmail]:
    return OutboxEmail.objects.filter(status=OutboxEmail.Status.FAILED).select_related("user").order_by("-created_at")
