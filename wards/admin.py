from django.contrib import admin

from core.collation import vi_order

from .models import Province, UnitChange, Ward


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "valid_from", "valid_to"]
    search_fields = ["name", "code"]

    def get_ordering(self, request):
        # Vietnamese order: Đà Nẵng after Cần Thơ, not after Thanh Hóa.
        return [vi_order("name")]


@admin.register(Ward)
class WardAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "province", "valid_from", "valid_to"]
    list_filter = ["province", "kind", "valid_to"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["province"]
    list_select_related = ["province"]

    def get_ordering(self, request):
        return [vi_order("province__name"), vi_order("name")]


@admin.register(UnitChange)
class UnitChangeAdmin(admin.ModelAdmin):
    list_display = ["predecessor", "successor", "effective", "partial"]
    list_filter = ["effective", "partial"]
    search_fields = ["predecessor__name", "predecessor__code", "successor__name"]
    autocomplete_fields = ["predecessor", "successor"]
    list_select_related = ["predecessor__province", "successor__province"]
