"""All Promotions, and the redeem journey: choose products (step 6) → confirm (step 7-1)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from membercenter.claims import selectors as claim_selectors
from membercenter.claims.forms import ConfirmForm, RecipientForm, recipient_initial
from membercenter.claims.models import Claim
from membercenter.claims.services import ItemEvidence, claim_submit
from membercenter.evidence.models import Upload
from membercenter.evidence.services import upload_of
from membercenter.evidence.slots import Slot, checking_only, slot_take, slots_judge
from membercenter.evidence.verdicts import Verdict, invoice_verdicts, sticker_verdicts
from membercenter.lib.files import stored_file_response
from membercenter.lib.forms import form_add_service_error
from membercenter.lib.types import AuthenticatedHttpRequest
from membercenter.products.models import RegisteredProduct
from membercenter.promotions import selectors
from membercenter.promotions.models import Promotion
from membercenter.rewards.selectors import products_rewards

_DRAFT = "redeem_draft"


def _promotion(slug: str, *, card: bool = False) -> Promotion:
    """The published promotion with its rule sets (one query); with `card`, what its card shows too."""
    promotions = Promotion.objects.filter(status=Promotion.Status.PUBLISHED)
    if card:
        promotions = promotions.prefetch_related("eligible_categories", "eligible_models")
    promotion = get_object_or_404(promotions, slug=slug)
    selectors.promotions_rules_load([promotion])
    return promotion


def _draft(request: AuthenticatedHttpRequest, promotion: Promotion) -> dict:
    draft = request.session.get(_DRAFT) or {}
    return draft if draft.get("promotion") == promotion.pk else {}


@login_required
def promotion_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    promotions = selectors.visible_promotions(region=request.user.region_id)
    context = {"promotions": promotions, "tab": "all", "today": timezone.localdate()}
    return render(request, "promotions/list.html", context)


def banner(request: HttpRequest, slug: str) -> FileResponse:
    shown = [Promotion.Status.PUBLISHED, Promotion.Status.CLOSED]
    promotion = get_object_or_404(Promotion, slug=slug, status__in=shown)
    return stored_file_response(promotion.banner, cache_control="public, max-age=3600")


def _photo_judge(product: RegisteredProduct) -> Callable[[Slot], list[Verdict]]:
    return lambda slot: sticker_verdicts(slot.scan, sn=product.serial.sn, doc=_doc(slot))


def _doc(slot: Slot) -> str:
    """The picture's name in a verdict ("upload:<id>"); judges only see slots with an upload."""
    return f"upload:{slot.upload.pk}" if slot.upload is not None else ""


def _invoice_judge(product: RegisteredProduct, promotion: Promotion) -> Callable[[Slot | None], list[Verdict]]:
    """The invoice checks of a product for this promotion: a new upload's, or the registered invoice's."""

    def judge(slot: Slot | None) -> list[Verdict]:
        scan, doc = (slot.scan, f"upload:{slot.upload.pk}") if slot and slot.upload else (product.invoice_scan, "")
        return invoice_verdicts(
            scan,
            model_names=product.serial.product_model.invoice_names,
            store=product.store.name,
            window=(promotion.purchase_start, promotion.purchase_end),
            doc=doc,
        )

    return judge


def _slots(request: AuthenticatedHttpRequest, product_ids: list[int], kept: dict) -> dict[int, tuple[Slot, Slot]]:
    """Each product's sticker-photo and (optional) invoice upload: from this post, or kept in the draft."""
    slots = {}
    for pk in product_ids:
        pair = []
        for prefix, kind, store in (
            ("photo", Upload.Kind.SERIAL_PHOTO, "uploads"),
            ("invoice", Upload.Kind.INVOICE, "invoices"),
        ):
            name = f"{prefix}_{pk}"
            if request.method == "POST":
                slot = slot_take(request, name=name, kind=kind)
            else:
                slot = Slot(
                    name=name,
                    kind=kind,
                    upload=upload_of(owner=request.user, upload_id=kept.get(store, {}).get(str(pk))),
                )
            pair.append(slot)
        slots[pk] = (pair[0], pair[1])
    return slots


