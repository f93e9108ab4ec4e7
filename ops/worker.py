"""What the task worker has done and is about to do: the figures of the admin
page "Worker and schedule" (`ops.views.worker_page`).

Each function reads the database only, in a fixed number of queries whatever
the number of jobs or of their past runs: grouped counts, and the one row
that matters per task (its next run, its last run, its last failure).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Case, Count, F, Max, Min, OuterRef, Q, Subquery, When
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult, TaskResultStatus, get_date_max

from notifications.models import Notification
from reminders.models import SentDigest

from . import liveness
from .models import WorkerBeat

#: How far back failures are counted.
FAILURE_WINDOW = dt.timedelta(days=7)
#: A task waiting longer than this past its time means nobody takes tasks.
STALE_AFTER = dt.timedelta(minutes=10)
#: The tasks that send mail, by the end of their path.
MAIL_TASKS = ("notify_event", "notify_recognition", "mail_notification")
#: How much of a return value and of a traceback the page shows.
RETURN_VALUE_CHARS = 120
TRACEBACK_LINES = 6
#: At most this many failed digests of today are listed one by one.
FAILED_DIGESTS_SHOWN = 20


@dataclass(frozen=True)
class Failure:
    """The last failure of one task in the window, and how many there were."""

    task_path: str
    count: int
    finished_at: dt.datetime | None
    exception_class_path: str
    traceback_head: str


@dataclass(frozen=True)
class LastRun:
    """How the last finished run of a job ended."""

    status: str
    finished_at: dt.datetime | None
    duration: dt.timedelta | None
    return_value: str

    @property
    def status_label(self) -> str:
        """The status, as django-tasks names it."""
        try:
            return str(TaskResultStatus(self.status).label)
        except ValueError:
            return self.status

    @property
    def seconds(self) -> float | None:
        """How long the run took, in seconds."""
        return None if self.duration is None else self.duration.total_seconds()

    @property
    def failed(self) -> bool:
        """Whether the run failed."""
        return self.status == TaskResultStatus.FAILED


@dataclass(frozen=True)
class Job:
    """One periodic job of WORKER_SCHEDULE, as the page shows it."""

    path: str
    name: str
    minutes: int
    next_run: dt.datetime | None
    last_run: LastRun | None
    failure: Failure | None

    @property
    def every(self) -> dt.timedelta:
        """How far apart the job runs."""
        return dt.timedelta(minutes=self.minutes)

    @property
    def hours(self) -> int | None:
        """How many hours apart the job runs, when that is a whole number."""
        return (
            self.minutes // 60 if self.minutes >= 60 and not self.minutes % 60 else None
        )

    @property
    def scheduled(self) -> bool:
        """Whether a run is waiting: if not, no worker schedules it."""
        return self.next_run is not None


@dataclass(frozen=True)
class Queue:
    """The queue as a whole, and whether the worker seems alive."""

    ready: int
    running: int
    failed: int
    last_started_at: dt.datetime | None
    oldest_due: dt.datetime | None
    now: dt.datetime

    @property
    def stale(self) -> bool:
        """A waiting task is more than STALE_AFTER past its time: nobody is
        taking tasks."""
        return self.oldest_due is not None and self.oldest_due < self.now - STALE_AFTER

    @property
    def late_by(self) -> dt.timedelta | None:
        """How late the oldest waiting task is, if it is late at all."""
        if self.oldest_due is None or self.oldest_due >= self.now:
            return None
        return self.now - self.oldest_due


@dataclass(frozen=True)
class FailedDigest:
    """One digest of today that could not be sent."""

    user: str
    kind: str
    attempts: int
    error: str


@dataclass
class Mail:
    """The mail of today (local date)."""

    day: dt.date
    notifications_mailed: int
    #: {kind label: {status: count}} of today's digests.
    digests: dict[str, dict[str, int]] = field(default_factory=dict)
    failed_digests: list[FailedDigest] = field(default_factory=list)
    failed_tasks: list[Failure] = field(default_factory=list)


def _due() -> Case:
    """When a waiting task is due: its run_after, or its enqueued_at when it
    was enqueued to run at once (django-tasks-db stores a far-future
    run_after for those)."""
    return Case(
        When(run_after=get_date_max(), then=F("enqueued_at")),
        default=F("run_after"),
    )


#: What the jobs of the project's WORKER_SCHEDULE are called on the page.
NAMES = {
    "ops.tasks.sweep_files": _("The sweep of left-over files"),
    "reminders.tasks.run_calendar": _(
        "The calendar: reminders, escalations, expiry warnings and digests"
    ),
}


def _task_name(path: str) -> str:
    """The job's name, else the first sentence of its task's docstring, or
    its path."""
    if path in NAMES:
        return str(NAMES[path])
    try:
        task = import_string(path)
    except ImportError:
        return path
    doc = getattr(getattr(task, "func", task), "__doc__", None) or ""
    paragraph = " ".join(doc.strip().split("\n\n")[0].split())
    sentence, stop, _rest = paragraph.partition(". ")
    return (sentence + "." if stop else sentence) or path


def _short(value: Any) -> str:
    """A return value in at most RETURN_VALUE_CHARS characters."""
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if len(text) > RETURN_VALUE_CHARS:
        return text[: RETURN_VALUE_CHARS - 1] + "…"
    return text


def _traceback_head(traceback: str) -> str:
    """The first TRACEBACK_LINES lines of a traceback, and its last line (the
    exception and its message) when it is longer."""
    lines = traceback.rstrip().splitlines()
    if len(lines) <= TRACEBACK_LINES + 1:
        return "\n".join(lines)
    return "\n".join([*lines[:TRACEBACK_LINES], "…", lines[-1]])


def recent_failures(
    paths: Iterable[str] = (), *, endings: Iterable[str] = (), now: dt.datetime
) -> dict[str, Failure]:
    """The last failure of each task, among `paths` and the paths ending in
    one of `endings`, that failed within FAILURE_WINDOW, with the number of
    its failures in the window. One query."""
    which = Q(task_path__in=list(paths))
    for ending in endings:
        which |= Q(task_path__endswith=ending)
    failed = DBTaskResult.objects.filter(
        which, status=TaskResultStatus.FAILED, finished_at__gte=now - FAILURE_WINDOW
    )
    same_task = failed.filter(task_path=OuterRef("task_path"))
    last = same_task.order_by("-finished_at", "-enqueued_at").values("pk")[:1]
    count = (
        same_task.order_by().values("task_path").annotate(n=Count("pk")).values("n")[:1]
    )
    rows = (
        failed.filter(pk=Subquery(last))
        .annotate(failures=Subquery(count))
        .order_by("task_path")
        .values(
            "task_path",
            "failures",
            "finished_at",
            "exception_class_path",
            "traceback",
        )
    )
    return {
        row["task_path"]: Failure(
            task_path=row["task_path"],
            count=row["failures"] or 1,
            finished_at=row["finished_at"],
            exception_class_path=row["exception_class_path"],
            traceback_head=_traceback_head(row["traceback"]),
        )
        for row in rows
    }


def jobs(now: dt.datetime | None = None) -> list[Job]:
    """Every periodic job of WORKER_SCHEDULE, in its order: when it runs
    next, how its last run ended, its failures of the last days. Three
    queries, whatever the number of jobs and runs."""
    now = now or timezone.now()
    schedule: dict[str, int] = settings.WORKER_SCHEDULE
    paths = list(schedule)
    next_runs = dict(
        DBTaskResult.objects.filter(task_path__in=paths, status=TaskResultStatus.READY)
        .order_by()
        .values("task_path")
        .annotate(due=Min(_due()))
        .values_list("task_path", "due")
    )
    finished = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
        finished_at__isnull=False,
    )
    last = (
        finished.filter(task_path=OuterRef("task_path"))
        .order_by("-finished_at", "-enqueued_at")
        .values("pk")[:1]
    )
    last_runs = {
        row["task_path"]: LastRun(
            status=row["status"],
            finished_at=row["finished_at"],
            duration=(
                row["finished_at"] - row["started_at"]
                if row["started_at"] and row["finished_at"]
                else None
            ),
            return_value=_short(row["return_value"]),
        )
        for row in finished.filter(task_path__in=paths, pk=Subquery(last)).values(
            "task_path", "status", "started_at", "finished_at", "return_value"
        )
    }
    failures = recent_failures(paths, now=now)
    return [
        Job(
            path=path,
            name=_task_name(path),
            minutes=minutes,
            next_run=next_runs.get(path),
            last_run=last_runs.get(path),
            failure=failures.get(path),
        )
        for path, minutes in schedule.items()
    ]


def queue(now: dt.datetime | None = None) -> Queue:
    """How many tasks wait, run and failed; when a task last started; when
    the oldest waiting task was due. One query."""
    now = now or timezone.now()
    ready = Q(status=TaskResultStatus.READY)
    figures = DBTaskResult.objects.aggregate(
        ready=Count("pk", filter=ready),
        running=Count("pk", filter=Q(status=TaskResultStatus.RUNNING)),
        failed=Count("pk", filter=Q(status=TaskResultStatus.FAILED)),
        last_started_at=Max("started_at"),
        oldest_due=Min(_due(), filter=ready),
    )
    return Queue(now=now, **figures)


def workers(now: dt.datetime | None = None) -> list[WorkerBeat]:
    """The task workers that said they are alive within WORKER_LOST_SECONDS
    (`ops.liveness`), by host and process. One query."""
    return list(liveness.alive(now or timezone.now()).order_by("host", "pid"))


def _start_of(day: dt.date) -> dt.datetime:
    """The first moment of a local day."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def mail(now: dt.datetime | None = None) -> Mail:
    """Today's mail: notifications e-mailed, digests by kind and status (the
    failed ones with their error), mail tasks that failed in the last days.
    Four queries."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    start = _start_of(today)
    report = Mail(
        day=today,
        notifications_mailed=Notification.objects.filter(
            mailed_at__gte=start, mailed_at__lt=start + dt.timedelta(days=1)
        ).count(),
    )
    kinds = dict(SentDigest._meta.get_field("kind").flatchoices)
    for row in (
        SentDigest.objects.filter(day=today)
        .order_by()
        .values("kind", "status")
        .annotate(n=Count("pk"))
        .order_by("kind", "status")
    ):
        by_status = report.digests.setdefault(
            str(kinds.get(row["kind"], row["kind"])), {}
        )
        by_status[row["status"]] = row["n"]
    report.failed_digests = [
        FailedDigest(
            user=digest.user.get_username(),
            kind=digest.get_kind_display(),
            attempts=digest.attempts,
            error=digest.error,
        )
        for digest in SentDigest.objects.filter(
            day=today, status=SentDigest.Status.FAILED
        )
        .select_related("user")
        .order_by("kind", "user__username")[:FAILED_DIGESTS_SHOWN]
    ]
    report.failed_tasks = list(recent_failures(endings=MAIL_TASKS, now=now).values())
    return report


#: The statuses of a digest (value, label), in the order the page shows them.
DIGEST_STATUSES: tuple[tuple[str, Any], ...] = tuple(SentDigest.Status.choices)


def digest_rows(report: Mail) -> list[tuple[str, list[int]]]:
    """Today's digests as table rows: kind, then a count per DIGEST_STATUSES."""
    return [
        (kind, [by_status.get(status, 0) for status, _label in DIGEST_STATUSES])
        for kind, by_status in report.digests.items()
    ]
