"""Importing official lists of units, and the changes between two lists.

A list names units (code, name, kind, province, and the period it is in
force); a changes file says what became of units on a date (old code → new
code, whole or in part). The import first makes a plan: what would be added,
renamed, closed, merged or split. It refuses, naming the line, what would
give an existing unit another identity (a code in use by another unit or in
another province), unless the operator allows that kind of change. Applying
the plan writes it all in one transaction, or nothing. Importing the same
files again changes nothing.

A unit is its code together with its period: a new unit may take the code of
a unit it absorbed only if the changes close that unit before the new one
starts, and the old unit keeps its own records.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from core.datafiles import DataFileError, csv_lines, decode_text, read_data_file

from .models import (
    KIND_PREFIXES,
    PROVINCE_PREFIXES,
    Province,
    Ward,
    WardKind,
)
from .models import (
    UnitChange as Change,
)

UNIT_COLUMNS = ["code", "name", "province_code"]
CHANGE_COLUMNS = ["old_code", "new_code", "effective"]
DAY = dt.timedelta(days=1)


class UnitFileError(DataFileError):
    """A list of units or of changes that cannot be imported."""


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

    def overlaps(self, start: dt.date | None, end: dt.date | None) -> bool:
        return _overlap(self.valid_from, self.valid_to, start, end)


@dataclass(frozen=True)
class ChangeRow:
    line: int
    old_code: str
    new_code: str
    effective: dt.date
    partial: bool


# A unit in the plan: one in the database, or one the plan adds.
Unit = Ward | UnitRow


@dataclass
class Plan:
    added: list[UnitRow] = field(default_factory=list)
    renamed: list[tuple[Ward, UnitRow]] = field(default_factory=list)
    moved: list[tuple[Ward, UnitRow]] = field(default_factory=list)
    closed: dict[int, tuple[Ward, dt.date]] = field(default_factory=dict)
    changes: list[tuple[Unit, Unit, ChangeRow]] = field(default_factory=list)
    provinces_added: dict[str, tuple[str, dt.date | None]] = field(default_factory=dict)
    unchanged: int = 0
    refusals: list[str] = field(default_factory=list)

    @property
    def merged(self) -> dict[str, list[str]]:
        """New units that several units went into: their names → the former."""
        into: dict[str, list[str]] = defaultdict(list)
        for old, new, _row in self.changes:
            into[_label(new)].append(_label(old))
        return {new: olds for new, olds in into.items() if len(olds) > 1}

    @property
    def split(self) -> dict[str, list[str]]:
        """Units shared out between several: their names → the later ones."""
        out: dict[str, list[str]] = defaultdict(list)
        for old, new, _row in self.changes:
            out[_label(old)].append(_label(new))
        return {old: news for old, news in out.items() if len(news) > 1}

    @property
    def is_empty(self) -> bool:
        return not (
            self.added
            or self.renamed
            or self.moved
            or self.closed
            or self.changes
            or self.provinces_added
        )

    def summary(self) -> list[str]:
        lines = [
            _("%(n)d unit(s) to add") % {"n": len(self.added)},
            _("%(n)d unit(s) to rename") % {"n": len(self.renamed)},
            _("%(n)d unit(s) to move to another province") % {"n": len(self.moved)},
            _("%(n)d unit(s) to close") % {"n": len(self.closed)},
            _("%(n)d merger(s) into one unit") % {"n": len(self.merged)},
            _("%(n)d unit(s) split between several") % {"n": len(self.split)},
            _("%(n)d change(s) of lineage to record") % {"n": len(self.changes)},
            _("%(n)d province(s) to add") % {"n": len(self.provinces_added)},
            _("%(n)d unit(s) unchanged") % {"n": self.unchanged},
        ]
        return lines


def _label(unit: Unit) -> str:
    return f"{unit.name} ({unit.code})"


def _overlap(a_from, a_to, b_from, b_to) -> bool:
    starts_before_b_ends = a_from is None or b_to is None or a_from <= b_to
    ends_after_b_starts = a_to is None or b_from is None or a_to >= b_from
    return starts_before_b_ends and ends_after_b_starts


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


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split()))


def unit_name(full: str, kind: str = "") -> tuple[str, str]:
    """The short name and kind of "Phường An Hưng" (or of "An Hưng", `kind`)."""
    full = _nfc(full)
    for candidate, prefix in KIND_PREFIXES.items():
        if full.casefold().startswith(prefix.casefold() + " "):
            return full[len(prefix) + 1 :], kind or candidate
    return full, kind


def province_name(full: str) -> str:
    """ "Thành phố Hà Nội" and "Tỉnh Thanh Hóa" are Hà Nội and Thanh Hóa."""
    full = _nfc(full)
    for prefix in PROVINCE_PREFIXES:
        if full.casefold().startswith(prefix.casefold() + " "):
            return full[len(prefix) + 1 :]
    return full


def read_units(path: Path | str) -> list[UnitRow]:
    kinds = set(WardKind.values)
    seen: dict[tuple[str, dt.date | None], int] = {}
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
        for column, limit in (("code", 8), ("province_code", 8)):
            if len(values[column]) > limit or not values[column].isdigit():
                raise UnitFileError(
                    _("an official code is digits, at most %(limit)d.")
                    % {"limit": limit},
                    line=line,
                    field=column,
                )
        row = UnitRow(
            line=line,
            code=values["code"],
            name=name[:128],
            kind=kind,
            province_code=values["province_code"],
            province_name=province_name(
                values.get("province_name") or values.get("province") or ""
            ),
            valid_from=_date(values.get("valid_from", ""), line, "valid_from"),
            valid_to=_date(values.get("valid_to", ""), line, "valid_to"),
            latitude=_coordinate(values.get("latitude", ""), line, "latitude"),
            longitude=_coordinate(values.get("longitude", ""), line, "longitude"),
        )
        key = (row.code, row.valid_from)
        if key in seen:
            raise UnitFileError(
                _("unit code %(code)s already appears on line %(first)d.")
                % {"code": row.code, "first": seen[key]},
                line=line,
                field="code",
            )
        seen[key] = line
        units.append(row)
    if not units:
        raise UnitFileError(_("the file has no units."))
    return units


def read_changes(path: Path | str) -> list[ChangeRow]:
    changes = []
    for line, values in _rows(path, CHANGE_COLUMNS):
        effective = _date(values["effective"], line, "effective")
        assert effective is not None  # required
        changes.append(
            ChangeRow(
                line=line,
                old_code=values["old_code"],
                new_code=values["new_code"],
                effective=effective,
                partial=values.get("partial", "0") in ("1", "true", "yes"),
            )
        )
    return changes


# Planning ------------------------------------------------------------------


def plan(
    units: list[UnitRow],
    changes: list[ChangeRow] = (),  # type: ignore[assignment]
    *,
    allow_renames: bool = False,
    allow_moves: bool = False,
) -> Plan:
    """What importing `units` and `changes` would do; refusals included."""
    result = Plan()
    codes = {u.code for u in units} | {c.old_code for c in changes}
    codes |= {c.new_code for c in changes}
    existing: dict[str, list[Ward]] = defaultdict(list)
    for ward in Ward.objects.filter(code__in=codes).select_related("province"):
        existing[ward.code].append(ward)
    # Units the changes close: a new unit may take their code from then on.
    closing: dict[str, list[ChangeRow]] = defaultdict(list)
    for change in changes:
        closing[change.old_code].append(change)

    provinces = _plan_provinces(units, result)
    for row in units:
        province = provinces.get(row.province_code)
        overlapping = [
            w for w in existing[row.code] if row.overlaps(w.valid_from, w.valid_to)
        ]
        if not overlapping:
            result.added.append(row)
            continue
        if len(overlapping) > 1:
            result.refusals.append(
                _("line %(line)d: code %(code)s names several units in that period.")
                % {"line": row.line, "code": row.code}
            )
            continue
        (ward,) = overlapping
        if _starts_before(ward.valid_from, row.valid_from):
            # A new unit taking the code of one in force before it.
            ends = [
                c.effective
                for c in closing.get(row.code, [])
                if row.valid_from is not None and c.effective <= row.valid_from
            ]
            if ends:
                result.closed[ward.pk] = (ward, min(ends) - DAY)
                result.added.append(row)
                continue
            result.refusals.append(
                _(
                    "line %(line)d: code %(code)s is in use by %(unit)s "
                    "(%(province)s) from before %(start)s; a new unit may take it "
                    "only if the changes file closes that one."
                )
                % {
                    "line": row.line,
                    "code": row.code,
                    "unit": ward.name,
                    "province": ward.province.name,
                    "start": row.valid_from,
                }
            )
            continue
        same_province = ward.province.code == row.province_code and (
            province is None or province == ward.province_id
        )
        if not same_province:
            if allow_moves:
                result.moved.append((ward, row))
            else:
                result.refusals.append(
                    _(
                        "line %(line)d: code %(code)s is %(unit)s in %(province)s, "
                        "not in province %(given)s; to move it, pass --allow-moves."
                    )
                    % {
                        "line": row.line,
                        "code": row.code,
                        "unit": ward.name,
                        "province": ward.province.name,
                        "given": row.province_code,
                    }
                )
            continue
        if (ward.name, ward.kind) != (row.name, row.kind):
            if allow_renames:
                result.renamed.append((ward, row))
            else:
                result.refusals.append(
                    _(
                        "line %(line)d: code %(code)s is %(unit)s, not %(given)s; "
                        "to rename it, pass --allow-renames."
                    )
                    % {
                        "line": row.line,
                        "code": row.code,
                        "unit": ward.full_name,
                        "given": f"{row.kind} {row.name}",
                    }
                )
            continue
        if row.valid_to is not None and ward.valid_to != row.valid_to:
            result.closed[ward.pk] = (ward, row.valid_to)
            continue
        result.unchanged += 1

    _plan_changes(changes, units, existing, result)
    return result


def _starts_before(a: dt.date | None, b: dt.date | None) -> bool:
    """Whether a period starting at `a` starts before one starting at `b`."""
    return b is not None and (a is None or a < b)


def _plan_provinces(units: list[UnitRow], result: Plan) -> dict[str, int | None]:
    """Provinces by code: an existing one's id, or None for one to add."""
    known = {p.code: p for p in Province.objects.filter(valid_to__isnull=True)}
    found: dict[str, int | None] = {}
    for row in units:
        if row.province_code in found:
            continue
        province = known.get(row.province_code)
        if province is None:
            if not row.province_name:
                result.refusals.append(
                    _("line %(line)d: province %(code)s is new; give its name.")
                    % {"line": row.line, "code": row.province_code}
                )
            result.provinces_added[row.province_code] = (
                row.province_name,
                row.valid_from,
            )
            found[row.province_code] = None
            continue
        if row.province_name and province.name != row.province_name:
            result.refusals.append(
                _(
                    "line %(line)d: province %(code)s is called “%(name)s”, "
                    "not “%(given)s”."
                )
                % {
                    "line": row.line,
                    "code": province.code,
                    "name": province.name,
                    "given": row.province_name,
                }
            )
        found[row.province_code] = province.pk
    return found


