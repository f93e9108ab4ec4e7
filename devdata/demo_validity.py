"""Evidence validity and carry-over in the demo, on Hạc Thành (the demo
officer's ward).

This year, two of its approved criteria hold evidence that expires within
the warning period and one holds evidence that has expired. The year before,
Hạc Thành was enrolled too (from the autumn: the unit was formed on 1 July
2025) and had a few criteria approved, so this year's criteria that still
take files are offered last year's still-valid evidence to carry over; one
of last year's files has expired and is not offered.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from accounts.models import User
from assessments.models import (
    Assessment,
    Enrolment,
    Evidence,
    ReviewEvent,
    Track,
    evidence_path,
)
from criteria.models import CriteriaSet
from wards.models import Ward

from .demo_indicators import Figures
from .timeline import DemoYear

S = Assessment.Status
DEMO_WARD = "14797"  # Hạc Thành
# Days from the day of loading to the validity dates of this year's files:
# two within the warning period, one passed.
EXPIRING = (9, 23, -6)
# Last year's approved criteria: how many, and which of them has a file that
# has expired since (not offered to carry over).
LAST_YEAR_APPROVED = 6
LAST_YEAR_EXPIRED = 1


def load_validity(
    this_year: DemoYear,
    *,
    ward: Ward,
    officer: User,
    reviewer: User,
    criteria_set: CriteriaSet,
    pdf,
    figures: Figures,
) -> None:
    """Validity dates on this year's evidence, and last year's enrolment
    (its figures go to `figures`)."""
    today = this_year.end.date()
    approved = Evidence.objects.filter(
        assessment__enrolment__ward=ward,
        assessment__enrolment__year=this_year.year,
        assessment__status=S.APPROVED,
        withdrawn_at=None,
    ).order_by("assessment__criterion__number")
    for item, days in zip(approved[: len(EXPIRING)], EXPIRING, strict=False):
        item.valid_until = today + dt.timedelta(days=days)
        item.save(update_fields=["valid_until"])
    _last_year(this_year, ward, officer, reviewer, criteria_set, pdf, figures)


def _last_year(this_year, ward, officer, reviewer, criteria_set, pdf, figures):
    year = this_year.year - 1
    if not ward.valid_in(year):
        return
    autumn = dt.date(year, 9, 1)
    then = DemoYear.finished(year, from_day=max(autumn, ward.valid_from or autumn))
    enrolment = Enrolment(
        ward=ward, year=year, criteria_set=criteria_set, track=Track.MINISTRY
    )
    enrolment.clean()
    enrolment.save()
    # Approved last year: criteria that still take files this year.
    open_now = set(
        Assessment.objects.filter(
            enrolment__ward=ward,
            enrolment__year=this_year.year,
            status__in=[S.NOT_STARTED, S.IN_PROGRESS, S.RETURNED],
        ).values_list("criterion__number", flat=True)
    )
    criteria = list(criteria_set.criteria.order_by("number"))
    # Year-end criteria are never carried over: approved ones other than those.
    chosen = [c for c in criteria if c.number in open_now and not c.year_end_only][
        :LAST_YEAR_APPROVED
    ]
    span = then.end - then.start
    evidence, events = [], []
    assessments = []
    for criterion in criteria:
        if criterion not in chosen:
            assessments.append(Assessment(enrolment=enrolment, criterion=criterion))
            continue
        position = chosen.index(criterion)
        added = then.start + span * (0.1 + 0.1 * position)
        submitted = added + dt.timedelta(days=2)
        if criterion.year_end_only:  # sent once its window opened
            submitted = max(submitted, then.year_end_opens + dt.timedelta(days=1))
        decided = submitted + dt.timedelta(days=5)
        assessment = Assessment(
            enrolment=enrolment,
            criterion=criterion,
            status=S.APPROVED,
            submitted_by=officer,
            submitted_at=submitted,
            reviewer=reviewer,
            decided_at=decided,
        )
        assessments.append(assessment)
        name = f"Giấy chứng nhận tiêu chí {criterion.number} – {ward.name} {year}.pdf"
        content = pdf(
            f"Kieu Mau demo: {ward.code} {year} certificate {criterion.number}"
        )
        valid_until = (
            dt.date(year, 12, 31)
            if position == LAST_YEAR_EXPIRED
            else (dt.date(year + 1, 12, 31) if position % 2 else None)
        )
        evidence.append(
            Evidence(
                assessment=assessment,
                file=default_storage.save(
                    evidence_path(None, name), ContentFile(content)
                ),
                original_name=name,
                content_type="application/pdf",
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                description=f"Minh chứng tiêu chí {criterion.number} năm {year}",
                document_date=added.date(),
                valid_until=valid_until,
                uploaded_by=officer,
                uploaded_at=added,
            )
        )
        figures.add(
            assessment,
            ward=ward,
            year=year,
            between=(added, submitted),
            actor=officer,
            evidence=evidence[-1],
        )
        for actor, action, before, after, when in (
            (officer, "add_evidence", S.NOT_STARTED, S.IN_PROGRESS, added),
            (officer, "submit", S.IN_PROGRESS, S.SUBMITTED, submitted),
            (reviewer, "approve", S.SUBMITTED, S.APPROVED, decided),
        ):
            events.append(
                ReviewEvent(
                    assessment=assessment,
                    actor=actor,
                    action=action,
                    from_status=before,
                    to_status=after,
                    created_at=when,
                )
            )
    # Saved first: the evidence and events take their keys from them.
    Assessment.objects.bulk_create(assessments)
    Evidence.objects.bulk_create(evidence)
    ReviewEvent.objects.bulk_create(events)
