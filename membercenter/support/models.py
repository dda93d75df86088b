from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from membercenter.lib.i18n import localized


class SupportRequest(models.Model):
    """A member's message to customer service (e.g. a serial registered by someone else)."""

    class Topic(models.TextChoices):
        SERIAL_OWNERSHIP = "serial_ownership", _("My serial number is registered to another account")
        REGISTRATION = "registration", _("Product registration")
        ACCOUNT = "account", _("My account")
        OTHER = "other", _("Something else")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="support_requests", verbose_name=_("member")
    )
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    serial_number = models.CharField(_("serial number"), max_length=32, blank=True)
    message = models.TextField(_("message"))
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("support request")
        verbose_name_plural = _("support requests")

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_topic_display()}"


class FaqEntry(models.Model):
    """A question on the FAQ page, kept by staff in both languages."""

    question_en = models.CharField(_("question (English)"), max_length=300)
    question_id = models.CharField(_("question (Indonesian)"), max_length=300)
    answer_en = models.TextField(_("answer (English)"))
    answer_id = models.TextField(_("answer (Indonesian)"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_published = models.BooleanField(_("published"), default=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("FAQ entry")
        verbose_name_plural = _("FAQ")

    def __str__(self) -> str:
        return self.question_en

    @property
    def question(self) -> str:
        return localized(self, "question")

    @property
    def answer(self) -> str:
        return localized(self, "answer")
