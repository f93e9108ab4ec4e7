"""The admin page "Worker and schedule": /admin/worker/."""

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from django_tasks_db.models import DBTaskResult, TaskResultStatus

from notifications.models import Notification
from reminders.models import SentDigest
from tests.factories import UserFactory

URL = "/admin/worker/"
SWEEP = "ops.tasks.sweep_files"
CALENDAR = "reminders.tasks.run_calendar"

pytestmark = pytest.mark.django_db


def run(
    path, status, *, ago=dt.timedelta(hours=1), took=dt.timedelta(seconds=2), **fields
):
    """A row of the task table: a run of `path` that ended `ago`, or one
    waiting (READY) until `ago` from now when `ago` is negative."""
    now = timezone.now()
    finished = status in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED)
    return DBTaskResult.objects.create(
        task_path=path,
        status=status,
        args_kwargs={"args": [], "kwargs": {}},
        backend_name="default",
        run_after=now - ago,
        started_at=now - ago - took if finished else None,
        finished_at=now - ago if finished else None,
        exception_class_path=fields.pop("exception_class_path", ""),
        traceback=fields.pop("traceback", ""),
        **fields,
    )


def fail(path, *, ago=dt.timedelta(hours=1), error="smtplib.SMTPServerDisconnected"):
    return run(
        path,
        TaskResultStatus.FAILED,
        ago=ago,
        exception_class_path=error,
        traceback=(
            "Traceback (most recent call last):\n"
            '  File "x.py", line 1, in <module>\n'
            f"{error}: Connection unexpectedly closed\n"
        ),
    )


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def schedule(settings):
    settings.WORKER_SCHEDULE = {SWEEP: 24 * 60, CALENDAR: 15}
    return settings.WORKER_SCHEDULE


def test_a_superuser_sees_the_next_run_and_the_last_failure(staff_client, schedule):
    waiting = run(SWEEP, TaskResultStatus.READY, ago=-dt.timedelta(hours=3))
    run(SWEEP, TaskResultStatus.SUCCESSFUL, return_value={"orphans": 2, "temporary": 0})
    run(CALENDAR, TaskResultStatus.READY, ago=-dt.timedelta(minutes=5))
    fail(CALENDAR, ago=dt.timedelta(days=2), error="builtins.OldError")
    fail(CALENDAR, error="builtins.ValueError")
    fail(CALENDAR, ago=dt.timedelta(days=9), error="builtins.LongAgoError")
    fail("assessments.notifications.notify_event")
    Notification.objects.create(
        user=UserFactory(),
        kind="reminder",
        key="k",
        title="t",
        mailed_at=timezone.now(),
    )
    SentDigest.objects.create(
        user=UserFactory(username="digest-reader"),
        kind="daily",
        day=timezone.localdate(),
        status=SentDigest.Status.FAILED,
        error="Mailbox unavailable",
    )

    response = staff_client.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Tiến trình nền và lịch chạy" in page
    assert "Dọn các tệp còn sót lại" in page  # the job's name
    shown = date_format(timezone.localtime(waiting.run_after), "SHORT_DATETIME_FORMAT")
    assert shown in page
    jobs = {job.path: job for job in response.context["jobs"]}
    assert jobs[SWEEP].next_run == waiting.run_after
    assert jobs[SWEEP].hours == 24 and jobs[CALENDAR].minutes == 15
    assert jobs[SWEEP].last_run.status == TaskResultStatus.SUCCESSFUL
    assert jobs[SWEEP].last_run.seconds == pytest.approx(2)
    assert jobs[SWEEP].last_run.return_value == '{"orphans": 2, "temporary": 0}'
    assert "{&quot;orphans&quot;: 2, &quot;temporary&quot;: 0}" in page
    assert jobs[SWEEP].failure is None
    failure = jobs[CALENDAR].failure
    assert failure.count == 2  # the one of 9 days ago is not counted
    assert failure.exception_class_path == "builtins.ValueError"
    assert "builtins.ValueError" in page
    assert "ValueError: Connection unexpectedly closed" in page
    assert "OldError" not in page and "LongAgoError" not in page
    assert "chưa được lên lịch" not in page
    assert "không chạy hoặc chưa từng khởi động" not in page
    assert "không có tiến trình nền nào nhận việc" not in page
    mail = response.context["mail"]
    assert mail.notifications_mailed == 1
    assert [f.task_path for f in mail.failed_tasks] == [
        "assessments.notifications.notify_event"
    ]
    assert "digest-reader" in page and "Mailbox unavailable" in page
    queue = response.context["queue"]
    assert (queue.ready, queue.running, queue.failed) == (2, 0, 4)


