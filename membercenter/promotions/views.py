"""All Promotions, and the redeem journey: choose products (step 6) → confirm (step 7-1)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from membercenter.claims import selectors as claim_selectors
from membercenter.claims.forms import ConfirmForm, RecipientForm, recipient_initial
from membercenter.claims.models import Claim
from membercenter.claims.services import ItemEvidence, claim_submit
from membercenter.evidence.images import UploadRejected
from membercenter.evidence.models import Upload
from membercenter.evidence.services import upload_of, upload_store
from membercenter.lib.forms import form_add_service_error
from membercenter.promotions import selectors
from membercenter.promotions.models import Promotion
from membercenter.rewards.selectors import products_rewards

_DRAFT = "redeem_draft"


def _promotion(slug: str) -> Promotion:
    return get_object_or_404(selectors.promotions_with_rules().filter(status=Promotion.Status.PUBLISHED), slug=slug)


def _draft(request: HttpRequest, promotion: Promotion) -> dict:
    draft = request.session.get(_DRAFT) or {}
    return draft if draft.get("promotion") == promotion.pk else {}


@login_required
def promotion_list(request: HttpRequest) -> HttpResponse:
    promotions = selectors.visible_promotions(region=request.user.region)
    context = {"promotions": promotions, "tab": "all", "today": timezone.localdate()}
    return render(request, "promotions/list.html", context)


def banner(request: HttpRequest, slug: str) -> FileResponse:
    shown = [Promotion.Status.PUBLISHED, Promotion.Status.CLOSED]
    promotion = get_object_or_404(Promotion, slug=slug, status__in=shown)
    if not promotion.banner:
        raise Http404
    response = FileResponse(promotion.banner.open("rb"))
    response["Cache-Control"] = "public, max-age=3600"
    return response


def _collect_evidence(request: HttpRequest, chosen: list[int], kept: dict[str, str]) -> tuple[dict, dict]:
    """Store each chosen product's new sticker photo, or keep the one uploaded before."""
    uploads: dict[int, str] = {}
    errors: dict[int, str] = {}
    for pk in chosen:
        new = request.FILES.get(f"photo_{pk}")
        if new:
            try:
                uploads[pk] = str(upload_store(owner=request.user, kind=Upload.Kind.SERIAL_PHOTO, upload=new).pk)
            except UploadRejected as err:
                errors[pk] = str(err)
            continue
        previous = upload_of(owner=request.user, upload_id=request.POST.get(f"upload_{pk}") or kept.get(str(pk)))
        if previous is not None:
            uploads[pk] = str(previous.pk)
        else:
            errors[pk] = _("Upload a photo of the serial number sticker on the product (not the box).")
    return uploads, errors


@login_required
def redeem(request: HttpRequest, slug: str) -> HttpResponse:
    """Step 6: the member's products with their eligibility, sticker photos, recipient."""
    promotion = _promotion(slug)
    rows = selectors.promotion_eligibility_for_member(member=request.user, promotion=promotion)
    draft = _draft(request, promotion)
    initial = draft.get("recipient") or recipient_initial(
        member=request.user, last_claim=claim_selectors.last_claim(member=request.user)
    )
    form = RecipientForm(request.POST if request.method == "POST" else None, initial=initial)
    kept: dict[str, str] = draft.get("uploads", {})
    chosen = [int(pk) for pk in draft.get("products", [])]
    errors: dict[int, str] = {}
    if request.method == "POST":
        eligible = {row.product.pk for row in rows if row.ok}
        chosen = [int(pk) for pk in request.POST.getlist("products") if pk.isdigit() and int(pk) in eligible]
        uploads, errors = _collect_evidence(request, chosen, kept)
        kept = {str(pk): uid for pk, uid in uploads.items()}
        if not chosen:
            form.add_error(None, _("Tick at least one product to redeem."))
        if form.is_valid() and not errors:
            request.session[_DRAFT] = {
                "promotion": promotion.pk,
                "products": chosen,
                "uploads": kept,
                "recipient": form.cleaned_data,
                "token": draft.get("token") or str(uuid.uuid4()),
            }
            return redirect("promotions:confirm", slug=slug)
    # The reward each product earns, so that the member knows it before redeeming.
    rewards = products_rewards(promotion=promotion, products=[row.product for row in rows])
    table = [
        {
            "eligibility": row,
            "product": row.product,
            "reward": rewards[row.product.pk],
            "checked": row.product.pk in chosen,
            "upload_id": kept.get(str(row.product.pk)),
            "error": errors.get(row.product.pk),
        }
        for row in rows
    ]
    context = {"promotion": promotion, "rows": table, "form": form, "any_eligible": any(row.ok for row in rows)}
    return render(request, "promotions/redeem.html", context)


@login_required
def confirm(request: HttpRequest, slug: str) -> HttpResponse:
    """Step 7-1: read-only summary, captcha, Submit."""
    promotion = _promotion(slug)
    draft = _draft(request, promotion)
    if request.method == "POST" and "new_captcha" not in request.POST:
        # A second click, the back button or another tab: the token names the claim already made.
        done = Claim.objects.filter(member=request.user, submit_token=_uuid(request.POST.get("submit_token"))).first()
        if done is not None:
            return redirect("claims:submitted", pk=done.pk)
    if not draft:
        messages.info(request, _("Choose the products to redeem first."))
        return redirect("promotions:redeem", slug=slug)
    rows = selectors.promotion_eligibility_for_member(member=request.user, promotion=promotion)
    chosen = [r for r in rows if r.product.pk in set(draft["products"])]
    form = ConfirmForm(request.POST if request.method == "POST" else None, initial={"submit_token": draft["token"]})
    if request.method == "POST" and "new_captcha" not in request.POST and form.is_valid():
        photos = draft["uploads"]
        evidence = [
            ItemEvidence(product_id=pk, serial_photo=upload_of(owner=request.user, upload_id=photos.get(str(pk))))
            for pk in (r.product.pk for r in chosen)
        ]
        try:
            claim = claim_submit(
                member=request.user,
                promotion=promotion,
                evidence=evidence,
                recipient=draft["recipient"],
                submit_token=form.cleaned_data["submit_token"],
            )
        except ValidationError as err:
            form_add_service_error(form, err)
        else:
            request.session.pop(_DRAFT, None)
            return redirect("claims:submitted", pk=claim.pk)
    context = {
        "promotion": promotion,
        "rows": [{"product": r.product, "upload_id": draft["uploads"].get(str(r.product.pk))} for r in chosen],
        "recipient_form": RecipientForm(initial=draft["recipient"]),
        "form": form.with_new_captcha(),
    }
    return render(request, "promotions/confirm.html", context)


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
