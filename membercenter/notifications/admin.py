from __future__ import annotations

from django.contrib import admin, messages

from membercenter.notifications.models import OutboxEmail
from membercenter.notifications.services import outbox_resend


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "template", "to", "status", "attempts", "sent_at"]
    list_filter = ["status", "template"]
    search_fields = ["to", "subject"]
    readonly_fields = [f.name for f in OutboxEmail._meta.fields]
    actions = ["resend"]

    @admin.action(description="Send again (failed emails)")
    def resend(self, request, queryset):  # noqa: ANN001, ANN201
        for pk in queryset.filter(status=OutboxEmail.Status.FAILED).values_list("pk", flat=True):
            outbox_resend(outbox_id=pk)
        self.message_user(request, "Queued again.", messages.SUCCESS)

    def has_add_permission(self, request):  # noqa: ANN001, ANN201
        return False
