"""A claim's evidence judged: the automatic checks of its latest documents and its fraud flags.

Judged by a background job when the claim is submitted or sent again (the member's
Submit does not wait for it), and again whenever one of its pictures has been read (also
a background job). The result is stored on the claim, so the queue can filter on it:
`checks_passed` is True only when every check passed and no fraud signal is raised; the
reviewer's page shows each verdict and flag, or says that the checks have not run yet.
A round whose job was lost (the broker down at that moment) is judged by the sweep
`claims_judge_unjudged`, which beat runs every few minutes.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from membercenter.claims.models import Claim, ClaimDocument, ClaimItem
from membercenter.evidence.models import Scan
from membercenter.evidence.verdicts import Verdict, invoice_verdicts, sticker_verdicts, verdicts_passed

UNDER_REVIEW = (Claim.Status.SUBMITTED, Claim.Status.SENT_BACK)

logger = logging.getLogger(__name__)


def _latest(item: ClaimItem, kind: str) -> ClaimDocument | None:
    docs = [d for d in item.documents.all() if d.kind == kind]
    return max(docs, key=lambda d: (d.round, d.uploaded_at, d.pk)) if docs else None


def item_verdicts(item: ClaimItem, claim: Claim) -> list[Verdict]:
    """The checks of one product: its latest invoice (or the one given at registration) and sticker photo."""
    product = item.product
    promotion = claim.promotion
    invoice = _latest(item, ClaimDocument.Kind.INVOICE)
    if invoice is not None:
        invoice_scan, where = invoice.scan, f"doc:{invoice.pk}"
    else:
        invoice_scan, where = product.invoice_scan, f"product:{product.pk}"
    verdicts = invoice_verdicts(
        invoice_scan,
        model_names=product.serial.product_model.invoice_names,
        store=product.store.name,
        window=(promotion.purchase_start, promotion.purchase_end),
        doc=where,
    )
    photo = _latest(item, ClaimDocument.Kind.SERIAL_PHOTO)
    if photo is not None:
        verdicts += sticker_verdicts(photo.scan, sn=product.serial.sn, doc=f"doc:{photo.pk}")
    return verdicts


def _claim_for_checks(claim_id: int) -> Claim | None:
    documents = ClaimDocument.objects.select_related("scan")
    items = ClaimItem.objects.select_related(
        "product__serial__product_model", "product__store", "product__invoice_scan"
    ).prefetch_related(Prefetch("documents", queryset=documents))
    return (
        Claim.objects.select_related("promotion")
        .prefetch_related(Prefetch("items", queryset=items))
        .filter(pk=claim_id)
        .first()
    )


def claim_checks_refresh(claim_id: int, *, follow: bool = True) -> Claim | None:
    """Judge the claim's evidence again and store the result; with `follow`, also the claims its flags name.

    The other claims are judged again so that a signal shows on both sides: the earlier
    claim learns of the later copy of its invoice.

    The claim's row is locked while it is judged: the job after a submit and the one after a
    picture's reading may judge the same claim at once, and the one that stores last must be
    the one that read last (it waits, then reads the finished reading).
    """
    with transaction.atomic():
        if not Claim.objects.select_for_update().filter(pk=claim_id).exists():
            return None
        claim, others = _judge(claim_id)
    if follow:
        for pk in Claim.objects.filter(pk__in=others, status__in=UNDER_REVIEW).values_list("pk", flat=True):
            claim_checks_refresh(pk, follow=False)
    claim.refresh_from_db(fields=["checks", "checks_passed", "flags"])
    return claim


def _judge(claim_id: int) -> tuple[Claim, set[int]]:
    """Judge and store; the other claims the flags name."""
    claim = _claim_for_checks(claim_id)
    if claim is None:  # its row is locked by the caller: it cannot have gone
        raise RuntimeError(f"claim {claim_id} vanished while locked")
    rows, everything = [], []
    for item in claim.items.all():
        verdicts = item_verdicts(item, claim)
        everything += verdicts
        rows.append(
            {
                "item": item.pk,
                "product": item.product_id,
                "sn": item.product.serial.sn,
                "model": item.product.serial.product_model.name,
                "verdicts": [v.as_json() for v in verdicts],
            }
        )
    from membercenter.claims.fraud import claim_flags

    flags = claim_flags(claim)
    passed = verdicts_passed(everything)
    if passed and flags:
        passed = False
    Claim.objects.filter(pk=claim.pk).update(
        checks={"items": rows, "at": timezone.now().isoformat()},
        checks_passed=passed,
        flags=[f.as_json() for f in flags],
    )
    return claim, {pk for f in flags for pk in f.claims} - {claim.pk}


def claim_checks_after_commit(claim_id: int) -> None:
    """Judge the claim in a background job once the transaction that made this round commits."""
    from membercenter.claims.tasks import judge

    transaction.on_commit(lambda: judge.delay(claim_id), robust=True)


# A round not judged this long after it was sent lost its job (the normal wait is seconds).
UNJUDGED_AFTER = dt.timedelta(minutes=2)
# The sweep looks this far back: it makes up for jobs lost minutes ago, not for a beat that was
# down for days (a reviewer's "Run the checks again" does that, one claim at a time).
UNJUDGED_WITHIN = dt.timedelta(days=1)


def claims_judge_unjudged(*, now: dt.datetime | None = None) -> int:
    """Judge the claims under review whose current round, sent in the last day, has no checks yet."""
    now = now or timezone.now()
    before, since = now - UNJUDGED_AFTER, now - UNJUDGED_WITHIN
    waiting = (
        Claim.objects.filter(status__in=UNDER_REVIEW, checks={})
        .filter(
            Q(resubmitted_at__range=(since, before))
            | Q(resubmitted_at__isnull=True, submitted_at__range=(since, before))
        )
        .values_list("pk", flat=True)
    )
    judged = 0
    for pk in list(waiting[:500]):
        try:
            if claim_checks_refresh(pk) is not None:
                judged += 1
        except Exception:  # one claim that cannot be judged must not keep the others waiting
            logger.exception("claim %s: the checks could not be judged", pk)
    return judged


def claims_of_scan(scan: Scan) -> list[int]:
    """Claims under review whose judgement depends on this picture."""
    return list(
        Claim.objects.filter(status__in=UNDER_REVIEW)
        .filter(Q(items__documents__scan=scan) | Q(items__product__invoice_scan=scan))
        .values_list("pk", flat=True)
        .distinct()
    )


def on_scan_finished(sender: object, scan: Scan, **kwargs: object) -> None:
    for pk in claims_of_scan(scan):
        claim_checks_refresh(pk)


def item_checks(claim: Claim) -> list[dict]:
    """The stored checks for display: each product's verdicts as Verdict objects."""
    rows = []
    for row in (claim.checks or {}).get("items", []):
        rows.append({**row, "verdicts": [Verdict.from_json(v) for v in row["verdicts"]]})
    return rows
