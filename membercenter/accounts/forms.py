from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from membercenter.accounts.models import NewsletterList, User
from membercenter.catalog.models import Region
from membercenter.lib.captcha import CaptchaFormMixin
from membercenter.lib.urls import absolute_url
from membercenter.notifications.services import email_enqueue


class RegionChoiceField(forms.ModelChoiceField):
    def __init__(self, **kwargs: Any) -> None:
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
        # Whether the address already has an account is not checked here: the answer would tell
        # anyone. member_sign_up handles that case by mail, to the owner of the address.
        return self.cleaned_data["email"].strip().lower()

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
    """Django's reset form, but the email goes through the outbox in the member's language.

    An address without an account gets the same work as one with: the reset email is
    written, then rolled back. The answer's timing then does not tell whether it has one.
    """

    def save(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        self._mails_queued = 0
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        if not self._mails_queued:
            self._decoy_mail()

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
        self._mails_queued += 1

    def _decoy_mail(self) -> None:
        # What an address with an account costs: a token (hashing the user's password hash, as
        # the real token does), the email rendered and written; rolled back, so nothing is kept
        # or sent (callbacks of a rolled-back block never run).
        nobody = User(email=self.cleaned_data["email"], first_name="", language=get_language() or "en")
        nobody.set_unusable_password()
        token = default_token_generator.make_token(nobody)
        link = absolute_url("accounts:password_reset_confirm", "MA", token)
        with transaction.atomic():
            email_enqueue(
                template="password_reset",
                to=nobody.email,
                user=None,
                language=nobody.language,
                context={"user": nobody, "link": link},
            )
            transaction.set_rollback(True)
