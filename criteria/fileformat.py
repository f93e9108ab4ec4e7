"""The plain file format of criteria sets: read, validate, write.

A UTF-8 CSV file that opens in a spreadsheet. A metadata block, one blank
line, then one row per criterion::

    kieumau-criteria,1
    code,illustrative-22
    name,<name of the set>
    year,2021
    group,A,<Vietnamese title>,<English title>
    ...
    indicator,18,clearance_rate,<name>,<English name>,%,year_to_date,at_least,90
    ...

    number,group,title,title_en,description,evidence_guidance,responsible_body,assessed
    1,A,<Vietnamese title>,<English title>,...,police,anytime

An `indicator` line gives a criterion (by number) a figure and its rule:
code, names, unit, period (`year_to_date` or `on_date`), rule (`at_least`,
`at_most`, `equal`, `change_at_most`, `change_below`; the last two in per
cent against the same period of the year before) and target.

Errors name the line and the field, so the person fixing the file can find it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.utils.translation import gettext as _

from core.datafiles import DataFileError, csv_lines, decode_text, read_data_file

from .models import Criterion, Indicator

ILLUSTRATIVE_SET = Path(__file__).resolve().parent / "data" / "illustrative-22.csv"
MAGIC = "kieumau-criteria"
VERSION = "1"
COLUMNS = [
    "number",
    "group",
    "title",
    "title_en",
    "description",
    "evidence_guidance",
    "responsible_body",
    "assessed",
]
REQUIRED_COLUMNS = {"number", "group", "title", "responsible_body", "assessed"}


class CriteriaFileError(DataFileError):
    """A criteria file that cannot be imported."""


@dataclass
class GroupRow:
    code: str
    title: str
    title_en: str
    position: int


@dataclass
class CriterionRow:
    line: int
    number: int
    group: str
    title: str
    title_en: str = ""
    description: str = ""
    evidence_guidance: str = ""
    responsible_body: str = Criterion.ResponsibleBody.POLICE
    assessed: str = Criterion.Assessed.ANYTIME


@dataclass
class IndicatorRow:
    line: int
    criterion: int
    code: str
    name: str
    name_en: str
    unit: str
    period: str
    rule: str
    target: Decimal


@dataclass
class CriteriaFile:
    code: str
    name: str
    year: int
    groups: list[GroupRow] = field(default_factory=list)
    criteria: list[CriterionRow] = field(default_factory=list)
    indicators: list[IndicatorRow] = field(default_factory=list)


def read(path: Path | str) -> CriteriaFile:
    """Read and check a criteria file, or raise CriteriaFileError saying why."""
    return parse(read_data_file(path, CriteriaFileError))


def parse(data: bytes) -> CriteriaFile:
    """Read and validate a whole file; raise CriteriaFileError at the first fault."""
    text = decode_text(data, CriteriaFileError)
    rows = csv_lines(text, CriteriaFileError)
    if not rows or [c.strip() for c in rows[0][1][:2]] != [MAGIC, VERSION]:
        raise CriteriaFileError(
            _("the first line must be “%(magic)s,%(version)s”.")
            % {"magic": MAGIC, "version": VERSION},
            line=1,
        )
    meta: dict[str, tuple[int, str]] = {}
    groups: list[GroupRow] = []
    indicators: list[IndicatorRow] = []
    index = 1
    while index < len(rows) and any(cell.strip() for cell in rows[index][1]):
        line, cells = rows[index]
        key = cells[0].strip()
        if key == "group":
            group = _parse_group(line, cells, len(groups))
            if any(g.code == group.code for g in groups):
                raise CriteriaFileError(
                    _("group “%(group)s” is declared twice.") % {"group": group.code},
                    line=line,
                    field="group",
                )
            groups.append(group)
        elif key == "indicator":
            indicators.append(_parse_indicator(line, cells, indicators))
        elif key in {"code", "name", "year"}:
            if len(cells) < 2 or not cells[1].strip():
                raise CriteriaFileError(_("a value is required."), line=line, field=key)
            meta[key] = (line, cells[1].strip())
        else:
            raise CriteriaFileError(
                _("unknown setting; expected code, name, year, group or indicator."),
                line=line,
                field=key,
            )
        index += 1
    for key in ("code", "name", "year"):
        if key not in meta:
            raise CriteriaFileError(
                _("the metadata block has no “%(key)s” line.") % {"key": key}
            )
    year_line, year_text = meta["year"]
    year = _parse_int(year_text, line=year_line, field="year")
    code = meta["code"][1]
    if not _is_slug(code):
        raise CriteriaFileError(
            _("use only letters, digits, hyphens and underscores."),
            line=meta["code"][0],
            field="code",
        )
    if not groups:
        raise CriteriaFileError(_("the metadata block declares no group."))
    parsed = CriteriaFile(code=code, name=meta["name"][1], year=year, groups=groups)

    index += 1  # the blank line
    if index >= len(rows):
        raise CriteriaFileError(_("the file has no criteria table."))
    header_line, header_cells = rows[index]
    header = [cell.strip() for cell in header_cells]
    missing = [c for c in COLUMNS if c in REQUIRED_COLUMNS and c not in header]
    if missing:
        raise CriteriaFileError(
            _("the header has no column “%(column)s”.") % {"column": missing[0]},
            line=header_line,
        )
    unknown = [c for c in header if c and c not in COLUMNS]
    if unknown:
        raise CriteriaFileError(
            _("unknown column."), line=header_line, field=unknown[0]
        )
    group_codes = {g.code for g in groups}
    seen_numbers: dict[int, int] = {}
    for line, cells in rows[index + 1 :]:
        if not any(cell.strip() for cell in cells):
            continue
        record = dict(zip(header, (c.strip() for c in cells), strict=False))
        if len(cells) > len(header):
            raise CriteriaFileError(
                _("the row has more cells than the header."), line=line
            )
        for column in REQUIRED_COLUMNS:
            if not record.get(column):
                raise CriteriaFileError(
                    _("a value is required."), line=line, field=column
                )
        number = _parse_int(record["number"], line=line, field="number")
        if number < 1:
            raise CriteriaFileError(
                _("the number must be 1 or more."), line=line, field="number"
            )
        if number in seen_numbers:
            raise CriteriaFileError(
                _("criterion %(number)d already appears on line %(first)d.")
                % {"number": number, "first": seen_numbers[number]},
                line=line,
                field="number",
            )
        seen_numbers[number] = line
        if record["group"] not in group_codes:
            raise CriteriaFileError(
                _("unknown group “%(group)s”; declare it in the metadata block.")
                % {"group": record["group"]},
                line=line,
                field="group",
            )
        _check_choice(record, "responsible_body", Criterion.ResponsibleBody, line)
        _check_choice(record, "assessed", Criterion.Assessed, line)
        for column in ("title", "title_en"):
            if len(record.get(column, "")) > 255:
                raise CriteriaFileError(
                    _("the text is longer than 255 characters."),
                    line=line,
                    field=column,
                )
        parsed.criteria.append(
            CriterionRow(
                line=line,
                number=number,
                group=record["group"],
                title=record["title"],
                title_en=record.get("title_en", ""),
                description=record.get("description", ""),
                evidence_guidance=record.get("evidence_guidance", ""),
                responsible_body=record["responsible_body"],
                assessed=record["assessed"],
            )
        )
    if not parsed.criteria:
        raise CriteriaFileError(_("the criteria table has no rows."), line=header_line)
    for indicator in indicators:
        if indicator.criterion not in seen_numbers:
            raise CriteriaFileError(
                _("there is no criterion %(number)d in the table.")
                % {"number": indicator.criterion},
                line=indicator.line,
                field="indicator",
            )
    parsed.indicators = indicators
    return parsed


def write(criteria_set, out: io.TextIOBase) -> None:
    """Write a criteria set in the format that `parse` reads."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([MAGIC, VERSION])
    writer.writerow(["code", criteria_set.code])
    writer.writerow(["name", criteria_set.name])
    writer.writerow(["year", criteria_set.year])
    for group in criteria_set.groups.order_by("position", "code"):
        writer.writerow(["group", group.code, group.title, group.title_en])
    indicators = Indicator.objects.filter(
        criterion__criteria_set=criteria_set
    ).select_related("criterion")
    for indicator in indicators.order_by("criterion__number", "position", "pk"):
        writer.writerow(
            [
                "indicator",
                indicator.criterion.number,
                indicator.code,
                indicator.name,
                indicator.name_en,
                indicator.unit,
                indicator.period,
                indicator.rule,
                _plain(indicator.target),
            ]
        )
    writer.writerow([])
    writer.writerow(COLUMNS)
    for criterion in criteria_set.criteria.select_related("group").order_by("number"):
        writer.writerow(
            [
                criterion.number,
                criterion.group.code,
                criterion.title,
                criterion.title_en,
                criterion.description,
                criterion.evidence_guidance,
                criterion.responsible_body,
                criterion.assessed,
            ]
        )


