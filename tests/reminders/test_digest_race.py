"""Two workers sending the same day's digests at once, on PostgreSQL."""

import datetime as dt
import threading
import time
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection

from access.models import Membership
from assessments import tally
from assessments.models import Assessment
from reminders import digests
from reminders.digests import send_digests
from reminders.models import SentDigest
from tests.factories import member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = dt.date(2026, 9, 12)


def race(*actions):
    """Run the callables at the same moment; return (results, errors)."""
    barrier = threading.Barrier(len(actions))
    results, errors = [], []

    def run(action):
        try:
            barrier.wait()
            results.append(action())
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_two_workers_send_one_digest_per_person(
    enrolment, province, reviewer, monkeypatch
):
    reviewers = [reviewer] + [
        member(Membership.Role.REVIEWER, province=province) for _ in range(4)
    ]
    Assessment.objects.filter(enrolment=enrolment, criterion__number__in=[1, 2]).update(
        status="submitted", submitted_at=dt.datetime(2026, 9, 1, 10, tzinfo=HCM)
    )
    tally.recount()
    send = digests.send_text_mail

    def slow_send(*args):
        time.sleep(0.02)  # a mail server takes its time: the workers overlap
        return send(*args)

    monkeypatch.setattr(digests, "send_text_mail", slow_send)

    results, errors = race(
        lambda: send_digests("daily", DAY), lambda: send_digests("daily", DAY)
    )

    assert errors == []
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in reviewers)
    rows = SentDigest.objects.filter(day=DAY, kind="daily")
    assert rows.count() == len(reviewers)
    assert set(rows.values_list("status", flat=True)) == {"sent"}
    assert sum(r["sent"] for r in results) == len(reviewers)
    assert sum(r["done before"] for r in results) == len(reviewers)
