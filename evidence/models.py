import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .querysets import AssessmentQuerySet, EvidenceQuerySet, ReviewEventQuerySet


class Status(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted for review")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")


class Assessment(models.Model):
    """One criterion for one enrolled ward: where it stands in review.

    Its status changes only through `evidence.workflow`, which writes a
    ReviewEvent for every change in the same transaction.
    """

    Status = Status

    enrolment = models.ForeignKey(
        "wards.Enrolment",
        on_delete=models.CASCADE,
        related_name="assessments",
        verbose_name=_("enrolment"),
    )
    criterion = models.ForeignKey(
        "criteria.Criterion",
        on_delete=models.PROTECT,
        related_name="assessments",
        verbose_name=_("criterion"),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=Status.choices,
        default=Status.NOT_STARTED,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["enrolment", "criterion__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "criterion"],
                name="one_assessment_per_criterion_per_enrolment",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values),
                name="assessment_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="submitted")
                | models.Q(submitted_at__isnull=False),
                name="submitted_assessment_has_submitted_at",
            ),
        ]
        indexes = [
            models.Index(fields=["enrolment", "status"]),
            models.Index(
                fields=["submitted_at"],
                condition=models.Q(status="submitted"),
                name="assessment_review_queue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment} — {self.criterion.number}"


def evidence_path(instance: "Evidence", filename: str) -> str:
    """A generated storage path; the user's file name never reaches the disk."""
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    today = timezone.now()
    return f"evidence/{today:%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Evidence(models.Model):
    """A stored file attached to an assessment. Withdrawn, never deleted."""

    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.PROTECT,
        related_name="evidence",
        verbose_name=_("assessment"),
    )
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=255)
    original_name = models.CharField(_("original file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=128)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    description = models.TextField(_("description"), blank=True)
    document_date = models.DateField(_("document date"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["assessment", "uploaded_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sha256__regex=r"^[0-9a-f]{64}$"),
                name="evidence_sha256_hex",
            ),
        ]
        indexes = [models.Index(fields=["assessment", "sha256"])]

    def __str__(self) -> str:
        return self.original_name


class ReviewEvent(models.Model):
    """One step of an assessment's history. Written once, never changed."""

    class Action(models.TextChoices):
        ADD_EVIDENCE = "add_evidence", _("added evidence")
        WITHDRAW_EVIDENCE = "withdraw_evidence", _("withdrew evidence")
        SUBMIT = "submit", _("submitted for review")
        CLAIM = "claim", _("claimed for review")
        APPROVE = "approve", _("approved")
        RETURN = "return", _("returned")
        REVOKE = "revoke", _("revoked the approval")

    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("assessment"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    from_status = models.CharField(
        _("from status"), max_length=16, choices=Assessment.Status.choices
    )
    to_status = models.CharField(
        _("to status"), max_length=16, choices=Assessment.Status.choices
    )
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    objects = ReviewEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("review event")
        verbose_name_plural = _("review events")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["assessment", "created_at"]),
            models.Index(fields=["created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} — {self.assessment}"
