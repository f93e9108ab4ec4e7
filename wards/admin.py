from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Enrolment, Membership, Province, Ward


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["ward", "province"]
    filter_horizontal = ["criterion_groups"]


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


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ["ward", "year", "track", "criteria_set", "progress"]
    list_filter = ["year", "track", "criteria_set", "ward__province"]
    search_fields = ["ward__name", "ward__code"]
    autocomplete_fields = ["ward"]
    list_select_related = ["ward__province", "criteria_set"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_progress()

    def get_readonly_fields(self, request, obj=None):
        # Once a ward has a dossier, moving it would rewrite its history.
        if obj is not None and obj.assessments.exists():
            return ["ward", "year", "criteria_set"]
        return []

    @admin.display(description=_("progress"))
    def progress(self, enrolment: Enrolment) -> str:
        return enrolment.progress


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "ward", "province"]
    list_filter = ["role", "province"]
    search_fields = ["user__username", "user__last_name", "ward__name"]
    autocomplete_fields = ["user", "ward", "province"]
    filter_horizontal = ["criterion_groups"]
    list_select_related = ["user", "ward__province", "province"]
