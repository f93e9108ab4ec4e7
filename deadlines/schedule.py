"""What is due when: the dates of a year as they apply to one province.

A province's own calendar overrides the country's date by date; a criterion
group's own date overrides the date of its kind (any time, or year end).
Everything here reads the calendars of a year in two queries and answers in
memory, or as a `Q` that a list or a dashboard adds to its one query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from criteria.models import Assessed

from .models import Calendar

# An assessment in one of these still waits for its evidence; "submitted"
# waits for a decision; "approved" waits for nothing.
WAITING_FOR_EVIDENCE = ("not_started", "in_progress", "returned")
WAITING_FOR_REVIEW = ("submitted",)


def year_end_window_opens(year: int) -> dt.date:
    """The first day on which year-end criteria of `year` may be submitted."""
    for text in settings.YEAR_END_WINDOW_DATES:
        day = dt.date.fromisoformat(text)
        if day.year == year:
            return day
    month, day_of_month = (
        int(part) for part in settings.YEAR_END_WINDOW_OPENS.split("-")
    )
    return dt.date(year, month, day_of_month)


# A year's cycle may run into the next year, up to this day (month, day):
# its last proposals and decisions.
CYCLE_ENDS = (3, 31)


def cycle_end(year: int) -> dt.date:
    """The last day a date of `year`'s calendar may fall on."""
    return dt.date(year + 1, *CYCLE_ENDS)


def running_years(today: dt.date) -> list[int]:
    """The years whose cycle runs on `today`: this year's, and last year's
    until its cycle ends."""
    if today <= cycle_end(today.year - 1):
        return [today.year - 1, today.year]
    return [today.year]


@dataclass(frozen=True)
class Due:
    """One deadline as a person sees it: what (evidence, decision,
    proposal), when, how far away."""

    kind: str
    date: dt.date
    today: dt.date

    @property
    def days_left(self) -> int:
        return (self.date - self.today).days

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def days_late(self) -> int:
        return -self.days_left


@dataclass(frozen=True)
class Dates:
    """The deadlines that apply to one province's wards in one year."""

    year: int
    registration_closes: dt.date | None = None
    evidence_due: dt.date | None = None
    year_end_evidence_due: dt.date | None = None
    review_days: int = field(default_factory=lambda: settings.REVIEW_OVERDUE_DAYS)
    proposal_due: dt.date | None = None
    group_due: dict[int, dt.date] = field(default_factory=dict)

    def evidence_due_for(self, group_id: int, assessed: str) -> dt.date | None:
        """When the evidence of a criterion of this group and kind is due."""
        if group_id in self.group_due:
            return self.group_due[group_id]
        if assessed == Assessed.YEAR_END:
            return self.year_end_evidence_due
        return self.evidence_due

    def review_due(self, submitted_at: dt.datetime) -> dt.date:
        """The day by which a criterion submitted at `submitted_at` should be
        decided."""
        return timezone.localdate(submitted_at) + dt.timedelta(days=self.review_days)

    def due_of(self, assessment, today: dt.date) -> Due | None:
        """What an assessment waits for, and by when: its evidence, or a
        decision on it; None when approved or when no date is set."""
        if assessment.status in WAITING_FOR_REVIEW and assessment.submitted_at:
            return Due("decision", self.review_due(assessment.submitted_at), today)
        if assessment.status in WAITING_FOR_EVIDENCE:
            criterion = assessment.criterion
            date = self.evidence_due_for(criterion.group_id, criterion.assessed)
            if date is not None:
                return Due("evidence", date, today)
        return None

    def next_for(self, assessments, today: dt.date, *, complete: bool) -> Due | None:
        """What a ward's year waits for first: the earliest evidence due of
        its criteria (what its officers can act on), else the earliest
        decision; once all are approved, the proposal."""
        if complete:
            return (
                Due("proposal", self.proposal_due, today) if self.proposal_due else None
            )
        dues = [due for a in assessments if (due := self.due_of(a, today))]
        evidence = [due for due in dues if due.kind == "evidence"]
        return min(evidence or dues, key=lambda due: due.date, default=None)

    @property
    def is_set(self) -> bool:
        return any(
            (
                self.registration_closes,
                self.evidence_due,
                self.year_end_evidence_due,
                self.proposal_due,
                self.group_due,
            )
        )


