from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from membercenter.products.models import RegisteredProduct


@admin.register(RegisteredProduct)
class RegisteredProductAdmin(admin.ModelAdmin):
    list_display = ["serial", "member", "purchase_date", "store", "channel", "registered_at"]
    list_filter = ["region", "channel"]
    search_fields = ["=serial__sn", "member__email"]
    list_select_related = ["serial", "member", "store"]
    raw_id_fields = ["member", "serial", "store"]
    readonly_fields = ["invoice_link"]
    exclude = ["invoice"]

    @admin.display(description="invoice")
    def invoice_link(self, obj: RegisteredProduct) -> str:
        return format_html('<a href="{}">view</a>', reverse("products:invoice", args=[obj.pk])) if obj.pk else "-"
