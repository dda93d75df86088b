from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from membercenter.catalog.models import Serial
from membercenter.evidence.models import Upload
from membercenter.evidence.slots import Slot, checking_only, slot_take, slots_judge
from membercenter.evidence.verdicts import invoice_verdicts
from membercenter.lib import authz
from membercenter.lib.files import private_image_response
from membercenter.lib.forms import form_add_service_error
from membercenter.lib.ratelimit import failure_record, failures_exhausted
from membercenter.lib.types import AuthenticatedHttpRequest
from membercenter.lib.views import rate_limited
from membercenter.products import forms, selectors, services
from membercenter.products.models import RegisteredProduct
from membercenter.promotions.selectors import products_offers
from membercenter.twofactor.gate import staff_access_ok

_WIZARD = "product_registration"


def _wizard(request: AuthenticatedHttpRequest) -> dict:
    return request.session.get(_WIZARD, {})


def _wizard_serial(request: AuthenticatedHttpRequest) -> Serial | None:
    serial_id = _wizard(request).get("serial_id")
    if serial_id is None:
        return None
    return Serial.objects.select_related("product_model__category").filter(pk=serial_id).first()


def _taken_context(sn: str) -> dict:
    return {"taken_sn": sn, "support_url": reverse("support:new") + f"?topic=serial_ownership&serial={sn}"}


