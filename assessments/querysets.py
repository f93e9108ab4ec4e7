"""Reads of enrolments, assessments, evidence and their history.

Every queryset here is scoped by `access` (`visible_to(user)`), and progress
is counted in one place, `EnrolmentQuerySet.with_progress()`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Count, F, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from access.people import with_units
from access.scope import ScopedQuerySet, scope_of
from criteria.models import Criterion
from deadlines.schedule import FROM_ASSESSMENT, year_calendar

from .validity import FLAGGED_STATUSES, horizon


def _model(name: str) -> Any:
    # The models import these querysets; they are looked up, not imported.
    return apps.get_model("evidence", name)


def late_evidence(year: int, today: dt.date | None = None) -> Q:
    """A `Q` on assessments of `year` late with their evidence on `today`."""
    today = today or timezone.localdate()
    return year_calendar(year).evidence_overdue(today, **FROM_ASSESSMENT)


def count_of(queryset: models.QuerySet, by: str) -> Coalesce:
    """A correlated COUNT(*) subquery, 0 when nothing matches."""
    counted = queryset.order_by().values(by).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=models.IntegerField()), 0)


class EnrolmentQuerySet(ScopedQuerySet):
    ward_path = "ward__"

    def with_progress(self, *, group: str = "") -> EnrolmentQuerySet:
        """Annotate `approved_count` and `criteria_count` in the same query.

        The size comes from the enrolment's criteria set, so a 20-criterion
        set reads "n/20" and the 22-criterion set "n/22". Both are stored on
        the enrolment (`assessments.tally`). With `group` (a group code such
        as "C"), both count only that group's criteria, in subqueries.
        """
        if not group:  # stored by `assessments.tally`
            return self.annotate(
                approved_count=F("approved_criteria"), criteria_count=F("set_size")
            )
        criteria = Criterion.objects.filter(
            criteria_set=OuterRef("criteria_set"), group__code=group
        )
        approved = _model("Assessment").objects.filter(
            enrolment=OuterRef("pk"), status="approved", criterion__group__code=group
        )
        return self.annotate(
            approved_count=count_of(approved, "enrolment"),
            criteria_count=count_of(criteria, "criteria_set"),
        )

    def with_activity(self) -> EnrolmentQuerySet:
        """Annotate pending and returned counts (stored) and the time of the
        last event."""
        last = (
            _model("ReviewEvent")
            .objects.filter(assessment__enrolment=OuterRef("pk"))
            .order_by("-created_at")
        )
        return self.annotate(
            pending_count=F("submitted_criteria"),
            returned_count=F("returned_criteria"),
            last_activity=Subquery(last.values("created_at")[:1]),
        )

    def with_expiring(
        self, today: dt.date | None = None, within_days: int | None = None
    ) -> EnrolmentQuerySet:
        """Annotate `expiring_count`: the approved or submitted criteria whose
        current evidence has expired or expires within `within_days` (by
        default EVIDENCE_EXPIRY_WARNING_DAYS) of `today`."""
        expiring = (
            _model("Assessment")
            .objects.filter(enrolment=OuterRef("pk"))
            .expiring(today, within_days)
        )
        return self.annotate(expiring_count=count_of(expiring, "enrolment"))

    def with_late(self, year: int, today: dt.date | None = None) -> EnrolmentQuerySet:
        """Annotate `late_count`: the criteria still waiting for evidence
        that was due before `today` by the calendar of `year`."""
        return self.annotate(
            late_count=count_of(
                _model("Assessment").objects.filter(
                    late_evidence(year, today), enrolment=OuterRef("pk")
                ),
                "enrolment",
            )
        )

    def years(self) -> list[int]:
        """The years these enrolments cover, latest first."""
        return list(self.order_by("-year").values_list("year", flat=True).distinct())


class AssessmentQuerySet(ScopedQuerySet):
    ward_path = "enrolment__ward__"
    criterion_path = "criterion__"

    def review_queue_for(self, user: Any) -> AssessmentQuerySet:
        """Submitted items this user may decide, oldest first."""
        return self.filter(scope_of(user).review_filter(), status="submitted").order_by(
            "submitted_at", "pk"
        )

    def with_expiry(self) -> AssessmentQuerySet:
        """Annotate `expires_on`: the earliest validity date of the current
        (not withdrawn) evidence, None when none has one. `assessment.expiry`
        turns it into the flag shown ("expires on …", "expired on …")."""
        earliest = (
            _model("Evidence")
            .objects.filter(assessment=OuterRef("pk"), withdrawn_at=None)
            .exclude(valid_until=None)
            .order_by()
            .values("assessment")
            .annotate(earliest=Min("valid_until"))
            .values("earliest")
        )
        return self.annotate(
            expires_on=Subquery(earliest, output_field=models.DateField())
        )

    def expiring(
        self, today: dt.date | None = None, within_days: int | None = None
    ) -> AssessmentQuerySet:
        """Approved or submitted criteria with current evidence that has
        expired or expires within `within_days` (by default
        EVIDENCE_EXPIRY_WARNING_DAYS) of `today`, with `expires_on`."""
        return (
            self.with_expiry()
            .filter(status__in=FLAGGED_STATUSES)
            .filter(expires_on__lte=horizon(today, within_days))
        )


class EvidenceQuerySet(ScopedQuerySet):
    ward_path = "assessment__enrolment__ward__"
    criterion_path = "assessment__criterion__"

    def current(self) -> EvidenceQuerySet:
        """Evidence in its dossier: not withdrawn."""
        return self.filter(withdrawn_at=None)

    def still_valid(self, today: dt.date | None = None) -> EvidenceQuerySet:
        """Current evidence without a validity date or valid on `today`."""
        today = today or timezone.localdate()
        return self.current().filter(Q(valid_until=None) | Q(valid_until__gte=today))

    def expiring(
        self, today: dt.date | None = None, within_days: int | None = None
    ) -> EvidenceQuerySet:
        """Current evidence of approved or submitted criteria whose validity
        date has passed or comes within `within_days` (by default
        EVIDENCE_EXPIRY_WARNING_DAYS) of `today`; `valid_until < today` tells
        the expired ones apart. For reminders and dashboards."""
        return self.current().filter(
            assessment__status__in=FLAGGED_STATUSES,
            valid_until__lte=horizon(today, within_days),
        )


class ProposalQuerySet(ScopedQuerySet):
    ward_path = "enrolment__ward__"

    def decided_by(self, user: Any) -> ProposalQuerySet:
        """Proposals whose level `user` decides for: the Ministry's in the
        provinces of a Ministry reviewer, a province's for its leaders."""
        return self.filter(scope_of(user).decision_filter())


class DecisionQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> DecisionQuerySet:
        """Decisions that recognise (or recognised) a ward in `user`'s scope."""
        return self.filter(
            Q(proposals__in=_model("Proposal").objects.visible_to(user))
            | Q(enrolments__in=_model("Enrolment").objects.visible_to(user))
        ).distinct()


class RecognitionEventQuerySet(ScopedQuerySet):
    ward_path = "enrolment__ward__"


# Claims and steps on single files are detail; the feeds are for steps.
DETAIL_ACTIONS = [
    "claim",
    "add_evidence",
    "withdraw_evidence",
    "set_validity",
    "carry_over",
    "confirm_evidence",
]


class ReviewEventQuerySet(ScopedQuerySet):
    ward_path = "assessment__enrolment__ward__"

    def concerning(self, user: Any) -> ReviewEventQuerySet:
        """Recent events in the user's scope that others did, newest first.

        A scope of whole provinces reads the events' own province, on the
        feed's index: a province with no recent event would otherwise walk
        the whole log looking for one.
        """
        scope = scope_of(user)
        if scope.province_ids and not (
            scope.nationwide or scope.ward_ids or scope.contributes
        ):
            events = self.filter(province__in=scope.province_ids)
        else:
            events = self.visible_to(user)
        return (
            events.exclude(actor=user)
            # Claims and each file added are detail; the feed is for steps.
            .exclude(action__in=DETAIL_ACTIONS)
            .order_by("-created_at", "-pk")
        )

    def recent_for(self, user: Any, *, limit: int = 8) -> list:
        """The latest events that concern `user`."""
        return list(
            self.concerning(user)
            .select_related(
                "actor", "assessment__enrolment__ward", "assessment__criterion"
            )
            .prefetch_related(with_units("actor"))[:limit]
        )
