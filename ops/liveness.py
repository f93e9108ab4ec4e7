"""Task workers that died in the middle of a task: the task is run again.

django-tasks-db marks a task RUNNING when a worker takes it, and nothing
looks at it again: a worker killed (SIGKILL, out of memory, a lost machine)
would leave it RUNNING for ever, its mail never sent. So each worker of
`manage.py worker` says it is alive every WORKER_BEAT_SECONDS (a
`WorkerBeat` row), and at each beat gives back to the queue the tasks of
workers silent for WORKER_LOST_SECONDS, for whoever is alive to run; a task
lost LOST_RUNS_LIMIT times (one that kills its worker) is recorded as
failed instead.

The tasks are written to be run again: a notification's rows are taken
before its mail goes and marked mailed after
(`notifications.services.send_mail_for`), so a worker killed before the
mark leaves them to the next run, which takes them once its claim lapses,
and one that got past it leaves nothing; the calendar makes each reminder
once per key; the sweep removes what is still left over.

The hosts' clocks must agree to well within WORKER_LOST_SECONDS (NTP): each
worker writes its own time.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, TaskResultStatus

from .models import WorkerBeat

logger = logging.getLogger(__name__)

#: A task whose workers died this many times is failed, not run again.
LOST_RUNS_LIMIT = 3
#: How a task given up that way is recorded.
LOST_EXCEPTION = "ops.liveness.WorkerLost"


def beat(worker_id: str, *, now: dt.datetime | None = None) -> None:
    """Say that the worker `worker_id` (this process) is alive."""
    now = now or timezone.now()
    if not WorkerBeat.objects.filter(worker_id=worker_id).update(seen_at=now):
        WorkerBeat.objects.create(
            worker_id=worker_id,
            host=socket.gethostname()[:255],
            pid=os.getpid(),
            started_at=now,
            seen_at=now,
        )


def alive(now: dt.datetime) -> QuerySet[WorkerBeat]:
    """The workers seen within WORKER_LOST_SECONDS before `now`."""
    return WorkerBeat.objects.filter(seen_at__gte=_lost_before(now))


def _lost_before(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(seconds=settings.WORKER_LOST_SECONDS)


def stopped(worker_id: str) -> None:
    """The worker stopped on its own: it is no longer waited for."""
    WorkerBeat.objects.filter(worker_id=worker_id).delete()


def requeue_lost(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """Give the tasks of lost workers back to the queue; returns how many were
    given back and how many recorded as failed.

    A running task is lost when its worker (the last that took it) has not
    been seen for WORKER_LOST_SECONDS, or never was (a worker without
    beats) and the task started that long ago. Each task is changed only if
    it is still the run that was seen, so two workers doing this at once
    change it once.
    """
    now = now or timezone.now()
    lost_before = _lost_before(now)
    seen = set(alive(now).values_list("worker_id", flat=True))
    requeued = failed = 0
    running = DBTaskResult.objects.running().values_list(
        "pk", "started_at", "worker_ids", "task_path"
    )
    for pk, started_at, worker_ids, task_path in running:
        claimant = worker_ids[-1] if worker_ids else None
        if claimant in seen or (started_at is not None and started_at >= lost_before):
            continue
        same_run = DBTaskResult.objects.filter(
            pk=pk, status=TaskResultStatus.RUNNING, started_at=started_at
        )
        if len(worker_ids) >= LOST_RUNS_LIMIT:
            changed = same_run.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=LOST_EXCEPTION,
                traceback=(
                    f"The workers running this task stopped {len(worker_ids)} "
                    f"times without finishing it ({', '.join(worker_ids)}).\n"
                ),
            )
            failed += changed
            if changed:
                logger.error("Task %s (%s) lost its workers: failed.", pk, task_path)
        else:
            changed = same_run.update(status=TaskResultStatus.READY, started_at=None)
            requeued += changed
            if changed:
                logger.warning(
                    "Task %s (%s): worker %s was lost; queued again.",
                    pk,
                    task_path,
                    claimant,
                )
    WorkerBeat.objects.filter(seen_at__lt=lost_before).delete()
    return requeued, failed
