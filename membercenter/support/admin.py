from __future__ import annotations

from django.contrib import admin

from membercenter.support.models import SupportRequest


@admin.register(SupportRequest)
class SupportRequestAdmin(admin.ModelAdmin):
    list_display = ["pk", "created_at", "member", "topic", "serial_number", "resolved_at"]
    list_filter = ["topic", "resolved_at"]
    search_fields = ["member__email", "serial_number"]
    raw_id_fields = ["member"]
