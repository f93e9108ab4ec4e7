"""The criterion page, its actions, evidence downloads and the review queue."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from criteria.models import CriterionGroup
from wards.collation import vi_key
from wards.dashboards import is_number
from wards.models import Ward
from wards.querysets import scope_of

from . import workflow
from .forms import CommentForm, ReasonForm, UploadForm
from .models import Assessment, Evidence, ReviewEvent
from .services import attach_evidence
from .uploads import INLINE_CONTENT_TYPES, UploadRefused

Action = ReviewEvent.Action
ITEMS_PER_PAGE = 50


def _assessment(request: HttpRequest, code: str, year: int, number: int) -> Assessment:
    """The assessment named by the URL, if the user's scope covers its ward."""
    return get_object_or_404(
        Assessment.objects.visible_to(request.user).select_related(
            "enrolment__ward__province",
            "enrolment__criteria_set",
            "criterion__group",
            "reviewer",
            "submitted_by",
        ),
        enrolment__ward__code=code,
        enrolment__year=year,
        criterion__number=number,
    )


def criterion_url(assessment: Assessment) -> str:
    return reverse(
        "criterion_detail",
        kwargs={
            "code": assessment.enrolment.ward.code,
            "year": assessment.enrolment.year,
            "number": assessment.criterion.number,
        },
    )


@require_GET
@login_required
def criterion_detail(request: HttpRequest, code: str, year: int, number: int):
    assessment = _assessment(request, code, year, number)
    return _render_criterion(request, assessment)


def _render_criterion(request, assessment, *, upload_form=None, reason_form=None):
    actions = workflow.available_actions(request.user, assessment)
    evidence = list(assessment.evidence.select_related("uploaded_by", "withdrawn_by"))
    events = list(
        assessment.events.select_related("actor").order_by("created_at", "pk")
    )
    last_return = next(
        (e for e in reversed(events) if e.action in (Action.RETURN, Action.REVOKE)),
        None,
    )
    status = 400 if (upload_form or reason_form) else 200
    return render(
        request,
        "evidence/criterion_detail.html",
        {
            "assessment": assessment,
            "criterion": assessment.criterion,
            "ward": assessment.enrolment.ward,
            "enrolment": assessment.enrolment,
            "active_evidence": [e for e in evidence if e.withdrawn_at is None],
            "withdrawn_evidence": [e for e in evidence if e.withdrawn_at is not None],
            "events": events,
            "last_return": last_return
            if assessment.status == Assessment.Status.RETURNED
            else None,
            "actions": {str(action) for action in actions},
            "upload_form": upload_form or UploadForm(),
            "reason_form": reason_form or ReasonForm(),
            "comment_form": CommentForm(),
            "inline_types": INLINE_CONTENT_TYPES,
        },
        status=status,
    )


@require_POST
@login_required
def upload(request: HttpRequest, code: str, year: int, number: int):
    assessment = _assessment(request, code, year, number)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_criterion(request, assessment, upload_form=form)
    try:
        added = attach_evidence(
            assessment=assessment,
            uploads=form.cleaned_data["files"],
            description=form.cleaned_data["description"],
            document_date=form.cleaned_data["document_date"],
            actor=request.user,
        )
    except workflow.NotAllowed:
        raise Http404 from None
    except (UploadRefused, workflow.WorkflowError) as exc:
        form.add_error("files", str(exc))
        return _render_criterion(request, assessment, upload_form=form)
    messages.success(
        request,
        _("%(count)d file(s) added to the dossier.") % {"count": len(added)},
    )
    return redirect(criterion_url(assessment))


