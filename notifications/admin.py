from django.contrib import admin

from core.admin import ReadOnlyAdminMixin

from .models import Notification, Preference


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "title", "read_at", "mailed_at"]
    list_filter = ["kind", "created_at"]
    search_fields = ["title", "user__username", "key"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "delivery"]
    list_filter = ["kind", "delivery"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]
