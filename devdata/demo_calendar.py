"""The calendar in the demo: the current year's dates for the country, Hà
Nội's own earlier evidence date (so that some of its wards are late), and
the bells of reviewers, leaders and officers filled as the worker would have
filled them, without sending any e-mail.
"""

from __future__ import annotations

import datetime as dt

from accounts.models import User
from assessments.models import ReviewEvent
from assessments.notifications import put_in_bells
from deadlines.models import Calendar
from deadlines.schedule import cycle_end, year_end_window_opens
from reminders.jobs import run_jobs
from wards.models import Province

from .demo_plans import DEMO_PROVINCES, HANOI
from .timeline import DemoYear

# Review events of the current year put in bells: the latest of each
# province.
LATEST_EVENTS = 8


def load_calendar(year: DemoYear) -> None:
    """Dates around the day the demo is loaded: evidence due in a week
    (Hà Nội's three days ago), year-end evidence and proposals later."""
    today = year.end.date()
    first, last = dt.date(year.year, 1, 1), cycle_end(year.year)

    def within(day: dt.date) -> dt.date:
        return min(max(day, first), last)

    national = User.objects.get(username="demo-national")
    year_end_due = within(
        max(year_end_window_opens(year.year), today) + dt.timedelta(days=20)
    )
    Calendar.objects.create(
        year=year.year,
        registration_closes=within(dt.date(year.year, 3, 31)),
        evidence_due=within(today + dt.timedelta(days=7)),
        year_end_evidence_due=year_end_due,
        review_days=7,
        proposal_due=within(year_end_due + dt.timedelta(days=10)),
        set_by=national,
        set_at=year.start,
    )
    hanoi = Province.objects.valid_on(today).get(code=HANOI)
    Calendar.objects.create(
        year=year.year,
        province=hanoi,
        evidence_due=within(today - dt.timedelta(days=3)),
        set_by=User.objects.get(username="demo-leader"),
        set_at=year.start,
    )
    for province in Province.objects.valid_on(today).filter(code__in=DEMO_PROVINCES):
        _latest_in_bells(year, province)
    run_jobs(today, mail=False)


def _latest_in_bells(year: DemoYear, province: Province) -> None:
    latest = (
        ReviewEvent.objects.filter(
            assessment__enrolment__year=year.year,
            assessment__enrolment__ward__province=province,
            action__in=[
                ReviewEvent.Action.SUBMIT,
                ReviewEvent.Action.APPROVE,
                ReviewEvent.Action.RETURN,
            ],
        )
        .select_related(
            "actor", "assessment__enrolment__ward__province", "assessment__criterion"
        )
        .order_by("-created_at", "-pk")[:LATEST_EVENTS]
    )
    for event in reversed(latest):
        put_in_bells(event)
