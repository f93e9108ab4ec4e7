"""Indicators: a ward's figures against the rules of its criteria.

A criterion may define indicators (`criteria.Indicator`); a ward's figures
are `IndicatorValue` rows, per code and period end. For a year, the figure
that counts is the latest one of that year; a rule on the change against
the year before compares it with the figure for the same period a year
earlier (nine months with nine months). A criterion whose indicators are
not all met cannot be submitted (`workflow.submit`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from criteria.models import Indicator

from .models import Assessment, IndicatorValue

Rule = Indicator.Rule


def same_day_a_year_before(day: dt.date) -> dt.date:
    """The same period end one year earlier (29 February gives the 28th)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def change_in_percent(value: Decimal, previous: Decimal) -> Decimal | None:
    """The change from `previous` to `value` in per cent, to one decimal;
    None when it has no finite size (from zero to more than zero)."""
    if previous == 0:
        return Decimal(0) if value == 0 else None
    change = (value - previous) * 100 / abs(previous)
    return change.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def meets(indicator: Indicator, value: Decimal, change: Decimal | None) -> bool:
    """Whether a figure (and its change, for the change rules) meets the rule."""
    target = indicator.target
    if indicator.rule == Rule.AT_LEAST:
        return value >= target
    if indicator.rule == Rule.AT_MOST:
        return value <= target
    if indicator.rule == Rule.EQUAL:
        return value == target
    if change is None:  # from nothing to something: no finite change meets
        return False
    if indicator.rule == Rule.CHANGE_AT_MOST:
        return change <= target
    return change < target  # CHANGE_BELOW


def figure(amount: Decimal | None, unit: str = "") -> str:
    """A figure as a person writes it: "92,5 %", "5 vụ", "-8 %"."""
    if amount is None:
        return "—"
    places = next(
        (p for p in (0, 1) if amount == amount.quantize(Decimal(10) ** -p)), 2
    )
    text = number_format(amount, places, use_l10n=True)
    return f"{text} {unit}".strip()


def rule_text(indicator: Indicator) -> str:
    """The rule in words: "at least 90 %", "down on the previous year"."""
    target = figure(indicator.target, indicator.unit)
    if indicator.rule == Rule.AT_LEAST:
        return _("at least %(target)s") % {"target": target}
    if indicator.rule == Rule.AT_MOST:
        return _("at most %(target)s") % {"target": target}
    if indicator.rule == Rule.EQUAL:
        return _("exactly %(target)s") % {"target": target}
    percent = figure(indicator.target, "%")
    if indicator.rule == Rule.CHANGE_BELOW and indicator.target == 0:
        return _("lower than in the same period of the previous year")
    if indicator.rule == Rule.CHANGE_AT_MOST and indicator.target == 0:
        return _("no higher than in the same period of the previous year")
    if indicator.rule == Rule.CHANGE_BELOW:
        return _(
            "a change below %(percent)s on the same period of the previous year"
        ) % {"percent": percent}
    return _(
        "a change of at most %(percent)s on the same period of the previous year"
    ) % {"percent": percent}


