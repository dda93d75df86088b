from __future__ import annotations

from django.contrib import admin

from membercenter.catalog.models import Category, ProductModel, Province, Region, Serial, Store


class ProvinceInline(admin.TabularInline):
    model = Province
    extra = 0


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_id", "currency", "time_zone", "is_active"]
    list_filter = ["is_active"]
    inlines = [ProvinceInline]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_en", "name_id", "position"]
    prepopulated_fields = {"slug": ["name_en"]}


@admin.register(ProductModel)
class ProductModelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "category", "warranty_months"]
    list_filter = ["category"]
    search_fields = ["code", "name"]


@admin.register(Serial)
class SerialAdmin(admin.ModelAdmin):
    list_display = ["sn", "product_model", "chk", "manufactured_on"]
    search_fields = ["=sn"]  # exact match keeps the lookup on the unique index over millions of rows
    list_select_related = ["product_model"]
    autocomplete_fields = ["product_model"]
    show_full_result_count = False
    readonly_fields = ["skeleton"]

    def save_model(self, request, obj, form, change):  # noqa: ANN001, ANN201
        from membercenter.catalog.serials import normalize_sn, sn_skeleton

        obj.sn = normalize_sn(obj.sn)
        obj.skeleton = sn_skeleton(obj.sn)
        super().save_model(request, obj, form, change)


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "province", "city", "channel", "is_active"]
    list_filter = ["region", "channel", "is_active", "province"]
    search_fields = ["name", "city"]
    list_select_related = ["region", "province"]
