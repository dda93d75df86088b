from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.utils.translation import gettext_lazy as _

from membercenter.accounts.models import User
from membercenter.claims.models import Claim
from membercenter.lib.captcha import CaptchaFormMixin

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def phone_field(label: StrOrPromise, *, required: bool = True) -> forms.RegexField:
    return forms.RegexField(
        label=label,
        regex=r"^\+?[0-9 ()-]{6,20}$",
        required=required,
        error_messages={"invalid": _("Enter a phone number with digits only, e.g. 08123456789.")},
    )


class RecipientForm(forms.Form):
    """Recipient Information (SPEC §2.5): where the reward goes."""

    full_name = forms.CharField(label=_("Full Name"), max_length=200)
    email = forms.EmailField(label=_("Email"))
    phone = phone_field(_("Phone"))
    address = forms.CharField(label=_("Address"), max_length=300)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    province = forms.CharField(label=_("State / Province / Region"), max_length=100, required=False)
    postal_code = forms.RegexField(
        label=_("Postal Code"),
        regex=r"^[0-9A-Za-z -]{3,12}$",
        required=False,
        error_messages={"invalid": _("Enter a postal code such as 10110.")},
    )
    unit = forms.CharField(label=_("Apartment / Building / Unit / Floor"), max_length=100, required=False)
    contact_name = forms.CharField(label=_("Contact Name"), max_length=200)
    contact_phone = phone_field(_("Contact Phone"), required=False)


def recipient_initial(*, member: User, last_claim: Claim | None) -> dict[str, str]:
    """Prefilled from the profile, and the address of the member's last claim."""
    name = member.get_full_name()
    initial = {"full_name": name, "email": member.email, "phone": member.phone}
    initial.update(contact_name=name, contact_phone=member.phone)
    if last_claim is not None:
        for f in ("address", "city", "province", "postal_code", "unit"):
            initial[f] = getattr(last_claim, f)
    return initial


class ConfirmForm(CaptchaFormMixin):
    submit_token = forms.UUIDField(widget=forms.HiddenInput)


class RedeemAgainForm(RecipientForm, CaptchaFormMixin):
    pass
