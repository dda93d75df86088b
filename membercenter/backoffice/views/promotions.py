"""Promotion management: list, create, edit, publish, close."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from membercenter.backoffice import selectors
from membercenter.backoffice.access import staff_required
from membercenter.backoffice.roles import PERM_PROMOTIONS
from membercenter.backoffice.views.common import paginate, private_file
from membercenter.lib.forms import form_add_service_error
from membercenter.promotions import services
from membercenter.promotions.forms import PromotionForm
from membercenter.promotions.models import Promotion


@staff_required(PERM_PROMOTIONS)
def promotion_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.promotions_for_staff())
    return render(request, "backoffice/promotions.html", {"page": page})


@staff_required(PERM_PROMOTIONS)
def promotion_create(request: HttpRequest) -> HttpResponse:
    form = PromotionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            promotion = services.promotion_create(
                actor=request.user, data=form.service_data(), banner=form.cleaned_data["banner"]
            )
        except ValidationError as err:
            form_add_service_error(form, err)
        else:
            messages.success(request, _("Promotion “%(name)s” saved as a draft.") % {"name": promotion.name_en})
            return redirect("backoffice:promotion_edit", pk=promotion.pk)
    return render(request, "backoffice/promotion_form.html", {"form": form, "promotion": None})


@staff_required(PERM_PROMOTIONS)
def promotion_edit(request: HttpRequest, pk: int) -> HttpResponse:
    promotion = get_object_or_404(Promotion, pk=pk)
    form = PromotionForm(request.POST or None, request.FILES or None, instance=promotion)
    if request.method == "POST" and form.is_valid():
        try:
            promotion = services.promotion_update(
                actor=request.user,
                promotion=promotion,
                data=form.service_data(),
                banner=form.cleaned_data["banner"],
                banner_remove=form.cleaned_data.get("banner_remove", False),
            )
        except ValidationError as err:
            form_add_service_error(form, err)
        else:
            messages.success(request, _("Promotion “%(name)s” saved.") % {"name": promotion.name_en})
            return redirect("backoffice:promotion_edit", pk=promotion.pk)
    return render(request, "backoffice/promotion_form.html", {"form": form, "promotion": promotion})


def _status_change(request: HttpRequest, pk: int, *, publish: bool) -> HttpResponse:
    promotion = get_object_or_404(Promotion, pk=pk)
    try:
        if publish:
            promotion = services.promotion_publish(actor=request.user, promotion=promotion)
            messages.success(request, _("Promotion “%(name)s” is published.") % {"name": promotion.name_en})
        else:
            promotion = services.promotion_close(actor=request.user, promotion=promotion)
            messages.success(request, _("Promotion “%(name)s” is closed.") % {"name": promotion.name_en})
    except ValidationError as err:
        messages.error(request, " ".join(err.messages))
    return redirect("backoffice:promotion_edit", pk=promotion.pk)


@staff_required(PERM_PROMOTIONS)
@require_POST
def promotion_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_change(request, pk, publish=True)


@staff_required(PERM_PROMOTIONS)
@require_POST
def promotion_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_change(request, pk, publish=False)


@staff_required(PERM_PROMOTIONS)
def promotion_banner(request: HttpRequest, pk: int) -> FileResponse:
    """The banner as stored (no media URL is served)."""
    return private_file(get_object_or_404(Promotion, pk=pk).banner)
