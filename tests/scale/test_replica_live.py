"""Dashboards on a real streaming standby (started by scripts/scale_test.py):
they read it when it is fit, and the primary when the user just wrote, when
it lags, and when it is down."""

import os
import subprocess
import time

import pytest
from django.db import connections

from access.models import Membership
from core import replica
from tests.factories import member

# Committed for real: the standby sees only what the primary committed.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

STANDBY_DATA = os.environ.get("SCALE_STANDBY_DATA", "")
STANDBY_PORT = os.environ.get("SCALE_STANDBY_PORT", "")
SOCKETS = os.environ.get("SCALE_SOCKETS", "")


def pg_ctl(*args: str) -> None:
    import glob

    binary = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))[-1]
    argv = [binary, "-D", STANDBY_DATA, "-w", *args]
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    subprocess.run(argv, check=True, capture_output=True)  # noqa: S603


def caught_up(seconds: float = 30) -> None:
    """Wait until the standby has replayed all the primary wrote."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if replica.lag_seconds() == 0:
                replica.forget()
                return
        except Exception:  # noqa: BLE001, S110 - starting up: try again
            pass
        time.sleep(0.2)
    raise AssertionError("the standby did not catch up")


def reads_of(client, url: str) -> tuple[int, int, int]:
    """The page's status, and its queries on the standby (not counting the
    check of how far behind it is) and on the primary."""
    seen: dict[str, list[str]] = {"replica": [], "default": []}

    def noting(alias):
        def wrapper(execute, sql, params, many, context):
            seen[alias].append(sql)
            return execute(sql, params, many, context)

        return wrapper

    with (
        connections["replica"].execute_wrapper(noting("replica")),
        connections["default"].execute_wrapper(noting("default")),
    ):
        status = client.get(url).status_code
    standby = [sql for sql in seen["replica"] if "pg_last_wal_replay_lsn" not in sql]
    return status, len(standby), len(seen["default"])


@pytest.fixture
def leader(client, settings):
    settings.REPLICA_CHECK_SECONDS = 0  # check before every page
    user = member(Membership.Role.NATIONAL_LEADER)
    client.force_login(user)
    caught_up()
    return user


def test_the_dashboard_reads_the_standby(client, leader):
    status, standby, primary = reads_of(client, "/dashboard/")
    print(f"dashboard: {standby} queries on the standby, {primary} on the primary")
    assert status == 200 and standby > 5
    # The primary reads the session and the user, and where the WAL is.
    assert primary < standby
    # Pages that are not dashboards read the primary.
    status, standby, _primary = reads_of(client, "/wards/")
    assert (status, standby) == (200, 0)


def test_whoever_just_wrote_reads_the_primary(client, leader, settings):
    client.post("/i18n/setlang/", {"language": "vi", "next": "/"})
    status, standby, _primary = reads_of(client, "/dashboard/")
    assert (status, standby) == (200, 0)
    session = client.session
    session[replica.WROTE_AT] -= settings.REPLICA_MAX_LAG_SECONDS + 1
    session.save()
    caught_up()
    status, standby, _primary = reads_of(client, "/dashboard/")
    assert status == 200 and standby > 5


def test_a_lagging_standby_is_left_alone(client, leader, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 1
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    try:
        member(Membership.Role.NATIONAL_LEADER)  # a write it does not replay
        time.sleep(1.5)
        assert replica.lag_seconds() > 1
        status, standby, _primary = reads_of(client, "/dashboard/")
        print("standby paused: the dashboard read the primary")
        assert (status, standby) == (200, 0)
    finally:
        with connections["replica"].cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")
    caught_up()
    status, standby, _primary = reads_of(client, "/dashboard/")
    assert status == 200 and standby > 5


def test_a_stopped_standby_is_left_alone_until_it_is_back(client, leader):
    connections["replica"].close()
    pg_ctl("-m", "fast", "stop")
    try:
        started = time.monotonic()
        status, standby, _primary = reads_of(client, "/dashboard/")
        seconds = time.monotonic() - started
        print(f"standby stopped: the dashboard answered {status} in {seconds:.1f} s")
        assert (status, standby) == (200, 0) and seconds < 5
    finally:
        pg_ctl(
            "-l",
            f"{STANDBY_DATA}/restart.log",
            "-o",
            f"-p {STANDBY_PORT} -k {SOCKETS} -c listen_addresses=127.0.0.1",
            "start",
        )
    caught_up()
    status, standby, _primary = reads_of(client, "/dashboard/")
    assert status == 200 and standby > 5
