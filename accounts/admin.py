from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from access.admin import MembershipInline
from core.admin import ReadOnlyAdminMixin

from . import second_factor
from .models import User


@admin.register(User)
class KieuMauUserAdmin(UserAdmin):
    inlines = [MembershipInline]
    list_display = ("username", "first_name", "last_name", "email", "is_active")
    actions = ["reset_second_factor", "end_sessions"]

    @admin.action(description=_("Reset the second factor (enrol again at next login)"))
    def reset_second_factor(self, request, queryset):
        for user in queryset:
            second_factor.reset(user)
            self.log_change(request, user, "Reset the second factor.")
        messages.success(
            request,
            ngettext(
                "The second factor of %(count)d user was reset.",
                "The second factors of %(count)d users were reset.",
                queryset.count(),
            )
            % {"count": queryset.count()},
        )

    @admin.action(description=_("End all their sessions"))
    def end_sessions(self, request, queryset):
        ended = sum(user.end_sessions() for user in queryset)
        messages.success(request, _("%(count)d sessions ended.") % {"count": ended})


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The record of changes made in the admin: who, when, what. Read-only."""

    list_display = ["action_time", "user", "content_type", "object_repr", "action_flag"]
    list_filter = ["action_flag", "content_type", "action_time"]
    search_fields = ["object_repr", "change_message", "user__username"]
    date_hierarchy = "action_time"
    list_select_related = ["user", "content_type"]
    readonly_fields = [
        "action_time",
        "user",
        "content_type",
        "object_id",
        "object_repr",
        "action_flag",
        "change_message",
    ]
