"""How long a piece of evidence holds: its validity date, set by the ward,
and a reviewer requiring a replacement for one that expires."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest
from django.shortcuts import redirect
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import workflow
from ..forms import ReplacementForm, ValidityForm
from .criterion import evidence_or_404
from .steps import take_step


@require_POST
@login_required
def set_validity(request: HttpRequest, pk: int):
    """Set or change the date until which a file holds (empty: no end)."""
    evidence = evidence_or_404(request, pk)
    form = ValidityForm(request.POST, document_date=evidence.document_date)
    if not form.is_valid():
        if not workflow.may(
            request.user, workflow.Action.SET_VALIDITY, evidence.assessment
        ):
            raise Http404
        for error in form.errors.get("valid_until", []):
            messages.error(request, f"{form.fields['valid_until'].label}: {error}")
        return redirect(evidence.assessment)
    valid_until = form.cleaned_data["valid_until"]
    if valid_until:
        done = _("“%(name)s” is now valid until %(date)s.") % {
            "name": evidence.original_name,
            "date": date_format(valid_until, "SHORT_DATE_FORMAT"),
        }
    else:
        done = _("“%(name)s” now has no end date.") % {"name": evidence.original_name}
    take_step(
        request,
        lambda: workflow.set_validity(
            evidence, actor=request.user, valid_until=valid_until
        ),
        done,
    )
    return redirect(evidence.assessment)


@require_POST
@login_required
def require_replacement(request: HttpRequest, pk: int):
    """Send an approved or submitted criterion back for a new file in
    place of one that has expired or expires soon."""
    evidence = evidence_or_404(request, pk)
    form = ReplacementForm(request.POST)
    if not form.is_valid():
        assessment = evidence.assessment
        if not any(
            workflow.may(request.user, action, assessment)
            for action in (workflow.Action.REVOKE, workflow.Action.RETURN)
        ):
            raise Http404
        for error in form.errors.get("note", []):
            messages.error(request, f"{form.fields['note'].label}: {error}")
        return redirect(evidence.assessment)
    note = form.cleaned_data["note"]
    take_step(
        request,
        lambda: workflow.require_replacement(evidence, actor=request.user, note=note),
        _(
            "The criterion is back with the ward, which must replace “%(name)s” "
            "and submit it again."
        )
        % {"name": evidence.original_name},
    )
    return redirect(evidence.assessment)
