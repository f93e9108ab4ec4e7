"""Work the task worker does on a schedule: the sweep of left-over files."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.tasks import task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, TaskResultStatus

from .sweep import sweep


@task
def sweep_files() -> dict[str, int]:
    """Run the sweep, then schedule the next one, whatever became of this one."""
    try:
        report = sweep(grace=dt.timedelta(hours=settings.SWEEP_GRACE_HOURS))
    finally:
        schedule_sweep(after=dt.timedelta(hours=settings.SWEEP_EVERY_HOURS))
    return {"orphans": len(report.orphans), "temporary": len(report.temporary)}


def schedule_sweep(*, after: dt.timedelta = dt.timedelta(0)) -> None:
    """Enqueue the next sweep, unless one is waiting already."""
    waiting = DBTaskResult.objects.filter(
        task_path=sweep_files.module_path, status=TaskResultStatus.READY
    )
    if not waiting.exists():
        sweep_files.using(run_after=timezone.now() + after).enqueue()
