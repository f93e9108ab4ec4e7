"""The calendar's periodic task: reminders, escalations, expiry warnings and
the digests that are due, every CALENDAR_EVERY_MINUTES."""

from __future__ import annotations

from django.tasks import task
from django.utils import timezone

from core.schedule import reschedule

from .digests import due, send_digests
from .jobs import run_jobs


@task
def run_calendar() -> dict[str, int]:
    """Run the calendar's jobs for now, then schedule the next run,
    whatever became of this one. Safe to run twice: nothing is sent twice."""
    try:
        now = timezone.now()
        report = run_jobs(timezone.localdate(now))
        for kind in due(now):
            for outcome, n in send_digests(kind, timezone.localdate(now)).items():
                report[f"{kind} digest {outcome}"] = n
    finally:
        reschedule(run_calendar)
    return report
