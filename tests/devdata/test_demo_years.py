"""The demo loaded on other days of the year: its events stay within their year."""

import datetime as dt
from collections import Counter

import pytest

from assessments.models import Assessment, Enrolment
from devdata import demo
from devdata.timeline import TZ
from tests.devdata.checks import (
    out_of_order,
    out_of_their_year,
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
    demo.load_demo(now=now)
    assert Counter(Enrolment.objects.values_list("year", flat=True)) == {
        now.year - 1: len(demo.PLANS),
        now.year: len(demo.PLANS),
    }
    assert out_of_their_year(now) == []
    assert out_of_order() == []
    assert year_end_submitted_early() == []
    # The figures of the current year hold on any day.
    an_hung = Enrolment.objects.with_progress().get(ward__code="38001", year=now.year)
    assert an_hung.progress == "18/22"
    hanoi = Enrolment.objects.with_progress().filter(
        ward__province__name="Hà Nội", year=now.year
    )
    assert Counter(e.progress for e in hanoi) == {
        "19/22": 3,
        "18/22": 11,
        "16/22": 6,
        "15/22": 6,
    }


@pytest.mark.django_db
def test_before_the_window_opens_year_end_criteria_wait(settings):
    now = dt.datetime(2027, 6, 10, 15, 0, tzinfo=TZ)
    demo.load_demo(now=now)
    year_end = Assessment.objects.filter(
        enrolment__year=2027, criterion__assessed="year_end"
    )
    assert set(year_end.values_list("status", flat=True)) <= {
        "in_progress",
        "not_started",
    }
    # An Hưng's one other criterion waits for review, its year-end ones later.
    an_hung = Assessment.objects.filter(
        enrolment__ward__code="38001", enrolment__year=2027
    )
    assert an_hung.filter(status="submitted").count() == 1
