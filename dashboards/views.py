"""Leadership dashboards: the nation, a province, the trend, and their exports."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from access.scope import (
    dashboard_province,
    dashboard_provinces,
    province_or_404,
    require_nationwide,
)
from assessments import recognition
from assessments.indicators import rule_text
from assessments.models import Assessment, Enrolment
from core.replica import reads_from_replica
from criteria.models import CriterionGroup

from . import charts, coverage, exports, maps
from . import figures as dashboards
from . import indicators as measures
from .filters import Filters, enrolments_for, read_filters


def _groups(filters: Filters) -> list[CriterionGroup]:
    """Group codes and titles of the sets in use that year, for the filter."""
    seen: dict[str, CriterionGroup] = {}
    sets_in_use = (
        Enrolment.objects.filter(year=filters.year)
        .order_by()
        .values("criteria_set")
        .distinct()
    )
    groups = CriterionGroup.objects.filter(criteria_set__in=sets_in_use).order_by(
        "position", "code"
    )
    for group in groups:
        seen.setdefault(group.code, group)
    return list(seen.values())


def _common(filters: Filters) -> dict:
    return {
        "filters": filters,
        "tracks": Enrolment.Track.choices,
        "groups": _groups(filters),
        "band_labels": dashboards.band_labels(),
    }


@require_GET
@login_required
@reads_from_replica
def national(request: HttpRequest) -> HttpResponse:
    province = dashboard_province(request.user)
    if province is not None:  # a provincial user: their province's dashboard
        return redirect("province_dashboard", code=province.code)
    filters = read_filters(request, province=None)
    enrolments = enrolments_for(request.user, filters)
    provinces = dashboards.tallied_provinces(request.user, filters)
    levels = dashboards.tallied(request.user, filters)
    if levels is None:
        levels = dashboards.progress_of(enrolments, group=filters.group)
    rows = dashboards.with_late(
        dashboards.with_quotas(
            dashboards.province_rows(enrolments, progress=levels, oldest=False),
            filters.year,
        ),
        enrolments,
        filters.year,
        provinces=provinces,
        track=filters.track,
    )
    distribution = dashboards.distribution(progress=levels)
    holding = dashboards.criteria_holding_back(
        enrolments, group=filters.group, filters=filters, provinces=provinces
    )
    units = coverage.units_in_force(filters.year, rows)
    totals = {
        "enrolled": sum(r["enrolled"] for r in rows),
        "complete": sum(r["complete"] for r in rows),
        "pending": sum(r["pending"] for r in rows),
    }
    recognised = dashboards.recognition_counts(levels)
    return render(
        request,
        "dashboards/national.html",
        {
            **_common(filters),
            "rows": rows,
            "totals": totals,
            "recognition": recognised,
            "recognition_labels": recognition.Standing.LABELS,
            "levels": distribution,
            "sentence": dashboards.distribution_sentence(distribution),
            "chart": charts.column_chart(
                [(lv["label"], lv["wards"]) for lv in distribution]
            ),
            "holding": holding[:10],
            "units": units,
            "map": maps.province_map(
                rows,
                coverage.centres(filters.year) if units["day"] else {},
                frame=units["extent"],
                landmarks=maps.LANDMARKS,
            ),
        },
    )


# The wards of a province's table and heat map shown at once: the summary
# above them counts every ward, the page reads only these.
WARDS_PER_PAGE = 100


@require_GET
@login_required
@reads_from_replica
def province(request: HttpRequest, code: str) -> HttpResponse:
    filters = read_filters(request, province=None)
    province = province_or_404(request.user, code, year=filters.year)
    filters = filters.for_province(province)
    enrolments = enrolments_for(request.user, filters)
    # Every ward's stored progress and position, in one query: the map's
    # dots, and the counts of the summary.
    standings = dashboards.progress_of(enrolments, group=filters.group)
    distribution = dashboards.distribution(progress=standings)
    [registered] = recognition.registrations(filters.year, [province])
    # A page of the ranking, then that page's details (their subqueries
    # would otherwise run for every ward before the sort).
    paginator = Paginator(
        dashboards.ranked(enrolments, group=filters.group).values_list("pk", flat=True),
        WARDS_PER_PAGE,
    )
    paginator.count = len(standings)  # the same rows: no COUNT(*) query
    page = paginator.get_page(request.GET.get("page"))
    shown = list(page.object_list)
    details = dashboards.with_details(
        dashboards.ranked(enrolments.filter(pk__in=shown), group=filters.group),
        late_in=filters.year,
    )
    wards = list(details)
    grid = dashboards.heatmap(
        enrolments.filter(pk__in=[e.pk for e in wards]), group=filters.group
    )
    cells = _HeatRow(grid["numbers"])
    for enrolment in wards:
        enrolment.heat_cells = cells(enrolment, grid["cells"].get(enrolment.pk, {}))
    titles = dashboards.criterion_titles(enrolments, group=filters.group)
    spots = [
        maps.Spot(s.ward_name, s.latitude, s.longitude, s.progress) for s in standings
    ]
    return render(
        request,
        "dashboards/province.html",
        {
            **_common(filters),
            "province": province,
            "wards": wards,
            "page": page,
            "enrolled": len(standings),
            "levels": distribution,
            "sentence": dashboards.distribution_sentence(distribution),
            "chart": charts.column_chart(
                [(lv["label"], lv["wards"]) for lv in distribution]
            ),
            "columns": [(n, titles.get(n, "")) for n in grid["numbers"]],
            "pending_total": sum(s.submitted for s in standings),
            "registered": registered,
            "recognition_labels": recognition.Standing.LABELS,
            "map": maps.point_map(spots),
        },
    )


@require_GET
@login_required
@reads_from_replica
def indicator(request: HttpRequest, code: str) -> HttpResponse:
    """One indicator across a province's wards: how the figures spread, and
    the wards that miss its rule or have no figure for the year."""
    filters = read_filters(request, province=None)
    province = province_or_404(request.user, code, year=filters.year)
    filters = filters.for_province(province)
    enrolments = enrolments_for(request.user, filters)
    in_use = measures.in_use(enrolments)
    choices = measures.choices(in_use)
    asked = request.GET.get("indicator", "")
    chosen = next(
        (i for i in choices if i.code == asked),
        choices[0] if choices and not asked else None,
    )
    context = {
        "filters": filters,
        "tracks": Enrolment.Track.choices,
        "province": province,
        "choices": choices,
        "chosen": chosen,
        "unknown": bool(asked) and chosen is None,
    }
    if chosen is None or filters.year is None:
        return render(request, "dashboards/indicators.html", context)
    wards = list(enrolments.select_related("ward"))
    spread = measures.spread(
        measures.measure(wards, in_use, chosen.code, filters.year).values()
    )
    # A rule on the change is judged on the change: chart that.
    judged, unit = (
        (spread.changes, "%")
        if chosen.compares_years
        else (spread.figures, chosen.unit)
    )
    # Sets in use may give the same code other targets: name each rule.
    rules = dict.fromkeys(rule_text(i) for i in in_use if i.code == chosen.code)
    context |= {
        "spread": spread,
        "rule": "; ".join(rules),
        "stats": measures.stats_rows(spread, chosen),
        "chart": charts.column_chart(measures.bins(judged, unit)),
        "charted": len(judged),
    }
    return render(request, "dashboards/indicators.html", context)


class _HeatRow:
    """The heat map's rows as HTML, built here: a template tag per cell is
    slow, and so is translating a label per cell (lazy strings).

    A cell is its status's class and a link with the status, for screen
    readers; the ward and the criterion are the row's and column's headers.
    Everything that comes from data (the ward's code) is escaped; statuses
    and numbers come from the code's own choices.
    """

    def __init__(self, numbers: list[int]):
        self.numbers = numbers
        self.labels = {k: escape(str(v)) for k, v in Assessment.Status.choices}

    def __call__(self, enrolment: Enrolment, cells: dict):
        # One URL per ward, then the number appended: a reverse() per cell of
        # a 5,000-cell table is slow.
        prefix = escape(enrolment.criterion_url(0).removesuffix("0/"))
        parts = []
        for number in self.numbers:
            status = cells.get(number)
            if status is None:
                parts.append('<td class="cell status-none"></td>')
                continue
            parts.append(
                f'<td class="cell status-{status}"><a href="{prefix}{number:d}/">'
                f'<span class="visually-hidden">{self.labels[status]}</span></a></td>'
            )
        return mark_safe("".join(parts))  # noqa: S308 - escaped above


@require_GET
@login_required
@reads_from_replica
def trend(request: HttpRequest) -> HttpResponse:
    filters = read_filters(request, province=None)
    code = request.GET.get("province", "")
    filters = filters.for_province(
        dashboard_province(request.user, code, year=filters.year)
    )
    points = dashboards.trend(request.user, filters)
    chart = charts.line_chart(
        [
            (p["month"], date_format(p["month"], "YEAR_MONTH_FORMAT"), p["total"])
            for p in points
        ]
    )
    return render(
        request,
        "dashboards/trend.html",
        {
            **_common(filters),
            "points": points,
            "chart": chart,
            "provinces": dashboard_provinces(request.user, filters.year),
        },
    )


TABLES = {"provinces", "wards", "heatmap", "pipeline"}


@require_GET
@login_required
@reads_from_replica
def export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    """Every dashboard table as CSV or XLSX, with the filters of the page."""
    if table not in TABLES or fmt not in ("csv", "xlsx"):
        raise Http404
    if table == "provinces":
        require_nationwide(request.user)
    filters = read_filters(request, province=None)
    if table != "provinces":
        code = request.GET.get("province", "")
        filters = filters.for_province(
            province_or_404(request.user, code, year=filters.year)
        )
    enrolments = enrolments_for(request.user, filters)
    if table == "provinces":
        # From the stored tallies where they apply, as the national page.
        provinces = dashboards.tallied_provinces(request.user, filters)
        levels = dashboards.tallied(request.user, filters)
        rows = dashboards.province_rows(
            enrolments, group=filters.group, progress=levels, oldest=levels is None
        )
        if provinces is not None:
            dashboards.with_oldest(
                rows, filters.year, provinces=provinces, track=filters.track
            )
        rows = dashboards.with_quotas(rows, filters.year)
        headers, data = exports.province_table(rows)
        title = _("Provinces")
    elif table == "wards":
        wards = dashboards.ward_rows(enrolments, group=filters.group)
        measured = measures.columns(wards, measures.in_use(enrolments), filters.year)
        headers, data = exports.ward_table(wards, measured)
        title = _("Wards")
    elif table == "heatmap":
        wards = dashboards.ward_rows(enrolments, group=filters.group)
        grid = dashboards.heatmap(enrolments, group=filters.group)
        headers, data = exports.heatmap_table(wards, grid)
        title = _("Criteria by ward")
    else:
        headers, data = exports.pipeline_table(dashboards.pending_pipeline(enrolments))
        title = _("Review pipeline")
    where = filters.province.code if filters.province else "national"
    filename = f"kieumau-{table}-{where}-{filters.year}"
    if fmt == "csv":
        return exports.csv_response(filename, headers, data)
    return exports.xlsx_response(filename, title, headers, data)
