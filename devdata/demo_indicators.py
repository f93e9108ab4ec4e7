"""Indicator figures in the demo: every criterion with indicators that was
sent for review carries figures that met their rules when it was sent.

Two wards show the public record: Phường Phú La (Hà Đông, Hà Nội), its
criminal cases down 8 % on 2022 in its report on 2023, and Phường An Hưng
(TP. Thanh Hóa), 5 cases in the first nine months of 2023, 6 fewer than in
the same nine months of 2022. The illustrative set counts them as crimes
against social order (`social_order_crimes`, which must be down on the same
period of the year before); the other figures of their reports (no serious
crime, the clearance rate, the reports resolved) are illustrative, as are
every other ward's.

A figure is entered between the criterion's first file and its submission,
for the period to the end of the month before, with last year's figure for
the same period where the rule compares the two; public-record criteria are
submitted only once their report is out (`Figures.ready`). Rows and their
`enter_value` events are written in bulk with the times they would have
had, as the rest of the demo is, in the form `workflow.enter_value` gives
them. Year by year, so that a ward enrolled two years running compares with
the figure it entered the year before.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from assessments.indicators import (
    change_in_percent,
    figure,
    meets,
    same_day_a_year_before,
)
from assessments.models import Assessment, Evidence, IndicatorValue, ReviewEvent
from criteria.models import CriteriaSet, Indicator
from wards.models import Ward

from .timeline import TZ

S = Assessment.Status
MINUTE = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Report:
    """The figures a ward's report gives, for one period of a year."""

    ward: str  # its name, to be sure of the unit (codes are reused)
    period_end: dt.date
    entered: dt.datetime
    source: str
    values: dict[str, Decimal]
    # The same period a year before, for the rules that compare the two.
    previous: dict[str, Decimal] = field(default_factory=dict)


# By unit code and year. The clearance rates follow from whole cases:
# 21 of Phú La's 23, all 5 of An Hưng's.
PUBLIC_RECORD: dict[tuple[str, int], Report] = {
    ("09552", 2023): Report(
        ward="Phú La",
        period_end=dt.date(2023, 11, 30),
        entered=dt.datetime(2023, 12, 5, 9, 30, tzinfo=TZ),
        source="Báo cáo tổng kết công tác năm 2023 của Công an phường Phú La",
        values={
            "social_order_crimes": Decimal(23),
            "serious_crimes": Decimal(0),
            "clearance_rate": Decimal("91.3"),
            "reports_resolved": Decimal(100),
        },
        previous={"social_order_crimes": Decimal(25)},  # 23 on 25: -8 %
    ),
    ("16435", 2023): Report(
        ward="An Hưng",
        period_end=dt.date(2023, 9, 30),
        entered=dt.datetime(2023, 10, 9, 14, 0, tzinfo=TZ),
        source="Báo cáo sơ kết 9 tháng đầu năm 2023 của Công an phường An Hưng",
        values={
            "social_order_crimes": Decimal(5),
            "serious_crimes": Decimal(0),
            "clearance_rate": Decimal(100),
            "reports_resolved": Decimal(100),
        },
        previous={"social_order_crimes": Decimal(11)},  # 5, six fewer
    ),
}


@dataclass
class _Entry:
    assessment: Assessment
    ward: Ward
    year: int
    entered: dt.datetime
    actor: User
    evidence: Evidence | None
    report: Report | None


