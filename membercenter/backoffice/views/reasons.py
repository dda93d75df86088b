"""Reason templates for sending back and rejecting claims."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from membercenter.backoffice import services
from membercenter.backoffice.access import staff_required
from membercenter.backoffice.forms import ReasonTemplateForm
from membercenter.backoffice.roles import PERM_REASONS
from membercenter.claims.models import ReasonTemplate
from membercenter.lib.forms import form_add_service_error
from membercenter.lib.types import AuthenticatedHttpRequest


@staff_required(PERM_REASONS)
def reason_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    templates = ReasonTemplate.objects.order_by("kind", "position", "title")
    return render(request, "backoffice/reasons.html", {"templates": templates})


@staff_required(PERM_REASONS)
def reason_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ReasonTemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            template = services.reason_template_create(actor=request.user, data=form.cleaned_data)
        except ValidationError as err:
            form_add_service_error(form, err)
        else:
            messages.success(request, _("Reason template “%(title)s” added.") % {"title": template.title})
            return redirect("backoffice:reasons")
    return render(request, "backoffice/reason_form.html", {"form": form, "template": None})


@staff_required(PERM_REASONS)
def reason_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(ReasonTemplate, pk=pk)
    form = ReasonTemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        try:
            template = services.reason_template_update(actor=request.user, template=template, data=form.cleaned_data)
        except ValidationError as err:
            form_add_service_error(form, err)
        else:
            messages.success(request, _("Reason template “%(title)s” saved.") % {"title": template.title})
            return redirect("backoffice:reasons")
    return render(request, "backoffice/reason_form.html", {"form": form, "template": template})


@staff_required(PERM_REASONS)
@require_POST
def reason_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(ReasonTemplate, pk=pk)
    services.reason_template_delete(actor=request.user, template=template)
    messages.success(request, _("Reason template “%(title)s” deleted.") % {"title": template.title})
    return redirect("backoffice:reasons")
