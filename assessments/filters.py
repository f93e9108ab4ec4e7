"""The filters of the lists, read from the query string and validated.

A value that does not validate (a year in letters, an unknown track) is
left out, as if it had not been given; the list is never an error page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters as filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Track

# Longer than any review has waited; keeps the date arithmetic in range.
MAX_DAYS = 3650


class WholeNumberFilter(filters.Filter):
    """A whole number in ASCII digits, from 0 to 999,999,999."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 999_999_999)
        super().__init__(*args, **kwargs)


class EnrolmentFilter(filters.FilterSet):
    """Year, province and track of a list of enrolled wards.

    Without a valid year, the latest year of the queryset is shown: the list
    is always of one year.
    """

    year = WholeNumberFilter(method="filter_year")
    province = filters.CharFilter(field_name="ward__province__code", max_length=8)
    track = filters.ChoiceFilter(choices=Track.choices)

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(data if data is not None else {}, *args, **kwargs)
        self.years: list[int] = self.queryset.years()

    @property
    def year_value(self) -> int | None:
        """The year asked for, or the latest year in the queryset."""
        self.form.is_valid()  # an invalid field is left out of cleaned_data
        year = self.form.cleaned_data.get("year")
        if year is None:
            return self.years[0] if self.years else None
        return year

    def filter_year(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        return queryset  # applied in filter_queryset, which knows the default

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        return super().filter_queryset(queryset).filter(year=self.year_value)


class ReviewQueueFilter(filters.FilterSet):
    """The review queue by ward, criterion group, age and who claimed it."""

    CLAIMED_CHOICES = [("mine", _("Claimed by me")), ("unclaimed", _("Not claimed"))]

    ward = filters.CharFilter(field_name="enrolment__ward__code", max_length=8)
    group = WholeNumberFilter(field_name="criterion__group_id")
    older_than = WholeNumberFilter(method="filter_older_than")
    claimed = filters.ChoiceFilter(choices=CLAIMED_CHOICES, method="filter_claimed")

    def filter_older_than(self, queryset: QuerySet, name: str, days: int) -> QuerySet:
        cutoff = timezone.now() - dt.timedelta(days=min(days, MAX_DAYS))
        return queryset.filter(submitted_at__lte=cutoff)

    def filter_claimed(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "mine":
            return queryset.filter(reviewer=self.request.user)
        return queryset.filter(reviewer=None)
