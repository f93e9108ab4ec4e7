"""The demo loaded on other days of the year: its events stay within their year."""

import datetime as dt
from collections import Counter

import pytest

from assessments.models import Assessment, Enrolment
from devdata import demo
from devdata.demo_plans import PLANS_NOW, PLANS_PAST
from devdata.timeline import TZ
from tests.devdata.checks import (
    out_of_order,
    out_of_their_year,
    unmet_indicators,
    year_end_submitted_early,
)

DAYS = [
    dt.datetime(2027, 1, 1, 0, 10, tzinfo=TZ),  # minutes into a new year
    dt.datetime(2027, 1, 3, 9, 0, tzinfo=TZ),
    dt.datetime(2027, 6, 10, 15, 0, tzinfo=TZ),
    dt.datetime(2026, 11, 16, 10, 0, tzinfo=TZ),  # the day after the window opens
    dt.datetime(2026, 12, 31, 23, 50, tzinfo=TZ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("now", DAYS, ids=[f"{d:%Y-%m-%d}" for d in DAYS])
def test_loaded_on_any_day_the_events_stay_within_their_year(now):
    demo.load_demo(now=now, only_demo_provinces=True)
    assert Counter(Enrolment.objects.values_list("year", flat=True)) == {
        2023: len(PLANS_PAST),
        # Hạc Thành the year before: evidence to carry over (demo_validity).
        now.year - 1: 1,
        now.year: len(PLANS_NOW),
    }
    assert out_of_their_year(now) == []
    assert out_of_order() == []
    assert year_end_submitted_early() == []
    assert unmet_indicators() == []
    # The figures hold on any day: 2023's, and the current year's.
    an_hung = Enrolment.objects.with_progress().get(ward__code="16435", year=2023)
    assert an_hung.progress == "18/22"
    hanoi = Enrolment.objects.with_progress().filter(
        ward__province__code="01", year=2023
    )
    assert Counter(e.progress for e in hanoi) == {
        "19/22": 3,
        "18/22": 11,
        "16/22": 6,
        "15/22": 6,
    }
    hac_thanh = Enrolment.objects.with_progress().get(ward__code="14797", year=now.year)
    assert hac_thanh.progress == "15/22"
    assert not Assessment.objects.filter(
        enrolment__year=2023, status="submitted"
    ).exists()


@pytest.mark.django_db
def test_before_the_window_opens_year_end_criteria_wait(settings):
    now = dt.datetime(2027, 6, 10, 15, 0, tzinfo=TZ)
    demo.load_demo(now=now, only_demo_provinces=True)
    year_end = Assessment.objects.filter(
        enrolment__year=2027, criterion__assessed="year_end"
    )
    assert set(year_end.values_list("status", flat=True)) <= {
        "in_progress",
        "not_started",
    }
    # Hạc Thành's criterion 10 waits for review all the same.
    hac_thanh = Assessment.objects.filter(
        enrolment__ward__code="14797", enrolment__year=2027
    )
    assert hac_thanh.get(criterion__number=10).status == "submitted"
