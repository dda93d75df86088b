"""Physical gifts: the shipments list, the courier's CSV, tracking numbers in, delivered/returned."""

from __future__ import annotations

import csv
import io
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
from membercenter.backoffice import selectors
from membercenter.backoffice.access import staff_required
from membercenter.backoffice.roles import PERM_PROMOTIONS
from membercenter.backoffice.views.common import paginate, query_without_page, status_tabs
from membercenter.lib import authz
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
        self.fields["status"].choices = [(ALL, _("All statuses"))] + [
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
    listed = authz.grants_managed_by(
        request.user, shipments.shipments_for_staff(promotion_id=promotion_id, status=status)
    )
    page = paginate(request, listed)
    query = query_without_page(request.GET)
    counts = selectors.shipment_counts(user=request.user, promotion_id=promotion_id)
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


def _managed_shipments_export(user: User) -> str:
    """ "All my promotions" for a manager: each managed promotion's file (each audited), under one header."""
    managed = authz.promotions_managed_by(user).values("pk")
    out = io.StringIO()
    csv.writer(out).writerow(shipments.EXPORT_HEADER)
    for promotion in shipments.promotions_with_gifts().filter(pk__in=managed):
        text = shipments.shipments_export(actor=user, promotion=promotion)
        out.write(text.split("\n", 1)[1])  # without its header line
    return out.getvalue()


@staff_required(PERM_PROMOTIONS)
@require_POST
def shipment_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The courier's CSV (a POST: it hands out members' addresses and writes the audit log)."""
    form = ShipmentFilterForm(request.POST, user=request.user)
    promotion = form.cleaned_data["promotion"] if form.is_valid() else None
    if promotion is None and not authz.is_administrator(request.user):
        text = _managed_shipments_export(request.user)
    else:
        text = shipments.shipments_export(actor=request.user, promotion=promotion)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    return as_download(response, filename=f"shipments-{stamp}.csv")


def _tracking_import(user: User, csv_text: str) -> shipments.TrackingImportReport:
    """The import, limited to the gifts of the user's promotions (administrators: every gift).

    A row naming a gift or claim of another promotion is blanked before the import and reported
    with the words the import uses for a number that does not exist: the report tells a manager
    nothing about other promotions' claims. Rows keep their line numbers.
    """
    if authz.is_administrator(user):
        return shipments.tracking_import(csv_text=csv_text, actor=user)
    rows = shipments._parse(csv_text)  # a bad header: the same error the import gives
    named = {line: (shipments._int(r.get("grant_id", "")), shipments._int(r.get("claim_id", ""))) for line, r in rows}
    gifts = authz.grants_managed_by(user).filter(reward__kind=Reward.Kind.GIFT)
    grant_ids = set(gifts.filter(pk__in={g for g, _ in named.values() if g}).values_list("pk", flat=True))
    claim_ids = set(
        gifts.filter(item__claim_id__in={c for _, c in named.values() if c}).values_list("item__claim_id", flat=True)
    )
    outside: dict[int, str] = {}
    for line, (grant_id, claim_id) in named.items():
        if grant_id is not None and grant_id not in grant_ids:
            outside[line] = f"no gift grant {grant_id}"
        elif grant_id is None and claim_id is not None and claim_id not in claim_ids:
            outside[line] = f"no claim #{claim_id}"
    if outside:
        reader = shipments._reader(csv_text)
        columns = list(reader.fieldnames or [])
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(columns)
        for line, record in enumerate(reader, start=2):
            writer.writerow([""] * len(columns) if line in outside else [record.get(c) or "" for c in columns])
        csv_text = out.getvalue()
    report = shipments.tracking_import(csv_text=csv_text, actor=user)
    report.problems = sorted(report.problems + list(outside.items()))
    return report


@staff_required(PERM_PROMOTIONS)
def shipment_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload tracking numbers; the report is shown on the page (it is too long for a message)."""
    form = TrackingImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = _tracking_import(request.user, form.cleaned_data["file"])
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
