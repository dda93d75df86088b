"""Promotion management: list, create, edit, publish, close."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from membercenter.backoffice import selectors
from membercenter.backoffice.access import staff_required
from membercenter.backoffice.forms import StaffPromotionForm
from membercenter.backoffice.roles import PERM_PROMOTIONS
from membercenter.backoffice.views.common import paginate, private_file
from membercenter.lib import authz
from membercenter.lib.forms import form_add_service_error
from membercenter.lib.types import AuthenticatedHttpRequest
from membercenter.promotions import services


@staff_required(PERM_PROMOTIONS)
def promotion_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = paginate(request, selectors.promotions_for_staff(user=request.user))
    return render(request, "backoffice/promotions.html", {"page": page})


@staff_required(PERM_PROMOTIONS)
def promotion_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = StaffPromotionForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            promotion = services.promotion_create(
                actor=request.user,
                data=form.service_data(),
                banner=form.cleaned_data["banner"],
                managers=form.chosen_managers(),
            )
        except ValidationError as err:
            form_add_service_error(form, err)
        else:
            messages.success(request, _("Promotion “%(name)s” saved as a draft.") % {"name": promotion.name_en})
            return redirect("backoffice:promotion_edit", pk=promotion.pk)
    return render(request, "backoffice/promotion_form.html", {"form": form, "promotion": None})


@staff_required(PERM_PROMOTIONS)
def promotion_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    promotion = authz.promotion_for_manager(request.user, pk)
    form = StaffPromotionForm(request.POST or None, request.FILES or None, instance=promotion, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            promotion = services.promotion_update(
                actor=request.user,
                promotion=promotion,
                data=form.service_data(),
                banner=form.cleaned_data["banner"],
                banner_remove=form.cleaned_data.get("banner_remove", False),
                managers=form.chosen_managers(),
            )
        except ValidationError as err:
            form_add_service_error(form, err)
        else:
            messages.success(request, _("Promotion “%(name)s” saved.") % {"name": promotion.name_en})
            return redirect("backoffice:promotion_edit", pk=promotion.pk)
    return render(request, "backoffice/promotion_form.html", {"form": form, "promotion": promotion})


def _status_change(request: AuthenticatedHttpRequest, pk: int, *, publish: bool) -> HttpResponse:
    promotion = authz.promotion_for_manager(request.user, pk)
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
def promotion_publish(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _status_change(request, pk, publish=True)


@staff_required(PERM_PROMOTIONS)
@require_POST
def promotion_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _status_change(request, pk, publish=False)


@staff_required(PERM_PROMOTIONS)
def promotion_banner(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """The banner as stored (no media URL is served)."""
    return private_file(authz.promotion_for_manager(request.user, pk).banner)
