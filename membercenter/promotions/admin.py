"""Promotions in the Django admin: read only; managers edit them in the back office (audit-logged)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from membercenter.promotions.models import Promotion


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    list_display = ["name_en", "status", "purchase_start", "purchase_end", "redeem_start", "redeem_end", "edit_link"]
    list_filter = ["status", "regions"]
    search_fields = ["name_en", "name_id", "slug"]
    exclude = ["banner"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="back office")
    def edit_link(self, obj: Promotion) -> str:
        return format_html('<a href="{}">edit</a>', reverse("backoffice:promotion_edit", args=[obj.pk]))
