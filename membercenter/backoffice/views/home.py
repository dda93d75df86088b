from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from membercenter.backoffice import roles
from membercenter.backoffice.access import staff_required
from membercenter.lib.types import AuthenticatedHttpRequest


@staff_required(roles.BACKOFFICE_PERMS)
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Links to what this staff member's roles allow."""
    user = request.user
    context = {
        "can_review": user.has_perm(roles.PERM_REVIEW),
        "can_promote": user.has_perm(roles.PERM_PROMOTIONS),
        "can_reasons": user.has_perm(roles.PERM_REASONS),
        "can_audit": user.has_perm(roles.PERM_AUDIT),
        "can_outbox": user.has_perm(roles.PERM_OUTBOX),
        "is_admin": roles.is_administrator(user),
        "regions": list(user.review_regions.order_by("name_en")),
    }
    return render(request, "backoffice/home.html", context)
