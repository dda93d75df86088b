from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from membercenter.catalog.models import Region, Store
from membercenter.catalog.serials import is_valid_chk, is_valid_sn, normalize_sn
from membercenter.lib.captcha import CaptchaFormMixin


class SerialForm(forms.Form):
    serial_number = forms.CharField(
        label=_("Serial Number"),
        max_length=40,
        help_text=_('Please pay attention to the differences between "0" and "O", "1" and "l".'),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )

    def clean_serial_number(self) -> str:
        sn = normalize_sn(self.cleaned_data["serial_number"])
        if not is_valid_sn(sn):
            raise forms.ValidationError(
                _("A serial number has 6 to 32 letters and digits. Please copy it from the sticker on the product.")
            )
        return sn


class ChkForm(forms.Form):
    chk = forms.CharField(
        label=_("CHK"),
        max_length=3,
        min_length=3,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]{3}"}),
        help_text=_("Find the serial number sticker on the product and type the 3-digit CHK code printed on it."),
    )

    def clean_chk(self) -> str:
        chk = self.cleaned_data["chk"].strip()
        if not is_valid_chk(chk):
            raise forms.ValidationError(_("The CHK code is 3 digits."))
        return chk


class PurchaseForm(CaptchaFormMixin):
    region = forms.ModelChoiceField(
        label=_("Region / Location"), queryset=Region.objects.filter(is_active=True), empty_label=_("Select")
    )
    store = forms.ModelChoiceField(label=_("Store Name"), queryset=Store.objects.none(), empty_label=_("Select"))
    purchase_date = forms.DateField(
        label=_("Purchase Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    channel = forms.ChoiceField(
        label=_("Where did you purchase the product"), choices=Store.Channel.choices, widget=forms.RadioSelect
    )
    field_order = ["region", "store", "purchase_date", "channel", "captcha_answer"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region_id = self.data.get("region") if self.is_bound else None
        region_id = region_id or self.initial.get("region")
        cast(forms.ModelChoiceField, self.fields["store"]).queryset = stores_of_region(region_id)


def stores_of_region(region_id: object) -> QuerySet[Store]:
    if not str(region_id or "").isdigit():
        return Store.objects.none()
    return Store.objects.filter(region_id=int(str(region_id)), is_active=True).select_related("province")


def chosen_store(form: PurchaseForm) -> Store | None:
    """The store picked in a form not (yet) validated, for checking the invoice against it."""
    raw = str(form.data.get("store") or "")
    stores = cast(forms.ModelChoiceField, form.fields["store"]).queryset
    return stores.filter(pk=int(raw)).first() if stores is not None and raw.isdigit() else None


def entered_purchase_date(form: PurchaseForm) -> object:
    try:
        return form.fields["purchase_date"].clean(form.data.get("purchase_date"))
    except forms.ValidationError:
        return None
