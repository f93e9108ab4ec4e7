"""The figures of the leadership dashboards, each panel one grouped query.

Every function takes an already scoped and filtered enrolment queryset, so
the views, the exports and the tests count the same way.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, FloatField, Min, Q, QuerySet, Sum
from django.db.models.functions import Cast, NullIf, TruncMonth
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from access.scope import scope_of
from assessments import recognition, tally
from assessments.models import (
    Assessment,
    CriterionTally,
    Enrolment,
    Evidence,
    Quota,
    ReviewEvent,
    Tally,
    Track,
    WaitingTally,
)
from assessments.progress import Progress
from core.collation import vi_key, vi_order
from criteria.models import Criterion
from deadlines.schedule import FROM_ASSESSMENT, year_calendar
from wards.models import full_name

from .filters import Filters, enrolments_for

Status = Assessment.Status


@dataclass(frozen=True)
class Standing:
    """One enrolled ward's progress, the province it counts for, and where
    it lies (for the map; None where the official list gives no position)."""

    province_id: int
    province_name: str
    province_code: str
    progress: Progress
    ward_name: str = ""
    latitude: float | None = None
    longitude: float | None = None
    track: str = ""
    stage: str = ""
    # How many wards stand so (several for a row of the stored tallies), and
    # their criteria waiting for review.
    wards: int = 1
    submitted: int = 0

    @property
    def recognition(self) -> str:
        """Where the ward stands on the way to recognition (`Standing` of
        `evidence.recognition`)."""
        return recognition.standing_of(self.stage, self.progress)


def progress_of(enrolments: QuerySet[Enrolment], *, group: str = "") -> list[Standing]:
    """Approved count and set size of every enrolment, in one query.

    The panels of a page are rolled up from these rows in Python: grouping
    subquery counts again per panel would cost the database far more than
    adding up a few thousand small tuples. The same rows place the units on
    the map.
    """
    rows = (
        enrolments.with_progress(group=group)
        .order_by()
        .values_list(
            "ward__province_id",
            "ward__province__name",
            "ward__province__code",
            "approved_count",
            "criteria_count",
            "ward__kind",
            "ward__name",
            # Floats: converting thousands of decimals costs more than the query.
            Cast("ward__latitude", FloatField()),
            Cast("ward__longitude", FloatField()),
            "track",
            "stage",
            "submitted_criteria",
        )
    )
    return [
        Standing(
            province_id,
            name,
            code,
            Progress(approved=approved, size=size),
            ward_name=full_name(kind, ward),
            latitude=lat,
            longitude=lon,
            track=track,
            stage=stage,
            submitted=submitted,
        )
        for (
            province_id,
            name,
            code,
            approved,
            size,
            kind,
            ward,
            lat,
            lon,
            track,
            stage,
            submitted,
        ) in rows
    ]


def tallied_provinces(user: Any, filters: Filters) -> list[int] | None:
    """The provinces whose stored tallies count exactly the wards this
    dashboard counts for `user` ([] for every province), or None when they
    cannot: a criterion group is chosen, or the user sees single wards."""
    if filters.group:
        return None
    scope = scope_of(user)
    chosen = (
        sorted(filters.province_ids or {filters.province.pk})
        if filters.province
        else []
    )
    if scope.nationwide:
        return chosen
    if scope.ward_ids or not scope.province_ids:
        return None
    if not chosen:
        return sorted(scope.province_ids)
    return chosen if set(chosen) <= scope.province_ids else None


def tallied(user: Any, filters: Filters) -> list[Standing] | None:
    """The wards' progress from the stored tallies, one `Standing` per level
    and province (with its count of wards), or None where the tallies do not
    apply (`tallied_provinces`): a few hundred rows, however many wards."""
    provinces = tallied_provinces(user, filters)
    if provinces is None:
        return None
    rows = Tally.objects.filter(year=filters.year, wards__gt=0)
    if provinces:
        rows = rows.filter(province__in=provinces)
    if filters.track:
        rows = rows.filter(track=filters.track)
    return [
        Standing(
            province_id,
            name,
            code,
            Progress(approved=approved, size=size),
            track=track,
            stage=stage,
            wards=wards,
            submitted=submitted,
        )
        for province_id, name, code, approved, size, track, stage, wards, submitted in (
            rows.order_by().values_list(
                "province_id", "province__name", "province__code", "approved", "size",
                "track", "stage", "wards", "submitted",
            )
        )
    ]  # fmt: skip


def recognition_counts(progress: list[Standing]) -> dict[str, int]:
    """How many wards stand where on the way to recognition, in the order of
    `Standing.LABELS`. With a group chosen, "complete" means that group."""
    counts = dict.fromkeys(recognition.Standing.LABELS, 0)
    for item in progress:
        counts[item.recognition] += item.wards
    return counts


def province_rows(
    enrolments, *, group: str = "", progress=None, oldest: bool = True
) -> list[dict]:
    """One row per province: enrolled, complete, mean progress, bands, pending
    and (unless not `oldest`: `with_late` reads it with the late reviews)
    how long the oldest criterion has waited for review.

    `progress` is what `progress_of` or `tallied` gives (by default the
    former, on `enrolments`).
    """
    if progress is None:
        progress = progress_of(enrolments, group=group)
    by_province: dict[int, dict] = {}
    for item in progress:
        row = by_province.setdefault(
            item.province_id,
            {
                "ward__province_id": item.province_id,
                "ward__province__name": item.province_name,
                "ward__province__code": item.province_code,
                "enrolled": 0,
                "complete": 0,
                "band_high": 0,
                "band_mid": 0,
                "band_low": 0,
                "ratio_sum": 0.0,
                "ministry": 0,
                "recognised": 0,
                "proposed": 0,
                "pending": 0,
            },
        )
        wards = item.wards
        row["enrolled"] += wards
        row["ministry"] += wards * (item.track == Track.MINISTRY)
        standing = item.recognition
        row["recognised"] += wards * (standing == recognition.Standing.RECOGNISED)
        row["proposed"] += wards * (standing == recognition.Standing.PROPOSED)
        row["ratio_sum"] += wards * item.progress.ratio
        row[band_of(item.progress)] += wards
        row["pending"] += item.submitted
    oldest_of = (
        dict(
            Assessment.objects.filter(
                enrolment__in=enrolments.values("pk"), status=Status.SUBMITTED
            )
            .values("enrolment__ward__province_id")
            .annotate(oldest=Min("submitted_at"))
            .values_list("enrolment__ward__province_id", "oldest")
            .order_by()
        )
        if oldest
        else {}
    )
    rows = sorted(by_province.values(), key=lambda r: vi_key(r["ward__province__name"]))
    for row in rows:
        row["oldest_days"] = _days_since(oldest_of.get(row["ward__province_id"]))
        # Rounded: a sum of floats depends on the order of the rows.
        row["mean"] = round(row.pop("ratio_sum") / row["enrolled"], 9)
        row["mean_percent"] = round(100 * row["mean"])
        row["bands"] = _bands(row)
        row["bar"] = band_bar(row["bands"])
    return rows


def with_oldest(
    rows: list[dict], year: int, *, provinces: list[int], track: str = ""
) -> list[dict]:
    """Each province row gets how long its oldest criterion has waited for
    review, from the stored tally by day (`provinces` as `tallied_provinces`
    gives them, [] for all)."""
    tallies = WaitingTally.objects.filter(year=year, criteria__gt=0)
    if provinces:
        tallies = tallies.filter(province__in=provinces)
    if track:
        tallies = tallies.filter(track=track)
    oldest = dict(
        tallies.values("province")
        .annotate(day=Min("day"))
        .values_list("province", "day")
        .order_by()
    )
    for row in rows:
        row["oldest_days"] = _days_since(oldest.get(row["ward__province_id"]))
    return rows


def _days_since(moment: dt.datetime | dt.date | None) -> int | None:
    """Days since the day `moment` fell on (in the programme's time zone)."""
    if moment is None:
        return None
    day = moment if not isinstance(moment, dt.datetime) else tally.day_of(moment)
    return (timezone.localdate() - day).days


def with_late(
    rows: list[dict],
    enrolments,
    year: int,
    *,
    provinces: list[int] | None = None,
    track: str = "",
) -> list[dict]:
    """Each province row gets how many wards are late with evidence that
    was due (by the year's calendar; no query when nothing was due yet), how
    many criteria wait for a decision past their deadline and how long the
    oldest has waited, and how many approved or submitted criteria hold
    evidence that has expired or expires soon: a grouped query each, on the
    rows that can count.

    With `provinces` (from `tallied_provinces`, [] for all) the criteria
    waiting for review are read from their stored tally by day, with
    `track`; else counted from the assessments.
    """
    today = timezone.localdate()
    calendar = year_calendar(year)
    province = "enrolment__ward__province_id"
    open_wards = enrolments.filter(stage="open").values("pk")
    counts: dict[str, dict[int, int]] = {}
    # Only an open ward has criteria waiting for review (a proposal needs
    # every one approved): one pass over them gives both figures.
    if provinces is not None:
        tallies = WaitingTally.objects.filter(year=year, criteria__gt=0)
        if provinces:
            tallies = tallies.filter(province__in=provinces)
        if track:
            tallies = tallies.filter(track=track)
        waiting = {
            row["province"]: row
            for row in tallies.values("province")
            .annotate(
                late=Sum(
                    "criteria",
                    filter=calendar.review_overdue_by_day(
                        today, province="province", day="day"
                    ),
                ),
                oldest=Min("day"),
            )
            .order_by()
        }
    else:
        waiting = {
            row[province]: row
            for row in Assessment.objects.filter(
                enrolment__in=open_wards, status=Status.SUBMITTED
            )
            .values(province)
            .annotate(
                late=Count(
                    "pk",
                    filter=calendar.review_overdue(
                        today,
                        province=province,
                        submitted_at="submitted_at",
                        status="status",
                    ),
                ),
                oldest=Min("submitted_at"),
            )
            .order_by()
        }
    counts["late_reviews"] = {pk: row["late"] or 0 for pk, row in waiting.items()}
    for row in rows:
        oldest = waiting.get(row["ward__province_id"], {}).get("oldest")
        row["oldest_days"] = _days_since(oldest)
    counts["late_wards"] = (
        _by_province(
            Assessment.objects.filter(
                calendar.evidence_overdue(today, **FROM_ASSESSMENT),
                enrolment__in=open_wards,
            ),
            province,
            Count("enrolment", distinct=True),
        )
        if calendar.evidence_due_before(today)
        else {}
    )
    counts["expiring"] = _by_province(
        Evidence.objects.expiring(today).filter(assessment__enrolment__in=open_wards),
        "assessment__" + province,
        Count("assessment", distinct=True),
    )
    for row in rows:
        for name, by_province in counts.items():
            row[name] = by_province.get(row["ward__province_id"], 0)
    return rows


def _by_province(rows: QuerySet, province: str, count) -> dict[int, int]:
    return dict(
        rows.values(province).annotate(n=count).values_list(province, "n").order_by()
    )


def with_quotas(rows: list[dict], year: int) -> list[dict]:
    """Each province row gets the quota the Ministry set it for `year`."""
    quotas = dict(
        Quota.objects.filter(
            province_id__in=[r["ward__province_id"] for r in rows], year=year
        ).values_list("province_id", "wards")
    )
    for row in rows:
        row["quota"] = quotas.get(row["ward__province_id"])
    return rows


# The progress bands of the stacked bars and the map, best first.
BANDS = ("complete", "band_high", "band_mid", "band_low")


def band_of(progress: Progress) -> str:
    """The band a ward's progress falls in (one of `BANDS`)."""
    if progress.is_complete:
        return "complete"
    if progress.ratio >= 0.75:
        return "band_high"
    if progress.ratio >= 0.5:
        return "band_mid"
    return "band_low"


def _bands(row: dict) -> list[dict]:
    """The stacked bar of one province: where each band starts and how wide."""
    total = row["enrolled"] or 1
    labels = band_labels()
    bands, x = [], 0.0
    for key in BANDS:
        width = 100 * row[key] / total
        bands.append(
            {
                "key": key,
                "label": labels[key],
                "count": row[key],
                "x": f"{x:.2f}",
                "width": f"{width:.2f}",
            }
        )
        x += width
    return bands


def band_bar(bands: list[dict]) -> SafeString:
    """A province's stacked bar as SVG, built here rather than by a template
    included per row (the national table's numbers are its cost)."""
    said = "; ".join(f"{b['count']}: {escape(b['label'])}" for b in bands)
    rects = "".join(
        f'<rect x="{b["x"]}" y="0" width="{b["width"]}" height="10" '
        f'class="band-{b["key"]}"><title>{b["count"]}: {escape(b["label"])}</title>'
        "</rect>"
        for b in bands
        if b["count"]
    )
    return mark_safe(  # noqa: S308 - labels escaped, the rest numbers
        '<svg class="band-bar" viewBox="0 0 100 10" preserveAspectRatio="none" '
        f'role="img" aria-label="{said}" xmlns="http://www.w3.org/2000/svg">'
        f"{rects}</svg>"
    )


def distribution(
    enrolments: QuerySet[Enrolment] | None = None,
    *,
    group: str = "",
    progress: list[Standing] | None = None,
) -> list[dict]:
    """How many wards stand at each level ("22/22", "21/22", ...), best first."""
    if progress is None:
        progress = progress_of(enrolments, group=group)
    counts: Counter[tuple[int, int]] = Counter()
    for item in progress:
        counts[(item.progress.approved, item.progress.size)] += item.wards
    return [
        {
            "approved": approved,
            "size": size,
            "label": f"{approved}/{size}",
            "wards": wards,
        }
        for (approved, size), wards in sorted(
            counts.items(), key=lambda kv: (-kv[0][1], -kv[0][0])
        )
    ]


def distribution_sentence(levels: list[dict]) -> str:
    """The distribution as people say it.

    "3 phường đạt 19/22, 11 phường đạt 18/22, 12 phường đạt 15–16/22": the
    levels down to the one that passes half of the wards are named one by
    one; below that, runs of adjacent levels are told together.
    """
    total = sum(level["wards"] for level in levels)
    parts: list[tuple[int, str]] = []
    seen = 0
    run: list[dict] = []

    def close_run() -> None:
        if run:
            low, high = run[-1]["approved"], run[0]["approved"]
            span = f"{low}–{high}" if low != high else f"{low}"
            parts.append((sum(r["wards"] for r in run), f"{span}/{run[0]['size']}"))
            run.clear()

    for level in levels:
        if seen * 2 < total:
            parts.append((level["wards"], level["label"]))
        elif run and (
            level["size"] != run[-1]["size"]
            or level["approved"] != run[-1]["approved"] - 1
        ):
            close_run()
            run.append(level)
        else:
            run.append(level)
        seen += level["wards"]
    close_run()
    return ", ".join(
        ngettext("%(count)d ward at %(level)s", "%(count)d wards at %(level)s", count)
        % {"count": count, "level": label}
        for count, label in parts
    )


def criteria_holding_back(
    enrolments,
    *,
    group: str = "",
    filters: Filters | None = None,
    provinces: list[int] | None = None,
) -> list[dict]:
    """Completion rate of each criterion across the wards, lowest first.

    With `provinces` (from `tallied_provinces`, [] for all) and `filters`,
    from the stored tallies: rows per criterion and province, not per ward.
    """
    fields = (
        "criterion_id",
        "criterion__number",
        "criterion__title",
        "criterion__title_en",
        "criterion__group__code",
        "criterion__assessed",
    )
    if provinces is not None and filters is not None:
        tallies = CriterionTally.objects.filter(year=filters.year)
        if provinces:
            tallies = tallies.filter(province__in=provinces)
        if filters.track:
            tallies = tallies.filter(track=filters.track)
        counted = tallies.values(*fields).annotate(
            wards=Sum("wards"), approved=Sum("approved"), pending=Sum("submitted")
        )
    else:
        assessments = Assessment.objects.filter(enrolment__in=enrolments.values("pk"))
        if group:
            assessments = assessments.filter(criterion__group__code=group)
        counted = assessments.values(*fields).annotate(
            wards=Count("pk"),
            approved=Count("pk", filter=Q(status=Status.APPROVED)),
            pending=Count("pk", filter=Q(status=Status.SUBMITTED)),
        )
    rows = [row for row in counted.order_by("criterion__number") if row["wards"]]
    for row in rows:
        row["percent"] = (
            round(100 * row["approved"] / row["wards"]) if row["wards"] else 0
        )
    rows.sort(key=lambda r: (r["percent"], r["criterion__number"]))
    return rows


def ranked(enrolments, *, group: str = "") -> QuerySet:
    """The province's wards, best progress first then by name, ordered by
    the database: a page of them is a slice of this."""
    ratio = Cast("approved_count", FloatField()) / NullIf(
        Cast("criteria_count", FloatField()), 0.0
    )
    return enrolments.with_progress(group=group).order_by(
        ratio.desc(nulls_last=True), vi_order("ward__name"), "pk"
    )


def with_details(enrolments, *, late_in: int | None = None) -> QuerySet:
    """Pending/returned/activity of each ward, and with `late_in` (a year) how
    many criteria are late with their evidence: subqueries per row, so
    asked for the rows shown only."""
    if late_in is not None:
        enrolments = enrolments.with_late(late_in)
    return enrolments.with_activity().select_related("ward", "decision")


def ward_rows(
    enrolments, *, group: str = "", late_in: int | None = None
) -> list[Enrolment]:
    """Every ward of `ranked` with its details (the exports)."""
    return list(with_details(ranked(enrolments, group=group), late_in=late_in))


def heatmap(enrolments, *, group: str = "") -> dict:
    """Wards × criteria, each cell an assessment's status."""
    assessments = Assessment.objects.filter(enrolment__in=enrolments.values("pk"))
    if group:
        assessments = assessments.filter(criterion__group__code=group)
    cells: dict[int, dict[int, str]] = {}
    numbers: set[int] = set()
    for enrolment_id, number, status in assessments.order_by().values_list(
        "enrolment_id", "criterion__number", "status"
    ):
        cells.setdefault(enrolment_id, {})[number] = status
        numbers.add(number)
    return {"numbers": sorted(numbers), "cells": cells}


def criterion_titles(enrolments, *, group: str = "") -> dict[int, str]:
    """The title of each criterion number in these wards' sets, for a legend.

    Where two sets in use give one number different titles, both are kept,
    joined by " / ".
    """
    criteria = Criterion.objects.filter(
        criteria_set__in=enrolments.values("criteria_set")
    ).only("number", "title", "title_en")
    if group:
        criteria = criteria.filter(group__code=group)
    titles: dict[int, list[str]] = {}
    for criterion in criteria.order_by("number", "criteria_set"):
        same_number = titles.setdefault(criterion.number, [])
        if criterion.display_title not in same_number:
            same_number.append(criterion.display_title)
    return {number: " / ".join(names) for number, names in titles.items()}


def pending_pipeline(enrolments) -> list[Assessment]:
    """Criteria waiting for review in these wards, oldest first."""
    return list(
        Assessment.objects.filter(
            enrolment__in=enrolments.values("pk"), status=Status.SUBMITTED
        )
        .select_related("enrolment__ward__province", "criterion__group", "reviewer")
        .order_by("submitted_at", "pk")
    )


def trend(user, filters: Filters) -> list[dict]:
    """Approved criteria over time, month by month, from the review log.

    A province's line counts the enrolments of the provinces it was formed
    from as well (`filters.province_ids`), so Hà Nội's 2025 runs on across
    1 July instead of starting again from the new row.

    It counts approvals, not units, so no unit is lost or counted twice across
    a merger: each approval belongs to one enrolment of one unit, and stays in
    the line of that unit's province, which is part of its successor's. A
    split unit needs no share: on 1 July 2025 each former province went whole
    into one new province, and every part of a split unit went to a unit of
    that one (tests/dashboards/test_trend_lineage.py checks the shipped lists).
    """
    enrolments = enrolments_for(user, filters)
    events = ReviewEvent.objects.filter(
        assessment__enrolment__in=enrolments.values("pk"),
        action__in=[ReviewEvent.Action.APPROVE, ReviewEvent.Action.REVOKE],
    )
    if filters.group:
        events = events.filter(assessment__criterion__group__code=filters.group)
    rows = (
        events.annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(
            approvals=Count("pk", filter=Q(action=ReviewEvent.Action.APPROVE)),
            revocations=Count("pk", filter=Q(action=ReviewEvent.Action.REVOKE)),
        )
        .order_by("month")
    )
    total = 0
    points = []
    for row in rows:
        total += row["approvals"] - row["revocations"]
        month = row["month"]
        if isinstance(month, dt.datetime):
            month = (
                timezone.localtime(month).date()
                if timezone.is_aware(month)
                else month.date()
            )
        points.append(
            {
                "month": month,
                "approvals": row["approvals"],
                "revocations": row["revocations"],
                "total": total,
            }
        )
    return points


def band_labels() -> dict[str, str]:
    return {
        "complete": _("all criteria met"),
        "band_high": _("75% or more"),
        "band_mid": _("50–75%"),
        "band_low": _("under 50%"),
    }
