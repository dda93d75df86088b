"""Claims in the Django admin: read only.

Decisions go through the back office (/staff/), whose services check the
status pipeline, notify the member and write the audit log; the admin only looks.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from membercenter.backoffice.roles import is_administrator
from membercenter.claims.models import Claim, ClaimEvent, ClaimItem, ReasonTemplate


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ClaimItemInline(ReadOnlyMixin, admin.TabularInline):
    model = ClaimItem
    fields = readonly_fields = ("product", "active")
    extra = 0


class ClaimEventInline(ReadOnlyMixin, admin.TabularInline):
    model = ClaimEvent
    fields = readonly_fields = ("created_at", "round", "from_status", "to_status", "actor", "note")
    extra = 0


@admin.register(Claim)
class ClaimAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["__str__", "promotion", "region", "member", "status", "round", "submitted_at", "due_on"]
    list_filter = ["status", "region", "promotion"]
    search_fields = ["=id", "member__email", "full_name", "items__product__serial__sn"]
    list_select_related = ["promotion", "region", "member"]
    readonly_fields = ["back_office"]
    inlines = [ClaimItemInline, ClaimEventInline]
    date_hierarchy = "submitted_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Claim]:
        qs = super().get_queryset(request)
        user = request.user
        if not user.is_authenticated:  # the admin lets only staff in: never here
            return qs.none()
        if is_administrator(user):
            return qs
        return qs.filter(region__in=user.review_regions.values("pk"))

    @admin.display(description="back office")
    def back_office(self, obj: Claim) -> str:
        return format_html('<a href="{}">review in the back office</a>', reverse("backoffice:claim", args=[obj.pk]))


@admin.register(ReasonTemplate)
class ReasonTemplateAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Edited in the back office (/staff/reasons/), where every change is audit-logged."""

    list_display = ["title", "kind", "is_active", "position"]
    list_filter = ["kind", "is_active"]
    search_fields = ["title", "text_en", "text_id"]
