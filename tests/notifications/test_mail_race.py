"""A notification's mail while others touch its rows, on PostgreSQL."""

import threading
import time

import pytest
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from notifications import services
from notifications.models import Kind, Notification
from notifications.services import mail_notification, notify
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def in_thread(action) -> threading.Thread:
    def run():
        try:
            action()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_row_being_marked_read_is_waited_for_not_left_out(mailoutbox):
    """Someone opens the page that marks it read while the worker takes it:
    the worker waits a moment and mails it now, not in WORKER_LOST_SECONDS."""
    notify([UserFactory(email="an@example.vn")], kind=Kind.REVIEW, key="k", title="T")
    locked = threading.Event()

    def reader():
        with transaction.atomic():
            Notification.objects.select_for_update().filter(key="k").update(
                read_at=None
            )
            locked.set()
            time.sleep(0.3)

    thread = in_thread(reader)
    locked.wait(5)
    assert mail_notification.call(key="k") == 1
    thread.join()
    assert len(mailoutbox) == 1
    assert not DBTaskResult.objects.exists()  # no run to come back later


def test_two_runs_at_once_mail_once(mailoutbox, monkeypatch):
    users = [UserFactory(email=f"u{i}@example.vn") for i in range(5)]
    notify(users, kind=Kind.REVIEW, key="k2", title="T")
    send = services.send_text_mail

    def slow(*args, **kwargs):
        time.sleep(0.1)  # the runs overlap while the mail goes
        return send(*args, **kwargs)

    monkeypatch.setattr(services, "send_text_mail", slow)
    barrier = threading.Barrier(2)
    sent = []

    def run():
        barrier.wait()
        sent.append(mail_notification.call(key="k2"))

    for thread in [in_thread(run), in_thread(run)]:
        thread.join()
    assert sorted(sent) == [0, 5]
    assert sorted(to for m in mailoutbox for to in m.to) == sorted(
        u.email for u in users
    )
    assert not Notification.objects.filter(key="k2", mailed_at=None).exists()
