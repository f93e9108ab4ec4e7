"""Entering an indicator's figure on a criterion's page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import workflow
from ..forms import IndicatorValueForm
from . import criterion
from .criterion import assessment_or_404


@require_POST
@login_required
def enter(request: HttpRequest, code: str, year: int, number: int):
    """Enter or correct a figure; errors are said in the form, which keeps
    what was typed."""
    assessment = assessment_or_404(request, code, year, number)
    if not workflow.may(request.user, workflow.Action.ENTER_VALUE, assessment):
        raise Http404
    form = IndicatorValueForm(request.POST, assessment=assessment)
    if not form.is_valid():
        return criterion._render_criterion(request, assessment, value_form=form)
    data = form.cleaned_data
    try:
        workflow.enter_value(
            assessment,
            indicator=data["indicator"],
            period_end=data["period_end"],
            value=data["value"],
            source=data["source"],
            evidence=data["evidence"],
            actor=request.user,
        )
    except workflow.NotAllowed:
        raise Http404 from None
    except workflow.WorkflowError as exc:
        form.add_error(None, exc.message)
        return criterion._render_criterion(request, assessment, value_form=form)
    messages.success(
        request,
        _("The figure for “%(name)s” is saved.")
        % {"name": data["indicator"].display_name},
    )
    return redirect(assessment.get_absolute_url() + "#indicators")
