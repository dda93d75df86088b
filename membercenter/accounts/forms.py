from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordResetForm
from django.utils.translation import gettext_lazy as _

from membercenter.accounts.models import NewsletterList, User
from membercenter.catalog.models import Region
from membercenter.lib.captcha import CaptchaFormMixin
from membercenter.lib.urls import absolute_url
from membercenter.notifications.services import email_enqueue

EMAIL_TAKEN = _("An account with this email already exists. Log in or reset your password.")


class RegionChoiceField(forms.ModelChoiceField):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            queryset=Region.objects.filter(is_active=True),
            label=_("Region / Location"),
            empty_label=_("Select"),
            **kwargs,
        )


class SignUpForm(CaptchaFormMixin):
    email = forms.EmailField(label=_("Email"), max_length=254)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Confirm Password"), widget=forms.PasswordInput, strip=False)
    first_name = forms.CharField(label=_("First Name"), max_length=100)
    last_name = forms.CharField(label=_("Last Name"), max_length=100, required=False)
    region = RegionChoiceField()
    phone = forms.RegexField(
        label=_("Contact Number"),
        regex=r"^\+?[0-9 ()-]{6,20}$",
        required=False,
        error_messages={"invalid": _("Enter a phone number with digits only, e.g. 08123456789.")},
    )
    newsletters = forms.ModelMultipleChoiceField(
        label=_("Subscribe Latest Information"),
        queryset=NewsletterList.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    accept_reward_terms = forms.BooleanField(
        label=_("I agree to the Reward Program terms and conditions."), required=False
    )
    accept_privacy = forms.BooleanField(
        label=_("I acknowledge and agree to the Privacy Policy."),
        error_messages={"required": _("You must agree to the Privacy Policy to create an account.")},
    )

    field_order = [
        "email", "password1", "password2", "first_name", "last_name", "region", "phone",
        "newsletters", "accept_reward_terms", "accept_privacy", "captcha_answer",
    ]  # fmt: skip

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(EMAIL_TAKEN, code="exists")
        return email

    def clean(self) -> dict:
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords do not match."))
        elif p1:
            probe = User(email=cleaned.get("email") or "", first_name=cleaned.get("first_name") or "")
            try:
                password_validation.validate_password(p1, probe)
            except forms.ValidationError as err:
                self.add_error("password1", err)
        return cleaned


class LoginForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=_("First Name"), max_length=100)
    last_name = forms.CharField(label=_("Last Name"), max_length=100, required=False)
    region = RegionChoiceField()
    phone = SignUpForm.base_fields["phone"]
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class NewsletterForm(forms.Form):
    newsletters = forms.ModelMultipleChoiceField(
        label=_("Newsletters"),
        queryset=NewsletterList.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the email goes through the outbox in the member's language."""

    def send_mail(  # type: ignore[override]
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict,
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        user = context["user"]
        link = absolute_url("accounts:password_reset_confirm", context["uid"], context["token"])
        email_enqueue(
            template="password_reset",
            to=to_email,
            user=user,
            language=user.language,
            context={"user": user, "link": link},
        )
