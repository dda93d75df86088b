"""Rewards in the Django admin: read only, and codes only masked.

Tier rows, imports and resends go through the back office (/staff/), whose services
check the rules and write the audit log; the admin only looks. The ciphertext and
the fingerprint are never shown: a code is money.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from membercenter.rewards.crypto import code_decrypt, code_mask
from membercenter.rewards.models import CodePool, Reward, RewardCode, RewardGrant


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def _masked(code: RewardCode | None) -> str:
    if code is None:
        return "—"
    try:
        return code_mask(code_decrypt(code.ciphertext))
    except ValueError:
        return "(cannot be decrypted with the configured key)"


@admin.register(Reward)
class RewardAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["name_en", "promotion", "kind", "value", "currency", "stock", "product_model", "category"]
    list_filter = ["kind", "promotion"]
    list_select_related = ["promotion", "product_model", "category"]
    search_fields = ["name_en", "name_id", "promotion__name_en"]
    readonly_fields = ["back_office"]

    @admin.display(description="back office")
    def back_office(self, obj: Reward) -> str:
        return format_html(
            '<a href="{}">pool and claims in the back office</a>', reverse("backoffice:reward", args=[obj.pk])
        )


@admin.register(CodePool)
class CodePoolAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["__str__", "reward", "created_at"]
    list_select_related = ["reward"]


@admin.register(RewardCode)
class RewardCodeAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["pk", "pool", "masked", "imported_at"]
    list_select_related = ["pool__reward"]
    list_filter = ["pool"]
    fields = readonly_fields = ("pool", "masked", "imported_at")

    @admin.display(description="code")
    def masked(self, obj: RewardCode) -> str:
        return _masked(obj)


@admin.register(RewardGrant)
class RewardGrantAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["pk", "item", "reward", "status", "due_at", "allocated_at", "delivered_at"]
    list_filter = ["status", "reward__promotion"]
    list_select_related = ["item", "reward"]
    search_fields = ["=item__claim__id", "item__claim__member__email"]
    fields = readonly_fields = (
        "item", "reward", "status", "masked_code", "due_at", "allocated_at", "delivered_at", "courier",
        "tracking_number", "created_at",
    )  # fmt: skip

    @admin.display(description="code")
    def masked_code(self, obj: RewardGrant) -> str:
        return _masked(obj.code)
