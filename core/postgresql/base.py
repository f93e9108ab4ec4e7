"""PostgreSQL, with a bound on how long a web request waits for the server.

The server's own statement_timeout stops a slow query; it cannot stop a
server that is frozen (a hung disk, a stopped process) and answers nothing.
Then psycopg would wait for ever, holding the request and its thread, and in
the end every thread of the app. While `server_wait` is set (for the length
of a web request, by config.middleware.DatabaseWaitMiddleware), each wait for
the server ends after that many seconds: the connection is dropped and the
request gets the database-unavailable page (503) instead of hanging. For as
long again, the process does not try to connect (a connection to a frozen
server would hang until its connect_timeout): requests fail at once, and the
first one after that tries again. The task worker and management commands
wait as long as they need.

A server that is merely slow must not be taken for a frozen one: a
connection opened for web requests tells the server to stop any statement
a second before that bound (statement_timeout), so a slow query or a lock
wait ends with the server's own answer (503 for that request only, the
connection still good) and the bound is left for a server that says nothing.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Any

import psycopg
from django.db.backends.postgresql import base
from psycopg import errors

server_wait: ContextVar[float | None] = ContextVar("server_wait", default=None)
# Until when (time.monotonic) this process does not try to connect.
_unanswered_until = 0.0


class BoundedConnection(psycopg.Connection):
    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None):
        bound = server_wait.get()
        try:
            return super().wait(gen, interval=interval, timeout=timeout or bound)
        except errors._WaitTimeout:  # psycopg's own "no answer in time"
            global _unanswered_until
            _unanswered_until = time.monotonic() + (bound or 0)
            self.pgconn.finish()
            raise psycopg.OperationalError(
                f"the database server did not answer within {bound} s"
            ) from None


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        if server_wait.get() and time.monotonic() < _unanswered_until:
            raise psycopg.OperationalError(
                "the database server did not answer a moment ago; not trying yet"
            )
        connection = super().get_new_connection(conn_params)
        connection.__class__ = BoundedConnection
        bound = server_wait.get()
        if bound:
            milliseconds = max(500, int((bound - 1) * 1000))
            connection.execute(f"SET statement_timeout = {milliseconds}")
            if not connection.autocommit:
                connection.commit()
        return connection
