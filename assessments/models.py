import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .progress import Progress
from .querysets import (
    DETAIL_ACTIONS,
    AssessmentQuerySet,
    DecisionQuerySet,
    EnrolmentQuerySet,
    EvidenceQuerySet,
    ProposalQuerySet,
    RecognitionEventQuerySet,
    ReviewEventQuerySet,
)
from .validity import FLAGGED_STATUSES, Expiry, expiry_of


class Track(models.TextChoices):
    """Who recognises a ward: the Minister, or the province's People's
    Committee (for Hà Nội, the city's)."""

    MINISTRY = "ministry", _("Ministry level")
    PROVINCE = "province", _("Province level")


class Stage(models.TextChoices):
    """Where a ward's year stands on the way to recognition. Changed only by
    `evidence.workflow`; while it is not OPEN the assessments are frozen."""

    OPEN = "open", _("Not proposed")
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted, awaiting the decision")
    RECOGNISED = "recognised", _("Recognised")


def closed_unit_refusal(ward, year: int) -> str:
    """Why `ward` cannot be enrolled for `year`, or "" if it can: a unit is
    enrolled only for a year it is in force in."""
    if ward.valid_in(year):
        return ""
    return _(
        "%(ward)s is not in force in %(year)d (%(period)s); enrol the unit that is."
    ) % {
        "ward": ward.full_name,
        "year": year,
        "period": " – ".join(
            d.strftime("%d/%m/%Y") if d else "…"
            for d in (ward.valid_from, ward.valid_to)
        ),
    }


STORED_PROGRESS = {
    "approved_criteria",
    "submitted_criteria",
    "returned_criteria",
    "set_size",
}


class Enrolment(models.Model):
    """A ward taking part in the programme for one year, against one set."""

    Track = Track
    Stage = Stage

    ward = models.ForeignKey(
        "wards.Ward",
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("ward"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    criteria_set = models.ForeignKey(
        "criteria.CriteriaSet",
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("criteria set"),
    )
    track = models.CharField(_("track"), max_length=16, choices=Track.choices)
    stage = models.CharField(
        _("recognition"), max_length=16, choices=Stage.choices, default=Stage.OPEN
    )
    # The decision in force that recognised the ward for this year.
    decision = models.ForeignKey(
        "Decision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enrolments",
        verbose_name=_("recognition decision"),
    )
    # Enrolled again to keep the title won in this (earlier) enrolment.
    keeps_title_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("keeps the title of"),
    )
    # Its progress, stored: kept by `assessments.tally` in the transaction
    # of each change, and checked by `manage.py recount`.
    approved_criteria = models.PositiveSmallIntegerField(
        _("approved criteria"), default=0, editable=False
    )
    submitted_criteria = models.PositiveSmallIntegerField(
        _("criteria submitted for review"), default=0, editable=False
    )
    returned_criteria = models.PositiveSmallIntegerField(
        _("returned criteria"), default=0, editable=False
    )
    set_size = models.PositiveSmallIntegerField(
        _("criteria in its set"), default=0, editable=False
    )

    objects = EnrolmentQuerySet.as_manager()

    # Set by `Enrolment.objects.with_progress()`.
    approved_count: int
    criteria_count: int

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["-year", "ward__province__name", "ward__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["ward", "year"], name="one_enrolment_per_ward_per_year"
            ),
            models.CheckConstraint(
                condition=models.Q(track__in=Track.values),
                name="enrolment_track_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(year__gte=2000, year__lte=2100),
                name="enrolment_year_plausible",
            ),
            models.CheckConstraint(
                condition=models.Q(stage__in=Stage.values),
                name="enrolment_stage_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(stage="recognised", decision__isnull=False)
                | (~models.Q(stage="recognised") & models.Q(decision__isnull=True)),
                name="enrolment_recognised_by_a_decision",
            ),
        ]
        indexes = [
            models.Index(fields=["year", "track"]),
            models.Index(fields=["year", "stage"]),
        ]

    def __str__(self) -> str:
        return f"{self.ward.name} — {self.year}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; an enrolment read earlier never writes back its stored
        progress, which `assessments.tally` changes under the row's lock."""
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in STORED_PROGRESS
            ]
        super().save(*args, **kwargs)

    def clean(self) -> None:
        refusal = closed_unit_refusal(self.ward, self.year) if self.ward_id else ""
        if refusal:
            raise ValidationError({"ward": refusal})

    def criterion_url(self, number: int) -> str:
        """The page of criterion `number` in this ward's year."""
        return reverse(
            "criterion_detail",
            kwargs={"code": self.ward.code, "year": self.year, "number": number},
        )

    @property
    def standing(self) -> Progress:
        """Approved criteria against the size of the set.

        Needs the annotations of `Enrolment.objects.with_progress()`.
        """
        return Progress(approved=self.approved_count, size=self.criteria_count)

    @property
    def progress(self) -> str:
        """ "18/22"."""
        return self.standing.label

    @property
    def progress_percent(self) -> int:
        return self.standing.percent

    @property
    def is_complete(self) -> bool:
        return self.standing.is_complete

    @property
    def is_frozen(self) -> bool:
        """Proposed, accepted or recognised: its dossier no longer changes."""
        return self.stage != Stage.OPEN

    @property
    def stored_progress(self) -> Progress:
        """Its progress as stored (no annotation needed)."""
        return Progress(approved=self.approved_criteria, size=self.set_size)


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
        Enrolment,
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

    # Set by `Assessment.objects.with_expiry()`.
    expires_on: dt.date | None

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

    def get_absolute_url(self) -> str:
        """The criterion page: /wards/<unit code>/<year>/<criterion number>/."""
        return self.enrolment.criterion_url(self.criterion.number)

    @property
    def expiry(self) -> Expiry | None:
        """Whether the evidence of an approved or submitted criterion has
        expired or expires soon (by its earliest validity date).

        Needs the annotation of `Assessment.objects.with_expiry()`.
        """
        if self.status not in FLAGGED_STATUSES:
            return None
        return expiry_of(self.expires_on)


