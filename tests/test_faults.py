import logging
import sys
import time

import pytest
from django.db import OperationalError, connection
from django.db.backends.utils import CursorWrapper

from access.models import Membership
from config.log_filters import OutageFilter
from tests.factories import member


@pytest.fixture
def outage(monkeypatch):
    """Every query fails, as when the database server has gone away."""

    def fail(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    def start():
        monkeypatch.setattr(CursorWrapper, "execute", fail)
        monkeypatch.setattr(CursorWrapper, "executemany", fail)

    return start


@pytest.mark.django_db
def test_a_database_outage_is_a_clear_503(client, enrolment, outage, monkeypatch):
    client.raise_request_exception = False
    client.force_login(member(Membership.Role.NATIONAL_LEADER))
    assert client.get("/wards/").status_code == 200
    outage()
    response = client.get("/wards/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "cơ sở dữ liệu" in response.content.decode()
    monkeypatch.undo()
    assert client.get("/wards/").status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_app_serves_again_when_the_database_is_back(client, enrolment):
    """A real lost connection: requests get 503, then work, with no restart."""
    client.raise_request_exception = False
    client.force_login(member(Membership.Role.NATIONAL_LEADER))
    assert client.get("/wards/").status_code == 200
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"  # nothing listens there
    try:
        assert client.get("/wards/").status_code == 503
        assert client.get("/healthz").status_code == 503
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port
    assert client.get("/healthz").status_code == 200
    assert client.get("/wards/").status_code == 200


@pytest.mark.django_db
def test_an_outage_while_the_session_is_saved_is_a_503(client, monkeypatch, settings):
    settings.SESSION_RENEW_SECONDS = 0  # every request renews the session
    client.raise_request_exception = False
    client.force_login(member(Membership.Role.NATIONAL_LEADER))
    assert client.get("/wards/").status_code == 200
    execute = CursorWrapper.execute

    def fail_on_saving_sessions(self, sql, params=None):
        if sql.startswith('UPDATE "django_session"'):
            raise OperationalError("server closed the connection unexpectedly")
        return execute(self, sql, params)

    monkeypatch.setattr(CursorWrapper, "execute", fail_on_saving_sessions)
    assert client.get("/wards/").status_code == 503


def test_an_outage_logs_one_traceback_and_then_one_line_a_request():
    outage = OutageFilter()

    def record(path):
        try:
            raise OperationalError("server closed the connection unexpectedly")
        except OperationalError:
            return logging.LogRecord(
                "django.request", logging.ERROR, __file__, 1,
                "Internal Server Error: %s", (path,), sys.exc_info(),
            )  # fmt: skip

    first, second = record("/wards/"), record("/review/")
    assert outage.filter(first) and first.exc_info is not None
    assert outage.filter(second) and second.exc_info is None
    assert second.getMessage() == (
        "Internal Server Error: /review/ (database unavailable: "
        "server closed the connection unexpectedly)"
    )
    other = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "x", (), (ValueError, None, None)
    )
    assert outage.filter(other) and other.exc_info is not None  # not an outage


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_slow_database_is_not_taken_for_a_frozen_one(settings):
    """In a web request the server stops a slow statement itself, before the
    app's own bound for a server that answers nothing."""
    from core.postgresql import base as bounded

    token = bounded.server_wait.set(2.0)
    try:
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()[0] == "1s"
            with pytest.raises(OperationalError, match="statement timeout"):
                cursor.execute("SELECT pg_sleep(1.5)")
        assert bounded._unanswered_until < time.monotonic()  # not "frozen"
        with connection.cursor() as cursor:  # the connection is still good
            cursor.execute("SELECT 1")
    finally:
        bounded.server_wait.reset(token)
        connection.close()
    with connection.cursor() as cursor:  # outside a request: the server's 30 s
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "30s"


def test_other_database_errors_keep_their_traceback():
    outage = OutageFilter()

    class Deadlock(Exception):
        sqlstate = "40P01"

    def record():
        try:
            try:
                raise Deadlock
            except Deadlock as cause:
                raise OperationalError("deadlock detected") from cause
        except OperationalError:
            return logging.LogRecord(
                "django.request", logging.ERROR, __file__, 1, "x", (), sys.exc_info()
            )

    first, second = record(), record()
    assert outage.filter(first) and outage.filter(second)
    assert second.exc_info is not None


@pytest.mark.django_db
def test_a_session_ended_while_sending_does_not_claim_nothing_was_saved(rf):
    from django.contrib.sessions.exceptions import SessionInterrupted

    from config.views import bad_request

    response = bad_request(rf.post("/"), SessionInterrupted())
    assert response.status_code == 400
    text = response.content.decode()
    assert "phiên" in text.lower() or "session" in text.lower()
    assert "Nothing was saved" not in text and "Chưa có gì được lưu" not in text
