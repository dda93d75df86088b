from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from membercenter.accounts.models import User
from membercenter.backoffice import selectors
from membercenter.backoffice.roles import PROMOTION_MANAGER, is_administrator
from membercenter.catalog.models import Region
from membercenter.claims.models import Claim, ReasonTemplate
from membercenter.promotions.forms import PromotionForm
from membercenter.promotions.models import Promotion

ALL = "all"


class QueueFilterForm(forms.Form):
    """The queue's filters, read from the query string (a GET form)."""

    status = forms.ChoiceField(label=_("Status"), required=False)
    promotion = forms.ModelChoiceField(
        label=_("Promotion"), queryset=Promotion.objects.order_by("-redeem_end", "name_en"), required=False,
        empty_label=_("All promotions"),
    )  # fmt: skip
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none(), required=False,
                                    empty_label=_("All my regions"))  # fmt: skip
    due = forms.ChoiceField(
        label=_("Due"),
        required=False,
        choices=[("", _("Any due date")), ("overdue", _("Overdue")), ("soon", _("Due within 3 days"))],
    )
    held_by_me = forms.BooleanField(label=_("Held by me"), required=False)
    checks = forms.ChoiceField(
        label=_("Automatic checks"),
        required=False,
        choices=[
            ("", _("Any result")),
            ("passed", _("All checks passed")),
            ("failed", _("A check failed or flagged")),
            ("unknown", _("Not known (being read or unreadable)")),
        ],
    )

    def __init__(self, data: QueryDict | None, *, user: User) -> None:
        data = data.copy() if data is not None else QueryDict(mutable=True)
        data.setdefault("status", Claim.Status.SUBMITTED)
        super().__init__(data)
        cast(forms.ChoiceField, self.fields["status"]).choices = [(ALL, _("All statuses")), *Claim.Status.choices]
        regions = Region.objects.order_by("name_en")
        if not is_administrator(user):
            regions = regions.filter(pk__in=user.review_regions.values("pk"))
        cast(forms.ModelChoiceField, self.fields["region"]).queryset = regions

    def filters(self) -> selectors.QueueFilters:
        """The chosen filters; a bad value is dropped, never a server error."""
        if not self.is_valid():
            return selectors.QueueFilters()
        data = self.cleaned_data
        status = data["status"] or Claim.Status.SUBMITTED
        return selectors.QueueFilters(
            status="" if status == ALL else status,
            promotion_id=data["promotion"].pk if data["promotion"] else None,
            region_id=data["region"].pk if data["region"] else None,
            due=data["due"],
            held_by_me=data["held_by_me"],
            checks=data["checks"],
        )


class ClaimNumbersField(forms.Field):
    """Claim numbers ticked in a list of checkboxes, all with the same name."""

    widget = forms.MultipleHiddenInput  # the template draws the checkboxes; this reads every value

    def to_python(self, value: object) -> list[int]:
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        try:
            return sorted({int(str(v)) for v in values})
        except (TypeError, ValueError):
            raise ValidationError(_("Choose claims from the list."), code="invalid") from None


class BulkApproveForm(forms.Form):
    claim = ClaimNumbersField(label=_("Claims"), error_messages={"required": _("Tick at least one claim.")})

    def clean_claim(self) -> list[int]:
        numbers = self.cleaned_data["claim"]
        if len(numbers) > selectors.BULK_APPROVE_MAX:
            raise ValidationError(
                _("At most %(n)s claims at a time.") % {"n": selectors.BULK_APPROVE_MAX}, code="too_many"
            )
        return numbers


class TemplateSelect(forms.Select):
    """Each option carries its text in the member's language, for the script that fills the reason."""

    def __init__(self, *args: Any, texts: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.texts = texts or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):  # noqa: ANN001, ANN201
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        text = self.texts.get(str(value))
        if text:
            option["attrs"]["data-text"] = text
        return option


