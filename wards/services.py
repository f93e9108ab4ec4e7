"""Loading the official list of provinces and units."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from core.datafiles import DataFileError, csv_lines, decode_text, read_data_file

from .models import Province, Ward

WARD_COLUMNS = ["province_code", "province", "code", "name", "kind"]


class WardFileError(DataFileError):
    """A wards file that cannot be imported."""


@dataclass
class WardImportResult:
    provinces_created: int
    wards_created: int
    wards_updated: int


def import_wards_file(path: Path | str) -> WardImportResult:
    """Read a wards CSV and load it; nothing is written if it has a fault."""
    data = read_data_file(path, WardFileError)
    return import_wards(rows=_read_ward_rows(decode_text(data, WardFileError)))


def _read_ward_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    lines = csv_lines(text, WardFileError)
    header = [cell.strip() for cell in lines[0][1]] if lines else []
    missing = [c for c in WARD_COLUMNS if c not in header]
    if missing:
        raise WardFileError(
            _("the header has no column “%(column)s”.") % {"column": missing[0]},
            line=1,
        )
    rows = []
    for line, cells in lines[1:]:
        if any(cell.strip() for cell in cells):
            if len(cells) > len(header):
                raise WardFileError(
                    _("the row has more cells than the header."), line=line
                )
            rows.append(
                (line, dict(zip(header, (c.strip() for c in cells), strict=False)))
            )
    if not rows:
        raise WardFileError(_("the file has no wards."))
    return rows


@transaction.atomic
def import_wards(*, rows: list[tuple[int, dict[str, str]]]) -> WardImportResult:
    """Create or update provinces and wards, matched by their official codes."""
    kinds = set(Ward.Kind.values)
    seen_codes: dict[str, int] = {}
    for line, row in rows:
        for column in WARD_COLUMNS:
            if not row.get(column):
                raise WardFileError(_("a value is required."), line=line, field=column)
        if row["kind"] not in kinds:
            raise WardFileError(
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": row["kind"], "choices": ", ".join(sorted(kinds))},
                line=line,
                field="kind",
            )
        for column, limit in (("code", 8), ("province_code", 8), ("name", 128)):
            if len(row[column]) > limit:
                raise WardFileError(
                    _("the value is longer than %(limit)d characters.")
                    % {"limit": limit},
                    line=line,
                    field=column,
                )
        if row["code"] in seen_codes:
            raise WardFileError(
                _("unit code %(code)s already appears on line %(first)d.")
                % {"code": row["code"], "first": seen_codes[row["code"]]},
                line=line,
                field="code",
            )
        seen_codes[row["code"]] = line

    provinces = {p.code: p for p in Province.objects.all()}
    provinces_created = 0
    for line, row in rows:
        province = provinces.get(row["province_code"])
        if province is None:
            if Province.objects.filter(name=row["province"]).exists():
                raise WardFileError(
                    _("a province of this name exists with another code."),
                    line=line,
                    field="province",
                )
            province = Province.objects.create(
                code=row["province_code"], name=row["province"]
            )
            provinces[province.code] = province
            provinces_created += 1
        elif province.name != row["province"]:
            raise WardFileError(
                _("province %(code)s is called “%(name)s”, not “%(given)s”.")
                % {
                    "code": province.code,
                    "name": province.name,
                    "given": row["province"],
                },
                line=line,
                field="province",
            )

    existing = {w.code: w for w in Ward.objects.filter(code__in=seen_codes)}
    created = updated = 0
    for _line, row in rows:
        province = provinces[row["province_code"]]
        ward = existing.get(row["code"])
        if ward is None:
            ward = Ward(code=row["code"])
            created += 1
        else:
            updated += 1
        ward.name, ward.kind, ward.province = row["name"], row["kind"], province
        ward.save()
    return WardImportResult(provinces_created, created, updated)
