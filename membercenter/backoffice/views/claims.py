"""The review queue, the claim page, its pictures and the decisions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from membercenter.audit.services import audit_record
from membercenter.backoffice import selectors
from membercenter.backoffice.access import staff_required
from membercenter.backoffice.forms import ALL, BulkApproveForm, QueueFilterForm, ReasonForm
from membercenter.backoffice.roles import PERM_REVIEW
from membercenter.backoffice.views.common import paginate, private_file, query_without_page, status_tabs
from membercenter.claims import services as claim_services
from membercenter.claims.checks import UNDER_REVIEW, claim_checks_refresh
from membercenter.claims.models import Claim, ReasonTemplate
from membercenter.lib.authz import claim_for_reviewer, claims_visible_to
from membercenter.lib.types import AuthenticatedHttpRequest


def _claim_url(claim: Claim, query: str) -> str:
    url = reverse("backoffice:claim", args=[claim.pk])
    return f"{url}?{query}" if query else url


def _queue_url(query: str) -> str:
    return reverse("backoffice:queue") + (f"?{query}" if query else "")


@staff_required(PERM_REVIEW)
def queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET, user=request.user)
    filters = form.filters()
    page = paginate(request, selectors.review_queue(user=request.user, filters=filters))
    page.object_list = list(page.object_list)
    for claim in page.object_list:
        claim.checks_state = selectors.checks_state(claim, ran=bool(claim.checks_at))  # type: ignore[attr-defined]
    counts = selectors.queue_counts(user=request.user, filters=filters)
    bulk = filters.checks == "passed" and filters.status == Claim.Status.SUBMITTED
    context = {
        "form": form,
        "page": page,
        "bulk_count": min(page.paginator.count, selectors.BULK_APPROVE_MAX) if bulk else 0,
        "tabs": status_tabs(request, counts, filters.status, Claim.Status.choices, all_value=ALL),
        "query": query_without_page(request.GET),
        "today": timezone.localdate(),
        "now": timezone.now(),
    }
    return render(request, "backoffice/queue.html", context)


def _claim_page(
    request: AuthenticatedHttpRequest,
    claim: Claim,
    *,
    send_back_form: ReasonForm | None = None,
    reject_form: ReasonForm | None = None,
) -> HttpResponse:
    query = query_without_page(request.GET)
    filters = QueueFilterForm(request.GET, user=request.user).filters()
    language = claim.member.language
    item_views = selectors.claim_item_views(claim=claim)
    selectors.claim_checks_view(claim=claim, item_views=item_views)
    checks_at = selectors.claim_checks_at(claim)
    held_elsewhere = claim.is_held_by_other(request.user, timezone.now())
    context = {
        "claim": claim,
        "items": item_views,
        "checks_at": checks_at,
        "checks_state": selectors.checks_state(claim, ran=checks_at is not None),
        "checks_refreshable": claim.status in UNDER_REVIEW,
        "flags": selectors.claim_flag_views(claim=claim, user=request.user),
        "rounds": selectors.claim_rounds(claim=claim, item_views=item_views),
        "query": query,
        "next_claim": selectors.queue_next_claim(user=request.user, filters=filters, after=claim),
        "held_elsewhere": held_elsewhere,
        "decidable": claim.status == Claim.Status.SUBMITTED,
        "send_back_form": send_back_form
        or ReasonForm(prefix="send_back", kind=ReasonTemplate.Kind.SEND_BACK, language=language),
        "reject_form": reject_form or ReasonForm(prefix="reject", kind=ReasonTemplate.Kind.REJECT, language=language),
    }
    return render(request, "backoffice/claim.html", context)


@staff_required(PERM_REVIEW)
def claim_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Opening a claim that waits for a decision holds it for this reviewer (unless another one does)."""
    claim = claim_for_reviewer(request.user, pk)
    if claim.status == Claim.Status.SUBMITTED:
        claim_services.claim_hold(claim=claim, reviewer=request.user)
    claim = selectors.claim_page_queryset().get(pk=claim.pk)
    return _claim_page(request, claim)


def _after_decision(request: AuthenticatedHttpRequest, claim: Claim, message: str) -> HttpResponse:
    messages.success(request, message)
    filters = QueueFilterForm(request.GET, user=request.user).filters()
    following = selectors.queue_next_claim(user=request.user, filters=filters, after=claim)
    query = query_without_page(request.GET)
    if following is None:
        messages.info(request, _("No more claims in this queue."))
        return redirect(_queue_url(query))
    return redirect(_claim_url(following, query))


def _refused(request: AuthenticatedHttpRequest, claim: Claim, err: ValidationError) -> HttpResponse:
    messages.error(request, " ".join(err.messages))
    return redirect(_claim_url(claim, query_without_page(request.GET)))


