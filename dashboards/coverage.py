"""How much of the official map the programme covers: the units in force by
province and kind, beside how many of them are enrolled.

The counts are facts of the official list (`wards`), the same for every
reader; the enrolled counts come from the page's own `province_rows`. The
same query gives the extent of the units, which frames the national map.
"""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.db.models import Count, Max, Min, Sum

from core.collation import vi_key
from wards.models import Ward, WardKind

# The official list changes by decree, a few times a decade, and is loaded by
# a command: ten minutes of a cached count after loading one is no harm.
OFFICIAL_LIST_SECONDS = 600


def units_in_force(year: int | None, rows: list[dict]) -> dict:
    """Units in force at the end of `year` by province and kind, in one grouped
    query, beside how many of each province's are enrolled (`province_rows`).

    The end of the year, so that a unit replaced during it (on 1 July 2025)
    is not counted with the unit that took its place. Only the kinds found
    that year get a column: thị trấn before 2025, đặc khu since. `extent` is
    (south, west, north, east) of the units with coordinates, or None.
    """
    if year is None or not 1 <= year <= 9999:
        return {
            "day": None,
            "kinds": [],
            "rows": [],
            "totals": {},
            "elsewhere": 0,
            "extent": None,
        }
    day = dt.date(year, 12, 31)
    counts = official_counts(year)
    by_province: dict[int, dict] = {}
    for row in counts:
        province = by_province.setdefault(
            row["province_id"],
            {"name": row["province__name"], "code": row["province__code"], "by": {}},
        )
        province["by"][row["kind"]] = row["units"]
    found = {kind for p in by_province.values() for kind in p["by"]}
    kinds = [(kind, label) for kind, label in WardKind.choices if kind in found]
    enrolled = {r["ward__province_id"]: r["enrolled"] for r in rows}
    table = []
    for province_id, province in by_province.items():
        table.append(
            _coverage(
                [province["by"].get(kind, 0) for kind, _label in kinds],
                enrolled.get(province_id, 0),
                name=province["name"],
                code=province["code"],
            )
        )
    table.sort(key=lambda r: vi_key(r["name"]))
    totals = _coverage(
        [sum(r["counts"][i] for r in table) for i in range(len(kinds))],
        sum(r["enrolled"] for r in table),
    )
    return {
        "day": day,
        "kinds": kinds,
        "rows": table,
        "totals": totals,
        # Enrolled in provinces that were gone by the end of the year.
        "elsewhere": sum(enrolled.values()) - totals["enrolled"],
        "extent": _extent(counts),
    }


def official_counts(year: int) -> list[dict]:
    """The units in force at the end of `year` by province and kind, with
    their extent and the sums of their coordinates, in one grouped query.

    Facts of the official list, the same for every reader and changed only
    when a new list is loaded: kept in the cache for OFFICIAL_LIST_SECONDS,
    so that a dashboard does not count the country's units on every view.
    """
    key = f"official-counts:{year}"
    counts = cache.get(key)
    if counts is None:
        counts = [
            {
                **row,
                "lat_sum": float(row["lat_sum"] or 0),
                "lon_sum": float(row["lon_sum"] or 0),
            }
            for row in Ward.objects.at_year_end(year)
            .values("province_id", "province__name", "province__code", "kind")
            .annotate(
                units=Count("pk"),
                south=Min("latitude"),
                north=Max("latitude"),
                west=Min("longitude"),
                east=Max("longitude"),
                placed=Count("latitude"),
                lat_sum=Sum("latitude"),
                lon_sum=Sum("longitude"),
            )
            .order_by()
        ]
        cache.set(key, counts, OFFICIAL_LIST_SECONDS)
    return counts


def centres(year: int) -> dict[int, tuple[float, float]]:
    """Each province's centre: the mean position of its units in force at
    the end of `year` that have coordinates."""
    sums: dict[int, list[float]] = {}
    for row in official_counts(year):
        if row["placed"]:
            total = sums.setdefault(row["province_id"], [0.0, 0.0, 0])
            total[0] += row["lat_sum"]
            total[1] += row["lon_sum"]
            total[2] += row["placed"]
    return {pk: (lat / n, lon / n) for pk, (lat, lon, n) in sums.items()}


def _extent(groups: list[dict]) -> tuple[float, float, float, float] | None:
    placed = [g for g in groups if g["south"] is not None]
    if not placed:
        return None
    return (
        float(min(g["south"] for g in placed)),
        float(min(g["west"] for g in placed)),
        float(max(g["north"] for g in placed)),
        float(max(g["east"] for g in placed)),
    )


def _coverage(counts: list[int], enrolled: int, **names: str) -> dict:
    total = sum(counts)
    return {
        **names,
        "counts": counts,
        "total": total,
        "enrolled": enrolled,
        "percent": round(100 * enrolled / total) if total else None,
    }
