from typing import cast

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin

from .models import Assessment, Enrolment, Evidence, ReviewEvent
from .querysets import EnrolmentQuerySet


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ["ward", "year", "track", "criteria_set", "progress"]
    list_filter = ["year", "track", "criteria_set", "ward__province"]
    search_fields = ["ward__name", "ward__code"]
    autocomplete_fields = ["ward"]
    list_select_related = ["ward__province", "criteria_set"]

    def get_queryset(self, request: HttpRequest) -> EnrolmentQuerySet:
        return cast(EnrolmentQuerySet, super().get_queryset(request)).with_progress()

    def get_readonly_fields(self, request, obj=None):
        # Once a ward has a dossier, moving it would rewrite its history.
        if obj is not None and obj.assessments.exists():
            return ["ward", "year", "criteria_set"]
        return []

    @admin.display(description=_("progress"))
    def progress(self, enrolment: Enrolment) -> str:
        return enrolment.progress


class ReadOnlyEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ReviewEvent
    extra = 0
    fields = ("created_at", "actor", "action", "from_status", "to_status", "comment")
    readonly_fields = fields


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    """Status is read-only here: it changes only through the review workflow."""

    list_display = ["enrolment", "criterion", "status", "submitted_at", "reviewer"]
    list_filter = [
        "status",
        "enrolment__year",
        "enrolment__ward__province",
        "criterion__group",
    ]
    search_fields = ["enrolment__ward__name", "enrolment__ward__code"]
    list_select_related = ["enrolment__ward__province", "criterion", "reviewer"]
    readonly_fields = [
        "enrolment",
        "criterion",
        "status",
        "submitted_by",
        "submitted_at",
        "reviewer",
        "claimed_at",
        "decided_at",
    ]
    inlines = [ReadOnlyEventInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    """Evidence is never deleted; withdrawal goes through the workflow."""

    list_display = ["original_name", "assessment", "size", "uploaded_by", "uploaded_at"]
    list_filter = ["content_type", "assessment__enrolment__ward__province"]
    search_fields = ["original_name", "sha256", "description"]
    list_select_related = ["assessment__enrolment__ward", "uploaded_by"]
    readonly_fields = [
        "assessment",
        "file",
        "original_name",
        "description",
        "document_date",
        "content_type",
        "size",
        "sha256",
        "uploaded_by",
        "uploaded_at",
        "withdrawn_at",
        "withdrawn_by",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReviewEvent)
class ReviewEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The review log is append-only: it can be read here, never changed."""

    list_display = ["created_at", "assessment", "actor", "action", "to_status"]
    list_filter = ["action", "to_status", "assessment__enrolment__ward__province"]
    search_fields = ["comment", "actor__username", "assessment__enrolment__ward__name"]
    list_select_related = [
        "assessment__enrolment__ward",
        "actor",
        "assessment__criterion",
    ]
    date_hierarchy = "created_at"
