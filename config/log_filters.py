"""Logs that stay readable during an outage."""

from __future__ import annotations

import logging
import time

from django.db import InterfaceError, OperationalError


class OutageFilter(logging.Filter):
    """While the database is away, one traceback per incident, one line a request.

    A lost or refused connection (no SQLSTATE, or class 08; an InterfaceError)
    that comes within `quiet_seconds` of the previous one belongs to the same
    incident: its record keeps its message and the error's text, without the
    traceback (some 14 KB) that the first one already showed. Other database
    errors (a deadlock, a timeout, a bug) keep their traceback.
    """

    quiet_seconds = 60.0

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self.last_failure = -self.quiet_seconds

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if _connection_lost(error):
            now = time.monotonic()
            if now - self.last_failure < self.quiet_seconds:
                record.msg = f"{record.getMessage()} (database unavailable: {error})"
                record.args = ()
                record.exc_info = None
                record.exc_text = None
            self.last_failure = now
        return True


def _connection_lost(error: BaseException | None) -> bool:
    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    sqlstate = getattr(error.__cause__, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith("08")
