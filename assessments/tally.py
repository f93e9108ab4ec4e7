"""Progress stored, not recounted: each enrolment's counts of approved,
submitted and returned criteria, and per year and province the tallies the
dashboards add up (`Tally`: wards per level; `CriterionTally`: wards per
criterion).

They change in the transaction of the change they count, under the
enrolment's row lock: the workflow calls `changed` for a status, `restaged`
and `retracked` for the recognition stage and the track, `added` for new
assessments and `removed` before enrolments go. Tally rows are then updated
in the order of their keys, so two transactions never wait for each other in
a circle. Never by signals: a bulk write outside these paths (the demo, the
benchmark's data, a restore) ends with `recount`, which is also what
`manage.py recount` runs to check that nothing drifted.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

APPROVED, SUBMITTED, RETURNED = "approved", "submitted", "returned"
COUNTERS = ["approved_criteria", "submitted_criteria", "returned_criteria", "set_size"]

# (year, province, track, stage, size, approved) -> [wards, submitted, returned]
LevelKey = tuple[int, int, str, str, int, int]
# (year, province, track, criterion) -> [wards, approved, submitted]
CriterionKey = tuple[int, int, str, int]
# (year, province, track, day submitted) -> [criteria waiting for review]
WaitingKey = tuple[int, int, str, dt.date]
Deltas = dict[Any, list[int]]
# Up to this many enrolments counted wrong are fixed row by row by a recount;
# more (data written in bulk) by one UPDATE that counts in SQL.
FEW = 100


def _models(apps: Any = None):
    if apps is None:
        from django.apps import apps as registry

        apps = registry
    return (
        apps.get_model("evidence", "Enrolment"),
        apps.get_model("evidence", "Assessment"),
        apps.get_model("evidence", "Tally"),
        apps.get_model("evidence", "CriterionTally"),
        apps.get_model("evidence", "WaitingTally"),
    )


def _level(
    enrolment: Any, *, stage: str | None = None, track: str | None = None
) -> LevelKey:
    """The tally row `enrolment` counts in (or would, with another stage or
    track)."""
    return (
        enrolment.year,
        enrolment.ward.province_id,
        track or enrolment.track,
        stage or enrolment.stage,
        enrolment.set_size,
        enrolment.approved_criteria,
    )


def _count_in(levels: Deltas, enrolment: Any, sign: int, **key: Any) -> None:
    """Add (`sign` 1) or take away (-1) the enrolment as its fields say now.

    An enrolment counts once it has assessments: one just created has none
    yet, and no place in the tallies to leave.
    """
    if not enrolment.set_size:
        return
    row = levels.setdefault(_level(enrolment, **key), [0, 0, 0])
    row[0] += sign
    row[1] += sign * enrolment.submitted_criteria
    row[2] += sign * enrolment.returned_criteria


def _criterion(
    criteria: Deltas, enrolment: Any, criterion_id: int, status: str, sign: int,
    *, track: str | None = None, ward: int = 1,
) -> None:  # fmt: skip
    key = (
        enrolment.year,
        enrolment.ward.province_id,
        track or enrolment.track,
        criterion_id,
    )
    row = criteria.setdefault(key, [0, 0, 0])
    row[0] += sign * ward
    row[1] += sign * (status == APPROVED)
    row[2] += sign * (status == SUBMITTED)


def day_of(moment: dt.datetime) -> dt.date:
    """The day a criterion was sent for review, where the programme is."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def _waiting(
    waiting: Deltas, enrolment: Any, submitted_at: dt.datetime | None, sign: int,
    *, track: str | None = None,
) -> None:  # fmt: skip
    if submitted_at is None:
        return
    key = (
        enrolment.year,
        enrolment.ward.province_id,
        track or enrolment.track,
        day_of(submitted_at),
    )
    waiting.setdefault(key, [0])[0] += sign


