"""The printable dossier of a ward's year: what it shows, on screen and as a PDF.

The page and the PDF are one template, so that what a ward sees is what the
level above receives. The PDF is laid out by WeasyPrint with the print media
of the page's own stylesheet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from access import people

from . import indicators
from .models import (
    Assessment,
    Comment,
    Enrolment,
    Evidence,
    ReviewEvent,
)

TEMPLATE = "assessments/ward_dossier.html"


@dataclass(frozen=True)
class DossierSection:
    """One criterion of the dossier: its files, and those withdrawn from it."""

    assessment: Assessment
    files: list[Evidence]
    withdrawn: list[Evidence]
    readings: list[indicators.Reading]


def dossier_context(enrolment: Enrolment) -> dict[str, Any]:
    """What the dossier template shows of `enrolment`, which must carry the
    annotations of `Enrolment.objects.with_progress()` and its ward's province."""
    ward = enrolment.ward
    evidence = Evidence.objects.order_by("uploaded_at", "pk")
    events = (
        ReviewEvent.objects.select_related("actor")
        .prefetch_related(people.with_units("actor"))
        .order_by("created_at", "pk")
    )
    thread = (
        Comment.objects.select_related("author")
        .prefetch_related(people.with_units("author"))
        .order_by("created_at", "pk")
    )
    assessments = list(
        Assessment.objects.filter(enrolment=enrolment)
        .select_related("criterion__group")
        .prefetch_related(
            Prefetch("evidence", queryset=evidence, to_attr="evidence_items"),
            Prefetch("events", queryset=events, to_attr="event_items"),
            Prefetch("comments", queryset=thread, to_attr="comment_items"),
            "criterion__indicators",
        )
        .order_by("criterion__group__position", "criterion__number")
    )
    # The ward's figures for every indicator of the set, in one query.
    codes = [i.code for a in assessments for i in a.criterion.indicators.all()]
    figures = (
        indicators.figures_of([ward.pk], codes, [enrolment.year])[ward.pk]
        if codes
        else []
    )
    # Withdrawn files are no longer in the dossier: listed apart, not counted.
    sections = [
        DossierSection(
            assessment=a,
            files=[e for e in a.evidence_items if e.withdrawn_at is None],
            withdrawn=[e for e in a.evidence_items if e.withdrawn_at is not None],
            readings=[
                indicators.read(i, enrolment.year, figures)
                for i in a.criterion.indicators.all()
            ],
        )
        for a in assessments
    ]
    printed_at = timezone.localtime()
    return {
        "enrolment": enrolment,
        "ward": ward,
        "sections": sections,
        "printed_at": printed_at,
        "issuer": people.ward_police(ward),
        "issuer_parent": people.province_police(ward.province),
        "signer_title": people.ward_police_head(ward),
        "dated": official_date(printed_at.date()),
    }


def official_date(day: dt.date) -> dict[str, str]:
    """Day, month and year as an administrative document writes them.

    Days below 10 and the months January and February take a leading zero
    ("ngày 05 tháng 02 năm 2026", "ngày 15 tháng 3 năm 2026"), so that
    nothing can be written in front of them later (Nghị định 30/2020/NĐ-CP).
    """
    return {
        "day": f"{day.day:02d}",
        "month": f"{day.month:02d}" if day.month <= 2 else str(day.month),
        "year": str(day.year),
    }


def render_pdf(enrolment: Enrolment, *, request: HttpRequest | None = None) -> bytes:
    """The dossier of `enrolment` as a PDF, in the active language."""
    # WeasyPrint loads Pango when imported: only printing needs it.
    from .pdf import html_to_pdf

    html = render_to_string(TEMPLATE, dossier_context(enrolment), request=request)
    return html_to_pdf(html)