def evidence_path(instance: "Evidence | None", filename: str) -> str:
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
    # A certificate or an inspection record holds until a date; after it the
    # criterion it supports needs a new one.
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
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
    # Carried over from last year's dossier: a row of its own pointing at the
    # same stored file (never a copy), to be confirmed by an officer before
    # the criterion can be submitted.
    carried_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="carried_to",
        verbose_name=_("carried over from"),
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    # A new version of a file: the one it replaces is withdrawn, and kept
    # with its hash as an earlier revision.
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("replaces"),
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
            models.CheckConstraint(
                condition=models.Q(carried_from__isnull=False)
                | models.Q(confirmed_at__isnull=True, confirmed_by__isnull=True),
                name="evidence_confirmed_only_if_carried",
            ),
        ]
        indexes = [
            models.Index(fields=["assessment", "sha256"]),
            # The same content in other wards' dossiers (assessments.reuse).
            models.Index(
                fields=["sha256", "file"],
                condition=models.Q(withdrawn_at=None),
                name="evidence_current_content",
            ),
            # Few files have a validity date: the expiry warnings and the
            # dashboards read them from this small index.
            models.Index(
                fields=["valid_until"],
                condition=models.Q(valid_until__isnull=False, withdrawn_at=None),
                name="evidence_with_validity",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_current(self) -> bool:
        return self.withdrawn_at is None

    @property
    def needs_confirmation(self) -> bool:
        """Carried over, and no officer has confirmed it yet."""
        return self.carried_from_id is not None and self.confirmed_at is None

    @property
    def expiry(self) -> Expiry | None:
        """Its validity date, when that has passed or comes within the
        warning period (EVIDENCE_EXPIRY_WARNING_DAYS); else None."""
        return expiry_of(self.valid_until)


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
        REOPEN = "reopen", _("reopened at the level above's request")
        SET_VALIDITY = "set_validity", _("set the validity date of evidence")
        CARRY_OVER = "carry_over", _("carried evidence over from last year")
        CONFIRM_EVIDENCE = "confirm_evidence", _("confirmed carried-over evidence")
        REPLACE_EVIDENCE = "replace_evidence", _("uploaded a new version of evidence")
        ENTER_VALUE = "enter_value", _("entered an indicator's figure")

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
    # The ward's province, copied (a ward never changes province, an event is
    # never changed): a province's feed of recent steps reads its own index
    # instead of walking the whole log (`ReviewEventQuerySet.concerning`).
    province = models.ForeignKey(
        "wards.Province",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        editable=False,
        db_index=False,
        verbose_name=_("province"),
    )

    objects = ReviewEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("review event")
        verbose_name_plural = _("review events")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["assessment", "created_at"]),
            models.Index(fields=["created_at"]),
            models.Index(
                fields=["province", "created_at"],
                condition=~models.Q(action__in=DETAIL_ACTIONS),
                name="reviewevent_province_feed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} — {self.assessment}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.province_id is None and self.assessment_id is not None:
            self.province_id = province_of_assessment(self.assessment_id)
        super().save(*args, **kwargs)


def province_of_assessment(assessment_id: int) -> int:
    return Assessment.objects.values_list(
        "enrolment__ward__province_id", flat=True
    ).get(pk=assessment_id)


def fill_event_provinces() -> int:
    """Give events written without their province (bulk writes, archives
    from before it was kept) the province of their ward."""
    missing = ReviewEvent.objects.filter(province=None)
    return missing.update(
        province=models.Subquery(
            Assessment.objects.filter(pk=models.OuterRef("assessment_id")).values(
                "enrolment__ward__province_id"
            )[:1]
        )
    )


class Quota(models.Model):
    """How many wards the Ministry expects a province to put forward for
    recognition at Ministry level in a year (Hà Nội, 2023: 13)."""

    province = models.ForeignKey(
        "wards.Province",
        on_delete=models.PROTECT,
        related_name="quotas",
        verbose_name=_("province"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    wards = models.PositiveSmallIntegerField(_("quota of wards"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("set by"),
    )
    set_at = models.DateTimeField(_("set at"), default=timezone.now)

    class Meta:
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        ordering = ["-year", "province__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["province", "year"], name="one_quota_per_province_per_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.province.name} — {self.year}: {self.wards}"


def decision_path(instance: "Decision | None", filename: str) -> str:
    """Signed scans live beside the evidence, under a generated name."""
    return f"evidence/decisions/{timezone.now():%Y}/{uuid.uuid4().hex}.pdf"


class Proposal(models.Model):
    """A complete ward put forward for recognition on its track.

    While pending or accepted, the ward's assessments are frozen. The level
    above accepts it, or returns it naming the criteria in question, which
    reopens exactly those. A returned proposal stays as it was; the ward is
    proposed again with a new one.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Returned")

    enrolment = models.ForeignKey(
        Enrolment,
        on_delete=models.PROTECT,
        related_name="proposals",
        verbose_name=_("enrolment"),
    )
    track = models.CharField(_("level"), max_length=16, choices=Track.choices)
    note = models.TextField(_("covering note"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.TextField(_("reason for returning"), blank=True)
    returned_criteria = models.ManyToManyField(
        "criteria.Criterion",
        blank=True,
        related_name="+",
        verbose_name=_("criteria in question"),
    )

    objects = ProposalQuerySet.as_manager()

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["proposed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "accepted", "returned"]),
                name="proposal_status_valid",
            ),
            models.UniqueConstraint(
                fields=["enrolment"],
                condition=models.Q(status__in=["pending", "accepted"]),
                name="one_live_proposal_per_enrolment",
            ),
        ]
        indexes = [models.Index(fields=["status", "track"])]

    def __str__(self) -> str:
        return f"{self.enrolment} — {self.get_status_display()}"

    def get_absolute_url(self) -> str:
        return reverse("proposal_detail", kwargs={"pk": self.pk})


class Decision(models.Model):
    """A recognition decision of the Minister or a province, with its scan.

    Never changed once recorded: a mistake is put right by a new decision
    that says what it corrects (`corrects`), and then that one is in force.
    """

    track = models.CharField(_("level"), max_length=16, choices=Track.choices)
    # The province deciding, for a province-level decision; None for the
    # Minister's, which may recognise wards of several provinces.
    province = models.ForeignKey(
        "wards.Province",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decisions",
        verbose_name=_("province"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.CharField(_("number"), max_length=64)
    date = models.DateField(_("date signed"))
    signer = models.CharField(_("signed by"), max_length=200)
    scan = models.FileField(
        _("signed scan"), upload_to=decision_path, max_length=255, blank=True
    )
    scan_name = models.CharField(_("scan file name"), max_length=255, blank=True)
    scan_size = models.PositiveBigIntegerField(_("scan size in bytes"), default=0)
    scan_sha256 = models.CharField(_("scan SHA-256"), max_length=64, blank=True)
    corrects = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrected_by",
        verbose_name=_("corrects"),
    )
    note = models.TextField(_("note"), blank=True)
    proposals = models.ManyToManyField(
        Proposal, related_name="decisions", verbose_name=_("wards recognised")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("recognition decision")
        verbose_name_plural = _("recognition decisions")
        ordering = ["-year", "-date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(track__in=Track.values),
                name="decision_track_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(track="ministry", province__isnull=True)
                | models.Q(track="province", province__isnull=False),
                name="decision_province_matches_level",
            ),
            models.CheckConstraint(
                condition=models.Q(scan="")
                | models.Q(scan_sha256__regex=r"^[0-9a-f]{64}$"),
                name="decision_scan_has_its_hash",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.date:%d/%m/%Y})"

    def get_absolute_url(self) -> str:
        return reverse("decision_detail", kwargs={"pk": self.pk})

    @property
    def in_force(self) -> bool:
        return not hasattr(self, "corrected_by")


class RecognitionEvent(models.Model):
    """One step on a ward's way to recognition. Written once, never changed."""

    class Action(models.TextChoices):
        REGISTER = "register", _("registered the ward")
        CHANGE_TRACK = "change_track", _("changed the level")
        PROPOSE = "propose", _("proposed the ward for recognition")
        ACCEPT = "accept", _("accepted the proposal")
        RETURN = "return", _("returned the proposal")
        DECIDE = "decide", _("recorded the recognition decision")
        CORRECT = "correct", _("recorded a correcting decision")
        REENROL = "reenrol", _("enrolled the ward again to keep its title")

    enrolment = models.ForeignKey(
        Enrolment,
        on_delete=models.PROTECT,
        related_name="recognition_events",
        verbose_name=_("enrolment"),
    )
    proposal = models.ForeignKey(
        Proposal,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("proposal"),
    )
    decision = models.ForeignKey(
        Decision,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("decision"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    objects = RecognitionEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("recognition event")
        verbose_name_plural = _("recognition events")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["enrolment", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} — {self.enrolment}"


def comment_path(instance: "Comment | None", filename: str) -> str:
    """A generated storage path for a comment's file, beside the evidence."""
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    today = timezone.now()
    return f"evidence/comments/{today:%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Comment(models.Model):
    """A message on one criterion of a ward: a reviewer's question, the
    officer's answer, with a file if need be. It changes no status and is
    never edited or deleted, like the event log."""

    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.PROTECT,
        related_name="comments",
        verbose_name=_("assessment"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    text = models.TextField(_("text"))
    file = models.FileField(
        _("file"), upload_to=comment_path, max_length=255, blank=True
    )
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(_("file size in bytes"), default=0)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    # The @names a new comment mentioned and that were not told, because
    # they take no part (set by `comments.told_of`; not stored).
    not_told: list[str] = []

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["assessment", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(file="", file_sha256="")
                | models.Q(file_sha256__regex=r"^[0-9a-f]{64}$"),
                name="comment_file_has_sha256",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment}: {self.text[:40]}"


class IndicatorValue(models.Model):
    """A ward's figure for an indicator (by code) over a period that ends on
    `period_end`, with the document it comes from.

    Kept per ward and code, not per criteria set, so next year's set reads
    this year's figure to compare. A correction updates the row; the event
    log keeps what it was (`workflow.enter_value`).
    """

    ward = models.ForeignKey(
        "wards.Ward",
        on_delete=models.PROTECT,
        related_name="indicator_values",
        verbose_name=_("ward"),
    )
    code = models.SlugField(_("indicator"), max_length=64)
    period_end = models.DateField(_("period ends on"))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    source = models.CharField(_("source document"), max_length=255)
    evidence = models.ForeignKey(
        Evidence,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("file"),
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("entered by"),
    )
    entered_at = models.DateTimeField(_("entered at"), default=timezone.now)

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        ordering = ["ward", "code", "period_end"]
        constraints = [
            models.UniqueConstraint(
                fields=["ward", "code", "period_end"],
                name="one_indicator_value_per_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ward} {self.code} {self.period_end}: {self.value}"


class ReuseAllowed(models.Model):
    """A file that may stand in several wards' dossiers of a province (a
    province-wide plan or directive), as a reviewer said: it is no longer
    flagged as a copied dossier there."""

    province = models.ForeignKey(
        "wards.Province",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("province"),
    )
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    note = models.TextField(_("note"), blank=True)
    allowed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("allowed by"),
    )
    allowed_at = models.DateTimeField(_("allowed at"), default=timezone.now)

    class Meta:
        verbose_name = _("file allowed in several wards")
        verbose_name_plural = _("files allowed in several wards")
        constraints = [
            models.UniqueConstraint(
                fields=["province", "sha256"], name="one_reuse_allowance_per_file"
            ),
            models.CheckConstraint(
                condition=models.Q(sha256__regex=r"^[0-9a-f]{64}$"),
                name="reuse_allowed_sha256_hex",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.province}: {self.sha256[:12]}"


class PartialUpload(models.Model):
    """A file arriving in pieces, to be resumed after a dropped connection.

    Its bytes wait in PARTIAL_UPLOAD_DIR, outside the evidence storage. It
    counts for nothing until every byte is in and their SHA-256 is the one
    the browser computed before sending; only then can the upload form
    attach it. Abandoned ones are swept.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    received = models.PositiveBigIntegerField(default=0)
    verified = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("upload in progress")
        verbose_name_plural = _("uploads in progress")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(received__lte=models.F("size")),
                name="partial_upload_received_within_size",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def path(self) -> Path:
        return Path(settings.PARTIAL_UPLOAD_DIR) / self.pk.hex


def stored_files() -> Iterator[tuple[str, str]]:
    """Every stored file a row points at, with the SHA-256 it must have:
    the evidence and the signed scans of decisions, each (file, SHA-256)
    once. Integrity checks, the sweep and backups go through this, so that
    no kind of file is missed."""
    # Evidence carried over shares its file with the row it came from: each
    # stored file is listed once.
    yield from (
        Evidence.objects.order_by().values_list("file", "sha256").distinct().iterator()
    )
    yield from Decision.objects.exclude(scan="").values_list("scan", "scan_sha256")
    yield from Comment.objects.exclude(file="").values_list("file", "file_sha256")


class Tally(models.Model):
    """How many enrolled wards of a province stand at one level in a year:
    the figures the dashboards add up instead of counting assessments.

    One row per year, province (the ward's), track, stage and level ("18 of
    22"), with the criteria those wards have waiting for review or returned.
    Kept by `assessments.tally` in the transaction of each change.
    """

    year = models.PositiveSmallIntegerField(_("year"))
    province = models.ForeignKey(
        "wards.Province", on_delete=models.CASCADE, related_name="+"
    )
    track = models.CharField(_("track"), max_length=16, choices=Track.choices)
    stage = models.CharField(_("recognition"), max_length=16, choices=Stage.choices)
    size = models.PositiveSmallIntegerField(_("criteria in the set"))
    approved = models.PositiveSmallIntegerField(_("approved criteria"))
    wards = models.PositiveIntegerField(_("wards"), default=0)
    submitted = models.PositiveIntegerField(_("criteria pending review"), default=0)
    returned = models.PositiveIntegerField(_("returned criteria"), default=0)

    class Meta:
        verbose_name = _("progress tally")
        verbose_name_plural = _("progress tallies")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "province", "track", "stage", "size", "approved"],
                name="one_tally_per_level",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.province_id} {self.track} {self.stage} " + (
            f"{self.approved}/{self.size}: {self.wards}"
        )


class CriterionTally(models.Model):
    """How many enrolled wards of a province have a criterion in their set,
    and how many of them have it approved or waiting for review."""

    year = models.PositiveSmallIntegerField(_("year"))
    province = models.ForeignKey(
        "wards.Province", on_delete=models.CASCADE, related_name="+"
    )
    track = models.CharField(_("track"), max_length=16, choices=Track.choices)
    criterion = models.ForeignKey(
        "criteria.Criterion", on_delete=models.CASCADE, related_name="+"
    )
    wards = models.PositiveIntegerField(_("wards"), default=0)
    approved = models.PositiveIntegerField(_("approved"), default=0)
    submitted = models.PositiveIntegerField(_("pending review"), default=0)

    class Meta:
        verbose_name = _("criterion tally")
        verbose_name_plural = _("criterion tallies")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "province", "track", "criterion"],
                name="one_tally_per_criterion",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.province_id} {self.track} {self.criterion_id}"


class WaitingTally(models.Model):
    """How many criteria of a province's wards wait for review, by the day
    they were sent: the oldest and those past their review deadline, read
    without visiting the assessments."""

    year = models.PositiveSmallIntegerField(_("year"))
    province = models.ForeignKey(
        "wards.Province", on_delete=models.CASCADE, related_name="+"
    )
    track = models.CharField(_("track"), max_length=16, choices=Track.choices)
    day = models.DateField(_("submitted on"))
    criteria = models.PositiveIntegerField(_("criteria pending review"), default=0)

    class Meta:
        verbose_name = _("review waiting tally")
        verbose_name_plural = _("review waiting tallies")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "province", "track", "day"],
                name="one_waiting_tally_per_day",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.year} {self.province_id} {self.track} {self.day}: {self.criteria}"
        )