def changed(enrolment: Any, assessment: Any, old: str) -> None:
    """Count `assessment` of `enrolment` going from status `old` to the one
    it has now (its `submitted_at` as it was sent, if it was).

    `enrolment` is locked and as read under the lock (with its ward); its
    stored counts are updated, then the tallies.
    """
    new, criterion_id = assessment.status, assessment.criterion_id
    if old == new:
        return
    levels: Deltas = {}
    criteria: Deltas = {}
    waiting: Deltas = {}
    if SUBMITTED in (old, new):
        _waiting(
            waiting, enrolment, assessment.submitted_at, 1 if new == SUBMITTED else -1
        )
    _count_in(levels, enrolment, -1)
    enrolment.approved_criteria += (new == APPROVED) - (old == APPROVED)
    enrolment.submitted_criteria += (new == SUBMITTED) - (old == SUBMITTED)
    enrolment.returned_criteria += (new == RETURNED) - (old == RETURNED)
    _count_in(levels, enrolment, 1)
    _criterion(criteria, enrolment, criterion_id, old, -1, ward=0)
    _criterion(criteria, enrolment, criterion_id, new, 1, ward=0)
    enrolment.save(update_fields=COUNTERS[:3])
    _apply(levels, criteria, waiting)


def restaged(enrolment: Any, old_stage: str) -> None:
    """Count `enrolment` (locked, with its ward) moved from `old_stage` to
    the stage it has now."""
    if old_stage == enrolment.stage:
        return
    levels: Deltas = {}
    _count_in(levels, enrolment, -1, stage=old_stage)
    _count_in(levels, enrolment, 1)
    _apply(levels, {})


def retracked(enrolment: Any, old_track: str) -> None:
    """Count `enrolment` (locked, with its ward) moved from `old_track` to
    the track it has now, with each of its criteria."""
    if old_track == enrolment.track:
        return
    _Enrolment, Assessment, *_ = _models()
    levels: Deltas = {}
    _count_in(levels, enrolment, -1, track=old_track)
    _count_in(levels, enrolment, 1)
    criteria: Deltas = {}
    waiting: Deltas = {}
    for criterion_id, status, submitted_at in Assessment.objects.filter(
        enrolment=enrolment
    ).values_list("criterion_id", "status", "submitted_at"):
        _criterion(criteria, enrolment, criterion_id, status, -1, track=old_track)
        _criterion(criteria, enrolment, criterion_id, status, 1)
        if status == SUBMITTED:
            _waiting(waiting, enrolment, submitted_at, -1, track=old_track)
            _waiting(waiting, enrolment, submitted_at, 1)
    _apply(levels, criteria, waiting)


def added(assessments: Iterable[Any]) -> None:
    """Count new assessment rows (any status) in their enrolments."""
    Enrolment, *_ = _models()
    by_enrolment: dict[int, list[Any]] = defaultdict(list)
    for assessment in assessments:
        by_enrolment[assessment.enrolment_id].append(assessment)
    if not by_enrolment:
        return
    levels: Deltas = {}
    criteria: Deltas = {}
    waiting: Deltas = {}
    for enrolment in _locked(Enrolment, by_enrolment):
        _count_in(levels, enrolment, -1)
        for assessment in by_enrolment[enrolment.pk]:
            status = assessment.status
            enrolment.set_size += 1
            enrolment.approved_criteria += status == APPROVED
            enrolment.submitted_criteria += status == SUBMITTED
            enrolment.returned_criteria += status == RETURNED
            _criterion(criteria, enrolment, assessment.criterion_id, status, 1)
            if status == SUBMITTED:
                _waiting(waiting, enrolment, assessment.submitted_at, 1)
        _count_in(levels, enrolment, 1)
        enrolment.save(update_fields=COUNTERS)
    _apply(levels, criteria, waiting)


def removed(enrolments: Iterable[Any]) -> None:
    """Take enrolments that are about to be deleted out of the tallies."""
    Enrolment, Assessment, *_ = _models()
    ids = [e.pk for e in enrolments]
    levels: Deltas = {}
    criteria: Deltas = {}
    locked = {e.pk: e for e in _locked(Enrolment, ids)}
    for enrolment in locked.values():
        _count_in(levels, enrolment, -1)
    waiting: Deltas = {}
    for enrolment_id, criterion_id, status, submitted_at in Assessment.objects.filter(
        enrolment__in=ids
    ).values_list("enrolment_id", "criterion_id", "status", "submitted_at"):
        _criterion(criteria, locked[enrolment_id], criterion_id, status, -1)
        if status == SUBMITTED:
            _waiting(waiting, locked[enrolment_id], submitted_at, -1)
    _apply(levels, criteria, waiting)


