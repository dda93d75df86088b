"""Read-only staff pages: the audit log and the emails that could not be sent."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from membercenter.backoffice import selectors, services
from membercenter.backoffice.access import staff_required
from membercenter.backoffice.forms import AuditFilterForm
from membercenter.backoffice.roles import PERM_AUDIT, PERM_OUTBOX
from membercenter.backoffice.views.common import paginate, query_without_page
from membercenter.lib.types import AuthenticatedHttpRequest


@staff_required(PERM_AUDIT)
def audit_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    page = paginate(request, selectors.audit_entries(filters=form.filters()))
    context = {"form": form, "page": page, "query": query_without_page(request.GET)}
    return render(request, "backoffice/audit.html", context)


@staff_required(PERM_OUTBOX)
def outbox_failures(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = paginate(request, selectors.outbox_failures())
    return render(request, "backoffice/outbox.html", {"page": page})


@staff_required(PERM_OUTBOX)
@require_POST
def outbox_resend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    try:
        row = services.outbox_send_again(actor=request.user, outbox_id=pk)
    except ValidationError as err:
        messages.error(request, " ".join(err.messages))
    else:
        messages.success(request, _("The email to %(to)s is queued again.") % {"to": row.to})
    return redirect("backoffice:outbox")