def _plan_changes(changes, units, existing, result: Plan) -> None:
    added = defaultdict(list)
    for row in result.added:
        added[row.code].append(row)
    known_links = set(
        Change.objects.filter(
            predecessor__code__in={c.old_code for c in changes}
        ).values_list("predecessor__code", "successor__code", "effective")
    )
    for change in changes:
        day_before = change.effective - DAY
        old = _find(existing[change.old_code], added[change.old_code], day_before)
        new = _find(existing[change.new_code], added[change.new_code], change.effective)
        if old is None or new is None:
            missing = change.old_code if old is None else change.new_code
            when = day_before if old is None else change.effective
            result.refusals.append(
                _(
                    "line %(line)d of the changes: no unit %(code)s is in force "
                    "on %(day)s."
                )
                % {"line": change.line, "code": missing, "day": when}
            )
            continue
        if (change.old_code, change.new_code, change.effective) in known_links:
            continue
        result.changes.append((old, new, change))
        still_open = old.valid_to is None or old.valid_to > day_before
        if isinstance(old, Ward) and still_open and old is not new:
            previous = result.closed.get(old.pk)
            if previous is None or previous[1] > day_before:
                result.closed[old.pk] = (old, day_before)


def _find(wards: list[Ward], rows: list[UnitRow], day: dt.date) -> Unit | None:
    for row in rows:
        if row.overlaps(day, day):
            return row
    for ward in wards:
        if ward.valid_on(day):
            return ward
    return None