@require_POST
@login_required
def act(request: HttpRequest, code: str, year: int, number: int, action: str):
    """Submit, claim, approve, return or revoke; only through the workflow."""
    assessment = _assessment(request, code, year, number)
    try:
        if action == "submit":
            workflow.submit(assessment, actor=request.user)
            done = _("Submitted for review. The evidence is locked until a decision.")
        elif action == "claim":
            workflow.claim(assessment, actor=request.user)
            done = _("You have claimed this criterion.")
        elif action == "approve":
            form = CommentForm(request.POST)
            comment = form.cleaned_data["comment"] if form.is_valid() else ""
            workflow.approve(assessment, actor=request.user, comment=comment)
            done = _("Approved.")
        elif action in ("return", "revoke"):
            form = ReasonForm(request.POST)
            if not form.is_valid():
                if not workflow.may(request.user, action, assessment):
                    raise Http404
                return _render_criterion(request, assessment, reason_form=form)
            reason = form.cleaned_data["reason"]
            if action == "return":
                workflow.return_for_rework(
                    assessment, actor=request.user, reason=reason
                )
                done = _("Returned to the ward with your reason.")
            else:
                workflow.revoke(assessment, actor=request.user, reason=reason)
                done = _(
                    "The approval is revoked; the criterion is back with the ward."
                )
        else:
            raise Http404
    except workflow.NotAllowed:
        raise Http404 from None
    except workflow.WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(criterion_url(assessment))


@require_POST
@login_required
def withdraw(request: HttpRequest, pk: int):
    evidence = get_object_or_404(
        Evidence.objects.visible_to(request.user).select_related(
            "assessment__enrolment__ward", "assessment__criterion"
        ),
        pk=pk,
    )
    try:
        workflow.withdraw_evidence(evidence, actor=request.user)
    except workflow.NotAllowed:
        raise Http404 from None
    except workflow.WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("“%(name)s” was withdrawn from the dossier. It is kept in the history.")
            % {"name": evidence.original_name},
        )
    return redirect(criterion_url(evidence.assessment))


@require_GET
@login_required
def download(request: HttpRequest, pk: int, inline: bool = False):
    """Stream a stored file after checking scope; never a public URL."""
    evidence = get_object_or_404(Evidence.objects.visible_to(request.user), pk=pk)
    show_inline = inline and evidence.content_type in INLINE_CONTENT_TYPES
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=not show_inline,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """Submitted criteria this reviewer may decide, oldest first."""
    scope = scope_of(request.user)
    if not scope.reviews:
        raise Http404
    queue = Assessment.objects.review_queue_for(request.user)
    wards = sorted(
        Ward.objects.filter(pk__in=queue.order_by().values("enrolment__ward")),
        key=lambda ward: vi_key(ward.name),
    )
    groups = CriterionGroup.objects.filter(
        pk__in=queue.order_by().values("criterion__group")
    ).order_by("position")
    ward = request.GET.get("ward", "")
    if ward:
        queue = queue.filter(enrolment__ward__code=ward)
    group = request.GET.get("group", "")
    if is_number(group):
        queue = queue.filter(criterion__group_id=int(group))
    min_days = request.GET.get("older_than", "")
    if is_number(min_days):
        cutoff = timezone.now() - dt.timedelta(days=min(int(min_days), 3650))
        queue = queue.filter(submitted_at__lte=cutoff)
    claimed = request.GET.get("claimed", "")
    if claimed == "mine":
        queue = queue.filter(reviewer=request.user)
    elif claimed == "unclaimed":
        queue = queue.filter(reviewer=None)
    queue = queue.select_related(
        "enrolment__ward__province", "criterion__group", "reviewer"
    ).annotate(ward_name=F("enrolment__ward__name"))
    page = Paginator(queue, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    overdue = dt.timedelta(days=settings.REVIEW_OVERDUE_DAYS)
    for item in page:
        item.age = now - item.submitted_at
        item.overdue = item.age > overdue
    return render(
        request,
        "evidence/review_queue.html",
        {
            "page": page,
            "wards": wards,
            "groups": groups,
            "ward": ward,
            "group": group,
            "older_than": min_days,
            "claimed": claimed,
            "overdue_days": settings.REVIEW_OVERDUE_DAYS,
            "recent_events": ReviewEvent.objects.recent_for(request.user),
        },
    )
