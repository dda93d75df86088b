"""Back-office forms for the tier table, code imports and the finance export."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from membercenter.accounts.models import User
from membercenter.backoffice.roles import is_administrator
from membercenter.catalog.models import Category, ProductModel
from membercenter.claims.models import Claim
from membercenter.lib import authz
from membercenter.promotions.models import Promotion
from membercenter.rewards.models import Reward
from membercenter.rewards.pools import REWARD_FIELDS, reward_validate

CODES_FILE_MAX_BYTES = 10 * 1024 * 1024  # about 400,000 codes


class RewardForm(forms.ModelForm):
    """One row of a promotion's tier table."""

    class Meta:
        model = Reward
        fields = list(REWARD_FIELDS)
        widgets = {"kind": forms.RadioSelect}
        help_texts = {
            "value": _("Digital codes: what one code is worth."),
            "currency": _("Digital codes: three letters, such as IDR."),
            "stock": _("Physical gifts: how many there are. Empty: no limit."),
            "product_model": _("Only products of this model earn this reward."),
            "category": _("Only products of this category earn it (a model row wins over a category row)."),
        }

    def __init__(self, *args: Any, promotion: Promotion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.promotion = promotion
        cast(forms.ChoiceField, self.fields["kind"]).choices = Reward.Kind.choices
        product_model = cast(forms.ModelChoiceField, self.fields["product_model"])
        product_model.queryset = ProductModel.objects.select_related("category").order_by("category__position", "name")
        product_model.empty_label = _("Any model")
        category = cast(forms.ModelChoiceField, self.fields["category"])
        category.queryset = Category.objects.order_by("position", "name_en")
        category.empty_label = _("Any category")
        self.fields["currency"].widget.attrs.update({"maxlength": 3, "autocapitalize": "characters", "size": 4})
        if not self.instance.pk and not self.is_bound:
            region = promotion.regions.order_by("pk").first()
            self.initial.setdefault("currency", region.currency if region else "")
            self.initial.setdefault("kind", Reward.Kind.DIGITAL_CODE)

    def clean_currency(self) -> str:
        return (self.cleaned_data.get("currency") or "").strip().upper()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        try:
            reward_validate(promotion=self.promotion, data=data, reward=self.instance if self.instance.pk else None)
        except ValidationError as err:
            for field, errors in err.error_dict.items():
                if field not in self.errors:
                    self.add_error(field if field in self.fields else None, errors)
        return data

    def service_data(self) -> dict[str, Any]:
        return {f: self.cleaned_data.get(f) for f in REWARD_FIELDS}


class CodeImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file of codes"),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv,text/plain"}),
        help_text=_("One code per line in the first column; a first line “code” is skipped. UTF-8."),
    )

    def clean_file(self) -> str:
        """The file's text; the codes themselves are checked by the import, line by line."""
        upload = self.cleaned_data["file"]
        self.file_name: str = upload.name or ""  # for the audit log
        if upload.size > CODES_FILE_MAX_BYTES:
            raise ValidationError(_("The file is larger than 10 MB; split it in parts."), code="size")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(_("The file is not UTF-8 text. Save it as CSV (UTF-8)."), code="encoding") from None


@dataclass(frozen=True)
class ExportFilters:
    promotion_id: int | None = None
    status: str = ""


class ClaimsExportForm(forms.Form):
    """The finance export's filters, read from the query string."""

    promotion = forms.ModelChoiceField(
        label=_("Promotion"), queryset=Promotion.objects.order_by("-redeem_end", "name_en"), required=False,
        empty_label=_("All promotions"),
    )  # fmt: skip
    status = forms.ChoiceField(label=_("Claim status"), required=False)

    def __init__(self, data: QueryDict | None = None, *, user: User) -> None:
        super().__init__(data)
        cast(forms.ChoiceField, self.fields["status"]).choices = [("", _("All statuses")), *Claim.Status.choices]
        # Only the promotions this user manages are offered, and only they are accepted.
        promotion = cast(forms.ModelChoiceField, self.fields["promotion"])
        promotion.queryset = authz.promotions_managed_by(user).order_by("-redeem_end", "name_en")
        if not is_administrator(user):
            promotion.empty_label = _("All my promotions")

    def filters(self) -> ExportFilters | None:
        """The chosen filters, or None when one is wrong: a wrong filter must not export every claim."""
        if not self.is_bound:
            return ExportFilters()
        if not self.is_valid():
            return None
        promotion = self.cleaned_data["promotion"]
        return ExportFilters(promotion_id=promotion.pk if promotion else None, status=self.cleaned_data["status"])