class Figures:
    """Collects the criteria sent for review that need figures; `flush`
    writes the figures once every assessment and file is saved."""

    def __init__(self, criteria_set: CriteriaSet) -> None:
        self.indicators: dict[int, list[Indicator]] = {}
        for indicator in Indicator.objects.filter(
            criterion__criteria_set=criteria_set
        ).order_by("criterion_id", "position", "pk"):
            self.indicators.setdefault(indicator.criterion_id, []).append(indicator)
        self.entries: list[_Entry] = []

    def _report(self, ward: Ward, year: int, criterion_id: int) -> Report | None:
        report = PUBLIC_RECORD.get((ward.code, year))
        if report is None or report.ward != ward.name:
            return None
        codes = {i.code for i in self.indicators.get(criterion_id, [])}
        return report if codes & set(report.values) else None

    def ready(self, ward: Ward, year: int, criterion_id: int) -> dt.datetime | None:
        """When the criterion's figures were out, if the public record says:
        it cannot have been submitted before."""
        report = self._report(ward, year, criterion_id)
        return report.entered if report else None

    def add(
        self,
        assessment: Assessment,
        *,
        ward: Ward,
        year: int,
        between: tuple[dt.datetime, dt.datetime],
        actor: User,
        evidence: Evidence | None,
    ) -> None:
        """Figures for a criterion sent for review, entered `between` its
        first file and its submission."""
        criterion_id = assessment.criterion_id
        if criterion_id not in self.indicators:
            return
        report = self._report(ward, year, criterion_id)
        if report is not None:
            entered = report.entered
        else:
            first, submitted = between
            rng = random.Random(f"{ward.code}/{year}/{criterion_id}")  # noqa: S311
            entered = first + (submitted - first) * rng.uniform(0.3, 0.9)
        self.entries.append(
            _Entry(assessment, ward, year, entered, actor, evidence, report)
        )

    def flush(self) -> list[ReviewEvent]:
        """Write the figures, year by year; their events are returned, for the
        caller to write in order with the other events of each assessment."""
        rows: dict[tuple[int, str], dict[dt.date, IndicatorValue]] = {}
        events: list[ReviewEvent] = []
        with translation.override(settings.LANGUAGE_CODE):
            for entry in sorted(self.entries, key=lambda e: (e.year, e.entered)):
                for indicator in self.indicators[entry.assessment.criterion_id]:
                    events += self._enter(entry, indicator, rows)
        IndicatorValue.objects.bulk_create(
            [row for days in rows.values() for row in days.values()],
            batch_size=1000,
        )
        return events

    def _enter(self, entry: _Entry, indicator: Indicator, rows) -> list[ReviewEvent]:
        ward, year, report = entry.ward, entry.year, entry.report
        known = rows.setdefault((ward.pk, indicator.code), {})
        day = report.period_end if report else _month_end_before(entry.entered)
        if indicator.compares_years and report is None:
            day = _lined_up(day, known)
        source = report.source if report else _source(indicator, ward, day)
        value = report.values.get(indicator.code) if report else None
        if value is None:
            value = _made_up(indicator, ward, day)
        events = []
        change = None
        if indicator.compares_years:
            before = same_day_a_year_before(day)
            previous = known.get(before)
            if previous is None:
                amount = (report.previous if report else {}).get(indicator.code)
                if amount is None:
                    amount = max(_made_up(indicator, ward, before), Decimal(2))
                last_year = f"{source} (số liệu cùng kỳ năm {year - 1})"
                previous = known[before] = self._row(
                    entry, indicator, before, amount, last_year
                )
                events.append(self._event(entry, indicator, previous, late=False))
            if report is None:  # below last year's, and not below zero
                value = max(min(max(value, Decimal(1)), previous.value - 1), 0)
            change = change_in_percent(value, previous.value)
        if not meets(indicator, value, change):
            raise ValueError(f"Demo figure fails its rule: {ward} {indicator.code}")
        known[day] = row = self._row(entry, indicator, day, value, source)
        events.append(self._event(entry, indicator, row, late=True))
        return events

    def _row(self, entry, indicator, day, value, source) -> IndicatorValue:
        return IndicatorValue(
            ward=entry.ward,
            code=indicator.code,
            period_end=day,
            value=value,
            source=source,
            evidence=entry.evidence,
            entered_by=entry.actor,
            entered_at=entry.entered,
        )

    def _event(self, entry, indicator, row, *, late: bool) -> ReviewEvent:
        """The event of entering `row`; this year's figure (`late`) a moment
        after last year's, both before the submission."""
        when = entry.entered
        if late:
            submitted = entry.assessment.submitted_at or when
            when += max(min(MINUTE, (submitted - when) / 2), dt.timedelta(0))
        row.entered_at = when
        return ReviewEvent(
            assessment=entry.assessment,
            actor=entry.actor,
            action=ReviewEvent.Action.ENTER_VALUE,
            from_status=S.IN_PROGRESS,
            to_status=S.IN_PROGRESS,
            # As `workflow.enter_value` words it.
            comment=_("%(name)s: %(value)s (to %(date)s; source: %(source)s)")
            % {
                "name": indicator.name,
                "value": figure(row.value, indicator.unit),
                "date": date_format(row.period_end, "SHORT_DATE_FORMAT"),
                "source": row.source,
            },
            created_at=when,
        )


def _month_end_before(moment: dt.datetime) -> dt.date:
    """The last day of the month before `moment`, in its year; in January,
    the day itself (so far this year)."""
    day = moment.astimezone(TZ).date()
    end = day.replace(day=1) - dt.timedelta(days=1)
    return end if end.year == day.year else day


def _lined_up(day: dt.date, known: dict[dt.date, IndicatorValue]) -> dt.date:
    """`day`, or an earlier day of its year whose previous year's figure is
    the latest of that year: a figure for a later day of the year before,
    entered now to compare with, would replace that year's figure."""
    last_year = [d for d in known if d.year == day.year - 1]
    if not last_year or max(last_year) >= same_day_a_year_before(day):
        return day
    try:
        return max(last_year).replace(year=day.year)
    except ValueError:  # 29 February: nothing lines up with it
        return day


def _made_up(indicator: Indicator, ward: Ward, day: dt.date) -> Decimal:
    """An illustrative figure meeting the rule; a count of crimes so far in
    the year comes from the ward's yearly level, which falls year on year."""
    unit = f"{ward.code}/{ward.valid_from}/{indicator.code}"
    if indicator.code == "security_resolutions":
        return Decimal(random.Random(f"{unit}/{day.year}").choice([1, 1, 2, 3]))  # noqa: S311
    if indicator.code == "clearance_rate":
        return Decimal(random.Random(f"{unit}/{day.year}").randint(905, 1000)) / 10  # noqa: S311
    if indicator.compares_years:
        level = random.Random(unit).randint(12, 45) * 0.88 ** (day.year - 2022)  # noqa: S311
        return Decimal(round(level * day.timetuple().tm_yday / 365))
    return indicator.target  # exactly the target: no serious crime, 100 %


def _source(indicator: Indicator, ward: Ward, day: dt.date) -> str:
    """The document a figure to `day` comes from, as a ward would name it."""
    unit = ward.full_name[:1].lower() + ward.full_name[1:]
    if indicator.code == "security_resolutions":
        return (
            f"Nghị quyết chuyên đề của Đảng ủy {unit} về lãnh đạo công tác bảo đảm "
            f"an ninh, trật tự năm {day.year}"
        )
    if day.month == 12 and day.day == 31:
        period = f"năm {day.year}"
    elif day.month > 1 and (day + dt.timedelta(days=1)).day == 1:
        period = f"{day.month} tháng đầu năm {day.year}"
    else:
        period = f"từ đầu năm đến ngày {day:%d/%m/%Y}"
    return f"Báo cáo tình hình an ninh, trật tự {period} của Công an {unit}"