@dataclass
class Reading:
    """An indicator of one ward in one year: the figure that counts, the one
    it is compared with, and whether the rule is met."""

    indicator: Indicator
    year: int = 0
    value: IndicatorValue | None = None
    previous: IndicatorValue | None = None
    change: Decimal | None = None
    met: bool = False
    # The latest figure of each year, oldest first, for the trend.
    history: list[IndicatorValue] = field(default_factory=list)

    @property
    def rule(self) -> str:
        return rule_text(self.indicator)

    @property
    def shown(self) -> str:
        return figure(self.value.value if self.value else None, self.indicator.unit)

    @property
    def problem(self) -> str:
        """Why the rule is not met, naming the indicator; empty when it is."""
        if self.met:
            return ""
        return f"{self.indicator.display_name}: {self.reason}"

    @property
    def reason(self) -> str:
        """Why the rule is not met, in words; empty when it is."""
        if self.met:
            return ""
        if self.value is None:
            return _("no figure entered for %(year)d") % {"year": self.year}
        if self.indicator.compares_years:
            if self.previous is None:
                return _(
                    "no figure for the same period of %(year)d (to %(date)s) to "
                    "compare with"
                ) % {
                    "year": self.year - 1,
                    "date": date_format(
                        same_day_a_year_before(self.value.period_end),
                        "SHORT_DATE_FORMAT",
                    ),
                }
            return _(
                "%(value)s against %(previous)s (%(change)s); must be %(rule)s"
            ) % {
                "value": self.shown,
                "previous": self.previous_shown,
                "change": self.change_shown,
                "rule": self.rule,
            }
        return _("%(value)s; must be %(rule)s") % {
            "value": self.shown,
            "rule": self.rule,
        }

    @property
    def previous_shown(self) -> str:
        return figure(
            self.previous.value if self.previous else None, self.indicator.unit
        )

    @property
    def history_shown(self) -> list[tuple[IndicatorValue, str]]:
        """Each year's latest figure, written as the figure that counts is."""
        return [(v, figure(v.value, self.indicator.unit)) for v in self.history]

    @property
    def change_shown(self) -> str:
        if self.previous is None or self.value is None:
            return ""
        if self.change is None:
            return _("up from zero")
        sign = "+" if self.change > 0 else ""
        return f"{sign}{figure(self.change, '%')}"


def read(indicator: Indicator, year: int, values: Iterable[IndicatorValue]) -> Reading:
    """Evaluate one indicator for `year` from a ward's figures of its code."""
    by_day = {v.period_end: v for v in values if v.code == indicator.code}
    of_year = [v for day, v in by_day.items() if day.year == year]
    reading = Reading(indicator=indicator, year=year)
    latest_per_year: dict[int, IndicatorValue] = {}
    for day in sorted(by_day):
        latest_per_year[day.year] = by_day[day]
    reading.history = [latest_per_year[y] for y in sorted(latest_per_year)]
    if not of_year:
        return reading
    reading.value = max(of_year, key=lambda v: v.period_end)
    if indicator.compares_years:
        reading.previous = by_day.get(same_day_a_year_before(reading.value.period_end))
        if reading.previous is None:
            return reading
        reading.change = change_in_percent(reading.value.value, reading.previous.value)
    reading.met = meets(indicator, reading.value.value, reading.change)
    return reading


def readings(assessment: Assessment) -> list[Reading]:
    """The indicators of an assessment's criterion for its ward and year.

    Two queries: the indicators, and the ward's figures of their codes in
    every year (the trend shows them all).
    """
    indicators = list(assessment.criterion.indicators.all())
    if not indicators:
        return []
    values = list(
        IndicatorValue.objects.filter(
            ward_id=assessment.enrolment.ward_id,
            code__in=[i.code for i in indicators],
        ).select_related("entered_by", "evidence")
    )
    return [read(i, assessment.enrolment.year, values) for i in indicators]


def unmet(assessment: Assessment) -> list[Reading]:
    """The readings of an assessment that do not meet their rule."""
    return [r for r in readings(assessment) if not r.met]


def figures_of(
    ward_ids: Iterable[int], codes: Iterable[str], years: Iterable[int]
) -> dict[int, list[IndicatorValue]]:
    """The wards' figures of these codes in `years` and the year before the
    first (to compare with), by ward, in one query."""
    years = list(years)
    values: dict[int, list[IndicatorValue]] = defaultdict(list)
    for value in IndicatorValue.objects.filter(
        ward_id__in=list(ward_ids),
        code__in=list(codes),
        period_end__year__gte=min(years) - 1,
        period_end__year__lte=max(years),
    ):
        values[value.ward_id].append(value)
    return values


def readings_by_ward(
    indicator: Indicator,
    year: int,
    ward_ids: Iterable[int],
    figures: dict[int, list[IndicatorValue]] | None = None,
) -> dict[int, Reading]:
    """One indicator for many wards in one year (dashboards), from `figures`
    read for several codes at once, else in one query of its own."""
    ids = list(ward_ids)
    if figures is None:
        figures = figures_of(ids, [indicator.code], [year])
    return {ward_id: read(indicator, year, figures.get(ward_id, [])) for ward_id in ids}
