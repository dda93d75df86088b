"""Redeem History, Redeem Again, withdraw, and the member's own claim documents."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from membercenter.claims import selectors, services
from membercenter.claims.forms import RedeemAgainForm
from membercenter.claims.models import Claim, ClaimDocument, ClaimItem
from membercenter.evidence.models import Upload
from membercenter.evidence.slots import Slot, checking_only, slot_take, slots_judge
from membercenter.evidence.verdicts import Verdict, invoice_verdicts, sticker_verdicts
from membercenter.lib import authz
from membercenter.lib.files import private_image_response
from membercenter.lib.forms import form_add_service_error
from membercenter.lib.types import AuthenticatedHttpRequest
from membercenter.products.models import RegisteredProduct
from membercenter.promotions.models import Promotion


def _own_claim(request: AuthenticatedHttpRequest, pk: int) -> Claim:
    # The selector reads only the member's own claims, with what the pages show (authz.OWNER_PATHS).
    claim = selectors.member_claim(member=request.user, pk=pk)
    if claim is None:
        raise Http404
    return claim


@login_required
def history(request: AuthenticatedHttpRequest) -> HttpResponse:
    claims = selectors.member_claims(member=request.user)
    return render(request, "claims/history.html", {"claims": claims, "tab": "history"})


@login_required
def submitted(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return render(request, "claims/submitted.html", {"claim": _own_claim(request, pk)})


@login_required
@require_POST
def withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    claim = _own_claim(request, pk)
    try:
        services.claim_withdraw(claim=claim, member=request.user)
    except ValidationError as err:
        messages.error(request, " ".join(err.messages))
    else:
        messages.success(request, _("Your redemption #%(id)s is withdrawn.") % {"id": claim.pk})
    return redirect("claims:history")


def _doc(slot: Slot) -> str:
    """The picture's name in a verdict ("upload:<id>"); judges only see slots with an upload."""
    return f"upload:{slot.upload.pk}" if slot.upload is not None else ""


def _invoice_judge(slot: Slot, *, product: RegisteredProduct, promotion: Promotion) -> list[Verdict]:
    return invoice_verdicts(
        slot.scan,
        model_names=product.serial.product_model.invoice_names,
        store=product.store.name,
        window=(promotion.purchase_start, promotion.purchase_end),
        doc=_doc(slot),
    )


def _photo_judge(slot: Slot, *, product: RegisteredProduct) -> list[Verdict]:
    return sticker_verdicts(slot.scan, sn=product.serial.sn, doc=_doc(slot))


def _again_slots(request: AuthenticatedHttpRequest, claim: Claim) -> list[tuple[ClaimItem, Slot, Slot]]:
    """Each product's new invoice and sticker photo (either optional), checked as they arrive."""
    rows = []
    promotion = claim.promotion
    for item in claim.items.select_related("product__serial__product_model", "product__store"):
        product = item.product
        if request.method == "POST":
            invoice = slot_take(request, name=f"invoice_{product.pk}", kind=Upload.Kind.INVOICE)
            photo = slot_take(request, name=f"serial_photo_{product.pk}", kind=Upload.Kind.SERIAL_PHOTO)
        else:
            invoice = Slot(f"invoice_{product.pk}", Upload.Kind.INVOICE)
            photo = Slot(f"serial_photo_{product.pk}", Upload.Kind.SERIAL_PHOTO)
        slots_judge([invoice], partial(_invoice_judge, product=product, promotion=promotion))
        slots_judge([photo], partial(_photo_judge, product=product))
        rows.append((item, invoice, photo))
    return rows


@login_required
def again(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Redeem Again: new documents per product (checked as they are chosen), editable recipient, captcha."""
    claim = _own_claim(request, pk)
    if claim.status != Claim.Status.SENT_BACK:
        messages.info(request, _("This redemption is not waiting for documents."))
        return redirect("claims:history")
    if services.claim_past_deadline(claim):
        messages.error(request, _("The promotion's deadline has passed: this redemption can no longer be sent again."))
        return redirect("claims:history")
    initial = {f: getattr(claim, f) for f in services.RECIPIENT_FIELDS}
    posted = request.method == "POST"
    form = RedeemAgainForm(request.POST if posted else None, initial=initial)
    rows = _again_slots(request, claim)
    slots = [slot for _item, invoice, photo in rows for slot in (invoice, photo)]
    errors = {slot.name: slot.error for slot in slots if slot.error}
    look = any(slot.needs_a_look for slot in slots)
    context = {"claim": claim, "rows": rows, "errors": errors, "look": look and not checking_only(request)}
    if posted and "new_captcha" not in request.POST and (checking_only(request) or look):
        context["form"] = form.with_captcha_kept()
        return render(request, "claims/again.html", context)
    if posted and "new_captcha" not in request.POST and form.is_valid() and not errors:
        evidence = [
            services.ItemEvidence(product_id=item.product_id, invoice=invoice.upload, serial_photo=photo.upload)
            for item, invoice, photo in rows
            if invoice.upload or photo.upload
        ]
        recipient = {f: form.cleaned_data[f] for f in services.RECIPIENT_FIELDS}
        try:
            services.claim_resubmit(claim=claim, member=request.user, recipient=recipient, evidence=evidence)
        except ValidationError as err:
            form_add_service_error(form, err)
        else:
            messages.success(request, _("Your redemption is sent again. We check it within 7–14 business days."))
            return redirect("claims:history")
    context["form"] = form.with_new_captcha()
    return render(request, "claims/again.html", context)


@login_required
def document(request: AuthenticatedHttpRequest, pk: int, doc_pk: int) -> FileResponse:
    doc = authz.owned_or_404(request.user, ClaimDocument.objects.all(), pk=doc_pk, item__claim_id=pk)
    return private_image_response(doc.file)
