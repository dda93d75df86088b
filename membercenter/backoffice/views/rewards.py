"""Rewards in the back office: the tier table, code pools and imports, resends, the finance export.

Staff never see a code whole: the pool page shows it masked, the export leaves it out.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from membercenter.backoffice.access import staff_required
from membercenter.backoffice.forms_rewards import ClaimsExportForm, CodeImportForm, RewardForm
from membercenter.backoffice.roles import PERM_PROMOTIONS
from membercenter.backoffice.views.common import PAGE_SIZE, paginate
from membercenter.lib import authz
from membercenter.lib.authz import promotion_scope
from membercenter.lib.files import as_download
from membercenter.lib.forms import form_add_service_error
from membercenter.lib.types import AuthenticatedHttpRequest
from membercenter.rewards import exports, pools
from membercenter.rewards.models import Reward, RewardGrant
from membercenter.rewards.services import code_email_resend


def _reward(request: AuthenticatedHttpRequest, pk: int) -> Reward:
    """A reward of a promotion the user manages, else 404."""
    queryset = Reward.objects.select_related("promotion", "product_model", "category")
    return authz.reward_for_manager(request.user, pk, queryset=queryset)


@staff_required(PERM_PROMOTIONS)
def reward_list(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    promotion = authz.promotion_for_manager(request.user, pk)
    context = {"promotion": promotion, "rewards": pools.rewards_with_stats(promotion)}
    return render(request, "backoffice/rewards/list.html", context)


@staff_required(PERM_PROMOTIONS)
def reward_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    promotion = authz.promotion_for_manager(request.user, pk)
    form = RewardForm(request.POST or None, promotion=promotion)
    if request.method == "POST" and form.is_valid():
        try:
            reward = pools.reward_create(actor=request.user, promotion=promotion, data=form.service_data())
        except ValidationError as err:
            form_add_service_error(form, err)
        else:
            messages.success(request, _("Reward “%(name)s” added.") % {"name": reward.name_en})
            return redirect("backoffice:rewards", pk=promotion.pk)
    return render(request, "backoffice/rewards/form.html", {"form": form, "promotion": promotion, "reward": None})


@staff_required(PERM_PROMOTIONS)
def reward_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    reward = _reward(request, pk)
    form = RewardForm(request.POST or None, instance=reward, promotion=reward.promotion)
    if request.method == "POST" and form.is_valid():
        try:
            reward = pools.reward_update(actor=request.user, reward=reward, data=form.service_data())
        except ValidationError as err:
            form_add_service_error(form, err)
        else:
            messages.success(request, _("Reward “%(name)s” saved.") % {"name": reward.name_en})
            return redirect("backoffice:rewards", pk=reward.promotion_id)
    context = {"form": form, "promotion": reward.promotion, "reward": reward}
    return render(request, "backoffice/rewards/form.html", context)


@staff_required(PERM_PROMOTIONS)
@require_POST
def reward_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    reward = _reward(request, pk)
    try:
        pools.reward_delete(actor=request.user, reward=reward)
    except ValidationError as err:
        messages.error(request, " ".join(err.messages))
        return redirect("backoffice:reward_edit", pk=reward.pk)
    messages.success(request, _("Reward “%(name)s” deleted.") % {"name": reward.name_en})
    return redirect("backoffice:rewards", pk=reward.promotion_id)


@staff_required(PERM_PROMOTIONS)
def reward_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One reward: its counts, the claims waiting for a code, and the pool's codes, masked."""
    reward = _reward(request, pk)
    stats = dict(pools.rewards_with_stats(reward.promotion))[reward]
    context = {"reward": reward, "promotion": reward.promotion, "stats": stats, "is_code": False}
    if reward.kind == Reward.Kind.DIGITAL_CODE:
        pool = pools.pool_for(reward)
        codes = paginate(request, pools.pool_codes(pool))
        context.update(
            is_code=True,
            pool=pool,
            # Its own page number: the code list below pages with "page".
            waiting=Paginator(pools.waiting_grants(reward), PAGE_SIZE).get_page(request.GET.get("waiting_page")),
            codes=codes,
            code_rows=pools.code_rows(codes),
            import_form=CodeImportForm(),
        )
    return render(request, "backoffice/rewards/detail.html", context)


@staff_required(PERM_PROMOTIONS)
def codes_import(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Upload a CSV of codes; the answer is a report by line number, never a code."""
    reward = _reward(request, pk)
    if reward.kind != Reward.Kind.DIGITAL_CODE:
        messages.error(request, _("Only a digital-code reward has a pool of codes."))
        return redirect("backoffice:reward", pk=reward.pk)
    form = CodeImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = pools.codes_import_then_allocate(
            pool=pools.pool_for(reward),
            csv_text=form.cleaned_data["file"],
            actor=request.user,
            source=f"upload “{form.file_name[:100]}”",
        )
        form = CodeImportForm()
    context = {"reward": reward, "promotion": reward.promotion, "form": form, "report": report}
    return render(request, "backoffice/rewards/import.html", context)


@staff_required(PERM_PROMOTIONS)
@require_POST
def grant_resend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    grant = authz.grant_for_manager(request.user, pk, queryset=RewardGrant.objects.select_related("item__claim"))
    try:
        code_email_resend(grant=grant, by=request.user)
    except ValidationError as err:
        messages.error(request, " ".join(err.messages))
    else:
        messages.success(
            request, _("The code email of claim #%(claim)s is being sent again.") % {"claim": grant.item.claim_id}
        )
    return redirect("backoffice:reward", pk=grant.reward_id)


@staff_required(PERM_PROMOTIONS)
def export_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "backoffice/rewards/exports.html", {"form": ClaimsExportForm(user=request.user)})


@staff_required(PERM_PROMOTIONS)
def export_claims(request: AuthenticatedHttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Claims with their reward status, for finance: streamed, audited, without codes."""
    form = ClaimsExportForm(request.GET or None, user=request.user)
    filters = form.filters()
    if filters is None:
        # A manager may export only their own promotions, one at a time: the form says so.
        return render(request, "backoffice/rewards/exports.html", {"form": form}, status=400)
    scope = promotion_scope(request.user)
    exports.claims_export_record(
        actor=request.user, promotion_id=filters.promotion_id, status=filters.status, promotions=scope
    )
    lines = exports.claims_export_lines(promotion_id=filters.promotion_id, status=filters.status, promotions=scope)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    return as_download(response, filename=f"claims-{timezone.localdate():%Y%m%d}.csv")
