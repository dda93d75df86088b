"""Physical gifts: the shipments list, the courier's CSV, tracking numbers in, delivered/returned."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from membercenter.accounts.models import User
from membercenter.backoffice.access import staff_required
from membercenter.backoffice.roles import PERM_PROMOTIONS
from membercenter.backoffice.views.common import paginate, query_without_page, status_tabs
from membercenter.lib import authz
from membercenter.lib.authz import promotion_scope
from membercenter.lib.files import as_download
from membercenter.lib.forms import form_add_service_error
from membercenter.lib.types import AuthenticatedHttpRequest
from membercenter.rewards import shipments
from membercenter.rewards.models import Reward, RewardGrant

IMPORT_MAX_BYTES = 2 * 1024 * 1024
ALL = "all"


class ShipmentFilterForm(forms.Form):
    """The list's filters, from the query string; a bad value is dropped, never a server error."""

    promotion = forms.ModelChoiceField(
        label=gettext_lazy("Promotion"), queryset=shipments.promotions_with_gifts(), required=False,
        empty_label=gettext_lazy("All promotions"),
    )  # fmt: skip
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)

    def __init__(self, data: QueryDict, *, user: User) -> None:
        super().__init__(data)
        # Only the promotions this user manages are offered, and only they are accepted.
        managed = authz.promotions_managed_by(user).values("pk")
        promotion = cast(forms.ModelChoiceField, self.fields["promotion"])
        promotion.queryset = shipments.promotions_with_gifts().filter(pk__in=managed)
        cast(forms.ChoiceField, self.fields["status"]).choices = [(ALL, _("All statuses"))] + [
            (s, RewardGrant.Status(s).label) for s in shipments.GIFT_STATUSES
        ]

    def chosen(self) -> tuple[int | None, str]:
        if not self.is_valid():
            return None, ""
        promotion, status = self.cleaned_data["promotion"], self.cleaned_data["status"]
        return (promotion.pk if promotion else None), ("" if status in ("", ALL) else status)


class TrackingImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Tracking numbers (CSV)"),
        help_text=gettext_lazy(
            "Columns: grant_id or claim_id, courier, tracking_number, and optionally status "
            "(shipped, delivered or returned). The exported file can be filled in and imported back."
        ),
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise ValidationError(_("The file is larger than 2 MB; split it."), code="size")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(_("Save the file as CSV in UTF-8."), code="encoding") from None


class ShipmentStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("New status"),
        choices=[(s, RewardGrant.Status(s).label) for s in (RewardGrant.Status.DELIVERED, RewardGrant.Status.RETURNED)],
    )
    query = forms.CharField(required=False, widget=forms.HiddenInput)


@staff_required(PERM_PROMOTIONS)
def shipment_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ShipmentFilterForm(request.GET, user=request.user)
    promotion_id, status = form.chosen()
    scope = promotion_scope(request.user)
    listed = shipments.shipments_for_staff(promotion_id=promotion_id, status=status, promotions=scope)
    page = paginate(request, listed)
    query = query_without_page(request.GET)
    counts = shipments.shipment_counts(promotion_id=promotion_id, promotions=scope)
    context = {
        "form": form,
        "page": page,
        "tabs": status_tabs(request, counts, status, [(s, RewardGrant.Status(s).label) for s in counts], all_value=ALL),
        "query": query,
        "import_form": TrackingImportForm(),
        "status_form": ShipmentStatusForm(initial={"query": query}),
        "now": timezone.now(),
    }
    return render(request, "backoffice/shipments/list.html", context)


@staff_required(PERM_PROMOTIONS)
@require_POST
def shipment_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The courier's CSV (a POST: it hands out members' addresses and writes the audit log)."""
    form = ShipmentFilterForm(request.POST, user=request.user)
    promotion = form.cleaned_data["promotion"] if form.is_valid() else None
    text = shipments.shipments_export(actor=request.user, promotion=promotion, promotions=promotion_scope(request.user))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    return as_download(response, filename=f"shipments-{stamp}.csv")


@staff_required(PERM_PROMOTIONS)
def shipment_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload tracking numbers; the report is shown on the page (it is too long for a message)."""
    form = TrackingImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = shipments.tracking_import(
                csv_text=form.cleaned_data["file"], actor=request.user, promotions=promotion_scope(request.user)
            )
        except ValidationError as err:
            form_add_service_error(form, err)
        else:
            messages.success(
                request,
                _("%(shipped)s gifts shipped; %(problems)s rows need a look.")
                % {"shipped": len(report.shipped), "problems": len(report.problems)},
            )
    return render(request, "backoffice/shipments/import.html", {"form": form, "report": report})


@staff_required(PERM_PROMOTIONS)
@require_POST
def shipment_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    grant = authz.grant_for_manager(
        request.user, pk, queryset=RewardGrant.objects.filter(reward__kind=Reward.Kind.GIFT)
    )
    form = ShipmentStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose delivered or returned."))
    else:
        try:
            grant = shipments.shipment_set_status(grant=grant, status=form.cleaned_data["status"], actor=request.user)
        except ValidationError as err:
            messages.error(request, " ".join(err.messages))
        else:
            messages.success(
                request,
                _("The gift of claim #%(claim)s is now %(status)s.")
                % {"claim": grant.item.claim_id, "status": grant.get_status_display()},
            )
    # Back to the same filters; the query is re-encoded, so nothing but a query string comes through.
    query = QueryDict(form.data.get("query", "")).urlencode()
    return redirect(reverse("backoffice:shipments") + (f"?{query}" if query else ""))
