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

from core.numbers import whole_number

from .models import Track
from .recognition import Standing, standing_filter

# Longer than any review has waited; keeps the date arithmetic in range.
MAX_DAYS = 3650


class WholeNumberField(forms.IntegerField):
    """One to nine ASCII digits: "²", "+7", " 7", "7.0" and "７" are not numbers."""

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        number = whole_number(value)
        if number is None:
            raise forms.ValidationError(self.error_messages["invalid"], "invalid")
        return number


class WholeNumberFilter(filters.Filter):
    field_class = WholeNumberField


class ValidatedFilterSet(filters.FilterSet):
    """A FilterSet whose valid values a page shows back as chosen."""

    @property
    def chosen(self) -> dict[str, str]:
        """Each filter's valid value as text; "" where absent or invalid."""
        self.form.is_valid()  # an invalid field is left out of cleaned_data
        values = self.form.cleaned_data
        return {
            name: "" if values.get(name) is None else str(values[name])
            for name in self.filters
        }


class YearFilter(ValidatedFilterSet):
    """The year of a list of enrolments: the one asked for, or the latest.

    The list is always of one year.
    """

    year = WholeNumberFilter(method="filter_year")

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


class EnrolmentFilter(YearFilter):
    """The year, province, track and recognition of a list of enrolled wards."""

    province = filters.CharFilter(field_name="ward__province__code", max_length=8)
    track = filters.ChoiceFilter(choices=Track.choices)
    standing = filters.ChoiceFilter(
        choices=list(Standing.LABELS.items()), method="filter_standing"
    )
    late = filters.BooleanFilter(method="filter_late")

    def filter_standing(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        matching = (
            queryset.model.objects.with_progress()
            .filter(standing_filter(value))
            .values("pk")
        )
        return queryset.filter(pk__in=matching)

    def filter_late(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        """Wards with criteria late with their evidence (or, with False,
        none)."""
        late = queryset.model.objects.with_late(self.year_value or 0).filter(
            late_count__gt=0
        )
        wanted = queryset.filter(pk__in=late.values("pk"))
        return wanted if value else queryset.exclude(pk__in=late.values("pk"))


class ReviewQueueFilter(ValidatedFilterSet):
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
