from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from membercenter.accounts.models import NewsletterList, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "region", "email_verified_at", "is_staff", "is_active"]
    list_filter = ["is_staff", "is_active", "region"]
    search_fields = ["email", "first_name", "last_name", "phone"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Member"), {"fields": ("first_name", "last_name", "region", "phone", "language")}),
        (_("Consents"), {"fields": ("email_verified_at", "privacy_accepted_at", "reward_terms_accepted_at")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "first_name", "password1", "password2")}),)
    readonly_fields = ["privacy_accepted_at", "reward_terms_accepted_at"]


@admin.register(NewsletterList)
class NewsletterListAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_en", "name_id", "is_active", "position"]
