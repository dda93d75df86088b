"""Arithmetic captcha ("24 + 2 ="): the answer stays in the database and works once."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from typing import Any, cast

from django import forms
from django.conf import settings
from django.forms.utils import ErrorDict
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from membercenter.accounts.models import Captcha

_rng = secrets.SystemRandom()


def captcha_new() -> Captcha:
    a, b = _rng.randint(1, 30), _rng.randint(1, 20)
    return Captcha.objects.create(
        question=f"{a} + {b} =",
        answer=a + b,
        expires_at=timezone.now() + timedelta(seconds=settings.CAPTCHA_MAX_AGE),
    )


def captcha_consume(*, captcha_id: str, answer: str) -> bool:
    """True when `answer` solves the challenge; the challenge is spent either way."""
    try:
        key = uuid.UUID(str(captcha_id))
    except ValueError:
        return False
    row = Captcha.objects.filter(pk=key, expires_at__gt=timezone.now()).first()
    # Deleting first makes the check single-use even under concurrent posts:
    # only the request whose DELETE removed the row may count it.
    deleted, _n = Captcha.objects.filter(pk=key).delete()
    if row is None or not deleted:
        return False
    return answer.strip().isdigit() and int(answer.strip()) == row.answer


class CaptchaFormMixin(forms.Form):
    """Adds the captcha and a honeypot to a form; call `with_new_captcha()` to render it."""

    captcha_id = forms.CharField(widget=forms.HiddenInput)
    captcha_answer = forms.CharField(label=_("Captcha"), max_length=4, required=True)
    # Honeypot: hidden from people by CSS, tempting to bots that fill every field.
    # Out of the tab order and of autofill, so that neither a keyboard nor a browser fills it for a person.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    captcha_question = ""
    _errors: ErrorDict | None

    def with_new_captcha(self) -> CaptchaFormMixin:
        challenge = captcha_new()
        self.captcha_question = challenge.question
        self.initial["captcha_id"] = str(challenge.pk)
        if self.is_bound:
            if self._errors is None:
                # Not validated ("New question", or another button that only re-renders): left
                # alone, rendering would validate the form, which spends the challenge just
                # shown and greets the member with "required" errors for a form not yet sent.
                self._errors = ErrorDict()
                self.cleaned_data = {}
            # A QueryDict from the request (or a dict in tests): its copy is mutable.
            data = cast("QueryDict | dict[str, Any]", self.data).copy()
            data["captcha_id"] = str(challenge.pk)
            data["captcha_answer"] = ""
            self.data = data
        return self

    def with_captcha_kept(self) -> CaptchaFormMixin:
        """Render again without spending the challenge (a page that only checked an upload).

        The question shown stays valid, so a member who answered it before picking a
        file (the htmx check swaps only the check results) does not answer twice.
        """
        row = None
        if self.is_bound:
            try:
                key = uuid.UUID(str(self.data.get("captcha_id", "")))
            except ValueError:
                key = None
            row = Captcha.objects.filter(pk=key, expires_at__gt=timezone.now()).first() if key else None
        if row is None:
            return self.with_new_captcha()
        self.captcha_question = row.question
        self._errors = ErrorDict()
        self.cleaned_data = {}
        return self

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        # Every post spends its challenge, valid or not (a bot's too): one question, one attempt.
        ok = captcha_consume(captcha_id=cleaned.get("captcha_id", ""), answer=cleaned.get("captcha_answer", ""))
        if cleaned.get("website"):
            raise forms.ValidationError(_("Your request could not be checked. Please try again."), code="honeypot")
        if not ok and "captcha_answer" not in self.errors:
            self.add_error(
                "captcha_answer",
                _("The captcha answer is wrong or has expired. Please answer the new question."),
            )
        return cleaned