@dataclass(frozen=True)
class YearCalendar:
    """The dates of every province in one year."""

    year: int
    national: Dates
    provinces: dict[int, Dates]

    def of(self, province_id: int) -> Dates:
        return self.provinces.get(province_id, self.national)

    def _applying(self, path: str) -> list[tuple[Q, Dates]]:
        """Each set of dates with a `Q` on `path` (a province id) for the
        provinces it applies to: the country's to all but those with their
        own."""
        own = list(self.provinces)
        applying = [(~Q(**{f"{path}__in": own}) if own else Q(), self.national)]
        applying += [(Q(**{path: pid}), dates) for pid, dates in self.provinces.items()]
        return applying

    def evidence_due_where(
        self,
        test: Callable[[dt.date], bool],
        *,
        province: str,
        group: str,
        assessed: str,
        status: str,
    ) -> Q:
        """A `Q` for assessments still waiting for their evidence whose due
        date passes `test`. The arguments name the paths, from the row
        queried, of the assessment's province id, criterion group id,
        criterion kind and status."""
        result = Q(pk__in=[])
        for provinces, dates in self._applying(province):
            own = list(dates.group_due)
            passing = [g for g, day in dates.group_due.items() if test(day)]
            by_group = Q(**{f"{group}__in": passing}) if passing else Q(pk__in=[])
            by_kind = Q(pk__in=[])
            if dates.evidence_due and test(dates.evidence_due):
                by_kind |= ~Q(**{assessed: Assessed.YEAR_END})
            if dates.year_end_evidence_due and test(dates.year_end_evidence_due):
                by_kind |= Q(**{assessed: Assessed.YEAR_END})
            if own:
                by_kind &= ~Q(**{f"{group}__in": own})
            result |= provinces & (by_group | by_kind)
        return result & Q(**{f"{status}__in": WAITING_FOR_EVIDENCE})

    def evidence_due_before(self, day: dt.date) -> bool:
        """Whether any evidence of this year was due before `day`, in any
        province: when none was, nothing can be late with it."""
        return any(
            due < day
            for dates in (self.national, *self.provinces.values())
            for due in (
                dates.evidence_due,
                dates.year_end_evidence_due,
                *dates.group_due.values(),
            )
            if due is not None
        )

    def evidence_overdue(self, today: dt.date, **paths: str) -> Q:
        """A `Q` for assessments whose evidence was due before `today` and
        has not been submitted (see `evidence_due_where` for the paths)."""
        return self.evidence_due_where(lambda day: day < today, **paths)

    def review_overdue(
        self, today: dt.date, *, province: str, submitted_at: str, status: str
    ) -> Q:
        """A `Q` for assessments waiting for a decision past their review
        deadline on `today` (see `evidence_due_where` for the paths)."""
        result = Q(pk__in=[])
        for provinces, dates in self._applying(province):
            # Due on day D when submitted on D - review_days: late from D + 1.
            last_on_time = today - dt.timedelta(days=dates.review_days)
            start = dt.datetime.combine(
                last_on_time, dt.time.min, tzinfo=timezone.get_current_timezone()
            )
            result |= provinces & Q(**{f"{submitted_at}__lt": start})
        return result & Q(**{f"{status}__in": WAITING_FOR_REVIEW})

    def review_overdue_by_day(self, today: dt.date, *, province: str, day: str) -> Q:
        """`review_overdue` on rows that count criteria waiting by the day
        they were sent (`evidence.WaitingTally`)."""
        result = Q(pk__in=[])
        for provinces, dates in self._applying(province):
            last_on_time = today - dt.timedelta(days=dates.review_days)
            result |= provinces & Q(**{f"{day}__lt": last_on_time})
        return result


FIELDS = (
    "registration_closes",
    "evidence_due",
    "year_end_evidence_due",
    "review_days",
    "proposal_due",
)


def year_calendar(year: int) -> YearCalendar:
    """The dates of `year` for every province, in one query (the calendars,
    joined to their groups' dates)."""
    rows: dict[int | None, dict] = {}
    groups: dict[int | None, dict[int, dt.date]] = {}
    for row in Calendar.objects.filter(year=year).values(
        "province_id",
        *FIELDS,
        "group_deadlines__group_id",
        "group_deadlines__evidence_due",
    ):
        rows[row["province_id"]] = row
        if row["group_deadlines__group_id"] is not None:
            groups.setdefault(row["province_id"], {})[
                row["group_deadlines__group_id"]
            ] = row["group_deadlines__evidence_due"]
    country = rows.pop(None, {})
    national = Dates(
        year=year,
        **{name: country.get(name) for name in FIELDS if name != "review_days"},
        review_days=country.get("review_days") or settings.REVIEW_OVERDUE_DAYS,
        group_due=groups.get(None, {}),
    )
    provinces = {
        # A date the province leaves empty is the country's.
        province_id: Dates(
            year=year,
            **{name: own[name] or getattr(national, name) for name in FIELDS},
            group_due={**national.group_due, **groups.get(province_id, {})},
        )
        for province_id, own in rows.items()
        if province_id is not None
    }
    return YearCalendar(year=year, national=national, provinces=provinces)


def dates_for(year: int, province_id: int) -> Dates:
    """The dates that apply to one province's wards in `year`."""
    return year_calendar(year).of(province_id)


# The paths of `evidence_due_where` from an assessment, and from an enrolment.
FROM_ASSESSMENT = {
    "province": "enrolment__ward__province_id",
    "group": "criterion__group_id",
    "assessed": "criterion__assessed",
    "status": "status",
}
FROM_ENROLMENT = {
    "province": "ward__province_id",
    "group": "assessments__criterion__group_id",
    "assessed": "assessments__criterion__assessed",
    "status": "assessments__status",
}
