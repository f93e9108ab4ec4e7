"""When things happen in a demo year: within that year, and never in the future."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils import timezone

from assessments.workflow import year_end_window_opens

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MINUTE = dt.timedelta(minutes=1)


def _local(year: int, month: int, day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=TZ)


@dataclass(frozen=True)
class DemoYear:
    """The stretch of one year in which its demo events happen.

    Work starts in mid-January; a finished year ends before Christmas, the
    current one at the moment the demo is loaded. Year-end criteria can be
    submitted from the day their window opens (`YEAR_END_WINDOW_OPENS`).
    """

    year: int
    start: dt.datetime
    end: dt.datetime
    year_end_opens: dt.datetime

    @classmethod
    def finished(cls, year: int, *, from_day: dt.date | None = None) -> DemoYear:
        """A past year; with `from_day`, its work starts then (a unit formed
        during the year) if that is after mid-January."""
        start = _local(year, 1, 15, 8)
        if from_day is not None and from_day > start.date():
            start = _local(year, from_day.month, from_day.day, 8)
        return cls(
            year,
            start=start,
            end=_local(year, 12, 20, 17),
            year_end_opens=_window(year),
        )

    @classmethod
    def current(cls, now: dt.datetime) -> DemoYear:
        now = timezone.localtime(now, TZ)
        new_year = _local(now.year, 1, 1)
        end = max(now - dt.timedelta(minutes=30), new_year)
        start = _local(now.year, 1, 15, 8)
        if end - start < dt.timedelta(days=30):
            start = new_year  # early in the year: what there is, from New Year
        return cls(now.year, start=start, end=end, year_end_opens=_window(now.year))

    @property
    def year_end_open(self) -> bool:
        """Whether year-end criteria could be submitted and decided by its end."""
        return self.end - self.year_end_opens >= dt.timedelta(days=3)

    def at(self, rng: random.Random, low: float, high: float) -> dt.datetime:
        """A moment between the fractions `low` and `high` of the year's stretch."""
        moment = self.start + (self.end - self.start) * rng.uniform(low, high)
        return self._working_hours(moment, rng, not_before=self.start)

    def after(
        self, rng: random.Random, moment: dt.datetime, *, days: tuple[float, float]
    ) -> dt.datetime:
        """A moment some `days` (a range) after `moment`, and after it in any case."""
        later = moment + dt.timedelta(days=rng.uniform(*days))
        return self._working_hours(later, rng, not_before=moment + MINUTE)

    def in_window(self, rng: random.Random, *, not_before: dt.datetime) -> dt.datetime:
        """A moment in the first weeks of the year-end window, a day before the end."""
        last = min(
            self.year_end_opens + dt.timedelta(days=25), self.end - dt.timedelta(days=1)
        )
        moment = self.year_end_opens + (last - self.year_end_opens) * rng.random()
        floor = max(self.year_end_opens, not_before + MINUTE)
        return self._working_hours(moment, rng, not_before=floor)

    def recent(
        self, rng: random.Random, *, not_before: dt.datetime, days: int = 14
    ) -> dt.datetime:
        """A moment in the last `days` days before the end (and after `not_before`)."""
        moment = self.end - dt.timedelta(
            days=rng.randint(0, days - 1), hours=rng.randint(1, 20)
        )
        return min(max(moment, not_before + MINUTE, self.start), self.end)

    def _working_hours(
        self, moment: dt.datetime, rng: random.Random, *, not_before: dt.datetime
    ) -> dt.datetime:
        if self.end - self.start > dt.timedelta(days=30):
            # People work in office hours, on the day drawn.
            moment = moment.replace(hour=rng.randint(8, 16), minute=rng.randint(0, 59))
        return min(max(moment, not_before), self.end)


def _window(year: int) -> dt.datetime:
    return dt.datetime.combine(year_end_window_opens(year), dt.time(8), tzinfo=TZ)