def _parse_group(line: int, cells: list[str], position: int) -> GroupRow:
    cells = [c.strip() for c in cells] + ["", "", ""]
    if not cells[1]:
        raise CriteriaFileError(
            _("a group code is required."), line=line, field="group"
        )
    if not cells[2]:
        raise CriteriaFileError(
            _("a group title is required."), line=line, field="group"
        )
    return GroupRow(code=cells[1], title=cells[2], title_en=cells[3], position=position)


def _parse_indicator(
    line: int, cells: list[str], earlier: list[IndicatorRow]
) -> IndicatorRow:
    cells = [c.strip() for c in cells] + [""] * 9
    number_text, code, name, name_en, unit, period, rule, target = cells[1:9]
    number = _parse_int(number_text, line=line, field="indicator")
    if not _is_slug(code):
        raise CriteriaFileError(
            _("an indicator code uses only letters, digits, hyphens and underscores."),
            line=line,
            field="indicator",
        )
    if any(row.code == code for row in earlier):
        raise CriteriaFileError(
            _("indicator “%(code)s” is declared twice.") % {"code": code},
            line=line,
            field="indicator",
        )
    if not name:
        raise CriteriaFileError(
            _("an indicator needs a name."), line=line, field="indicator"
        )
    for value, choices, column in (
        (period, Indicator.Period, "period"),
        (rule, Indicator.Rule, "rule"),
    ):
        if value not in choices.values:
            raise CriteriaFileError(
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": value, "choices": ", ".join(choices.values)},
                line=line,
                field=column,
            )
    try:
        amount = Decimal(target)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or abs(amount) >= 10**12:
        raise CriteriaFileError(
            _("“%(value)s” is not a number.") % {"value": target},
            line=line,
            field="target",
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise CriteriaFileError(
            _("a target has at most two decimal places."), line=line, field="target"
        )
    if len(name) > 255 or len(name_en) > 255 or len(unit) > 32:
        raise CriteriaFileError(
            _("the text is too long."), line=line, field="indicator"
        )
    return IndicatorRow(
        line=line,
        criterion=number,
        code=code,
        name=name,
        name_en=name_en,
        unit=unit,
        period=period,
        rule=rule,
        target=amount,
    )


def _plain(amount: Decimal) -> str:
    """90.00 as "90", 0.50 as "0.5": what a person would write."""
    text = format(amount, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _parse_int(text: str, *, line: int, field: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise CriteriaFileError(
            _("“%(value)s” is not a whole number.") % {"value": text},
            line=line,
            field=field,
        ) from None


def _check_choice(record: dict[str, str], column: str, choices, line: int) -> None:
    if record[column] not in choices.values:
        raise CriteriaFileError(
            _("“%(value)s” is not one of: %(choices)s.")
            % {"value": record[column], "choices": ", ".join(choices.values)},
            line=line,
            field=column,
        )


def _is_slug(value: str) -> bool:
    return bool(value) and all(
        c.isascii() and (c.isalnum() or c in "-_") for c in value
    )
