"""Importing official lists of provinces and units, and the changes between
two lists.

A list names units (code, name, kind, province, and the period each is in
force), and may come with its provinces; a changes file says what became of
units (or provinces) on a date: old code → new code, whole or in part. The
import first makes a plan: what would be added, renamed, moved, closed,
merged or split. It refuses, naming the line, what would give an existing
unit another identity (a code in use by another unit, or in another
province), unless the operator allows that kind of change. Applying the
plan writes it all in one transaction, or nothing. Importing the same files
again changes nothing.

A unit is its code together with its period: a new unit may take the code of
a unit it absorbed only if the changes close that unit before the new one
starts, and the old unit keeps its own records. Provinces go the same way
(63 → 34 on 1 July 2025).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from core.collation import fold, spelling_key
from core.datafiles import DataFileError, csv_lines, decode_text, read_data_file

from .models import (
    KIND_PREFIXES,
    PROVINCE_PREFIXES,
    Province,
    ProvinceChange,
    UnitChange,
    Ward,
    WardKind,
)

UNIT_COLUMNS = ["code", "name", "province_code"]
PROVINCE_COLUMNS = ["code", "name"]
CHANGE_COLUMNS = ["old_code", "new_code", "effective"]
DAY = dt.timedelta(days=1)
DATA = Path(settings.BASE_DIR) / "wards" / "data"


class UnitFileError(DataFileError):
    """A list of units or of changes that cannot be imported."""


@dataclass(frozen=True)
class ProvinceRow:
    line: int
    code: str
    name: str
    valid_from: dt.date | None
    valid_to: dt.date | None


@dataclass(frozen=True)
class UnitRow:
    line: int
    code: str
    name: str
    kind: str
    province_code: str
    province_name: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    latitude: Decimal | None = None
    longitude: Decimal | None = None


@dataclass(frozen=True)
class ChangeRow:
    line: int
    old_code: str
    new_code: str
    effective: dt.date
    partial: bool


Row = ProvinceRow | UnitRow


@dataclass
class Section:
    """What a plan does to provinces, or to units. Each thing is an existing
    row (a model instance) or one the plan adds (a file row)."""

    added: list[Any] = field(default_factory=list)
    renamed: list[tuple[Any, Any]] = field(default_factory=list)
    moved: list[tuple[Any, Any]] = field(default_factory=list)
    closed: dict[int, tuple[Any, dt.date]] = field(default_factory=dict)
    links: list[tuple[Any, Any, ChangeRow]] = field(default_factory=list)
    unchanged: int = 0

    @property
    def merged(self) -> dict[str, list[str]]:
        """Those that several went into: their labels → the former ones."""
        into: dict[str, list[str]] = defaultdict(list)
        for old, new, _row in self.links:
            into[_label(new)].append(_label(old))
        return {new: olds for new, olds in into.items() if len(olds) > 1}

    @property
    def split(self) -> dict[str, list[str]]:
        """Those shared out between several: their labels → the later ones."""
        out: dict[str, list[str]] = defaultdict(list)
        for old, new, _row in self.links:
            out[_label(old)].append(_label(new))
        return {old: news for old, news in out.items() if len(news) > 1}

    def is_empty(self) -> bool:
        return not (
            self.added or self.renamed or self.moved or self.closed or self.links
        )


@dataclass
class Plan:
    provinces: Section = field(default_factory=Section)
    units: Section = field(default_factory=Section)
    refusals: list[str] = field(default_factory=list)
    # The province of each unit row, by (code, valid_from): existing or planned.
    province_of: dict[tuple[str, dt.date | None], Any] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return self.provinces.is_empty() and self.units.is_empty()

    def summary(self) -> list[str]:
        p, u = self.provinces, self.units
        return [
            _("%(n)d province(s) to add") % {"n": len(p.added)},
            _("%(n)d province(s) to rename") % {"n": len(p.renamed)},
            _("%(n)d province(s) to close") % {"n": len(p.closed)},
            _("%(n)d province(s) unchanged") % {"n": p.unchanged},
            _("%(n)d unit(s) to add") % {"n": len(u.added)},
            _("%(n)d unit(s) to rename") % {"n": len(u.renamed)},
            _("%(n)d unit(s) to move to another province") % {"n": len(u.moved)},
            _("%(n)d unit(s) to close") % {"n": len(u.closed)},
            _("%(n)d merger(s) into one unit") % {"n": len(u.merged)},
            _("%(n)d unit(s) split between several") % {"n": len(u.split)},
            _("%(n)d change(s) of lineage to record")
            % {"n": len(u.links) + len(p.links)},
            _("%(n)d unit(s) unchanged") % {"n": u.unchanged},
        ]


def _label(thing: Any) -> str:
    return f"{thing.name} ({thing.code})"


def _overlap(a_from, a_to, b_from, b_to) -> bool:
    starts_before_b_ends = a_from is None or b_to is None or a_from <= b_to
    ends_after_b_starts = a_to is None or b_from is None or a_to >= b_from
    return starts_before_b_ends and ends_after_b_starts


def _valid_on(thing: Any, day: dt.date, end: dt.date | None = None) -> bool:
    start = thing.valid_from
    end = thing.valid_to if end is None else end
    return (start is None or start <= day) and (end is None or day <= end)


# Reading -------------------------------------------------------------------


def _rows(path: Path | str, required: list[str]) -> list[tuple[int, dict[str, str]]]:
    text = decode_text(read_data_file(path, UnitFileError), UnitFileError)
    lines = csv_lines(text, UnitFileError)
    header = [cell.strip() for cell in lines[0][1]] if lines else []
    missing = [c for c in required if c not in header]
    if missing:
        raise UnitFileError(
            _("the header has no column “%(column)s”.") % {"column": missing[0]},
            line=1,
        )
    rows = []
    for line, cells in lines[1:]:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            raise UnitFileError(_("the row has more cells than the header."), line=line)
        values = dict(zip(header, (c.strip() for c in cells), strict=False))
        for column in required:
            if not values.get(column):
                raise UnitFileError(_("a value is required."), line=line, field=column)
        rows.append((line, values))
    return rows


def _date(value: str, line: int, column: str) -> dt.date | None:
    if not value:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise UnitFileError(
        _("“%(value)s” is not a date (2025-07-01 or 01/07/2025).") % {"value": value},
        line=line,
        field=column,
    )


def _coordinate(value: str, line: int, column: str) -> Decimal | None:
    if not value:
        return None
    try:
        number = Decimal(value).quantize(Decimal("0.00001"))
    except InvalidOperation:
        raise UnitFileError(_("not a number."), line=line, field=column) from None
    if not -180 <= number <= 180:
        raise UnitFileError(_("not a coordinate."), line=line, field=column)
    return number


def _code(value: str, line: int, column: str) -> str:
    if len(value) > 8 or not value.isdigit():
        raise UnitFileError(
            _("an official code is digits, at most %(limit)d.") % {"limit": 8},
            line=line,
            field=column,
        )
    return value


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split()))


def unit_name(full: str, kind: str = "") -> tuple[str, str]:
    """The short name and kind of "Phường An Hưng" (or of "An Hưng", `kind`)."""
    full = _nfc(full)
    for candidate, prefix in KIND_PREFIXES.items():
        if full.casefold().startswith(prefix.casefold() + " "):
            rest = full[len(prefix) + 1 :]
            # "Phường 1" is a name, not the number 1.
            return (full if rest.isdigit() else rest), kind or candidate
    return full, kind


def province_name(full: str) -> str:
    """ "Thành phố Hà Nội" and "Tỉnh Thanh Hóa" are Hà Nội and Thanh Hóa."""
    full = _nfc(full)
    for prefix in PROVINCE_PREFIXES:
        if full.casefold().startswith(prefix.casefold() + " "):
            return full[len(prefix) + 1 :]
    return full


def _unique(rows: Sequence[Row], noun: str) -> None:
    seen: dict[tuple[str, dt.date | None], int] = {}
    for row in rows:
        key = (row.code, row.valid_from)
        if key in seen:
            raise UnitFileError(
                _("%(noun)s code %(code)s already appears on line %(first)d.")
                % {"noun": noun, "code": row.code, "first": seen[key]},
                line=row.line,
                field="code",
            )
        seen[key] = row.line


def read_units(path: Path | str) -> list[UnitRow]:
    kinds = set(WardKind.values)
    units = []
    for line, values in _rows(path, UNIT_COLUMNS):
        name, kind = unit_name(values["name"], values.get("kind", ""))
        if kind not in kinds:
            raise UnitFileError(
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": kind, "choices": ", ".join(sorted(kinds))},
                line=line,
                field="kind",
            )
        units.append(
            UnitRow(
                line=line,
                code=_code(values["code"], line, "code"),
                name=name[:128],
                kind=kind,
                province_code=_code(values["province_code"], line, "province_code"),
                province_name=province_name(
                    values.get("province_name") or values.get("province") or ""
                ),
                valid_from=_date(values.get("valid_from", ""), line, "valid_from"),
                valid_to=_date(values.get("valid_to", ""), line, "valid_to"),
                latitude=_coordinate(values.get("latitude", ""), line, "latitude"),
                longitude=_coordinate(values.get("longitude", ""), line, "longitude"),
            )
        )
    if not units:
        raise UnitFileError(_("the file has no units."))
    _unique(units, _("unit"))
    return units


def read_provinces(path: Path | str) -> list[ProvinceRow]:
    provinces = [
        ProvinceRow(
            line=line,
            code=_code(values["code"], line, "code"),
            name=province_name(values.get("short_name") or values["name"])[:128],
            valid_from=_date(values.get("valid_from", ""), line, "valid_from"),
            valid_to=_date(values.get("valid_to", ""), line, "valid_to"),
        )
        for line, values in _rows(path, PROVINCE_COLUMNS)
    ]
    _unique(provinces, _("province"))
    return provinces


def read_changes(path: Path | str) -> list[ChangeRow]:
    changes = []
    for line, values in _rows(path, CHANGE_COLUMNS):
        effective = _date(values["effective"], line, "effective")
        assert effective is not None  # required
        changes.append(
            ChangeRow(
                line=line,
                old_code=_code(values["old_code"], line, "old_code"),
                new_code=_code(values["new_code"], line, "new_code"),
                effective=effective,
                partial=values.get("partial", "0") in ("1", "true", "yes"),
            )
        )
    return changes


# Planning ------------------------------------------------------------------

# What tells an existing row from a file row with its code in the same
# period: None if they are the same; else "rename" or "move", with a message.
Differs = Callable[[Any, Any], tuple[str, str] | None]


def _plan_section(
    rows: list[Row],
    changes: list[ChangeRow],
    existing: dict[str, list[Any]],
    known_links: set[tuple[str, str, dt.date]],
    section: Section,
    refusals: list[str],
    *,
    differs: Differs,
    allow: set[str],
    changes_noun: str,
) -> None:
    closing: dict[str, list[dt.date]] = defaultdict(list)
    for change in changes:
        closing[change.old_code].append(change.effective)
    for row in rows:
        overlapping = [
            old
            for old in existing[row.code]
            if _overlap(row.valid_from, row.valid_to, old.valid_from, old.valid_to)
        ]
        if not overlapping:
            section.added.append(row)
            continue
        if len(overlapping) > 1:
            refusals.append(
                _("line %(line)d: code %(code)s names several in that period.")
                % {"line": row.line, "code": row.code}
            )
            continue
        (old,) = overlapping
        if _starts_before(old.valid_from, row.valid_from):
            # A new one taking the code of one in force before it.
            start = row.valid_from  # not None: the old one starts before it
            ends = [day for day in closing[row.code] if start and day <= start]
            if ends:
                section.closed[old.pk] = (old, min(ends) - DAY)
                section.added.append(row)
                continue
            refusals.append(
                _(
                    "line %(line)d: code %(code)s is in use by %(name)s from before "
                    "%(start)s; a new one may take it only if the changes close "
                    "that one."
                )
                % {
                    "line": row.line,
                    "code": row.code,
                    "name": old,
                    "start": row.valid_from,
                }
            )
            continue
        difference = differs(old, row)
        if difference is not None:
            kind, message = difference
            if kind in allow:
                (section.renamed if kind == "rename" else section.moved).append(
                    (old, row)
                )
            else:
                refusals.append(message)
            continue
        if row.valid_to is not None and old.valid_to != row.valid_to:
            section.closed[old.pk] = (old, row.valid_to)
            continue
        section.unchanged += 1

    added = _by_code(section.added)
    for change in changes:
        day_before = change.effective - DAY
        old = _find(existing[change.old_code], added[change.old_code], day_before)
        new = _find(existing[change.new_code], added[change.new_code], change.effective)
        if old is None or new is None:
            missing = change.old_code if old is None else change.new_code
            refusals.append(
                _(
                    "line %(line)d of the %(file)s: nothing with code %(code)s is "
                    "in force on %(day)s."
                )
                % {
                    "line": change.line,
                    "file": changes_noun,
                    "code": missing,
                    "day": day_before if old is None else change.effective,
                }
            )
            continue
        if (change.old_code, change.new_code, change.effective) in known_links:
            continue
        section.links.append((old, new, change))
        still_open = old.valid_to is None or old.valid_to > day_before
        if isinstance(old, Model) and still_open and old is not new:
            previous = section.closed.get(old.pk)
            if previous is None or previous[1] > day_before:
                section.closed[old.pk] = (old, day_before)


def _starts_before(a: dt.date | None, b: dt.date | None) -> bool:
    """Whether a period starting at `a` starts before one starting at `b`."""
    return b is not None and (a is None or a < b)


def _find(existing: list[Any], rows: list[Row], day: dt.date) -> Any:
    for row in rows:
        if _valid_on(row, day):
            return row
    for old in existing:
        if _valid_on(old, day):
            return old
    return None


def _by_code(things: Iterable[Any]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = defaultdict(list)
    for thing in things:
        found[thing.code].append(thing)
    return found


def plan(
    units: list[UnitRow],
    changes: list[ChangeRow] = (),  # type: ignore[assignment]
    *,
    provinces: list[ProvinceRow] = (),  # type: ignore[assignment]
    province_changes: list[ChangeRow] = (),  # type: ignore[assignment]
    allow_renames: bool = False,
    allow_moves: bool = False,
) -> Plan:
    """What importing these lists and changes would do; refusals included."""
    result = Plan()
    allow = {"rename"} if allow_renames else set()
    if allow_moves:
        allow.add("move")

    # Provinces: from their own list, or else named by the units' rows.
    if not provinces:
        provinces = _provinces_named_by(units, result.refusals)
    codes = {p.code for p in provinces} | {u.province_code for u in units}
    codes |= {c.old_code for c in province_changes}
    codes |= {c.new_code for c in province_changes}
    old_provinces = _by_code(Province.objects.filter(code__in=codes))
    _plan_section(
        list(provinces),
        list(province_changes),
        old_provinces,
        _known_links(ProvinceChange, codes),
        result.provinces,
        result.refusals,
        differs=_province_differs,
        allow=allow - {"move"},
        changes_noun=_("province changes"),
    )
    province_of = _province_finder(old_provinces, result.provinces)

    codes = {u.code for u in units} | {c.old_code for c in changes}
    codes |= {c.new_code for c in changes}
    old_units = _by_code(Ward.objects.filter(code__in=codes).select_related("province"))

    def differs(ward: Ward, row: UnitRow) -> tuple[str, str] | None:
        province = province_of(row)
        if province is not ward.province and not (
            isinstance(province, Province) and province.pk == ward.province_id
        ):
            return "move", _(
                "line %(line)d: code %(code)s is %(unit)s in %(province)s, not in "
                "province %(given)s; to move it, pass --allow-moves."
            ) % {
                "line": row.line,
                "code": row.code,
                "unit": ward.name,
                "province": ward.province.name,
                "given": row.province_code,
            }
        if ward.kind != row.kind or spelling_key(ward.name) != spelling_key(row.name):
            return "rename", _(
                "line %(line)d: code %(code)s is %(unit)s, not %(given)s; to "
                "rename it, pass --allow-renames."
            ) % {
                "line": row.line,
                "code": row.code,
                "unit": ward.full_name,
                "given": f"{row.kind} {row.name}",
            }
        return None

    for row in units:
        province = result.province_of[(row.code, row.valid_from)] = province_of(row)
        if province is None:
            result.refusals.append(
                _("line %(line)d: no province %(code)s is in force then.")
                % {"line": row.line, "code": row.province_code}
            )
    if result.refusals:
        return result
    _plan_section(
        list(units),
        list(changes),
        old_units,
        _known_links(UnitChange, codes),
        result.units,
        result.refusals,
        differs=differs,
        allow=allow,
        changes_noun=_("changes"),
    )
    return result


def _known_links(link_model, codes: set[str]) -> set[tuple[str, str, dt.date]]:
    """The links already recorded from these codes, to leave them be."""
    return set(
        link_model.objects.filter(predecessor__code__in=codes).values_list(
            "predecessor__code", "successor__code", "effective"
        )
    )


def _provinces_named_by(units: list[UnitRow], refusals: list[str]) -> list:
    """The provinces a list of units names, when no list of provinces comes:
    those in force (or to be added, in force from the units' start)."""
    current = {p.code: p for p in Province.objects.filter(valid_to__isnull=True)}
    named: dict[str, ProvinceRow] = {}
    for row in units:
        if row.province_code in named:
            continue
        province = current.get(row.province_code)
        if province is not None:
            named[row.province_code] = ProvinceRow(
                row.line,
                province.code,
                row.province_name or province.name,
                province.valid_from,
                province.valid_to,
            )
            continue
        if not row.province_name:
            refusals.append(
                _("line %(line)d: province %(code)s is new; give its name.")
                % {"line": row.line, "code": row.province_code}
            )
        named[row.province_code] = ProvinceRow(
            row.line, row.province_code, row.province_name, row.valid_from, None
        )
    return list(named.values())


def _province_differs(old: Province, row: ProvinceRow) -> tuple[str, str] | None:
    if spelling_key(old.name) == spelling_key(row.name):
        return None
    return "rename", _(
        "line %(line)d: province %(code)s is called “%(name)s”, not “%(given)s”."
    ) % {"line": row.line, "code": row.code, "name": old.name, "given": row.name}


def _province_finder(existing: dict[str, list[Province]], section: Section):
    """The province (existing or planned) a unit row belongs to: the one with
    its code in force on the unit's first day (or last, or today)."""
    added = _by_code(section.added)
    closed = {pk: end for pk, (_p, end) in section.closed.items()}

    def province_of(row: UnitRow) -> Any:
        day = row.valid_from or row.valid_to or timezone.localdate()
        for candidate in added[row.province_code]:
            if _valid_on(candidate, day):
                return candidate
        for province in existing[row.province_code]:
            if _valid_on(province, day, closed.get(province.pk)):
                return province
        return None

    return province_of


# Applying ------------------------------------------------------------------


@transaction.atomic
def apply(result: Plan) -> None:
    """Write a plan without refusals; all of it, or nothing."""
    if result.refusals:
        raise UnitFileError(result.refusals[0])
    provinces = _apply_section(
        result.provinces,
        lambda row: Province(
            code=row.code,
            name=row.name,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
        ),
        Province,
        ProvinceChange,
        renamed_fields=["name"],
    )

    def province_for(row: UnitRow) -> Province:
        province = result.province_of[(row.code, row.valid_from)]
        if isinstance(province, Province):
            return province
        return provinces[(province.code, province.valid_from)]

    for ward, row in result.units.moved:
        ward.province = province_for(row)
        ward.save(update_fields=["province"])
    _apply_section(
        result.units,
        lambda row: Ward(
            code=row.code,
            name=row.name,
            folded_name=fold(row.name),
            kind=row.kind,
            province=province_for(row),
            valid_from=row.valid_from,
            valid_to=row.valid_to,
            latitude=row.latitude,
            longitude=row.longitude,
        ),
        Ward,
        UnitChange,
        renamed_fields=["name", "kind"],
        link_fields=lambda row: {"partial": row.partial},
    )


def _apply_section(
    section: Section, build, model, link, *, renamed_fields, link_fields=lambda row: {}
):
    closed = []
    for thing, end in section.closed.values():
        thing.valid_to = end
        closed.append(thing)
    model.objects.bulk_update(closed, ["valid_to"], batch_size=2000)
    for thing, row in section.renamed:
        for name in renamed_fields:
            setattr(thing, name, getattr(row, name))
        thing.save(update_fields=renamed_fields)
    new = model.objects.bulk_create([build(row) for row in section.added], 2000)
    created = {(thing.code, thing.valid_from): thing for thing in new}

    def saved(thing: Any) -> Any:
        if isinstance(thing, Model):
            return thing
        return created[(thing.code, thing.valid_from)]

    link.objects.bulk_create(
        [
            link(
                predecessor=saved(old),
                successor=saved(thing),
                effective=row.effective,
                **link_fields(row),
            )
            for old, thing, row in section.links
        ],
        2000,
    )
    return created


def import_units_file(
    path: Path | str,
    changes_path: Path | str | None = None,
    *,
    provinces_path: Path | str | None = None,
    province_changes_path: Path | str | None = None,
    allow_renames: bool = False,
    allow_moves: bool = False,
    dry_run: bool = False,
) -> Plan:
    """Plan the import of a list (and its changes); apply it unless `dry_run`."""
    result = plan(
        read_units(path),
        read_changes(changes_path) if changes_path else [],
        provinces=read_provinces(provinces_path) if provinces_path else [],
        province_changes=(
            read_changes(province_changes_path) if province_changes_path else []
        ),
        allow_renames=allow_renames,
        allow_moves=allow_moves,
    )
    if not dry_run:
        apply(result)
    return result


def import_official(*, dry_run: bool = False) -> list[tuple[str, Plan]]:
    """The shipped official lists: the one in force before 1 July 2025, then
    the current one with the changes between them (wards/data/SOURCES.md).

    A dry run plans both steps as they would go and writes nothing.
    """
    steps = [
        ("legacy", "provinces-legacy.csv", "units-legacy.csv", None, None),
        (
            "2025",
            "provinces-2025.csv",
            "units-2025.csv",
            "province-changes-2025.csv",
            "changes-2025.csv",
        ),
    ]
    plans = []
    with transaction.atomic():
        for name, provinces, units, province_changes, changes in steps:
            result = import_units_file(
                DATA / units,
                DATA / changes if changes else None,
                provinces_path=DATA / provinces,
                province_changes_path=(
                    DATA / province_changes if province_changes else None
                ),
                dry_run=True,
            )
            plans.append((name, result))
            if result.refusals:
                break
            apply(result)
        if dry_run or any(result.refusals for _name, result in plans):
            transaction.set_rollback(True)
    return plans
