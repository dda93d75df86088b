from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _

from membercenter.catalog.models import ProductModel, Store
from membercenter.evidence.images import UploadRejected, image_sanitize
from membercenter.promotions.models import Promotion
from membercenter.promotions.services import PROMOTION_FIELDS, PROMOTION_M2M, promotion_validate

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StoreMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Stores listed with their region first: "ID · Toko Maju"."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.region.code} · {obj}"


class PromotionForm(forms.ModelForm):
    """Every field a promotion manager sets; the banner is re-encoded like any upload."""

    banner = forms.FileField(
        label=_("Banner"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/gif"}),
        help_text=_("JPG, PNG or GIF. It is resized and re-encoded."),
    )
    banner_remove = forms.BooleanField(label=_("Remove the current banner"), required=False)

    class Meta:
        model = Promotion
        fields = [*PROMOTION_FIELDS, *PROMOTION_M2M]
        field_classes = {"eligible_stores": StoreMultipleChoiceField}
        widgets = {
            "regions": forms.CheckboxSelectMultiple,
            "eligible_categories": forms.CheckboxSelectMultiple,
            "eligible_models": forms.SelectMultiple(attrs={"size": 8}),
            "eligible_stores": forms.SelectMultiple(attrs={"size": 8}),
            "description_en": forms.Textarea(attrs={"rows": 4}),
            "description_id": forms.Textarea(attrs={"rows": 4}),
            "purchase_start": DATE,
            "purchase_end": DATE,
            "redeem_start": DATE,
            "redeem_end": DATE,
        }
        help_texts = {
            "slug": _("The promotion's address. Left empty, it is made from the English name."),
            "eligible_categories": _("A product qualifies when its model or its category is chosen."),
            "max_redemptions": _("Empty: no limit."),
            "per_member_limit": _("Empty: no limit."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        cast(
            forms.ModelMultipleChoiceField, self.fields["eligible_models"]
        ).queryset = ProductModel.objects.select_related("category").order_by("category__position", "name")
        stores = cast(forms.ModelMultipleChoiceField, self.fields["eligible_stores"])
        stores.queryset = Store.objects.select_related("region").order_by("region__name_en", "name")
        if not self.instance.banner:
            del self.fields["banner_remove"]

    def clean_banner(self) -> ContentFile | None:
        upload = self.cleaned_data.get("banner")
        if not upload:
            return None
        try:
            return image_sanitize(upload, prefix="banner-")
        except UploadRejected as err:
            raise ValidationError(str(err), code="image") from None

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        try:
            promotion_validate(data)
        except ValidationError as err:
            for field, errors in err.error_dict.items():
                if field not in self.errors:
                    self.add_error(field, errors)
        return data

    def service_data(self) -> dict:
        return {f: self.cleaned_data[f] for f in (*PROMOTION_FIELDS, *PROMOTION_M2M)}
