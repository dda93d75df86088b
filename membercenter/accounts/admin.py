from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from membercenter.accounts.models import NewsletterList, User
from membercenter.accounts.services import member_deactivate


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
    actions = ["deactivate"]

    def save_model(self, request, obj, form, change):  # noqa: ANN001, ANN201
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            # Unticking "active" closes the account: its sessions end now, not at their next request.
            member_deactivate(user=obj)

    @admin.action(description=_("Deactivate the selected accounts (and end their sessions)"), permissions=["change"])
    def deactivate(self, request, queryset):  # noqa: ANN001, ANN201
        ended = sum(member_deactivate(user=user) for user in queryset.filter(is_active=True))
        self.message_user(request, _("Accounts deactivated; sessions ended: %(n)s.") % {"n": ended}, messages.SUCCESS)


@admin.register(NewsletterList)
class NewsletterListAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_en", "name_id", "is_active", "position"]