def lock(enrolment_id: int) -> Any:
    """Lock an enrolment row (with its ward) before changing what it counts."""
    Enrolment, *_ = _models()
    return _locked(Enrolment, [enrolment_id])[0]


def _locked(Enrolment: Any, ids: Iterable[int]) -> list[Any]:
    return list(
        Enrolment.objects.select_for_update(of=("self",))
        .filter(pk__in=list(ids))
        .select_related("ward")
        .order_by("pk")
    )


def _apply(levels: Deltas, criteria: Deltas, waiting: Deltas | None = None) -> None:
    """Add the deltas to the tally rows, creating missing rows, in the order
    of their keys (levels, then criteria, then days)."""
    _Enrolment, _Assessment, Tally, CriterionTally, WaitingTally = _models()
    level_fields = ("year", "province_id", "track", "stage", "size", "approved")
    for key in sorted(levels):
        wards, submitted, returned = levels[key]
        if wards or submitted or returned:
            _add(
                Tally, dict(zip(level_fields, key, strict=True)),
                wards=wards, submitted=submitted, returned=returned,
            )  # fmt: skip
    criterion_fields = ("year", "province_id", "track", "criterion_id")
    for key in sorted(criteria):
        wards, approved, submitted = criteria[key]
        if wards or approved or submitted:
            _add(
                CriterionTally, dict(zip(criterion_fields, key, strict=True)),
                wards=wards, approved=approved, submitted=submitted,
            )  # fmt: skip
    waiting_fields = ("year", "province_id", "track", "day")
    for key in sorted(waiting or {}):
        [criteria_count] = (waiting or {})[key]
        if criteria_count:
            _add(
                WaitingTally, dict(zip(waiting_fields, key, strict=True)),
                criteria=criteria_count,
            )  # fmt: skip


def _add(model: Any, key: dict, **deltas: int) -> None:
    changes = {name: F(name) + delta for name, delta in deltas.items() if delta}
    if model.objects.filter(**key).update(**changes):
        return
    model.objects.bulk_create([model(**key)], ignore_conflicts=True)
    model.objects.filter(**key).update(**changes)


@dataclass
class Recount:
    """What a recount found different from the stored figures."""

    enrolments: int = 0
    tallies: int = 0
    criterion_tallies: int = 0
    waiting_tallies: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def differences(self) -> int:
        return (
            self.enrolments
            + self.tallies
            + self.criterion_tallies
            + self.waiting_tallies
        )


