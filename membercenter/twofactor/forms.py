from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("6-digit code"),
        regex=r"^\d{3} ?\d{3}$",
        max_length=12,
        strip=True,
        error_messages={"invalid": _("Enter the 6 digits your authenticator app shows, without spaces.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_code(self) -> str:
        return self.cleaned_data["code"].replace(" ", "")
