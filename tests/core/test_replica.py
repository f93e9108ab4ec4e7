"""Which database a read goes to: the rules of core/replica, without a
replica (the live ones, with a streaming standby, are in `make scale-test`:
tests/scale/test_replica_live.py)."""

import time

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import OperationalError, router, transaction
from django.test import RequestFactory

from accounts.models import User
from core import replica

# Outside a test transaction: the router never sends a read inside one.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fit(monkeypatch):
    """A replica that is configured and caught up."""
    monkeypatch.setattr(replica, "configured", lambda: True)
    monkeypatch.setattr(replica, "lag_seconds", lambda: 0.0)
    replica.forget()
    yield
    replica.forget()


def where_reads_go(request, *, fail_once=False):
    seen = []

    @replica.reads_from_replica
    def view(request):
        seen.append(router.db_for_read(User))
        if fail_once and len(seen) == 1:
            raise OperationalError("canceling statement due to conflict with recovery")
        with transaction.atomic():
            seen.append(router.db_for_read(User))
        return seen

    return view(request)


def get(session=None):
    request = RequestFactory().get("/dashboard/")
    request.session = session if session is not None else SessionStore()
    return request


def test_dashboards_read_the_replica_and_never_inside_a_transaction(fit):
    assert where_reads_go(get()) == ["replica", "default"]
    # Outside the marked views, and for every write, the primary.
    assert router.db_for_read(User) == "default"
    assert router.db_for_write(User) == "default"
    assert router.allow_migrate("replica", "evidence") is False


def test_a_request_that_writes_reads_the_primary(fit):
    request = RequestFactory().post("/dashboard/")
    request.session = SessionStore()
    assert where_reads_go(request) == ["default", "default"]


def test_whoever_just_wrote_reads_the_primary_until_the_replica_has_it(
    fit, client, settings
):
    user = User.objects.create_user("writer", password="a-long-pass-phrase-2026")
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "vi", "next": "/"})  # a change
    session = SessionStore(client.session.session_key)
    wrote_at = session[replica.WROTE_AT]
    assert abs(wrote_at - time.time()) < 5
    assert where_reads_go(get(session)) == ["default", "default"]
    # Once the replica may lag no more than the time since, it has the write.
    session[replica.WROTE_AT] = wrote_at - settings.REPLICA_MAX_LAG_SECONDS - 1
    assert where_reads_go(get(session)) == ["replica", "default"]


def test_nothing_is_noted_without_a_replica(client):
    user = User.objects.create_user("writer", password="a-long-pass-phrase-2026")
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "vi", "next": "/"})
    assert replica.WROTE_AT not in client.session


def test_a_lagging_or_missing_replica_is_not_read(monkeypatch, settings):
    monkeypatch.setattr(replica, "configured", lambda: True)
    settings.REPLICA_CHECK_SECONDS = 60
    lags = iter([settings.REPLICA_MAX_LAG_SECONDS + 0.5, 0.0])
    monkeypatch.setattr(replica, "lag_seconds", lambda: next(lags))
    replica.forget()
    assert where_reads_go(get()) == ["default", "default"]
    # Checked once a minute here: still the primary, though it caught up.
    assert where_reads_go(get()) == ["default", "default"]
    replica.forget()
    assert where_reads_go(get()) == ["replica", "default"]

    def down():
        raise OperationalError("connection refused")

    monkeypatch.setattr(replica, "lag_seconds", down)
    replica.forget()
    assert where_reads_go(get()) == ["default", "default"]
    replica.forget()


def test_a_failing_replica_query_is_asked_again_of_the_primary(fit, settings):
    settings.REPLICA_CHECK_SECONDS = 60
    assert where_reads_go(get(), fail_once=True) == ["replica", "default", "default"]
    # Left alone until the next check.
    assert where_reads_go(get()) == ["default", "default"]


def test_without_a_replica_everything_reads_the_primary():
    assert not replica.configured()
    assert where_reads_go(get()) == ["default", "default"]