def recount(*, fix: bool = True, apps: Any = None) -> Recount:
    """Count everything again from the assessments; report what differed
    from the stored figures and, with `fix`, store the counts.

    Every enrolment row is locked first (on PostgreSQL), so no transition
    lands while it counts.
    """
    Enrolment, Assessment, Tally, CriterionTally, WaitingTally = _models(apps)
    found = Recount()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            list(
                Enrolment.objects.select_for_update()
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        counts = {
            row["enrolment"]: row
            for row in Assessment.objects.order_by()
            .values("enrolment")
            .annotate(
                approved=Count("pk", filter=Q(status=APPROVED)),
                submitted=Count("pk", filter=Q(status=SUBMITTED)),
                returned=Count("pk", filter=Q(status=RETURNED)),
                size=Count("pk"),
            )
        }
        levels: dict[LevelKey, list[int]] = defaultdict(lambda: [0, 0, 0])
        wrong = []
        for enrolment in Enrolment.objects.select_related("ward").order_by("pk"):
            row = counts.get(enrolment.pk, {})
            expected = (
                row.get("approved", 0),
                row.get("submitted", 0),
                row.get("returned", 0),
                row.get("size", 0),
            )
            stored = tuple(getattr(enrolment, name) for name in COUNTERS)
            if stored != expected:
                found.enrolments += 1
                if len(found.examples) < 20:
                    found.examples.append(
                        f"enrolment {enrolment.pk} ({enrolment.ward.code}, "
                        f"{enrolment.year}): stored {stored}, counted {expected}"
                    )
                for name, value in zip(COUNTERS, expected, strict=True):
                    setattr(enrolment, name, value)
                wrong.append(enrolment)
            if not enrolment.set_size:
                continue
            level = levels[_level(enrolment)]
            level[0] += 1
            level[1] += enrolment.submitted_criteria
            level[2] += enrolment.returned_criteria
        criteria = {
            (r["enrolment__year"], r["enrolment__ward__province_id"],
             r["enrolment__track"], r["criterion_id"]): [
                r["wards"], r["approved"], r["submitted"]]
            for r in Assessment.objects.order_by()
            .values("enrolment__year", "enrolment__ward__province_id",
                    "enrolment__track", "criterion_id")
            .annotate(
                wards=Count("pk"),
                approved=Count("pk", filter=Q(status=APPROVED)),
                submitted=Count("pk", filter=Q(status=SUBMITTED)),
            )
        }  # fmt: skip
        stored_levels = {
            (t.year, t.province_id, t.track, t.stage, t.size, t.approved): [
                t.wards,
                t.submitted,
                t.returned,
            ]
            for t in Tally.objects.all()
            if t.wards or t.submitted or t.returned
        }
        stored_criteria = {
            (t.year, t.province_id, t.track, t.criterion_id): [
                t.wards,
                t.approved,
                t.submitted,
            ]
            for t in CriterionTally.objects.all()
            if t.wards or t.approved or t.submitted
        }
        waiting = {
            (r["enrolment__year"], r["enrolment__ward__province_id"],
             r["enrolment__track"], r["day"]): [r["criteria"]]
            for r in Assessment.objects.filter(status=SUBMITTED)
            .annotate(
                day=TruncDate("submitted_at", tzinfo=timezone.get_default_timezone())
            )
            .order_by()
            .values("enrolment__year", "enrolment__ward__province_id",
                    "enrolment__track", "day")
            .annotate(criteria=Count("pk"))
        }  # fmt: skip
        stored_waiting = {
            (t.year, t.province_id, t.track, t.day): [t.criteria]
            for t in WaitingTally.objects.filter(criteria__gt=0)
        }
        found.tallies = _compare(stored_levels, dict(levels), found.examples, "tally")
        found.waiting_tallies = _compare(
            stored_waiting, waiting, found.examples, "waiting tally"
        )
        found.criterion_tallies = _compare(
            stored_criteria, criteria, found.examples, "criterion tally"
        )
        if fix and found.differences:
            if len(wrong) > FEW:  # bulk data: one UPDATE counting in SQL
                _store_counts(Enrolment, Assessment)
            else:
                Enrolment.objects.bulk_update(wrong, COUNTERS)
            Tally.objects.all().delete()
            Tally.objects.bulk_create(
                [
                    Tally(
                        year=k[0], province_id=k[1], track=k[2], stage=k[3],
                        size=k[4], approved=k[5], wards=v[0], submitted=v[1],
                        returned=v[2],
                    )
                    for k, v in levels.items()
                ],
                batch_size=2000,
            )  # fmt: skip
            WaitingTally.objects.all().delete()
            WaitingTally.objects.bulk_create(
                [
                    WaitingTally(
                        year=k[0], province_id=k[1], track=k[2], day=k[3],
                        criteria=v[0],
                    )
                    for k, v in waiting.items()
                ],
                batch_size=2000,
            )  # fmt: skip
            CriterionTally.objects.all().delete()
            CriterionTally.objects.bulk_create(
                [
                    CriterionTally(
                        year=k[0], province_id=k[1], track=k[2], criterion_id=k[3],
                        wards=v[0], approved=v[1], submitted=v[2],
                    )
                    for k, v in criteria.items()
                ],
                batch_size=2000,
            )  # fmt: skip
    return found


def _store_counts(Enrolment: Any, Assessment: Any) -> None:
    """Every enrolment's stored counts from its assessments, in one UPDATE."""

    def counted(**status: str) -> Coalesce:
        rows = (
            Assessment.objects.filter(enrolment=OuterRef("pk"), **status)
            .order_by()
            .values("enrolment")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Coalesce(Subquery(rows), 0)

    Enrolment.objects.update(
        approved_criteria=counted(status=APPROVED),
        submitted_criteria=counted(status=SUBMITTED),
        returned_criteria=counted(status=RETURNED),
        set_size=counted(),
    )


def _compare(stored: dict, counted: dict, examples: list[str], what: str) -> int:
    different = 0
    for key in sorted(stored.keys() | counted.keys()):
        if stored.get(key) != counted.get(key):
            different += 1
            if len(examples) < 20:
                examples.append(
                    f"{what} {key}: stored {stored.get(key)}, "
                    f"counted {counted.get(key)}"
                )
    return different
