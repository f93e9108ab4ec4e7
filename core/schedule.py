"""Jobs the task worker runs on a schedule.

`WORKER_SCHEDULE` (settings) names each periodic task and how many minutes
apart it runs. A periodic task reschedules itself when it ends, whatever
became of it, and the worker schedules every one when it starts; a task
already waiting is not enqueued again, so restarts and a second worker do
not multiply them. The jobs themselves must be safe to run twice: the
schedule promises "at least once", not "exactly once".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult, TaskResultStatus


def every(task: Any) -> dt.timedelta:
    """How far apart `task` runs, from WORKER_SCHEDULE."""
    return dt.timedelta(minutes=settings.WORKER_SCHEDULE[task.module_path])


def schedule(task: Any, *, after: dt.timedelta = dt.timedelta(0)) -> bool:
    """Enqueue `task` to run `after` from now, unless a run is waiting
    already; returns whether it was enqueued."""
    waiting = DBTaskResult.objects.filter(
        task_path=task.module_path, status=TaskResultStatus.READY
    )
    if waiting.exists():
        return False
    task.using(run_after=timezone.now() + after).enqueue()
    return True


def reschedule(task: Any) -> bool:
    """Enqueue the next run of a periodic task."""
    return schedule(task, after=every(task))


def schedule_all() -> None:
    """Enqueue every periodic task that is not waiting already: the worker
    does this when it starts."""
    for path in settings.WORKER_SCHEDULE:
        schedule(import_string(path))
