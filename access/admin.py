from django.contrib import admin

from .models import Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["ward", "province"]
    filter_horizontal = ["criterion_groups"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "body", "ward", "province"]
    list_filter = ["role", "body", "province"]
    search_fields = [
        "user__username",
        "user__last_name",
        "user__first_name",
        "ward__name",
        "province__name",
    ]
    autocomplete_fields = ["user", "ward", "province"]
    filter_horizontal = ["criterion_groups"]
    list_select_related = ["user", "ward__province", "province"]
