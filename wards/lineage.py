"""Units and provinces together with everything they were formed from."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from .models import Province, ProvinceChange, UnitChange, Ward


def with_predecessors(
    ward_ids: Iterable[int], province_ids: Iterable[int]
) -> tuple[frozenset[int], frozenset[int]]:
    """`ward_ids` and `province_ids` with all their predecessors, however many
    changes back (An Hưng for Hạc Thành; the old Hà Giang for Tuyên Quang).

    One query, whatever the depth.
    """
    wards, provinces = sorted(set(ward_ids)), sorted(set(province_ids))
    if not wards and not provinces:
        return frozenset(), frozenset()
    parts, params = [], []
    for tag, ids, table, links in (
        ("w", wards, Ward._meta.db_table, UnitChange._meta.db_table),
        ("p", provinces, Province._meta.db_table, ProvinceChange._meta.db_table),
    ):
        anchor = ", ".join(["%s"] * len(ids)) or "NULL"
        parts.append(
            # Table names come from the models; the ids go as parameters.
            f"{tag}(id) AS (SELECT id FROM {table} WHERE id IN ({anchor}) "  # noqa: S608
            f"UNION SELECT c.predecessor_id FROM {links} c "
            f"JOIN {tag} ON c.successor_id = {tag}.id)"
        )
        params.extend(ids)
    sql = (
        f"WITH RECURSIVE {', '.join(parts)} "  # noqa: S608
        "SELECT 'w', id FROM w UNION ALL SELECT 'p', id FROM p"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return (
        frozenset(pk for tag, pk in rows if tag == "w"),
        frozenset(pk for tag, pk in rows if tag == "p"),
    )
