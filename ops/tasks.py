"""Work the task worker does on a schedule: the sweep of left-over files."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.tasks import task

from core.schedule import reschedule

from .sweep import sweep


@task
def sweep_files() -> dict[str, int]:
    """Run the sweep, then schedule the next one, whatever became of this one."""
    try:
        report = sweep(grace=dt.timedelta(hours=settings.SWEEP_GRACE_HOURS))
    finally:
        reschedule(sweep_files)
    return {"orphans": len(report.orphans), "temporary": len(report.temporary)}
