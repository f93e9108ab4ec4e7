"""The year around recognition: quotas, registration on a track, opening a
new year, and what the pages show of it.

The steps that change where a ward stands (proposal, acceptance, return,
decision) are transitions of `evidence.workflow`; this module registers and
re-enrols wards and reads the figures.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from access.scope import scope_of
from criteria.models import CriteriaSet
from wards.models import Province, UnitChange, Ward

from . import tally, workflow
from .models import (
    Assessment,
    Decision,
    Enrolment,
    Quota,
    RecognitionEvent,
    Tally,
    Track,
)
from .progress import Progress
from .services import enrol_ward

Stage = Enrolment.Stage
Step = RecognitionEvent.Action


def set_quota(*, province: Province, year: int, wards: int, actor: Any) -> Quota:
    """The national leadership sets how many wards it expects of a province."""
    if not scope_of(actor).national:
        raise workflow.NotAllowed(_("You are not allowed to do this."))
    quota, _created = Quota.objects.update_or_create(
        province=province,
        year=year,
        defaults={"wards": wards, "set_by": actor, "set_at": timezone.now()},
    )
    return quota


def default_criteria_set(province: Province, year: int) -> CriteriaSet | None:
    """The set a province's wards are assessed against in `year`: the one its
    other wards use that year, else the latest set in force by then."""
    used = (
        Enrolment.objects.filter(ward__province=province, year=year)
        .values_list("criteria_set", flat=True)
        .first()
    )
    if used is not None:
        return CriteriaSet.objects.get(pk=used)
    return CriteriaSet.objects.filter(year__lte=year).order_by("-year", "pk").first()


@transaction.atomic
def register(*, ward: Ward, year: int, track: str, actor: Any) -> Enrolment:
    """A provincial leader registers one of the province's units for a year
    on a track. Raises ValidationError for a unit not in force that year."""
    if not scope_of(actor).proposes_in(ward.province_id):
        raise workflow.NotAllowed(_("You are not allowed to do this."))
    if Enrolment.objects.filter(ward=ward, year=year).exists():
        raise workflow.WorkflowError(
            _("%(ward)s is already registered for %(year)d.")
            % {"ward": ward.full_name, "year": year}
        )
    criteria_set = default_criteria_set(ward.province, year)
    if criteria_set is None:
        raise workflow.WorkflowError(_("No criteria set is loaded yet."))
    enrolment = enrol_ward(
        ward=ward, year=year, criteria_set=criteria_set, track=Track(track)
    )
    RecognitionEvent.objects.create(
        enrolment=enrolment,
        actor=actor,
        action=Step.REGISTER,
        comment=enrolment.get_track_display(),
    )
    return enrolment


@transaction.atomic
def change_track(enrolment: Enrolment, *, track: str, actor: Any) -> Enrolment:
    """Move a registered ward to the other track, before it is proposed."""
    locked = tally.lock(enrolment.pk)
    if not scope_of(actor).proposes_in(enrolment.ward.province_id):
        raise workflow.NotAllowed(_("You are not allowed to do this."))
    if locked.stage != Stage.OPEN:
        raise workflow.WorkflowError(
            _("A ward's level cannot change once it is proposed.")
        )
    if locked.track != track:
        old, locked.track = locked.track, Track(track)
        locked.save(update_fields=["track"])
        tally.retracked(locked, old)
        RecognitionEvent.objects.create(
            enrolment=locked,
            actor=actor,
            action=Step.CHANGE_TRACK,
            comment=locked.get_track_display(),
        )
    return locked


@dataclass
class Opened:
    """What opening a year did: the wards enrolled again to keep their
    title, and those already enrolled or no longer in force."""

    enrolled: list[Enrolment] = field(default_factory=list)
    already: list[Enrolment] = field(default_factory=list)
    closed: list[Enrolment] = field(default_factory=list)


@transaction.atomic
def open_year(year: int, *, actor: Any) -> Opened:
    """Enrol every ward recognised the year before again, on the same track
    and set: a recognised ward is assessed again to keep its title.

    A unit that closed since is followed to the units that took it over, if
    they are in force in `year`. Running it again enrols nobody twice.
    """
    opened = Opened()
    # The order of a correcting decision's locks: decisions, then their
    # enrolments. Last year's recognitions are read under them, so that a
    # correction cannot land in between (or deadlock with this).
    list(Decision.objects.select_for_update().filter(year=year - 1).order_by("pk"))
    recognised = (
        Enrolment.objects.select_for_update(of=("self",))
        .filter(year=year - 1, stage=Stage.RECOGNISED)
        .select_related("ward", "criteria_set", "decision")
        .order_by("pk")
    )
    for earlier in recognised:
        units = [earlier.ward]
        if not earlier.ward.valid_in(year):
            units = [
                change.successor
                for change in UnitChange.objects.filter(
                    predecessor=earlier.ward
                ).select_related("successor")
                if change.successor.valid_in(year)
            ]
            if not units:
                opened.closed.append(earlier)
                continue
        for ward in units:
            existing = Enrolment.objects.filter(ward=ward, year=year).first()
            if existing is not None:
                if existing.keeps_title_of_id is None:
                    existing.keeps_title_of = earlier
                    existing.save(update_fields=["keeps_title_of"])
                opened.already.append(existing)
                continue
            enrolment = enrol_ward(
                ward=ward,
                year=year,
                criteria_set=earlier.criteria_set,
                track=Track(earlier.track),
            )
            enrolment.keeps_title_of = earlier
            enrolment.save(update_fields=["keeps_title_of"])
            decision = earlier.decision
            assert decision is not None  # a recognised enrolment has one
            RecognitionEvent.objects.create(
                enrolment=enrolment,
                actor=actor,
                action=Step.REENROL,
                decision=decision,
                comment=_("Recognised in %(year)d by decision %(number)s.")
                % {"year": earlier.year, "number": decision.number},
            )
            opened.enrolled.append(enrolment)
    return opened


def to_reenrol(year: int) -> int:
    """How many wards recognised in `year` − 1 are not yet enrolled again
    for `year` (what opening it would do, units that closed aside)."""
    recognised = Enrolment.objects.filter(year=year - 1, stage=Stage.RECOGNISED)
    again = Enrolment.objects.filter(year=year, keeps_title_of__in=recognised)
    return recognised.exclude(pk__in=again.values("keeps_title_of")).count()


# What the pages show.


class Standing:
    """A ward's year on the way to recognition, as dashboards count it."""

    RECOGNISED = "recognised"
    PROPOSED = "proposed"  # proposed or accepted, no decision yet
    COMPLETE = "complete"  # every criterion approved, not proposed
    IN_PROGRESS = "in_progress"

    LABELS = {
        RECOGNISED: pgettext_lazy("ward", "Recognised"),
        PROPOSED: pgettext_lazy("ward", "Proposed"),
        COMPLETE: gettext_lazy("Complete, not proposed"),
        IN_PROGRESS: gettext_lazy("Not complete"),
    }


