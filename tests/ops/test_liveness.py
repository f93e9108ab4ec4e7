"""Task workers that die in the middle of a task (`ops.liveness`): the task
is queued again for another, once, and failed after LOST_RUNS_LIMIT deaths."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, TaskResultStatus

from notifications.models import Kind, Notification
from notifications.services import mail_notification, notify
from ops import liveness
from ops.models import WorkerBeat
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.WORKER_LOST_SECONDS = 60


def taken(worker_ids: list[str], started: dt.datetime, key: str = "k") -> DBTaskResult:
    """A mail task that the workers `worker_ids` took, the last at `started`."""
    result = mail_notification.enqueue(key=key)
    row = DBTaskResult.objects.get(pk=result.id)
    row.status = TaskResultStatus.RUNNING
    row.started_at = started
    row.worker_ids = worker_ids
    row.save()
    return row


def test_the_task_of_a_silent_worker_is_queued_again():
    now = timezone.now()
    liveness.beat("dead", now=now - dt.timedelta(seconds=61))
    liveness.beat("alive", now=now)
    lost = taken(["dead"], now - dt.timedelta(seconds=90), key="lost")
    busy = taken(["alive"], now - dt.timedelta(hours=1), key="busy")
    assert liveness.requeue_lost(now=now) == (1, 0)
    lost.refresh_from_db()
    busy.refresh_from_db()
    assert (lost.status, lost.started_at) == (TaskResultStatus.READY, None)
    assert busy.status == TaskResultStatus.RUNNING  # a long task of a live worker
    # The dead worker is forgotten; doing it again changes nothing.
    assert list(WorkerBeat.objects.values_list("worker_id", flat=True)) == ["alive"]
    assert liveness.requeue_lost(now=now) == (0, 0)


def test_a_task_of_a_worker_without_beats_waits_for_the_grace_period():
    now = timezone.now()
    recent = taken(["unknown"], now - dt.timedelta(seconds=30), key="recent")
    old = taken(["unknown"], now - dt.timedelta(seconds=61), key="old")
    assert liveness.requeue_lost(now=now) == (1, 0)
    recent.refresh_from_db()
    old.refresh_from_db()
    assert recent.status == TaskResultStatus.RUNNING
    assert old.status == TaskResultStatus.READY


def test_a_task_that_kills_its_workers_is_failed_at_last():
    now = timezone.now()
    row = taken(["a", "b", "c"], now - dt.timedelta(minutes=5))
    assert liveness.requeue_lost(now=now) == (0, 1)
    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED
    assert row.exception_class_path == liveness.LOST_EXCEPTION
    assert "3 times" in row.traceback


def test_a_run_that_changed_meanwhile_is_left_alone(monkeypatch):
    """Another worker queued it again between the look and the change."""
    now = timezone.now()
    row = taken(["dead"], now - dt.timedelta(minutes=5))
    running = DBTaskResult.objects.running

    class SeenThenChanged:
        def values_list(self, *fields):
            seen = list(running().values_list(*fields))
            DBTaskResult.objects.filter(pk=row.pk).update(
                status=TaskResultStatus.READY, started_at=None
            )
            return seen

    monkeypatch.setattr(DBTaskResult.objects, "running", SeenThenChanged)
    assert liveness.requeue_lost(now=now) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_lost_task_and_the_mail_goes_once(mailoutbox):
    """A worker died after taking a mail task: the next worker started gives
    it back to the queue, runs it, and the mail goes once."""
    person = UserFactory(email="an@example.vn")
    notify([person], kind=Kind.REMINDER, key="k:lost", title="Nhắc việc")
    row = taken(["dead"], timezone.now() - dt.timedelta(minutes=5), key="k:lost")
    call_command("worker", "--batch", verbosity=0)
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.return_value == 1 and len(row.worker_ids) == 2
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["an@example.vn"]
    assert Notification.objects.get(key="k:lost").mailed_at is not None
    # A worker that stopped on its own is no longer listed as alive.
    assert not WorkerBeat.objects.exists()