@login_required
def redeem(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Step 6: the member's products with their eligibility, sticker photos and checks, recipient."""
    promotion = _promotion(slug, card=True)
    rows = selectors.promotion_eligibility_for_member(member=request.user, promotion=promotion)
    draft = _draft(request, promotion)
    initial = draft.get("recipient") or recipient_initial(
        member=request.user, last_claim=claim_selectors.last_claim(member=request.user)
    )
    posted = request.method == "POST"
    form = RecipientForm(request.POST if posted else None, initial=initial)
    eligible = {row.product.pk: row.product for row in rows if row.ok}
    chosen = [int(pk) for pk in draft.get("products", [])]
    if posted:
        chosen = [int(pk) for pk in request.POST.getlist("products") if pk.isdigit() and int(pk) in eligible]
    slots = _slots(request, list(eligible), draft)
    for pk, (photo, invoice) in slots.items():
        slots_judge([photo], _photo_judge(eligible[pk]))
        slots_judge([invoice], _invoice_judge(eligible[pk], promotion))
    look = False
    if posted and not checking_only(request):
        for pk in chosen:
            photo = slots[pk][0]
            if photo.upload is None and not photo.error:
                photo.error = _("Upload a photo of the serial number sticker on the product (not the box).")
        if not chosen:
            form.add_error(None, _("Tick at least one product to redeem."))
        look = any(slot.needs_a_look for pk in chosen for slot in slots[pk])
        errors = any(slot.error for pk in chosen for slot in slots[pk])
        if form.is_valid() and not errors and not look:
            request.session[_DRAFT] = {
                "promotion": promotion.pk,
                "products": chosen,
                # Every chosen product has its photo here: one missing is an error above.
                "uploads": {str(pk): str(up.pk) for pk in chosen if (up := slots[pk][0].upload) is not None},
                "invoices": {str(pk): str(up.pk) for pk in chosen if (up := slots[pk][1].upload) is not None},
                "recipient": form.cleaned_data,
                "token": draft.get("token") or str(uuid.uuid4()),
            }
            return redirect("promotions:confirm", slug=slug)
    elif checking_only(request):
        form = RecipientForm(initial=initial, data=request.POST)
        form.errors.clear()  # only a picture was checked: no field errors for a form not yet sent
    # The reward each product earns, so that the member knows it before redeeming.
    rewards = products_rewards(promotion=promotion, products=[row.product for row in rows])
    table = []
    for row in rows:
        pk = row.product.pk
        row_photo, row_invoice = slots.get(pk, (None, None))
        has_invoice = row_invoice is not None and row_invoice.upload is not None
        registered = _invoice_judge(row.product, promotion)(None) if row.ok and not has_invoice else []
        table.append(
            {
                "eligibility": row,
                "product": row.product,
                "reward": rewards[pk],
                "checked": pk in chosen,
                "photo": row_photo,
                "invoice": row_invoice,
                "registered_invoice": registered,
                "registered_failed": any(v.ok is False for v in registered),
            }
        )
    context = {
        "promotion": promotion,
        "rows": table,
        "form": form,
        "any_eligible": bool(eligible),
        "look": look,
    }
    return render(request, "promotions/redeem.html", context)


@login_required
def confirm(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Step 7-1: read-only summary, captcha, Submit."""
    promotion = _promotion(slug)
    draft = _draft(request, promotion)
    if request.method == "POST" and "new_captcha" not in request.POST:
        # A second click, the back button or another tab: the token names the claim already made.
        token = _uuid(request.POST.get("submit_token"))
        done = Claim.objects.filter(member=request.user, submit_token=token).first() if token else None
        if done is not None:
            return redirect("claims:submitted", pk=done.pk)
    if not draft:
        messages.info(request, _("Choose the products to redeem first."))
        return redirect("promotions:redeem", slug=slug)
    form = ConfirmForm(request.POST if request.method == "POST" else None, initial={"submit_token": draft["token"]})
    if request.method == "POST" and "new_captcha" not in request.POST and form.is_valid():
        # The service judges every rule again under the promotion's lock: only the products are needed here.
        owned = set(
            RegisteredProduct.objects.filter(member=request.user, pk__in=draft["products"]).values_list("pk", flat=True)
        )
        photos, invoices = draft["uploads"], draft.get("invoices", {})
        evidence = [
            ItemEvidence(
                product_id=pk,
                serial_photo=upload_of(owner=request.user, upload_id=photos.get(str(pk))),
                invoice=upload_of(owner=request.user, upload_id=invoices.get(str(pk))),
            )
            for pk in draft["products"]
            if pk in owned
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
    rows = selectors.promotion_eligibility_for_member(member=request.user, promotion=promotion)
    chosen = [r for r in rows if r.product.pk in set(draft["products"])]
    context = {
        "promotion": promotion,
        "rows": [_confirm_row(request, promotion, r.product, draft) for r in chosen],
        "recipient_form": RecipientForm(initial=draft["recipient"]),
        "form": form.with_new_captcha(),
    }
    return render(request, "promotions/confirm.html", context)


def _confirm_row(
    request: AuthenticatedHttpRequest, promotion: Promotion, product: RegisteredProduct, draft: dict
) -> dict:
    """A product on the confirm page with the checks of its pictures, shown before Submit."""
    photo = upload_of(owner=request.user, upload_id=draft["uploads"].get(str(product.pk)))
    invoice = upload_of(owner=request.user, upload_id=draft.get("invoices", {}).get(str(product.pk)))
    verdicts = []
    if photo is not None:
        verdicts += _photo_judge(product)(Slot("photo", Upload.Kind.SERIAL_PHOTO, upload=photo))
    verdicts += _invoice_judge(product, promotion)(
        Slot("invoice", Upload.Kind.INVOICE, upload=invoice) if invoice else None
    )
    return {
        "product": product,
        "upload_id": photo.pk if photo else None,
        "invoice_id": invoice.pk if invoice else None,
        "verdicts": verdicts,
    }


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