def standing_of(stage: str, progress: Progress) -> str:
    """The `Standing` of a ward's year from its stage and progress."""
    if stage == Stage.RECOGNISED:
        return Standing.RECOGNISED
    if stage != Stage.OPEN:
        return Standing.PROPOSED
    return Standing.COMPLETE if progress.is_complete else Standing.IN_PROGRESS


def standing_filter(standing: str) -> Q:
    """A filter on enrolments annotated by `with_progress()`."""
    complete = Q(criteria_count__gt=0, approved_count__gte=F("criteria_count"))
    return {
        Standing.RECOGNISED: Q(stage=Stage.RECOGNISED),
        Standing.PROPOSED: Q(stage__in=[Stage.PROPOSED, Stage.ACCEPTED]),
        Standing.COMPLETE: Q(stage=Stage.OPEN) & complete,
        Standing.IN_PROGRESS: Q(stage=Stage.OPEN) & ~complete,
    }[standing]


@dataclass(frozen=True)
class Registration:
    """A province's registrations for a year against its quota, and how many
    of its wards stand where (`Standing`)."""

    province: Province
    quota: int | None
    ministry: int
    province_level: int
    standing: dict[str, int]

    @property
    def over_quota(self) -> bool:
        return self.quota is not None and self.ministry > self.quota