class ReasonForm(forms.Form):
    """Send back or reject: a kept template, free text, or both; a reason is required."""

    template = forms.ModelChoiceField(
        label=_("Reason template"), queryset=ReasonTemplate.objects.none(), required=False, empty_label=_("— none —")
    )
    text = forms.CharField(
        label=_("Reason for the member"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Added after the template's text. The member reads it in their email."),
    )

    def __init__(self, *args: Any, kind: str, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language = "en" if language.startswith("en") else "id"
        templates = list(selectors.reason_templates(kind=kind))
        field = cast(forms.ModelChoiceField, self.fields["template"])
        field.queryset = selectors.reason_templates(kind=kind)
        field.widget = TemplateSelect(texts={str(t.pk): self._text(t) for t in templates})
        field.widget.choices = field.choices
        self.fields["text"].widget.attrs["data-reason-text"] = kind

    def _text(self, template: ReasonTemplate) -> str:
        return (template.text_en if self.language == "en" else template.text_id) or template.text_en

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        template, text = data.get("template"), (data.get("text") or "").strip()
        parts = []
        if template is not None:
            template_text = self._text(template).strip()
            # With JavaScript the template already filled the text box: do not say it twice.
            if template_text not in text:
                parts.append(template_text)
        if text:
            parts.append(text)
        if not parts:
            raise ValidationError(_("Choose a reason template or write a reason."), code="reason")
        data["reason"] = "\n\n".join(parts)
        return data


class ReasonTemplateForm(forms.ModelForm):
    class Meta:
        model = ReasonTemplate
        fields = ["kind", "title", "text_en", "text_id", "is_active", "position"]
        widgets = {"text_en": forms.Textarea(attrs={"rows": 4}), "text_id": forms.Textarea(attrs={"rows": 4})}


class AuditFilterForm(forms.Form):
    actor = forms.ModelChoiceField(label=_("Staff member"), queryset=User.objects.none(), required=False,
                                   empty_label=_("Anyone"))  # fmt: skip
    action = forms.ChoiceField(label=_("Action"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data: QueryDict | None) -> None:
        super().__init__(data)
        cast(forms.ModelChoiceField, self.fields["actor"]).queryset = selectors.audit_actors()
        actions = [(a, a) for a in selectors.audit_actions()]
        cast(forms.ChoiceField, self.fields["action"]).choices = [("", _("Any action")), *actions]

    def filters(self) -> selectors.AuditFilters:
        if not self.is_valid():
            return selectors.AuditFilters()
        data = self.cleaned_data
        return selectors.AuditFilters(
            actor_id=data["actor"].pk if data["actor"] else None,
            action=data["action"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )


class StaffPromotionForm(PromotionForm):
    """The promotion form of the back office: an administrator also chooses the promotion's managers.

    A promotion manager's form has no managers field at all, so a posted `managers` is ignored:
    they cannot hand a promotion to someone else, nor take one that is not theirs.
    """

    managers = forms.ModelMultipleChoiceField(
        label=_("Managers"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Promotion managers who may edit this promotion, its rewards, codes and shipments."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if is_administrator(user):
            managers = cast(forms.ModelMultipleChoiceField, self.fields["managers"])
            current = list(self.instance.managers.values_list("pk", flat=True)) if self.instance.pk else []
            # The promotion's managers stay offered (ticked) after leaving the group: saving the form
            # must not drop them silently; an administrator unticks them to remove them.
            managers.queryset = (
                User.objects.filter(Q(is_active=True, groups__name=PROMOTION_MANAGER) | Q(pk__in=current))
                .distinct()
                .order_by("email")
            )
            if current:
                self.initial["managers"] = current
        else:
            del self.fields["managers"]

    def chosen_managers(self) -> list[User] | None:
        """The managers an administrator chose; None when this form does not set them."""
        if "managers" not in self.fields:
            return None
        return list(self.cleaned_data["managers"])
