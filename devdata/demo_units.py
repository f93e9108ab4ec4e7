"""The official units the demo runs on: every one, or only its provinces'.

A person trying the app gets both shipped lists whole (`wards.units.
import_official`, a few seconds). Tests load the demo many times over, so
they may take only the official rows of the provinces the demo uses, from
both lists, with the changes between those rows: the same units, codes,
periods and lineage for those provinces, in a fraction of the time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable

from django.db import transaction

from wards.models import Ward
from wards.units import (
    DATA,
    UnitFileError,
    apply,
    import_official,
    plan,
    read_changes,
    read_provinces,
    read_units,
)


def load_units(*, provinces: Collection[str] | None = None) -> None:
    """Load the shipped official lists, or only the rows of `provinces` (codes).

    Safe to run again: what is there already stays as it is. Raises
    `UnitFileError` if the database holds units the lists contradict.
    """
    if provinces is None:
        steps = import_official()
        refused = [r for _name, result in steps for r in result.refusals]
        if refused:
            raise UnitFileError(refused[0])
        return
    _load_provinces_of(set(provinces))


@transaction.atomic
def _load_provinces_of(codes: set[str]) -> None:
    legacy = [
        u for u in read_units(DATA / "units-legacy.csv") if u.province_code in codes
    ]
    apply(
        plan(
            legacy,
            provinces=_provinces(DATA / "provinces-legacy.csv", codes),
        )
    )
    current = [
        u for u in read_units(DATA / "units-2025.csv") if u.province_code in codes
    ]
    apply(
        plan(
            current,
            _links(DATA / "changes-2025.csv", legacy, current),
            provinces=_provinces(DATA / "provinces-2025.csv", codes),
            province_changes=[
                c
                for c in read_changes(DATA / "province-changes-2025.csv")
                if c.old_code in codes and c.new_code in codes
            ],
        )
    )


def _provinces(path, codes: set[str]):
    return [p for p in read_provinces(path) if p.code in codes]


def _links(path, old: Iterable, new: Iterable):
    """The changes between two sets of unit rows (both ends among them)."""
    old_codes, new_codes = {u.code for u in old}, {u.code for u in new}
    return [
        c
        for c in read_changes(path)
        if c.old_code in old_codes and c.new_code in new_codes
    ]


def units_on(day: dt.date, names: dict[str, str]) -> dict[str, Ward]:
    """The units in force on `day` with the codes of `names` (code → name), by
    code; each must be called as `names` says.

    The demo names its units as well as coding them, so a list that gave one
    of its codes to another unit is noticed here, not shown as the demo.
    """
    found = {
        ward.code: ward
        for ward in Ward.objects.valid_on(day)
        .filter(code__in=names)
        .select_related("province")
    }
    wrong = [
        f"{code} {name} ({found[code].name if code in found else 'missing'})"
        for code, name in names.items()
        if code not in found or found[code].name != name
    ]
    if wrong:
        raise ValueError(
            f"The official units in force on {day} are not the demo's: "
            + ", ".join(wrong)
        )
    return found
