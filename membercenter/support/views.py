from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

from membercenter.lib.types import AuthenticatedHttpRequest
from membercenter.lib.views import rate_limited
from membercenter.support.forms import SupportRequestForm
from membercenter.support.models import FaqEntry
from membercenter.support.services import support_request_create


@login_required
def new_request(request: AuthenticatedHttpRequest) -> HttpResponse:
    initial = {"topic": request.GET.get("topic", ""), "serial_number": request.GET.get("serial", "")}
    form = SupportRequestForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if get_usage(request, group="support", key="user", rate="10/d", increment=True)["should_limit"]:
            return rate_limited(request)
        ticket = support_request_create(member=request.user, **form.cleaned_data)
        messages.success(request, _("Your request #%(id)s is sent. We answer by email.") % {"id": ticket.pk})
        return redirect("support:history")
    return render(request, "support/new.html", {"form": form})


@login_required
def history(request: AuthenticatedHttpRequest) -> HttpResponse:
    tickets = request.user.support_requests.all()
    return render(request, "support/history.html", {"tickets": tickets})


def faq(request: HttpRequest) -> HttpResponse:
    entries = FaqEntry.objects.filter(is_published=True)
    return render(request, "support/faq.html", {"entries": entries})