@login_required
def register_serial(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Step 1: the serial number, looked up in the factory registry."""
    initial = {"serial_number": request.GET.get("sn", "")}
    form = forms.SerialForm(request.POST if request.method == "POST" else None, initial=initial)
    context: dict = {"form": form, "step": 1}
    if request.method == "POST" and form.is_valid():
        lookup = services.serial_lookup(raw_sn=form.cleaned_data["serial_number"])
        if lookup.serial is None:
            message = _("We cannot find serial number %(sn)s. Please check it on the sticker.") % {"sn": lookup.sn}
            form.add_error("serial_number", message)
            context["suggestions"] = lookup.suggestions
        else:
            try:
                services.serial_check_available(serial=lookup.serial, member=request.user)
            except services.SerialTaken as err:
                form.add_error("serial_number", err)
                context.update(_taken_context(lookup.sn))
            except ValidationError as err:
                form.add_error("serial_number", err)
            else:
                request.session[_WIZARD] = {"serial_id": lookup.serial.pk}
                return redirect("products:register_chk")
    return render(request, "products/register_serial.html", context)


@login_required
def register_chk(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Step 2: the CHK code from the same sticker proves the member holds the product."""
    serial = _wizard_serial(request)
    if serial is None:
        return redirect("products:register")
    form = forms.ChkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        # Only 1,000 codes exist: wrong attempts are limited per account so they cannot be tried out.
        limit = {"group": "chk", "key": "user", "rate": settings.CHK_RATE_PER_ACCOUNT}
        if failures_exhausted(request, **limit):
            return rate_limited(request)
        if services.chk_matches(serial=serial, chk=form.cleaned_data["chk"]):
            request.session[_WIZARD] = {"serial_id": serial.pk, "chk": form.cleaned_data["chk"]}
            return redirect("products:register_purchase")
        failure_record(request, **limit)
        form.add_error("chk", _("The CHK code does not match this serial number. Please check the sticker."))
    return render(request, "products/register_chk.html", {"form": form, "serial": serial, "step": 2})


INVOICE_HELP = gettext_lazy(
    "A photo, scan or PDF of the invoice (JPG, PNG, GIF, WebP, HEIC or PDF). It should show the store name, "
    "the invoice date, the invoice number and the model name: we check it as soon as you choose it."
)


def _invoice_verdicts(slot: Slot, serial: Serial, form: forms.PurchaseForm) -> list:
    store = forms.chosen_store(form)
    purchase_date = forms.entered_purchase_date(form)  # a date, or None when not (yet) a valid one
    return invoice_verdicts(
        slot.scan,
        model_names=serial.product_model.invoice_names,
        store=store.name if store else None,
        purchase_date=purchase_date if isinstance(purchase_date, dt.date) else None,
        doc=f"upload:{slot.upload.pk}" if slot.upload else "",
    )


@login_required
def register_purchase(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Step 3: where and when it was bought, with the invoice (checked as soon as it is chosen)."""
    serial = _wizard_serial(request)
    chk = _wizard(request).get("chk")
    if serial is None or chk is None:
        return redirect("products:register")
    initial = {"region": request.user.region_id}
    posted = request.method == "POST"
    refresh = posted and ("new_captcha" in request.POST or "change_region" in request.POST)
    form = forms.PurchaseForm(request.POST if posted else None, initial=initial)
    slot = (
        slot_take(request, name="invoice", kind=Upload.Kind.INVOICE) if posted else Slot("invoice", Upload.Kind.INVOICE)
    )
    slots_judge([slot], lambda s: _invoice_verdicts(s, serial, form))
    context: dict = {"serial": serial, "step": 3, "slot": slot, "invoice_help": INVOICE_HELP}
    # A picture just chosen that fails a check is shown before anything is registered; sending
    # the form again registers it anyway (the kept upload is no longer "fresh").
    if posted and (checking_only(request) or slot.needs_a_look) and not refresh:
        context["look"] = slot.needs_a_look and not checking_only(request)
        context["form"] = form.with_captcha_kept()
        return render(request, "products/register_purchase.html", context)
    if posted and not refresh and form.is_valid():
        data = form.cleaned_data
        if slot.upload is None:
            slot.error = slot.error or _("Upload the invoice, your proof of purchase.")
        else:
            try:
                product = services.product_register(
                    member=request.user,
                    serial=serial,
                    chk=chk,
                    region=data["region"],
                    store=data["store"],
                    channel=data["channel"],
                    purchase_date=data["purchase_date"],
                    invoice=slot.upload,
                )
            except services.SerialTaken as err:
                form.add_error(None, err)
                context.update(_taken_context(serial.sn))
            except ValidationError as err:
                form_add_service_error(form, err)
            else:
                request.session.pop(_WIZARD, None)
                return redirect("products:registered", pk=product.pk)
    elif posted and not refresh and slot.upload is None and not slot.error:
        slot.error = _("Upload the invoice, your proof of purchase.")
    context["form"] = form.with_new_captcha()
    return render(request, "products/register_purchase.html", context)


@login_required
def registered(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Step 4: done."""
    product = authz.owned_or_404(request.user, selectors.member_products(member=request.user), pk=pk)
    return render(request, "products/registered.html", {"product": product, "step": 4})


@login_required
def store_options(request: AuthenticatedHttpRequest) -> HttpResponse:
    """htmx: the store <option>s of the chosen region."""
    stores = forms.stores_of_region(request.GET.get("region"))
    return render(request, "products/_store_options.html", {"stores": stores})


@login_required
def my_products(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The member's products, each with the open promotions it qualifies for, or why not.

    What is the same on every row (the invoice link's pattern, the warranty's words, each
    promotion's name and link) is made once per page, not once per row.
    """
    products = selectors.member_products_list(member=request.user)
    offers = products_offers(member=request.user, products=products)
    invoice_url = reverse("products:invoice", args=[_PK_MARK])
    until = _("until %(date)s")
    rows = [
        {
            "product": p,
            "invoice_url": invoice_url.replace(str(_PK_MARK), str(p.pk)),
            "warranty": until % {"date": dateformat.format(p.warranty_ends_on, "Y-m-d")},
            "promotions": offers.get(p.pk, []),
        }
        for p in products
    ]
    return render(request, "products/my_products.html", {"rows": rows})


# A primary key no product has, stood in for the real one in a link made once per page.
_PK_MARK = 2_147_483_646


@login_required
def invoice(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """The invoice picture, for its owner and staff only; anyone else gets 404.

    Staff scope only for a session that passes the staff area's two-factor check: a password
    alone (an administrator without an authenticator, a session that owes its code) sees only
    the user's own products.
    """
    if staff_access_ok(request):
        product = authz.products_visible_to(request.user).filter(pk=pk).first()
    else:
        product = authz.owned_by(request.user, RegisteredProduct.objects.all()).filter(pk=pk).first()
    if product is None:
        raise Http404
    return private_image_response(product.invoice)
