from typing import cast

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin

from . import tally
from .models import (
    Assessment,
    Comment,
    Decision,
    Enrolment,
    Evidence,
    IndicatorValue,
    Proposal,
    Quota,
    RecognitionEvent,
    ReuseAllowed,
    ReviewEvent,
)
from .querysets import EnrolmentQuerySet
from .services import create_missing_assessments


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ["ward", "year", "track", "criteria_set", "progress", "stage"]
    list_filter = ["year", "track", "stage", "criteria_set", "ward__province"]
    search_fields = ["ward__name", "ward__code"]
    autocomplete_fields = ["ward"]
    list_select_related = ["ward__province", "criteria_set"]

    def get_queryset(self, request: HttpRequest) -> EnrolmentQuerySet:
        return cast(EnrolmentQuerySet, super().get_queryset(request)).with_progress()

    def get_readonly_fields(self, request, obj=None):
        # Recognition changes only through the workflow's proposal steps.
        fixed = ["stage", "decision", "keeps_title_of"]
        if obj is not None and obj.is_frozen:
            fixed.append("track")
        # Once a ward has a dossier, moving it would rewrite its history.
        if obj is not None and obj.assessments.exists():
            return ["ward", "year", "criteria_set", *fixed]
        return fixed

    @admin.display(description=_("progress"))
    def progress(self, enrolment: Enrolment) -> str:
        return enrolment.progress

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        """Save, with the ward's assessments when it is new, and its place
        in the stored progress (`assessments.tally`) when its track moves."""
        if not change:
            super().save_model(request, obj, form, change)
            create_missing_assessments(enrolment=obj)
            return
        locked = tally.lock(obj.pk)
        super().save_model(request, obj, form, change)
        if locked.track != obj.track:
            old, locked.track = locked.track, obj.track
            tally.retracked(locked, old)


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
        "valid_until",
        "carried_from",
        "confirmed_by",
        "confirmed_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(IndicatorValue)
class IndicatorValueAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Figures are entered on the criterion's page, through the workflow,
    which writes them in the event log; here they are read."""

    list_display = ["ward", "code", "period_end", "value", "source", "entered_by"]
    list_select_related = ["ward", "entered_by"]
    list_filter = ["code"]
    search_fields = ["ward__name", "ward__code", "source"]
    date_hierarchy = "period_end"


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "assessment", "author", "file_name"]
    list_select_related = [
        "assessment__enrolment__ward",
        "assessment__criterion",
        "author",
    ]
    search_fields = ["text", "assessment__enrolment__ward__name"]
    date_hierarchy = "created_at"


@admin.register(ReuseAllowed)
class ReuseAllowedAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["province", "sha256", "allowed_by", "allowed_at"]
    list_select_related = ["province", "allowed_by"]


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


@admin.register(Quota)
class QuotaAdmin(admin.ModelAdmin):
    list_display = ["province", "year", "wards", "set_by", "set_at"]
    list_filter = ["year"]
    list_select_related = ["province", "set_by"]
    readonly_fields = ["set_by", "set_at"]

    def save_model(self, request, obj, form, change):
        obj.set_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Proposals change only through the workflow: read here."""

    list_display = ["enrolment", "track", "status", "proposed_at", "decided_at"]
    list_filter = ["status", "track", "enrolment__year", "enrolment__ward__province"]
    search_fields = ["enrolment__ward__name", "enrolment__ward__code"]
    list_select_related = ["enrolment__ward"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A recorded decision is never changed: a new one corrects it."""

    list_display = ["number", "date", "track", "province", "year", "recorded_at"]
    list_filter = ["track", "year"]
    search_fields = ["number", "signer"]
    list_select_related = ["province"]


@admin.register(RecognitionEvent)
class RecognitionEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The recognition log is append-only, like the review log."""

    list_display = ["created_at", "enrolment", "actor", "action"]
    list_filter = ["action", "enrolment__year"]
    search_fields = ["comment", "enrolment__ward__name"]
    list_select_related = ["enrolment__ward", "actor"]
    date_hierarchy = "created_at"
