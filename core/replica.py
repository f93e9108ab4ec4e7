"""Dashboards and exports read from a replica, when one is configured.

With DATABASE_REPLICA_URL set (a PostgreSQL standby streaming from the
primary), the views marked `@reads_from_replica` run their queries on the
replica — and nothing else does. They still run on the primary:

- in a request that is not a GET or HEAD, and inside a transaction;
- for a user who wrote something less than REPLICA_MAX_LAG_SECONDS ago
  (read-your-writes: a write older than that is on a replica no further
  behind, so the user sees it either way);
- while the replica is down, or more than REPLICA_MAX_LAG_SECONDS behind
  the primary (checked at most every REPLICA_CHECK_SECONDS per process);
- when a query on the replica fails: the view runs again on the primary,
  and the replica is left alone until the next check.

Writes always go to the primary, whatever database an object was read from.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

REPLICA = "replica"
WROTE_AT = "kieumau_wrote_at"
SAFE_METHODS = ("GET", "HEAD")

logger = logging.getLogger(__name__)

_reading: ContextVar[bool] = ContextVar("reading_from_replica", default=False)
# Per process: whether the replica was fit to read at `checked` (monotonic).
_state = {"checked": float("-inf"), "ready": False}


class ReplicaRouter:
    """Reads inside `reads_from_replica` go to the replica; all else, and
    every write and migration, to the primary."""

    def db_for_read(self, model, **hints) -> str | None:
        if _reading.get() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return REPLICA
        return None

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the same data on both

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


def configured() -> bool:
    return REPLICA in settings.DATABASES


def lag_seconds() -> float:
    """How far the replica is behind the primary, in seconds: 0 when it has
    replayed everything the primary has written, else the time since the
    last transaction it replayed (which keeps growing while it is cut off).

    Raises the database's error when either cannot be reached.
    """
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        primary_lsn = cursor.fetchone()[0]
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(
            "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn, "
            "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())",
            [primary_lsn],
        )
        caught_up, since = cursor.fetchone()
    if caught_up is None:
        raise OperationalError("the replica database is not a standby")
    return 0.0 if caught_up else float(since if since is not None else "inf")


def ready() -> bool:
    """Whether the replica may be read now (checked at most every
    REPLICA_CHECK_SECONDS)."""
    if not configured():
        return False
    now = time.monotonic()
    if now - _state["checked"] < settings.REPLICA_CHECK_SECONDS:
        return bool(_state["ready"])
    try:
        lag = lag_seconds()
    except (OperationalError, InterfaceError) as error:
        _close_replica()
        logger.warning("Replica unavailable, reading from the primary: %s", error)
        fit = False
    else:
        fit = lag <= settings.REPLICA_MAX_LAG_SECONDS
        if not fit:
            logger.warning("Replica %.1f s behind, reading from the primary", lag)
    _state.update(checked=now, ready=fit)
    return fit


def forget() -> None:
    """Check the replica again before its next use."""
    _state.update(checked=float("-inf"), ready=False)


def _close_replica() -> None:
    with contextlib.suppress(Exception):  # a broken connection is dropped anyway
        connections[REPLICA].close()


def wrote_recently(request) -> bool:
    session = getattr(request, "session", None)
    wrote_at = session.get(WROTE_AT) if session is not None else None
    return (
        wrote_at is not None
        and time.time() - wrote_at < settings.REPLICA_MAX_LAG_SECONDS + 1
    )


def reads_from_replica(view):
    """Run `view`'s queries on the replica when that is safe (see above)."""

    @functools.wraps(view)
    def wrapped(request, *args: Any, **kwargs: Any):
        if request.method not in SAFE_METHODS or wrote_recently(request) or not ready():
            return view(request, *args, **kwargs)
        token = _reading.set(True)
        try:
            return view(request, *args, **kwargs)
        except (OperationalError, InterfaceError) as error:
            logger.warning("The replica failed, reading the primary: %s", error)
            _close_replica()
            _state.update(checked=time.monotonic(), ready=False)
            _reading.set(False)
            return view(request, *args, **kwargs)
        finally:
            _reading.reset(token)

    return wrapped


class RememberWritesMiddleware:
    """Note when a signed-in user last sent a change (any method but GET and
    HEAD), so that their next pages read what they wrote. Costs nothing
    without a replica."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            configured()
            and request.method not in SAFE_METHODS
            and getattr(request, "user", None) is not None
            and request.user.is_authenticated
            and hasattr(request, "session")
        ):
            request.session[WROTE_AT] = time.time()
        return response
