"""Mail leaves from the task worker: never inside a request, retried, recorded."""

import socket
import threading
import time

import pytest
from django.core import mail
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from assessments import workflow
from tests.factories import add_file

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def hung_mail_server():
    """A mail server that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def smtp_at(port: int) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 0.3},
        }
    }


@pytest.fixture
def submitted_with_the_worker(enrolment, officer, reviewer, settings):
    """A criterion submitted, its mail to the reviewer waiting for the worker."""
    settings.TASKS = DATABASE_TASKS
    assessment = enrolment.assessments.get(criterion__number=1)
    add_file(assessment, officer)
    workflow.submit(assessment, actor=officer)
    return assessment


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_the_mail_not_the_request(submitted_with_the_worker, reviewer):
    assert mail.outbox == []  # the request sent nothing
    (waiting,) = DBTaskResult.objects.all()
    assert waiting.status == "READY" and waiting.task_path.endswith("notify_event")
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert [m.to for m in mail.outbox] == [[reviewer.email]]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


@pytest.mark.django_db(transaction=True)
def test_a_hung_mail_server_delays_no_request_and_loses_no_mail(
    client, enrolment, officer, reviewer, settings, hung_mail_server
):
    settings.TASKS = DATABASE_TASKS
    settings.MAILERS = smtp_at(hung_mail_server)
    settings.MAIL_RETRY_MINUTES = [0, 0]  # try again at once, twice
    assessment = enrolment.assessments.get(criterion__number=1)
    add_file(assessment, officer)
    client.force_login(officer)
    started = time.monotonic()
    response = client.post(assessment.get_absolute_url() + "submit/")
    assert response.status_code == 302
    assert time.monotonic() - started < 1  # no mail server in the request
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    # Three attempts, each given up after the timeout; the last one recorded.
    results = list(DBTaskResult.objects.order_by("enqueued_at"))
    assert [r.status for r in results] == ["SUCCESSFUL", "SUCCESSFUL", "FAILED"]
    assert [r.args_kwargs["kwargs"]["attempt"] for r in results[1:]] == [2, 3]
    assert "timed out" in results[-1].traceback or "timeout" in (
        results[-1].exception_class_path.lower()
    )
    assert mail.outbox == []
