"""The calendar page: a year's deadlines for the country or one province."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from access.scope import province_or_404, scope_of
from core.numbers import whole_number
from criteria.models import CriteriaSet, CriterionGroup
from wards.models import Province

from .forms import CalendarForm
from .models import Calendar
from .schedule import FIELDS, year_calendar, year_end_window_opens


@require_http_methods(["GET", "POST"])
@login_required
def calendar_page(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """The dates of a year: the country's (`code` None) or a province's own.
    National leaders set the country's; a province's leaders set their own."""
    scope = scope_of(request.user)
    if not (scope.nationwide or scope.province_ids):
        raise Http404
    today = timezone.localdate()
    year = whole_number(request.GET.get("year", ""), 4) or today.year
    if not 2000 <= year <= today.year + 5:
        year = today.year
    province = None
    if (
        code is None
        and request.method == "GET"
        and not scope.national
        and "country" not in request.GET
    ):
        # A provincial leader's calendar is first their province's own.
        led = list(Province.objects.filter(pk__in=scope.led_province_ids)[:2])
        if len(led) == 1:
            here = reverse("calendar_province", args=[led[0].code])
            return redirect(f"{here}?year={year}")
    if code is not None:
        province = province_or_404(request.user, code, year=year)
        may_edit = scope.national or province.pk in scope.led_province_ids
    else:
        may_edit = scope.national
    calendar = Calendar.objects.filter(year=year, province=province).first()
    criteria_set = (
        CriteriaSet.objects.filter(year__lte=year).order_by("-year", "pk").first()
    )
    groups = CriterionGroup.objects.filter(criteria_set=criteria_set).order_by(
        "position"
    )
    form = None
    if may_edit:
        form = CalendarForm(
            request.POST if request.method == "POST" else None,
            instance=calendar,
            year=year,
            groups=groups,
        )
        if request.method == "POST" and form.is_valid():
            with transaction.atomic():
                form.save_for(province=province, actor=request.user)
            messages.success(
                request, _("The calendar of %(year)d is saved.") % {"year": year}
            )
            here = (
                reverse("calendar_province", args=[code])
                if code
                else reverse("calendar")
            )
            return redirect(f"{here}?year={year}")
    elif request.method == "POST":
        raise Http404
    dates = year_calendar(year)
    return render(
        request,
        "deadlines/calendar.html",
        {
            "year": year,
            "years": range(today.year - 1, today.year + 2),
            "province": province,
            "calendar": calendar,
            "form": form,
            "dates": dates.of(province.pk) if province else dates.national,
            "groups": groups,
            "window_opens": year_end_window_opens(year),
            "own_provinces": Province.objects.filter(
                pk__in=scope.led_province_ids
            ).order_by("name"),
            # The dates the province set itself, the others being the
            # country's; on the country's page, the provinces with dates of
            # their own.
            "own_dates": {
                name for name in FIELDS if calendar and getattr(calendar, name)
            },
            "with_own_dates": []
            if province
            else Province.objects.filter(
                pk__in=[pid for pid in dates.provinces if scope.sees_province(pid)]
            ).order_by("name"),
        },
    )
