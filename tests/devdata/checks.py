"""What must hold of demo data loaded at any moment `now`."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from assessments.indicators import readings_by_ward
from assessments.models import Assessment, Evidence, ReviewEvent
from assessments.workflow import year_end_window_opens
from criteria.models import Indicator


def out_of_their_year(now: dt.datetime) -> list[str]:
    """Events, files and decisions dated outside their enrolment's year or after now."""
    wrong = []
    events = ReviewEvent.objects.values_list(
        "pk", "created_at", "assessment__enrolment__year"
    )
    evidence = Evidence.objects.values_list(
        "pk", "uploaded_at", "assessment__enrolment__year"
    )
    submitted = Assessment.objects.exclude(submitted_at=None).values_list(
        "pk", "submitted_at", "enrolment__year"
    )
    decided = Assessment.objects.exclude(decided_at=None).values_list(
        "pk", "decided_at", "enrolment__year"
    )
    for kind, rows in [
        ("event", events),
        ("evidence", evidence),
        ("submitted", submitted),
        ("decided", decided),
    ]:
        for pk, when, year in rows:
            if timezone.localtime(when).year != year or when > now:
                wrong.append(f"{kind} {pk} at {timezone.localtime(when)} for {year}")
    return wrong


def out_of_order() -> list[int]:
    """Assessments whose history does not run add → submit → decision in time."""
    order = {
        "add_evidence": 0,
        "enter_value": 0,
        "submit": 1,
        "approve": 2,
        "return": 2,
    }
    history: dict[int, list[tuple]] = {}
    for pk, action, when in ReviewEvent.objects.order_by(
        "created_at", "pk"
    ).values_list("assessment_id", "action", "created_at"):
        history.setdefault(pk, []).append((order[action], when))
    return [pk for pk, steps in history.items() if steps != sorted(steps)]


def year_end_submitted_early() -> list[int]:
    """Year-end criteria submitted before their window opened."""
    return [
        pk
        for pk, when, year in ReviewEvent.objects.filter(
            action="submit", assessment__criterion__assessed="year_end"
        ).values_list("pk", "created_at", "assessment__enrolment__year")
        if timezone.localdate(when) < year_end_window_opens(year)
    ]


def unmet_indicators() -> list[str]:
    """Criteria approved or waiting for review whose indicators are not met
    by the figures as they stand: the workflow would not have let them be
    submitted, so the demo would be telling a story that cannot happen."""
    sent = Assessment.objects.filter(
        status__in=[Assessment.Status.APPROVED, Assessment.Status.SUBMITTED],
        criterion__indicators__isnull=False,
    ).distinct()
    wards: dict[tuple[int, int], list[tuple[int, str]]] = {}
    for criterion_id, year, ward_id, code in sent.values_list(
        "criterion_id", "enrolment__year", "enrolment__ward_id", "enrolment__ward__code"
    ):
        wards.setdefault((criterion_id, year), []).append((ward_id, code))
    wrong = []
    for indicator in Indicator.objects.filter(
        criterion_id__in={criterion_id for criterion_id, _year in wards}
    ).select_related("criterion"):
        for (criterion_id, year), of in wards.items():
            if criterion_id != indicator.criterion_id:
                continue
            readings = readings_by_ward(indicator, year, [pk for pk, _code in of])
            wrong += [
                f"{code} {year} criterion {indicator.criterion.number}: "
                f"{readings[pk].problem}"
                for pk, code in of
                if not readings[pk].met
            ]
    return wrong
