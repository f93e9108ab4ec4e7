from django.contrib import admin

from .models import Calendar, GroupDeadline


class GroupDeadlineInline(admin.TabularInline):
    model = GroupDeadline
    extra = 0
    raw_id_fields = ["group"]


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = [
        "year",
        "province",
        "registration_closes",
        "evidence_due",
        "year_end_evidence_due",
        "review_days",
        "proposal_due",
    ]
    list_filter = ["year"]
    raw_id_fields = ["province", "set_by"]
    inlines = [GroupDeadlineInline]
