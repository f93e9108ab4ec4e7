"""Carrying last year's still-valid evidence over, criterion by criterion
or for many criteria of a ward at once, and confirming what was carried."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from core.numbers import whole_number

from .. import carryover, workflow
from ..models import Enrolment
from .criterion import assessment_or_404, evidence_or_404
from .steps import take_step


def _carried_message(count: int) -> str:
    return ngettext(
        "%(count)d file carried over from last year; confirm it before submitting.",
        "%(count)d files carried over from last year; confirm them before submitting.",
        count,
    ) % {"count": count}


@require_POST
@login_required
def criterion_carry_over(request: HttpRequest, code: str, year: int, number: int):
    """Carry over what the criterion page offers."""
    assessment = assessment_or_404(request, code, year, number)
    take_step(
        request,
        lambda: carryover.carry_over(assessment, actor=request.user),
        lambda rows: _carried_message(len(rows)),
    )
    return redirect(assessment)


@require_http_methods(["GET", "POST"])
@login_required
def ward_carry_over(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """Every criterion of a ward's year with files to carry over; the ward's
    officers tick the criteria and carry them over in one go."""
    enrolment = get_object_or_404(
        Enrolment.objects.visible_to(request.user).select_related(
            "ward__province", "criteria_set"
        ),
        ward__code=code,
        year=year,
    )
    if not carryover.may_carry_over(request.user, enrolment):
        raise Http404
    if request.method == "POST":
        numbers = [
            n
            for n in (whole_number(v, 4) for v in request.POST.getlist("criterion"))
            if n is not None
        ]
        if not numbers:
            messages.error(request, _("Choose the criteria to carry over."))
            return redirect("ward_carry_over", code=code, year=year)
        try:
            done = carryover.carry_over_many(
                enrolment, numbers=numbers, actor=request.user
            )
        except workflow.NotAllowed:
            raise Http404 from None
        if done.carried:
            messages.success(
                request,
                ngettext(
                    "Evidence carried over for %(count)d criterion; confirm each "
                    "file before submitting it.",
                    "Evidence carried over for %(count)d criteria; confirm each "
                    "file before submitting them.",
                    len(done.carried),
                )
                % {"count": len(done.carried)},
            )
        for line in done.refused:
            messages.error(request, line)
        return redirect("ward_carry_over", code=code, year=year)
    return render(
        request,
        "assessments/carry_over.html",
        {
            "enrolment": enrolment,
            "ward": enrolment.ward,
            "offers": carryover.offers(enrolment),
            "previous_year": enrolment.year - 1,
        },
    )


@require_POST
@login_required
def confirm(request: HttpRequest, pk: int):
    """An officer confirms a file carried over from last year."""
    evidence = evidence_or_404(request, pk)
    take_step(
        request,
        lambda: workflow.confirm_evidence(evidence, actor=request.user),
        _("“%(name)s” is confirmed for this year's dossier.")
        % {"name": evidence.original_name},
    )
    return redirect(evidence.assessment)