def test_the_admin_index_links_to_the_page(staff_client):
    assert f'href="{URL}"' in staff_client.get("/admin/").content.decode()


def test_a_user_who_is_not_staff_is_sent_to_the_admin_login(client, schedule):
    fail(CALENDAR, error="builtins.SecretError")
    client.force_login(UserFactory())

    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert "SecretError" not in response.content.decode()


def test_staff_without_the_permission_get_a_404(client, schedule):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(URL).status_code == 404


def test_a_job_with_no_waiting_run_is_not_scheduled(staff_client, schedule):
    run(CALENDAR, TaskResultStatus.READY, ago=-dt.timedelta(minutes=5))
    run(SWEEP, TaskResultStatus.SUCCESSFUL)  # ran, but no next run is waiting

    response = staff_client.get(URL)

    jobs = {job.path: job for job in response.context["jobs"]}
    assert not jobs[SWEEP].scheduled and jobs[CALENDAR].scheduled
    assert response.content.decode().count("chưa được lên lịch") == 1
    # Said once, at the top, in words.
    assert "tiến trình nền không chạy hoặc chưa từng khởi động" in response.text


def test_a_task_waiting_long_past_its_time_raises_the_warning(staff_client, schedule):
    run(CALENDAR, TaskResultStatus.READY, ago=dt.timedelta(minutes=9))
    assert (
        "không có tiến trình nền nào nhận việc"
        not in staff_client.get(URL).content.decode()
    )

    run(SWEEP, TaskResultStatus.READY, ago=dt.timedelta(minutes=11))
    response = staff_client.get(URL)

    assert response.context["queue"].stale
    assert "không có tiến trình nền nào nhận việc" in response.content.decode()


@pytest.mark.parametrize("rows", [1, 5])
def test_the_page_costs_the_same_queries_however_many_jobs_and_runs(
    rows, staff_client, settings, django_assert_num_queries
):
    paths = [SWEEP, CALENDAR, "ops.tasks.a", "ops.tasks.b", "ops.tasks.c"][:rows]
    settings.WORKER_SCHEDULE = dict.fromkeys(paths, 60)
    for path in paths:
        run(path, TaskResultStatus.READY, ago=-dt.timedelta(minutes=5))
        for _ in range(rows):
            run(path, TaskResultStatus.SUCCESSFUL)
            fail(path)
            fail(f"{path}.notify_event")
            SentDigest.objects.create(
                user=UserFactory(),
                kind="daily",
                day=timezone.localdate(),
                status="failed",
            )
    staff_client.get(URL)  # the session and the user, once

    # 5 for the request itself: the session, the user, the second factor, the
    # scope's memberships; 8 for the figures.
    with django_assert_num_queries(13):
        response = staff_client.get(URL)

    assert len(response.context["jobs"]) == rows


def test_the_workers_alive_are_listed_and_the_silent_ones_not(staff_client, settings):
    from ops import liveness

    settings.WORKER_LOST_SECONDS = 60
    now = timezone.now()
    liveness.beat("alive", now=now - dt.timedelta(seconds=5))
    liveness.beat("silent", now=now - dt.timedelta(seconds=61))
    response = staff_client.get(URL)
    assert [beat.worker_id for beat in response.context["workers"]] == ["alive"]
    assert "Tiến trình xử lý tác vụ đang chạy" in response.content.decode()
