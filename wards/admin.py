from django.contrib import admin

from .models import Province, Ward


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Ward)
class WardAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "province", "active", "merged_into"]
    list_filter = ["province", "kind", "active"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["province", "merged_into"]
    list_select_related = ["province", "merged_into"]
