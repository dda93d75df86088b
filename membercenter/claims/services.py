"""Claim operations: submit, decide, send back and resubmit, withdraw, expire.

Each runs in one transaction on a locked claim (or promotion) row, moves the status
only through `Claim.move_to`, and writes the member's notification in the same
transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from membercenter.accounts.models import User
from membercenter.audit.services import audit_record
from membercenter.claims.checks import claim_checks_after_commit
from membercenter.claims.models import Claim, ClaimDocument, ClaimEvent, ClaimItem
from membercenter.evidence.models import Upload
from membercenter.lib.business_days import add_business_days
from membercenter.lib.urls import absolute_url
from membercenter.notifications.services import notify
from membercenter.products.models import RegisteredProduct
from membercenter.products.services import region_today
from membercenter.promotions.models import Promotion
from membercenter.promotions.selectors import (
    ALREADY_CLAIMED,
    eligibility_facts,
    product_eligibility,
    promotions_with_rules,
)
from membercenter.promotions.stock import promotion_stock_forget

RECIPIENT_FIELDS = (
    "full_name", "email", "phone", "address", "city", "province", "postal_code", "unit",
    "contact_name", "contact_phone",
)  # fmt: skip
HOLD_MINUTES = 30


@dataclass(frozen=True)
class ItemEvidence:
    """New documents for one product of a claim (either may be absent)."""

    product_id: int
    serial_photo: Upload | None = None
    invoice: Upload | None = None


def claim_due_on(*, claim_region_code: str, start: dt.date) -> dt.date:
    return add_business_days(start, settings.CLAIM_REVIEW_BUSINESS_DAYS, country=claim_region_code)


def _attach(item: ClaimItem, upload: Upload | None, kind: str, round_no: int) -> None:
    """Hand a pending upload over to the claim: the file stays, the claim now owns it."""
    if upload is None:
        return
    ClaimDocument.objects.create(item=item, kind=kind, file=upload.file.name, scan_id=upload.scan_id, round=round_no)
    Upload.objects.filter(pk=upload.pk).delete()


def _recipient_keys(recipient: dict[str, str]) -> dict[str, str]:
    from membercenter.claims.fraud import recipient_keys

    phone_key, address_key = recipient_keys(
        recipient.get("phone", ""), recipient.get("address", ""), recipient.get("postal_code", "")
    )
    return {"phone_key": phone_key, "address_key": address_key}


def _check_uploads(member: User, evidence: list[ItemEvidence]) -> None:
    for ev in evidence:
        for upload in (ev.serial_photo, ev.invoice):
            if upload is not None and upload.owner_id != member.pk:
                raise ValidationError(_("An uploaded file has expired. Please upload it again."), code="upload")


def claim_submit(
    *,
    member: User,
    promotion: Promotion,
    evidence: list[ItemEvidence],
    recipient: dict[str, str],
    submit_token: uuid.UUID,
) -> Claim:
    """Create the claim. Submitting the same token again returns the claim already made."""
    if not member.is_verified:
        raise ValidationError(_("Please verify your email address before redeeming."), code="unverified")
    if not evidence:
        raise ValidationError(_("Choose at least one product to redeem."), code="empty")
    existing = Claim.objects.filter(member=member, submit_token=submit_token).first()
    if existing is not None:
        return existing
    _check_uploads(member, evidence)
    if any(ev.serial_photo is None for ev in evidence):
        # SPEC §3: the evidence includes a photo of each product's serial sticker.
        raise ValidationError(
            _("Upload a photo of the serial number sticker on the product (not the box)."), code="photo"
        )
    try:
        with transaction.atomic():
            # The promotion row is the lock that makes "stock left" and "limit per member"
            # hold under concurrent submits.
            locked = promotions_with_rules().select_for_update(of=("self",)).get(pk=promotion.pk)
            # A twin request with this token may have committed while this one waited for the
            # lock; its products now count as taken, so answer with its claim before judging.
            existing = Claim.objects.filter(member=member, submit_token=submit_token).first()
            if existing is not None:
                return existing
            products = _products_to_claim(member, locked, [ev.product_id for ev in evidence])
            region = products[0].region
            today = region_today(region)
            claim = Claim.objects.create(
                member=member,
                promotion=locked,
                region=region,
                submit_token=submit_token,
                due_on=claim_due_on(claim_region_code=region.code, start=today),
                **{f: recipient.get(f, "") for f in RECIPIENT_FIELDS},
                **_recipient_keys(recipient),
            )
            by_product = {ev.product_id: ev for ev in evidence}
            for product in products:
                item = ClaimItem.objects.create(claim=claim, product=product, promotion=locked)
                _attach(item, by_product[product.pk].serial_photo, ClaimDocument.Kind.SERIAL_PHOTO, 1)
                _attach(item, by_product[product.pk].invoice, ClaimDocument.Kind.INVOICE, 1)
            ClaimEvent.objects.create(claim=claim, to_status=Claim.Status.SUBMITTED, actor=member)
            promotion_stock_forget(locked.pk)
            claim_checks_after_commit(claim.pk)
            notify(
                user=member,
                template="claim_received",
                context={"claim": claim, "promotion": locked},
                link=absolute_url("claims:history"),
            )
    except IntegrityError:
        existing = Claim.objects.filter(member=member, submit_token=submit_token).first()
        if existing is not None:
            return existing
        raise ValidationError(str(ALREADY_CLAIMED), code="taken") from None
    return claim


def _products_to_claim(member: User, promotion: Promotion, product_ids: list[int]) -> list[RegisteredProduct]:
    products = list(
        RegisteredProduct.objects.filter(member=member, pk__in=product_ids).select_related(
            "serial__product_model__category", "store", "region"
        )
    )
    if len(products) != len(set(product_ids)):
        raise ValidationError(_("Choose products from My Products."), code="not_owner")
    if len({p.region_id for p in products}) > 1:
        raise ValidationError(_("Redeem products bought in one region together."), code="regions")
    facts = eligibility_facts(member_ids=[member.pk], promotion_ids=[promotion.pk])
    problems = []
    for product in products:
        verdict = product_eligibility(product=product, promotion=promotion, facts=facts)
        problems += [f"{product.serial.sn}: {f.message}" for f in verdict.failures]
    if problems:
        # Each message keeps the code (a list given to ValidationError would drop it).
        raise ValidationError([ValidationError(p, code="ineligible") for p in problems])
    return products


def _locked(claim: Claim) -> Claim:
    # Lock only the claim row: locking the joined promotion and region rows too (PostgreSQL's
    # plain FOR UPDATE does) would queue every decision behind every submit of the promotion.
    return (
        Claim.objects.select_for_update(of=("self",)).select_related("member", "promotion", "region").get(pk=claim.pk)
    )


def _decide(
    claim: Claim,
    status: str,
    reviewer: User,
    note: str,
    template: str,
    link: str,
    then: Callable[[Claim], object] | None = None,
) -> Claim:
    with transaction.atomic():
        claim = _locked(claim)
        claim.move_to(status, by=reviewer, note=note)
        if then is not None:
            then(claim)
        claim.reason = note
        claim.decided_at = timezone.now()
        claim.held_by, claim.held_until = None, None
        claim.save(update_fields=["reason", "decided_at", "held_by", "held_until"])
        notify(
            user=claim.member,
            template=template,
            context={"claim": claim, "promotion": claim.promotion, "reason": note},
            link=link,
        )
        audit_record(
            actor=reviewer,
            action=f"claim.{status}",
            target=claim,
            summary=f"Claim #{claim.pk} → {status}" + (f": {note}" if note else ""),
        )
    return claim


def _reason_required(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the member a reason."), code="reason")
    return reason


def claim_approve(*, claim: Claim, reviewer: User) -> Claim:
    """Approve and grant each product its reward; refused when the stock is gone."""
    from membercenter.rewards.services import grants_create
    from membercenter.rewards.tasks import allocate_and_deliver

    claim = _decide(
        claim, Claim.Status.APPROVED, reviewer, "", "claim_approved", absolute_url("claims:history"),
        then=lambda locked: grants_create(claim=locked),
    )  # fmt: skip
    if claim.promotion.reward_delivery == Promotion.Delivery.ON_APPROVAL:
        # robust: a broker down at this moment must not turn a committed approval into an error
        # page; the scheduled allocate/deliver jobs serve the grant anyway.
        transaction.on_commit(allocate_and_deliver.delay, robust=True)
    return claim


def claim_approve_if_clear(*, claim_id: int, reviewer: User, visible: QuerySet[Claim]) -> str:
    """One claim of a bulk approval: approved if it still qualifies, else the reason it was skipped ("" = approved).

    Everything is read again under the claim's lock, in the approval's transaction:
    between the list and the click the claim may have been decided, held, or judged
    again. `visible` is the reviewer's scope (their regions); a claim outside it is
    "not found", as its page would be.
    """
    with transaction.atomic():
        claim = visible.select_for_update(of=("self",)).filter(pk=claim_id).first()
        if claim is None:
            return _("not found")
        if claim.status != Claim.Status.SUBMITTED:
            return _("it is already “%(status)s”") % {"status": claim.get_status_display()}
        if claim.checks_passed is not True:
            return _("its automatic checks no longer all pass")
        if claim.is_held_by_other(reviewer, timezone.now()) and claim.held_by is not None:
            name = claim.held_by.get_full_name() or claim.held_by.email
            return _("%(name)s is reviewing it") % {"name": name}
        try:
            claim_approve(claim=claim, reviewer=reviewer)
        except ValidationError as err:
            return " ".join(err.messages).rstrip(".")
    return ""


def claim_send_back(*, claim: Claim, reviewer: User, reason: str) -> Claim:
    reason = _reason_required(reason)
    return _decide(
        claim, Claim.Status.SENT_BACK, reviewer, reason, "claim_sent_back", absolute_url("claims:again", claim.pk)
    )


def claim_reject(*, claim: Claim, reviewer: User, reason: str) -> Claim:
    reason = _reason_required(reason)
    return _decide(claim, Claim.Status.REJECTED, reviewer, reason, "claim_rejected", absolute_url("claims:history"))


def claim_withdraw(*, claim: Claim, member: User) -> Claim:
    with transaction.atomic():
        claim = _locked(claim)
        if claim.member_id != member.pk:
            raise ValidationError(_("This claim is not yours."), code="owner")
        claim.move_to(Claim.Status.WITHDRAWN, by=member, note=_("Withdrawn by the member"))
        notify(user=member, template="claim_withdrawn", context={"claim": claim, "promotion": claim.promotion})
    return claim


def claim_resubmit(*, claim: Claim, member: User, recipient: dict[str, str], evidence: list[ItemEvidence]) -> Claim:
    """Redeem Again: a new round with the new documents; earlier ones are kept."""
    _check_uploads(member, evidence)
    with transaction.atomic():
        claim = _locked(claim)
        if claim.member_id != member.pk:
            raise ValidationError(_("This claim is not yours."), code="owner")
        if not any(ev.serial_photo or ev.invoice for ev in evidence):
            raise ValidationError(_("Upload at least one new document."), code="no_documents")
        if claim.status == Claim.Status.SENT_BACK and claim_past_deadline(claim):
            # The sent-back email promises expiry after the deadline; the hourly expiry job
            # may not have run yet, so the deadline is enforced here too.
            raise ValidationError(
                _("The promotion's deadline (%(date)s) has passed, so this redemption can no longer be sent again.")
                % {"date": date_format(claim.promotion.redeem_end, "j M Y")},
                code="deadline",
            )
        claim.round += 1
        claim.move_to(Claim.Status.SUBMITTED, by=member, note=_("Sent again with new documents"))
        items = {item.product_id: item for item in claim.items.all()}
        for ev in evidence:
            item = items.get(ev.product_id)
            if item is None:
                raise ValidationError(_("Choose products from this claim."), code="not_in_claim")
            _attach(item, ev.serial_photo, ClaimDocument.Kind.SERIAL_PHOTO, claim.round)
            _attach(item, ev.invoice, ClaimDocument.Kind.INVOICE, claim.round)
        for f in RECIPIENT_FIELDS:
            setattr(claim, f, recipient.get(f, getattr(claim, f)))
        for f, key in _recipient_keys({f: getattr(claim, f) for f in RECIPIENT_FIELDS}).items():
            setattr(claim, f, key)
        # The earlier round's checks judged other documents: none until the job judges these.
        claim.checks, claim.checks_passed = {}, None
        claim_checks_after_commit(claim.pk)
        claim.resubmitted_at = timezone.now()
        claim.due_on = claim_due_on(claim_region_code=claim.region.code, start=region_today(claim.region))
        claim.save()
        notify(
            user=member,
            template="claim_received",
            context={"claim": claim, "promotion": claim.promotion},
            link=absolute_url("claims:history"),
        )
    return claim


def claim_past_deadline(claim: Claim) -> bool:
    """True once the promotion's redemption deadline has passed in the claim's region."""
    return region_today(claim.region) > claim.promotion.redeem_end


def claims_expire_sent_back(*, today: dt.date | None = None) -> int:
    """Sent-back claims whose promotion deadline has passed expire (a scheduled job).

    Without `today`, each claim's deadline is judged on its region's date, as Redeem
    Again judges it, so a claim never expires while its member may still send it again.
    """
    # A day of slack for regions ahead of the server's time zone; each claim is checked exactly below.
    latest = today or timezone.localdate() + dt.timedelta(days=1)
    ids = list(
        Claim.objects.filter(status=Claim.Status.SENT_BACK, promotion__redeem_end__lt=latest).values_list(
            "pk", flat=True
        )
    )
    expired = 0
    for pk in ids:
        with transaction.atomic():
            claim = _locked(Claim(pk=pk))
            if claim.status != Claim.Status.SENT_BACK:
                continue  # answered or handled by another run meanwhile
            if claim.promotion.redeem_end >= (today or region_today(claim.region)):
                continue  # still the deadline day in the claim's region
            claim.move_to(Claim.Status.EXPIRED, by=None, note=_("Not sent again before the promotion's deadline"))
            notify(user=claim.member, template="claim_expired", context={"claim": claim, "promotion": claim.promotion})
            expired += 1
    return expired


def claim_hold(*, claim: Claim, reviewer: User) -> bool:
    """Mark the claim as being reviewed by `reviewer`; False when another reviewer holds it."""
    now = timezone.now()
    with transaction.atomic():
        claim = _locked(claim)
        if claim.is_held_by_other(reviewer, now):
            return False
        claim.held_by = reviewer
        claim.held_until = now + dt.timedelta(minutes=HOLD_MINUTES)
        claim.save(update_fields=["held_by", "held_until"])
    return True


def claim_release(*, claim: Claim, reviewer: User) -> None:
    Claim.objects.filter(pk=claim.pk, held_by=reviewer).update(held_by=None, held_until=None)


ESCALATE_BATCH = 500  # claims per run: a backlog goes out over the next hourly runs
ESCALATION_LIST_MAX = 25  # claims listed in one email; the rest are behind the queue's "Overdue" link


def claims_escalate_overdue(*, today: dt.date | None = None) -> int:
    """Claims still waiting for a decision past their due date are escalated, once per deadline (a scheduled job).

    The reviewers of each claim's region and the administrators get one email per run that
    lists their newly overdue claims; each claim gets a "system" event in its history and
    `escalated_at`, so later runs pass it by until a resubmission gives it a new due date.
    Without `today`, "past" is judged on each claim's region date, as the due date was set.
    Marks, events and emails are written in one transaction on rows locked with SKIP LOCKED:
    runs at the same time escalate each claim once, and a claim being decided is left alone.
    """
    from django.db.models import F, Q

    from membercenter.notifications.services import email_enqueue

    # A day of slack for regions ahead of the server's time zone; each claim is checked exactly below.
    latest = today or timezone.localdate() + dt.timedelta(days=1)
    waiting = Claim.objects.filter(status=Claim.Status.SUBMITTED, due_on__lt=latest).filter(
        Q(escalated_at__isnull=True) | Q(resubmitted_at__gt=F("escalated_at"))
    )
    with transaction.atomic():
        claims = [
            claim
            for claim in waiting.select_for_update(skip_locked=True, of=("self",))
            .select_related("region", "promotion")
            .order_by("due_on", "pk")[:ESCALATE_BATCH]
            if claim.due_on < (today or region_today(claim.region))
        ]
        if not claims:
            return 0
        now = timezone.now()
        Claim.objects.filter(pk__in=[c.pk for c in claims]).update(escalated_at=now)
        ClaimEvent.objects.bulk_create(
            ClaimEvent(
                claim=claim,
                to_status=claim.status,
                round=claim.round,
                created_at=now,
                note=_("Decision overdue (due %(date)s): escalated to the region's reviewers and the administrators.")
                % {"date": date_format(claim.due_on, "j M Y")},
            )
            for claim in claims
        )
        for user, theirs in _escalation_recipients(claims):
            email_enqueue(
                template="claims_overdue",
                to=user.email,
                user=user,
                language=user.language,
                context={
                    "user": user,
                    "count": len(theirs),
                    "more": max(0, len(theirs) - ESCALATION_LIST_MAX),
                    "claims": [
                        {"claim": c, "link": absolute_url("backoffice:claim", c.pk)}
                        for c in theirs[:ESCALATION_LIST_MAX]
                    ],
                    "queue_link": absolute_url("backoffice:queue") + "?due=overdue",
                },
            )
    return len(claims)


def _escalation_recipients(claims: list[Claim]) -> list[tuple[User, list[Claim]]]:
    """Who is told of each overdue claim: active reviewers of its region, and every administrator."""
    from django.db.models import Q

    from membercenter.backoffice.roles import ADMINISTRATOR, PERM_REVIEW

    app_label, codename = PERM_REVIEW.split(".")
    may_review = Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label) | Q(
        user_permissions__codename=codename, user_permissions__content_type__app_label=app_label
    )
    active = User.objects.filter(is_active=True)
    admins = set(active.filter(Q(is_superuser=True) | Q(groups__name=ADMINISTRATOR)).values_list("pk", flat=True))
    reviewers = active.filter(may_review).values("pk")
    regions_of: dict[int, set[int]] = {}
    for user_id, region_id in User.review_regions.through.objects.filter(
        user_id__in=reviewers, region_id__in={c.region_id for c in claims}
    ).values_list("user_id", "region_id"):
        regions_of.setdefault(user_id, set()).add(region_id)
    users = User.objects.filter(pk__in=admins | set(regions_of)).order_by("pk")
    return [
        (user, claims if user.pk in admins else [c for c in claims if c.region_id in regions_of[user.pk]])
        for user in users
    ]
