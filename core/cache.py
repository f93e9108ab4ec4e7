"""A cache for counters that every process shares: the database."""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction


class CounterCache(DatabaseCache):
    """Django's database cache, with an increment that is not lost under load.

    Throttles (django-ratelimit) count with `add()` then `incr()`, and
    Django's `incr()` reads then writes: two requests at once could both
    count one. Here the read and the write happen in one transaction that
    holds the row (PostgreSQL's `SELECT … FOR UPDATE`) or the database's
    write lock (SQLite, whose transactions start IMMEDIATE in this project).
    Give the cache a TIMEOUT longer than any throttle's period: `incr()`
    stores the new count with it.
    """

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> Any:
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        with transaction.atomic(using=db):
            if connection.features.has_select_for_update:
                # The table is the one named in settings.CACHES.
                table = connection.ops.quote_name(self.cache_model_class._meta.db_table)
                lock = f"SELECT 1 FROM {table} WHERE cache_key = %s FOR UPDATE"  # noqa: S608
                with connection.cursor() as cursor:
                    cursor.execute(lock, [self.make_and_validate_key(key, version)])
            return super().incr(key, delta, version)
