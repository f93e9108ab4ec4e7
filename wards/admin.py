from django.contrib import admin

from core.collation import vi_order

from .models import Province, Ward


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]

    def get_ordering(self, request):
        # Vietnamese order: Đà Nẵng after Cần Thơ, not after Thanh Hóa.
        return [vi_order("name")]


@admin.register(Ward)
class WardAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "province", "active", "merged_into"]
    list_filter = ["province", "kind", "active"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["province", "merged_into"]
    list_select_related = ["province", "merged_into"]

    def get_ordering(self, request):
        return [vi_order("province__name"), vi_order("name")]
