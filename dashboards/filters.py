"""What a dashboard shows: the year, the province, the track and the group."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

import django_filters as filters
from django.db.models import QuerySet
from django.http import HttpRequest

from assessments.filters import YearFilter
from assessments.models import Enrolment, Track
from wards.lineage import with_predecessors
from wards.models import Province


@dataclass
class Filters:
    year: int | None
    province: Province | None = None
    track: str = ""
    group: str = ""
    years: list[int] = field(default_factory=list)
    # The province and those it was formed from: in the year of a merger its
    # units of the months before were theirs (Hà Nội before 1 July 2025 was
    # another row), so its figures and trend run on across the date.
    province_ids: frozenset[int] = frozenset()

    def for_province(self, province: Province | None) -> Filters:
        """These filters for `province` (None: the country), with the provinces
        it was formed from (one query)."""
        if province is None:
            return replace(self, province=None, province_ids=frozenset())
        _wards, ids = with_predecessors([], [province.pk])
        return replace(self, province=province, province_ids=ids)

    def as_query(self) -> dict[str, Any]:
        query = {
            "year": self.year or "",
            "province": self.province.code if self.province else "",
            "track": self.track,
            "group": self.group,
        }
        return {key: value for key, value in query.items() if value not in ("", None)}

    @property
    def query_string(self) -> str:
        return urlencode(self.as_query())


class DashboardFilter(YearFilter):
    """The year, the track and a criterion group (by its code).

    The province is not read here: `access` decides it, with the scope.
    """

    track = filters.ChoiceFilter(choices=Track.choices)
    group = filters.CharFilter(max_length=16, method="filter_group")

    def filter_group(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # a group narrows the criteria counted, not the wards


def read_filters(request: HttpRequest, *, province: Province | None) -> Filters:
    """The filters of the query string, for a province or (None) the country.

    The province comes from `access`, which has checked the user's scope. A
    code names a province as it was in the year chosen, so a page that reads
    one asks for the country here, then `for_province` with that year's.
    """
    chosen = DashboardFilter(
        request.GET, queryset=Enrolment.objects.visible_to(request.user)
    )
    return Filters(
        year=chosen.year_value,
        track=chosen.chosen["track"],
        group=chosen.chosen["group"],
        years=chosen.years,
    ).for_province(province)


def enrolments_for(user: Any, filters: Filters) -> QuerySet[Enrolment]:
    """The enrolments a dashboard counts: scoped, then filtered."""
    enrolments = Enrolment.objects.visible_to(user).filter(year=filters.year)
    if filters.province is not None:
        enrolments = enrolments.filter(
            ward__province_id__in=filters.province_ids or {filters.province.pk}
        )
    if filters.track:
        enrolments = enrolments.filter(track=filters.track)
    return enrolments
