"""Logs that stay readable during an outage."""

from __future__ import annotations

import logging
import time

from django.db import InterfaceError, OperationalError


class OutageFilter(logging.Filter):
    """While the database is away, one traceback per incident, one line a request.

    A failure that comes within `quiet_seconds` of the previous one belongs
    to the same incident: its record keeps its message and the error's text,
    without the traceback (some 14 KB) that the first one already showed.
    """

    quiet_seconds = 60.0

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self.last_failure = -self.quiet_seconds

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, OperationalError | InterfaceError):
            now = time.monotonic()
            if now - self.last_failure < self.quiet_seconds:
                record.msg = f"{record.getMessage()} (database unavailable: {error})"
                record.args = ()
                record.exc_info = None
                record.exc_text = None
            self.last_failure = now
        return True
