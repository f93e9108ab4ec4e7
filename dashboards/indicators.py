"""Indicators across a province's wards: who meets the rule, who does not,
and how the figures spread.

A code names the same figure in every set (`criteria.Indicator`), so the
page and the export go by code; each ward is read against the indicator of
its own set, which may set another target. The reading itself (the figure
that counts, the change on the year before) is `assessments.indicators`'s.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from assessments.indicators import Reading, figure, figures_of, readings_by_ward
from assessments.models import Enrolment
from core.collation import vi_key
from criteria.models import Indicator


def in_use(enrolments: QuerySet[Enrolment]) -> list[Indicator]:
    """The indicators of the sets these enrolments use, by criterion number
    (one query)."""
    return list(
        Indicator.objects.filter(
            criterion__criteria_set__in=enrolments.values("criteria_set")
        )
        .select_related("criterion")
        .order_by("criterion__number", "position", "pk")
    )


def choices(indicators: Iterable[Indicator]) -> list[Indicator]:
    """One indicator per code, the first in criterion order, to choose from."""
    first: dict[str, Indicator] = {}
    for indicator in indicators:
        first.setdefault(indicator.code, indicator)
    return list(first.values())


@dataclass
class WardReading:
    """One ward's reading of an indicator, with the page to act on it."""

    enrolment: Enrolment
    reading: Reading

    @property
    def url(self) -> str:
        return self.enrolment.criterion_url(self.reading.indicator.criterion.number)


def measure(
    enrolments: list[Enrolment],
    indicators: list[Indicator],
    code: str,
    year: int,
    figures: dict | None = None,
) -> dict[int, WardReading]:
    """The indicator `code` of each enrolment whose set has it, by enrolment
    id: one query per set in use that has it (usually one), never per ward;
    none when the wards' `figures` were read already."""
    by_set = {i.criterion.criteria_set_id: i for i in indicators if i.code == code}
    wards: dict[int, list[Enrolment]] = defaultdict(list)
    for enrolment in enrolments:
        if enrolment.criteria_set_id in by_set:
            wards[enrolment.criteria_set_id].append(enrolment)
    measured: dict[int, WardReading] = {}
    for set_id, of_set in wards.items():
        readings = readings_by_ward(
            by_set[set_id], year, [e.ward_id for e in of_set], figures
        )
        for enrolment in of_set:
            measured[enrolment.pk] = WardReading(enrolment, readings[enrolment.ward_id])
    return measured


@dataclass
class Spread:
    """How the wards measured by an indicator stand against its rule."""

    met: list[WardReading] = field(default_factory=list)
    # A figure that misses the rule, or a change rule with nothing to compare.
    missed: list[WardReading] = field(default_factory=list)
    no_figure: list[WardReading] = field(default_factory=list)
    no_previous: int = 0
    figures: list[Decimal] = field(default_factory=list)
    changes: list[Decimal] = field(default_factory=list)

    @property
    def measured(self) -> int:
        return len(self.met) + len(self.missed) + len(self.no_figure)

    @property
    def figure_stats(self) -> Stats | None:
        return Stats.of(self.figures)

    @property
    def change_stats(self) -> Stats | None:
        return Stats.of(self.changes)


@dataclass(frozen=True)
class Stats:
    low: Decimal
    median: Decimal
    high: Decimal

    @classmethod
    def of(cls, amounts: list[Decimal]) -> Stats | None:
        if not amounts:
            return None
        return cls(min(amounts), statistics.median(amounts), max(amounts))


def spread(measured: Iterable[WardReading]) -> Spread:
    """The wards that meet the rule, miss it and have no figure (each list in
    Vietnamese order of names), with the figures and changes to chart."""
    result = Spread()
    for item in sorted(measured, key=lambda m: vi_key(m.enrolment.ward.name)):
        reading = item.reading
        if reading.value is None:
            result.no_figure.append(item)
            continue
        result.figures.append(reading.value.value)
        if reading.change is not None:
            result.changes.append(reading.change)
        if reading.indicator.compares_years and reading.previous is None:
            result.no_previous += 1
        (result.met if reading.met else result.missed).append(item)
    return result


def bins(
    amounts: list[Decimal], unit: str = "", *, most: int = 10
) -> list[tuple[str, int]]:
    """`(label, count)` bars for a column chart of `amounts`, low to high.

    Whole numbers over a short range get a bar each ("0 vụ", "1 vụ", ...);
    otherwise at most about `most` bars of a round width (1, 2 or 5 times a
    power of ten), each from its lower bound up to, not including, the next.
    """
    if not amounts:
        return []
    low, high = min(amounts), max(amounts)
    if low == high:
        return [(figure(low, unit), len(amounts))]
    whole = all(a == a.to_integral_value() for a in amounts)
    if whole and high - low < most:
        counts = Counter(amounts)
        values = [low + k for k in range(int(high - low) + 1)]
        return [(figure(v, unit), counts.get(v, 0)) for v in values]
    # Figures have two decimals: no bar narrower than 0.01.
    step = max(_round_step((high - low) / most), Decimal("0.01"))
    start = (low / step).to_integral_value(rounding=ROUND_FLOOR) * step
    per_bar = Counter(int((a - start) // step) for a in amounts)
    bars = []
    for k in range(int((high - start) // step) + 1):
        bottom = start + k * step
        # Whole numbers: the last one a bar holds, not the next bar's first.
        top = bottom + step - 1 if whole else bottom + step
        if top == bottom:
            label = figure(bottom, unit)
        else:
            label = f"{figure(bottom)}–{figure(top, unit)}"
        bars.append((label, per_bar.get(k, 0)))
    return bars


def _round_step(raw: Decimal) -> Decimal:
    """The smallest of 1, 2 or 5 times a power of ten that is at least `raw`."""
    power = Decimal(10) ** raw.adjusted()
    return next(power * m for m in (1, 2, 5, 10) if power * m >= raw)


@dataclass
class Column:
    """An indicator code in the ward export: its readings by enrolment id."""

    indicator: Indicator
    readings: dict[int, WardReading]
    compares_years: bool


def columns(
    enrolments: list[Enrolment], indicators: list[Indicator], year: int | None
) -> list[Column]:
    """Each indicator code of the sets in use, read for every ward whose set
    has it: one query for all the wards' figures."""
    if year is None or not indicators:
        return []
    figures = figures_of(
        [e.ward_id for e in enrolments], {i.code for i in indicators}, [year]
    )
    result = []
    for indicator in choices(indicators):
        same_code = [i for i in indicators if i.code == indicator.code]
        result.append(
            Column(
                indicator=indicator,
                readings=measure(enrolments, indicators, indicator.code, year, figures),
                compares_years=any(i.compares_years for i in same_code),
            )
        )
    return result


def stats_rows(result: Spread, indicator: Indicator) -> list[dict]:
    """Lowest, median and highest, as written: of the figures, and of the
    changes for a rule on the change."""
    rows = []
    of = [(_("Figure"), result.figure_stats, indicator.unit)]
    if indicator.compares_years:
        of.append(
            (
                _("Change on the same period of the previous year"),
                result.change_stats,
                "%",
            )
        )
    for label, stats, unit in of:
        if stats is not None:
            rows.append(
                {
                    "label": label,
                    "low": figure(stats.low, unit),
                    "median": figure(stats.median, unit),
                    "high": figure(stats.high, unit),
                }
            )
    return rows
