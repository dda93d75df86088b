"""Redeem History, Redeem Again, withdraw, and the member's own claim documents."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from membercenter.claims import selectors, services
from membercenter.claims.forms import RedeemAgainForm
from membercenter.claims.models import Claim, ClaimDocument
from membercenter.evidence.images import UploadRejected
from membercenter.evidence.models import Upload
from membercenter.evidence.services import upload_store
from membercenter.lib.files import private_image_response
from membercenter.lib.forms import form_add_service_error


def _own_claim(request: HttpRequest, pk: int) -> Claim:
    claim = selectors.member_claim(member=request.user, pk=pk)
    if claim is None:
        raise Http404
    return claim


@login_required
def history(request: HttpRequest) -> HttpResponse:
    claims = selectors.member_claims(member=request.user)
    return render(request, "claims/history.html", {"claims": claims, "tab": "history"})


@login_required
def submitted(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "claims/submitted.html", {"claim": _own_claim(request, pk)})


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _own_claim(request, pk)
    try:
        services.claim_withdraw(claim=claim, member=request.user)
    except ValidationError as err:
        messages.error(request, " ".join(err.messages))
    else:
        messages.success(request, _("Your redemption #%(id)s is withdrawn.") % {"id": claim.pk})
    return redirect("claims:history")


def _again_evidence(request: HttpRequest, claim: Claim) -> tuple[list[services.ItemEvidence], dict[str, str]]:
    evidence, errors = [], {}
    for item in claim.items.all():
        found: dict[str, Upload] = {}
        for kind in (Upload.Kind.INVOICE, Upload.Kind.SERIAL_PHOTO):
            new = request.FILES.get(f"{kind}_{item.product_id}")
            if not new:
                continue
            try:
                found[kind] = upload_store(owner=request.user, kind=kind, upload=new)
            except UploadRejected as err:
                errors[f"{kind}_{item.product_id}"] = str(err)
        if found:
            evidence.append(
                services.ItemEvidence(
                    product_id=item.product_id,
                    invoice=found.get(Upload.Kind.INVOICE),
                    serial_photo=found.get(Upload.Kind.SERIAL_PHOTO),
                )
            )
    return evidence, errors


@login_required
def again(request: HttpRequest, pk: int) -> HttpResponse:
    """Redeem Again: new documents per product, editable recipient, captcha → a new round."""
    claim = _own_claim(request, pk)
    if claim.status != Claim.Status.SENT_BACK:
        messages.info(request, _("This redemption is not waiting for documents."))
        return redirect("claims:history")
    if services.claim_past_deadline(claim):
        messages.error(request, _("The promotion's deadline has passed: this redemption can no longer be sent again."))
        return redirect("claims:history")
    initial = {f: getattr(claim, f) for f in services.RECIPIENT_FIELDS}
    form = RedeemAgainForm(request.POST if request.method == "POST" else None, initial=initial)
    errors: dict[str, str] = {}
    if request.method == "POST" and "new_captcha" not in request.POST and form.is_valid():
        evidence, errors = _again_evidence(request, claim)
        if not errors:
            recipient = {f: form.cleaned_data[f] for f in services.RECIPIENT_FIELDS}
            try:
                services.claim_resubmit(claim=claim, member=request.user, recipient=recipient, evidence=evidence)
            except ValidationError as err:
                form_add_service_error(form, err)
            else:
                messages.success(request, _("Your redemption is sent again. We check it within 7–14 business days."))
                return redirect("claims:history")
    context = {"claim": claim, "form": form.with_new_captcha(), "errors": errors}
    return render(request, "claims/again.html", context)


@login_required
def document(request: HttpRequest, pk: int, doc_pk: int) -> FileResponse:
    doc: ClaimDocument | None = selectors.member_document(member=request.user, claim_pk=pk, doc_pk=doc_pk)
    if doc is None:
        raise Http404
    return private_image_response(doc.file)