# Applying ------------------------------------------------------------------


@transaction.atomic
def apply(result: Plan) -> None:
    """Write a plan without refusals; all of it, or nothing."""
    if result.refusals:
        raise UnitFileError(result.refusals[0])
    provinces = {p.code: p for p in Province.objects.filter(valid_to__isnull=True)}
    for code, (name, start) in result.provinces_added.items():
        provinces[code] = Province.objects.create(
            code=code, name=name, valid_from=start
        )
    for ward, end in result.closed.values():
        ward.valid_to = end
        ward.save(update_fields=["valid_to"])
    for ward, row in result.renamed:
        ward.name, ward.kind = row.name, row.kind
        ward.save(update_fields=["name", "kind"])
    for ward, row in result.moved:
        ward.province = provinces[row.province_code]
        ward.save(update_fields=["province"])
    created: dict[tuple[str, dt.date | None], Ward] = {}
    for row in result.added:
        created[(row.code, row.valid_from)] = Ward.objects.create(
            code=row.code,
            name=row.name,
            kind=row.kind,
            province=provinces[row.province_code],
            valid_from=row.valid_from,
            valid_to=row.valid_to,
            latitude=row.latitude,
            longitude=row.longitude,
        )

    def saved(unit: Unit) -> Ward:
        if isinstance(unit, Ward):
            return unit
        return created[(unit.code, unit.valid_from)]

    Change.objects.bulk_create(
        Change(
            predecessor=saved(old),
            successor=saved(new),
            effective=row.effective,
            partial=row.partial,
        )
        for old, new, row in result.changes
    )


def import_units_file(
    path: Path | str,
    changes_path: Path | str | None = None,
    *,
    allow_renames: bool = False,
    allow_moves: bool = False,
    dry_run: bool = False,
) -> Plan:
    """Plan the import of a list (and its changes); apply it unless `dry_run`."""
    units = read_units(path)
    changes = read_changes(changes_path) if changes_path else []
    result = plan(units, changes, allow_renames=allow_renames, allow_moves=allow_moves)
    if not dry_run:
        apply(result)
    return result