@staff_required(PERM_REVIEW)
@require_POST
def claim_approve(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    claim = claim_for_reviewer(request.user, pk)
    try:
        claim_services.claim_approve(claim=claim, reviewer=request.user)
    except ValidationError as err:
        return _refused(request, claim, err)
    return _after_decision(request, claim, _("Claim #%(pk)s approved.") % {"pk": claim.pk})


def _reason_decision(request: AuthenticatedHttpRequest, pk: int, kind: str) -> HttpResponse:
    claim = claim_for_reviewer(request.user, pk, queryset=selectors.claim_page_queryset())
    form = ReasonForm(request.POST, prefix=kind, kind=kind, language=claim.member.language)
    if not form.is_valid():
        messages.error(request, _("Give the member a reason."))
        forms = {"send_back_form" if kind == ReasonTemplate.Kind.SEND_BACK else "reject_form": form}
        return _claim_page(request, claim, **forms)
    decide = claim_services.claim_send_back if kind == ReasonTemplate.Kind.SEND_BACK else claim_services.claim_reject
    try:
        decide(claim=claim, reviewer=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as err:
        return _refused(request, claim, err)
    if kind == ReasonTemplate.Kind.SEND_BACK:
        done = _("Claim #%(pk)s sent back to the member.")
    else:
        done = _("Claim #%(pk)s rejected.")
    return _after_decision(request, claim, done % {"pk": claim.pk})


@staff_required(PERM_REVIEW)
@require_POST
def claim_send_back(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _reason_decision(request, pk, ReasonTemplate.Kind.SEND_BACK)


@staff_required(PERM_REVIEW)
@require_POST
def claim_reject(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _reason_decision(request, pk, ReasonTemplate.Kind.REJECT)


@staff_required(PERM_REVIEW)
@require_POST
def claim_release(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    claim = claim_for_reviewer(request.user, pk)
    claim_services.claim_release(claim=claim, reviewer=request.user)
    messages.success(request, _("Claim #%(pk)s is no longer held by you.") % {"pk": claim.pk})
    query = query_without_page(request.GET)
    return redirect(_queue_url(query))


@staff_required(PERM_REVIEW)
@require_POST
def claim_checks_again(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Judge the claim's evidence again now (a picture was read again, a rule or the registry changed)."""
    claim = claim_for_reviewer(request.user, pk)
    if claim.status not in UNDER_REVIEW:
        messages.error(request, _("The checks run only on a claim under review."))
    else:
        claim_checks_refresh(claim.pk)
        audit_record(
            actor=request.user, action="claim.checks", target=claim, summary=f"Claim #{claim.pk}: checks run again"
        )
        messages.success(request, _("The automatic checks ran again."))
    return redirect(_claim_url(claim, query_without_page(request.GET)) + "#checks")


def _report_bulk(request: AuthenticatedHttpRequest, outcomes: list[tuple[int, str]]) -> None:
    """One message for the claims approved, one per claim skipped with its reason."""
    approved = [pk for pk, reason in outcomes if not reason]
    skipped = [(pk, reason) for pk, reason in outcomes if reason]
    if approved:
        numbers = ", ".join(f"#{pk}" for pk in approved)
        text = ngettext("%(n)s claim approved: %(numbers)s.", "%(n)s claims approved: %(numbers)s.", len(approved))
        messages.success(request, text % {"n": len(approved), "numbers": numbers})
    for pk, reason in skipped:
        messages.warning(request, _("Claim #%(pk)s not approved: %(reason)s.") % {"pk": pk, "reason": reason})
    if skipped:
        text = ngettext("%(n)s claim skipped.", "%(n)s claims skipped.", len(skipped))
        messages.info(request, text % {"n": len(skipped)})


@staff_required(PERM_REVIEW)
@require_http_methods(["GET", "POST"])
def bulk_approve(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Approve, in one go, the waiting claims whose every automatic check passed: a list to confirm, then each."""
    query = query_without_page(request.GET)
    form = BulkApproveForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        visible = claims_visible_to(request.user)
        outcomes = [
            (pk, claim_services.claim_approve_if_clear(claim_id=pk, reviewer=request.user, visible=visible))
            for pk in form.cleaned_data["claim"]
        ]
        _report_bulk(request, outcomes)
        return redirect(_queue_url(query))
    filters = QueueFilterForm(request.GET, user=request.user).filters()
    claims, more, held = selectors.bulk_approve_candidates(user=request.user, filters=filters)
    context = {
        "form": form,
        "claims": claims,
        "more": more,
        "held": held,
        "ticked": {int(v) for v in request.POST.getlist("claim") if v.isdigit()} if form.is_bound else None,
        "query": query,
    }
    return render(request, "backoffice/bulk_approve.html", context)


@staff_required(PERM_REVIEW)
def claim_document(request: AuthenticatedHttpRequest, pk: int, doc_pk: int) -> FileResponse:
    claim = claim_for_reviewer(request.user, pk)
    document = selectors.claim_document(claim=claim, doc_pk=doc_pk)
    if document is None:
        raise Http404
    return private_file(document.file)


@staff_required(PERM_REVIEW)
def claim_item_invoice(request: AuthenticatedHttpRequest, pk: int, item_pk: int) -> FileResponse:
    """The invoice the member gave when registering the product."""
    claim = claim_for_reviewer(request.user, pk)
    item = selectors.claim_item(claim=claim, item_pk=item_pk)
    if item is None:
        raise Http404
    return private_file(item.product.invoice)
