"""The member's own reward codes in Redeem History: show one on screen, have it emailed again."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.core import get_usage

from membercenter.claims import selectors as claim_selectors
from membercenter.lib import authz
from membercenter.lib.types import AuthenticatedHttpRequest
from membercenter.rewards import services
from membercenter.rewards.models import RewardGrant

# Each resend is an email with a code in it: a few an hour is plenty for a lost email.
RESEND_RATE = "3/h"


def _own_grant(request: AuthenticatedHttpRequest, pk: int) -> RewardGrant:
    """A grant of one of the member's own claims; anyone else's answers 404."""
    queryset = RewardGrant.objects.select_related("item__claim", "code", "reward")
    return authz.owned_or_404(request.user, queryset, pk=pk)


@login_required
@require_POST
def reveal(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Redeem History with this one code shown: only in this response, never in the session or a URL."""
    grant = _own_grant(request, pk)
    try:
        code = services.code_reveal(grant=grant, member=request.user)
    except ValidationError as err:
        messages.error(request, " ".join(err.messages))
        return redirect("claims:history")
    context = {
        "claims": claim_selectors.member_claims(member=request.user),
        "tab": "history",
        "revealed": {"grant_id": grant.pk, "code": code},
    }
    response = render(request, "claims/history.html", context)
    # The page holds a code: no browser or proxy cache may keep it (nor show it again on Back).
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def resend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    grant = _own_grant(request, pk)
    if get_usage(request, group="reward-resend", key="user", rate=RESEND_RATE, increment=True)["should_limit"]:
        messages.error(
            request,
            _("You have asked for the code email several times in the last hour. Please wait before asking again; "
              "you can show the code here meanwhile."),
        )  # fmt: skip
        return redirect("claims:history")
    try:
        services.code_email_resend(grant=grant, by=request.user)
    except ValidationError as err:
        messages.error(request, " ".join(err.messages))
    else:
        messages.success(
            request,
            _("We sent the code again to %(email)s. If it does not arrive in a few minutes, look in the Spam folder.")
            % {"email": request.user.email},
        )
    return redirect("claims:history")
