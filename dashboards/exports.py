"""CSV and XLSX downloads of the dashboard tables, filtered as on screen."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from assessments import recognition
from assessments.models import Assessment

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence]):
    """UTF-8 with a byte-order mark, so Excel shows Vietnamese text correctly."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    # Headers carry names set in the admin (indicators): neutralised too.
    writer.writerow([_csv_cell(str(header)) for header in headers])
    for row in rows:
        writer.writerow([_csv_cell(cell) for cell in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(
    filename: str, title: str, headers: Sequence[str], rows: Iterable[Sequence]
):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([_csv_cell(str(header)) for header in headers])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value):
    """A cell a spreadsheet will show as text, never run as a formula."""
    if value is None:
        return ""
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _xlsx_cell(sheet, value):
    """A cell of the sheet; dates shown day first, as everywhere in the app."""
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=_cell(value))
        dated = isinstance(value, dt.datetime)
        cell.number_format = "DD/MM/YYYY HH:MM" if dated else "DD/MM/YYYY"
        return cell
    return _cell(value)


def _cell(value):
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    return _csv_cell(value) if isinstance(value, str) else value


def province_table(rows: list[dict]) -> tuple[list[str], list[list]]:
    headers = [
        _("Province"),
        _("Wards enrolled"),
        _("Wards with all criteria met"),
        _("Mean progress (%)"),
        _("Criteria pending review"),
        _("Oldest pending (days)"),
        _("Registered at Ministry level"),
        _("Quota"),
        _("Recognised"),
        _("Proposed"),
    ]
    return headers, [
        [
            row["ward__province__name"],
            row["enrolled"],
            row["complete"],
            row["mean_percent"],
            row["pending"],
            row["oldest_days"],
            row["ministry"],
            row.get("quota"),
            row["recognised"],
            row["proposed"],
        ]
        for row in rows
    ]


def ward_table(enrolments, indicator_columns=()) -> tuple[list[str], list[list]]:
    """One row per ward; after the fixed columns, for each indicator
    (`dashboards.indicators.columns`) the ward's figure for the year, the
    date it runs to, the change on the year before for a rule on the
    change, and whether the rule is met. Blank where the ward's set does
    not have the indicator."""
    headers = [
        _("Unit code"),
        _("Ward"),
        _("Level"),
        _("Approved"),
        _("Criteria"),
        _("Progress"),
        _("Pending review"),
        _("Returned"),
        _("Last activity"),
        _("Recognition"),
        _("Decision number"),
        _("Decision date"),
    ]
    for column in indicator_columns:
        headers.extend(_indicator_headers(column))
    return headers, [
        [
            e.ward.code,
            e.ward.name,
            e.get_track_display(),
            e.approved_count,
            e.criteria_count,
            e.progress,
            e.pending_count,
            e.returned_count,
            e.last_activity,
            str(
                recognition.Standing.LABELS[
                    recognition.standing_of(e.stage, e.standing)
                ]
            ),
            e.decision.number if e.decision else "",
            e.decision.date if e.decision else None,
        ]
        + [cell for column in indicator_columns for cell in _indicator_cells(column, e)]
        for e in enrolments
    ]


def _indicator_headers(column) -> list[str]:
    indicator = column.indicator
    name = indicator.display_name
    headers = [
        f"{name} ({indicator.unit})" if indicator.unit else name,
        _("%(indicator)s: period ends on") % {"indicator": name},
    ]
    if column.compares_years:
        headers.append(
            _("%(indicator)s: change on the previous year (%%)") % {"indicator": name}
        )
    headers.append(_("%(indicator)s: rule met") % {"indicator": name})
    return headers


def _indicator_cells(column, enrolment) -> list:
    measured = column.readings.get(enrolment.pk)
    width = 4 if column.compares_years else 3
    if measured is None:  # the ward's set does not have this indicator
        return [None] * width
    reading = measured.reading
    if reading.value is None:
        met = _("no figure")
    else:
        met = _("yes") if reading.met else _("no")
    cells = [
        _amount(reading.value.value) if reading.value else None,
        reading.value.period_end if reading.value else None,
    ]
    if column.compares_years:
        cells.append(_amount(reading.change))
    cells.append(met)
    return cells


def _amount(value: Decimal | None) -> Decimal | int | None:
    """A figure as a spreadsheet number: 5, not 5.00."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return value.normalize()


def heatmap_table(enrolments, grid: dict) -> tuple[list[str], list[list]]:

    labels = dict(Assessment.Status.choices)
    headers = [_("Unit code"), _("Ward")] + [str(n) for n in grid["numbers"]]
    rows = []
    for e in enrolments:
        cells = grid["cells"].get(e.pk, {})
        rows.append(
            [e.ward.code, e.ward.name]
            + [str(labels.get(cells.get(n), "")) for n in grid["numbers"]]
        )
    return headers, rows


def pipeline_table(items) -> tuple[list[str], list[list]]:
    now = timezone.now()
    headers = [
        _("Province"),
        _("Unit code"),
        _("Ward"),
        _("Criterion"),
        _("Group"),
        _("Submitted at"),
        _("Waiting (days)"),
        _("Claimed by"),
    ]
    return headers, [
        [
            a.enrolment.ward.province.name,
            a.enrolment.ward.code,
            a.enrolment.ward.name,
            f"{a.criterion.number}. {a.criterion.display_title}",
            a.criterion.group.code,
            a.submitted_at,
            (now - a.submitted_at).days,
            a.reviewer.get_username() if a.reviewer else "",
        ]
        for a in items
    ]
