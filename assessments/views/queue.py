"""The review queue: what a reviewer may decide, oldest first."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from access.people import with_units
from access.scope import require_reviewer
from core.collation import vi_key
from criteria.models import CriterionGroup
from deadlines.schedule import YearCalendar, year_calendar
from wards.models import Ward

from ..filters import ReviewQueueFilter
from ..models import Assessment, ReviewEvent
from ..reuse import reused_assessments

ITEMS_PER_PAGE = 50


@require_GET
@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """Submitted criteria this reviewer may decide, oldest first."""
    require_reviewer(request.user)
    queue = Assessment.objects.review_queue_for(request.user)
    wards = sorted(
        Ward.objects.filter(pk__in=queue.order_by().values("enrolment__ward")),
        key=lambda ward: vi_key(ward.name),
    )
    groups = CriterionGroup.objects.filter(
        pk__in=queue.order_by().values("criterion__group")
    ).order_by("position")
    chosen = ReviewQueueFilter(request.GET, queryset=queue, request=request)
    items = (
        chosen.qs.select_related(
            "enrolment__ward__province", "criterion__group", "reviewer"
        )
        .prefetch_related(with_units("reviewer"))
        .annotate(ward_name=F("enrolment__ward__name"))
    )
    page = Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    today = timezone.localdate(now)
    calendars: dict[int, YearCalendar] = {}
    # Files also in other wards' dossiers: one query for the page.
    reused = reused_assessments(item.pk for item in page)
    for item in page:
        item.reused = item.pk in reused
        year = item.enrolment.year
        if year not in calendars:
            calendars[year] = year_calendar(year)
        dates = calendars[year].of(item.enrolment.ward.province_id)
        item.age = now - item.submitted_at
        item.due = dates.due_of(item, today)
        item.overdue = item.due is not None and item.due.overdue
    return render(
        request,
        "assessments/review_queue.html",
        {
            "page": page,
            "wards": wards,
            "groups": groups,
            **chosen.chosen,
            "overdue_days": (
                calendars.get(today.year) or year_calendar(today.year)
            ).national.review_days,
            "recent_events": ReviewEvent.objects.recent_for(request.user),
        },
    )
