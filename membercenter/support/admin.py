from __future__ import annotations

from django.contrib import admin
from django.db import transaction

from membercenter.audit.services import audit_record
from membercenter.support.models import FaqEntry, SupportRequest


@admin.register(SupportRequest)
class SupportRequestAdmin(admin.ModelAdmin):
    list_display = ["pk", "created_at", "member", "topic", "serial_number", "resolved_at"]
    list_filter = ["topic", "resolved_at"]
    search_fields = ["member__email", "serial_number"]
    raw_id_fields = ["member"]


@admin.register(FaqEntry)
class FaqEntryAdmin(admin.ModelAdmin):
    """Staff edit the FAQ here; every change is written to the audit log."""

    list_display = ["position", "question_en", "question_id", "is_published"]
    list_editable = ["is_published"]
    ordering = ["position", "pk"]

    def save_model(self, request, obj, form, change):  # noqa: ANN001, ANN201
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            action = "faq.change" if change else "faq.create"
            audit_record(actor=request.user, action=action, target=obj, summary=f"FAQ: {obj.question_en}")

    def delete_model(self, request, obj):  # noqa: ANN001, ANN201
        with transaction.atomic():
            audit_record(actor=request.user, action="faq.delete", target=obj, summary=f"FAQ: {obj.question_en}")
            super().delete_model(request, obj)