def registrations(year: int, provinces: list[Province]) -> list[Registration]:
    """Registered wards per track and the quota, for each province."""
    quotas = dict(
        Quota.objects.filter(year=year, province__in=provinces).values_list(
            "province_id", "wards"
        )
    )
    # From the stored tallies (`assessments.tally`): a few rows a province.
    counts: dict[tuple[int, str], int] = defaultdict(int)
    standing: dict[int, dict[str, int]] = {}
    for row in Tally.objects.filter(
        year=year, province__in=provinces, wards__gt=0
    ).values_list("province_id", "track", "stage", "approved", "size", "wards"):
        province_id, track, stage, approved, size, wards = row
        counts[(province_id, track)] += wards
        key = standing_of(stage, Progress(approved=approved, size=size))
        by = standing.setdefault(province_id, dict.fromkeys(Standing.LABELS, 0))
        by[key] += wards
    empty = dict.fromkeys(Standing.LABELS, 0)
    return [
        Registration(
            province=province,
            quota=quotas.get(province.pk),
            ministry=counts.get((province.pk, Track.MINISTRY), 0),
            province_level=counts.get((province.pk, Track.PROVINCE), 0),
            standing=standing.get(province.pk, empty),
        )
        for province in provinces
    ]


def median_approved(year: int, province_id: int) -> float:
    """The median of approved criteria among a province's wards in a year."""
    approved = list(
        Enrolment.objects.filter(year=year, ward__province_id=province_id)
        .with_progress()
        .values_list("approved_count", flat=True)
    )
    return statistics.median(approved) if approved else 0


def returned_criteria(enrolments) -> dict[int, list[int]]:
    """The numbers of the returned criteria of each enrolment, in one query."""
    numbers: dict[int, list[int]] = {}
    for enrolment_id, number in (
        Assessment.objects.filter(
            enrolment__in=enrolments, status=Assessment.Status.RETURNED
        )
        .order_by("criterion__number")
        .values_list("enrolment_id", "criterion__number")
    ):
        numbers.setdefault(enrolment_id, []).append(number)
    return numbers


def expiring_criteria(enrolments, today: dt.date | None = None) -> dict[int, list[int]]:
    """The numbers of the approved or submitted criteria of each enrolment
    whose current evidence has expired or expires soon
    (EVIDENCE_EXPIRY_WARNING_DAYS), in one query."""
    numbers: dict[int, list[int]] = {}
    for enrolment_id, number in (
        Assessment.objects.filter(enrolment__in=enrolments)
        .expiring(today)
        .order_by("criterion__number")
        .values_list("enrolment_id", "criterion__number")
    ):
        numbers.setdefault(enrolment_id, []).append(number)
    return numbers


def at_risk(
    enrolment: Enrolment,
    median: float | None = None,
    returned: list[int] | None = None,
    *,
    expiring: list[int] | None = None,
) -> list[str]:
    """Why a ward holding last year's title may lose it this year: a
    criterion returned, evidence expired or expiring, or fewer approved than
    the province's median.

    Needs `with_progress()`; when checking many wards, pass `median`,
    `returned` (from `returned_criteria`) and `expiring` (from
    `expiring_criteria`).
    """
    if enrolment.keeps_title_of_id is None or enrolment.stage != Stage.OPEN:
        return []
    reasons = []
    if returned is None:
        returned = returned_criteria([enrolment]).get(enrolment.pk, [])
    if returned:
        reasons.append(
            _("criteria returned: %(numbers)s")
            % {"numbers": ", ".join(map(str, returned))}
        )
    if expiring is None:
        expiring = expiring_criteria([enrolment]).get(enrolment.pk, [])
    if expiring:
        reasons.append(
            _("evidence expired or expiring: criteria %(numbers)s")
            % {"numbers": ", ".join(map(str, expiring))}
        )
    if median is None:
        median = median_approved(enrolment.year, enrolment.ward.province_id)
    if enrolment.approved_count < median:
        reasons.append(
            _("%(approved)d approved, behind the province's median of %(median)s")
            % {"approved": enrolment.approved_count, "median": f"{median:g}"}
        )
    return reasons
