from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from membercenter.catalog.serials import normalize_sn
from membercenter.support.models import SupportRequest


class SupportRequestForm(forms.Form):
    topic = forms.ChoiceField(label=_("Topic"), choices=SupportRequest.Topic.choices)
    serial_number = forms.CharField(label=_("Serial Number"), max_length=40, required=False)
    message = forms.CharField(
        label=_("Message"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Tell us what happened. For a serial registered by someone else, say where and when you bought it."
        ),
    )

    def clean_serial_number(self) -> str:
        return normalize_sn(self.cleaned_data["serial_number"])
