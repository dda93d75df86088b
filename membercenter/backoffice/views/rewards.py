"""Rewards in the back office: the tier table, code pools and imports, resends, the finance export.

Staff never see a code whole: the pool page shows it masked, the export leaves it out.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from membercenter.backoffice.access import staff_required
from membercenter.backoffice.forms_rewards import ClaimsExportForm, CodeImportForm, RewardForm
from membercenter.backoffice.roles import PERM_PROMOTIONS
from membercenter.backoffice.views.common import PAGE_SIZE, paginate
from membercenter.lib.forms import form_add_service_error
from membercenter.promotions.models import Promotion
from membercenter.rewards import exports, pools
from membercenter.rewards.models import Reward, RewardGrant
from membercenter.rewards.services import code_email_resend


def _reward(pk: int) -> Reward:
    return get_object_or_404(Reward.objects.select_related("promotion", "product_model", "category"), pk=pk)


@staff_required(PERM_PROMOTIONS)
def reward_list(request: HttpRequest, pk: int) -> HttpResponse:
    promotion = get_object_or_404(Promotion, pk=pk)
    context = {"promotion": promotion, "rewards": pools.rewards_with_stats(promotion)}
    return render(request, "backoffice/rewards/list.html", context)


@staff_required(PERM_PROMOTIONS)
def reward_create(request: HttpRequest, pk: int) -> HttpResponse:
    promotion = get_object_or_404(Promotion, pk=pk)
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
def reward_edit(request: HttpRequest, pk: int) -> HttpResponse:
    reward = _reward(pk)
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
def reward_delete(request: HttpRequest, pk: int) -> HttpResponse:
    reward = _reward(pk)
    try:
        pools.reward_delete(actor=request.user, reward=reward)
    except ValidationError as err:
        messages.error(request, " ".join(err.messages))
        return redirect("backoffice:reward_edit", pk=reward.pk)
    messages.success(request, _("Reward “%(name)s” deleted.") % {"name": reward.name_en})
    return redirect("backoffice:rewards", pk=reward.promotion_id)


@staff_required(PERM_PROMOTIONS)
def reward_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One reward: its counts, the claims waiting for a code, and the pool's codes, masked."""
    reward = _reward(pk)
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
def codes_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a CSV of codes; the answer is a report by line number, never a code."""
    reward = _reward(pk)
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
            source=f"upload “{request.FILES['file'].name[:100]}”",
        )
        form = CodeImportForm()
    context = {"reward": reward, "promotion": reward.promotion, "form": form, "report": report}
    return render(request, "backoffice/rewards/import.html", context)


@staff_required(PERM_PROMOTIONS)
@require_POST
def grant_resend(request: HttpRequest, pk: int) -> HttpResponse:
    grant = get_object_or_404(RewardGrant.objects.select_related("item__claim"), pk=pk)
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
def export_page(request: HttpRequest) -> HttpResponse:
    return render(request, "backoffice/rewards/exports.html", {"form": ClaimsExportForm()})


@staff_required(PERM_PROMOTIONS)
def export_claims(request: HttpRequest) -> HttpResponse:
    """Claims with their reward status, for finance: streamed, audited, without codes."""
    filters = ClaimsExportForm(request.GET).filters()
    if filters is None:
        return HttpResponseBadRequest(
            _("Unknown promotion or status: nothing was exported."), content_type="text/plain"
        )
    exports.claims_export_record(actor=request.user, promotion_id=filters.promotion_id, status=filters.status)
    lines = exports.claims_export_lines(promotion_id=filters.promotion_id, status=filters.status)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    name = f"claims-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
