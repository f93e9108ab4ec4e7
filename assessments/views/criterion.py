"""The criterion page, its actions and the evidence downloads."""

from __future__ import annotations

from contextlib import ExitStack

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files import File
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from access.people import load_units
from access.scope import scope_of
from core.storage import stored_file_response
from deadlines.schedule import dates_for
from notifications.models import Notification
from notifications.services import mark_read

from .. import carryover, comments, indicators, resumable, services, workflow
from ..forms import (
    CommentForm,
    CommentThreadForm,
    IndicatorValueForm,
    ReasonForm,
    UploadForm,
)
from ..models import Assessment, Evidence, ReviewEvent
from ..reuse import may_allow, reuse_of
from ..services import attach_evidence
from ..uploads import INLINE_CONTENT_TYPES, UploadRefused, accept_attribute
from .steps import take_step

Action = ReviewEvent.Action


def assessment_or_404(
    request: HttpRequest, code: str, year: int, number: int
) -> Assessment:
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


@require_GET
@login_required
def criterion_detail(request: HttpRequest, code: str, year: int, number: int):
    assessment = assessment_or_404(request, code, year, number)
    if getattr(request.user, "unread_notifications", 0):
        _read_its_notifications(request.user, assessment)
    return _render_criterion(request, assessment)


def _read_its_notifications(user, assessment: Assessment) -> None:
    """Opening a criterion reads what the bell said about it: its messages
    and decisions. Costs nothing when the bell is at zero."""
    ids = list(
        Notification.objects.filter(
            user=user,
            read_at=None,
            url__startswith=assessment.get_absolute_url(),
        ).values_list("pk", flat=True)
    )
    if ids:
        mark_read(user, ids)


def _render_criterion(
    request,
    assessment,
    *,
    reason_form=None,
    comment_form=None,
    thread_form=None,
    value_form=None,
):
    actions = workflow.available_actions(request.user, assessment)
    scope = scope_of(request.user)
    evidence = list(
        assessment.evidence.select_related(
            "uploaded_by", "withdrawn_by", "carried_from__assessment__enrolment"
        )
    )
    active = [e for e in evidence if e.withdrawn_at is None]
    # Each file's earlier versions, newest first, from the rows read above.
    by_pk = {e.pk: e for e in evidence}
    replaced = {e.replaces_id for e in evidence if e.replaces_id}
    for item in evidence:
        item.revisions = []
        earlier = by_pk.get(item.replaces_id)
        while earlier is not None:
            item.revisions.append(earlier)
            earlier = by_pk.get(earlier.replaces_id)
    # Files also in other wards' dossiers, for those above the ward.
    reused = reuse_of(active, request.user)
    for item in active:
        item.reuse = reused.get(item.pk)
    assessment.expires_on = min(
        (e.valid_until for e in active if e.valid_until), default=None
    )
    offer = None
    if Action.CARRY_OVER in actions:
        found = carryover.offers(assessment.enrolment, assessments=[assessment])
        offer = found[0] if found else None
    events = list(
        assessment.events.select_related("actor").order_by("created_at", "pk")
    )
    thread = list(assessment.comments.select_related("author"))
    # Everyone the page names, with their units, in one query.
    load_units(
        [assessment.reviewer]
        + [event.actor for event in events]
        + [item.uploaded_by for item in evidence]
        + [comment.author for comment in thread]
    )
    # The reason of the last return stays in view while the ward works on
    # it, files added included, until the criterion is submitted again.
    open_return = None
    for event in reversed(events):
        if event.action == Action.SUBMIT:
            break
        if event.action in (Action.RETURN, Action.REVOKE, Action.REOPEN):
            open_return = event
            break
    figures = indicators.readings(assessment)
    status = 400 if (reason_form or comment_form or thread_form or value_form) else 200
    return render(
        request,
        "assessments/criterion_detail.html",
        {
            "assessment": assessment,
            "criterion": assessment.criterion,
            "ward": assessment.enrolment.ward,
            "enrolment": assessment.enrolment,
            "active_evidence": active,
            # Withdrawn, not replaced: earlier versions show under theirs.
            "withdrawn_evidence": [
                e
                for e in evidence
                if e.withdrawn_at is not None and e.pk not in replaced
            ],
            "events": events,
            "last_return": open_return,
            "actions": {str(action) for action in actions},
            "upload_form": UploadForm(initial=_typed(request, assessment)),
            "reason_form": reason_form or ReasonForm(),
            "comment_form": comment_form or CommentForm(),
            "may_require_replacement": bool(
                {"revoke", "return"} & {str(action) for action in actions}
            ),
            "carry_over_offer": offer,
            "readings": figures,
            "unmet": [reading for reading in figures if not reading.met],
            "value_form": (
                value_form
                or (
                    IndicatorValueForm(assessment=assessment)
                    if figures and Action.ENTER_VALUE in actions
                    else None
                )
            ),
            "officer_view": scope.is_officer_of(assessment.enrolment.ward_id),
            "contributor_view": scope.contributes_to(
                assessment.enrolment.ward_id, assessment.criterion.responsible_body
            ),
            "thread": thread,
            "may_comment": comments.may_comment(request.user, assessment),
            "thread_form": thread_form or CommentThreadForm(),
            "due": None
            if assessment.enrolment.is_frozen
            else dates_for(
                assessment.enrolment.year, assessment.enrolment.ward.province_id
            ).due_of(assessment, timezone.localdate()),
            "may_allow_reuse": may_allow(request.user, assessment),
            "inline_types": INLINE_CONTENT_TYPES,
            "upload_limits": {
                "accept": accept_attribute(),
                "max_bytes": settings.EVIDENCE_MAX_BYTES,
                "max_megabytes": settings.EVIDENCE_MAX_BYTES // (1024 * 1024),
                "max_files": settings.EVIDENCE_MAX_FILES_PER_UPLOAD,
            },
        },
        status=status,
    )


@require_POST
@login_required
def upload(request: HttpRequest, code: str, year: int, number: int):
    """Attach files sent with the form, or sent before it in pieces.

    Whatever happens, the answer is a redirect to the criterion page
    (refreshing it sends nothing again), where what was added and what was
    refused, file by file, is said at the top. What the user typed stays in
    the form when nothing was added.
    """
    assessment = assessment_or_404(request, code, year, number)
    arrived = resumable.verified_for(
        assessment, request.user, request.POST.getlist("resumable")
    )
    form = UploadForm(request.POST, request.FILES, files_required=not arrived)
    if not form.is_valid():
        return _try_again(request, assessment, form, _form_errors(form))
    try:
        with ExitStack() as opened:
            uploads = list(form.cleaned_data["files"])
            for partial in arrived:
                try:
                    handle = opened.enter_context(partial.path.open("rb"))
                except FileNotFoundError:  # cancelled or swept meanwhile
                    continue
                uploads.append(File(handle, partial.name))
            attached = attach_evidence(
                assessment=assessment,
                uploads=uploads,
                description=form.cleaned_data["description"],
                document_date=form.cleaned_data["document_date"],
                valid_until=form.cleaned_data["valid_until"],
                actor=request.user,
            )
    except workflow.NotAllowed:
        raise Http404 from None
    except (UploadRefused, workflow.WorkflowError) as exc:
        # The criterion changed meanwhile (submitted in another tab, or by a
        # colleague), or the disk is full: said on the page as it stands now,
        # where the upload form may no longer be.
        return _try_again(request, assessment, form, [str(exc)])
    for partial in arrived:
        resumable.discard(partial)
    if attached.added:
        messages.success(
            request,
            ngettext(
                "%(count)d file added to the dossier.",
                "%(count)d files added to the dossier.",
                len(attached.added),
            )
            % {"count": len(attached.added)},
        )
    # Files the page's script could not send say why, with the others.
    refused = attached.refused + [
        text[:500] for text in request.POST.getlist("refused")[:MAX_SAID]
    ]
    if refused:
        _refused(request, refused)
        if not attached.added:
            _keep_typed(request, assessment, form)
    return redirect(assessment)


def _try_again(request, assessment, form, errors: list[str]):
    _refused(request, errors)
    _keep_typed(request, assessment, form)
    return redirect(assessment)


def _refused(request: HttpRequest, reasons: list[str]) -> None:
    for reason in reasons:
        messages.error(request, reason)


def _form_errors(form: UploadForm) -> list[str]:
    return [
        f"{form.fields[name].label}: {error}" if name != "files" else str(error)
        for name, errors in form.errors.items()
        for error in errors
    ]


TYPED = "kieumau_upload_typed"
MAX_SAID = 20


def _keep_typed(request: HttpRequest, assessment: Assessment, form) -> None:
    """Keep the description and date for the next showing of the form."""
    request.session[TYPED] = {
        "assessment": assessment.pk,
        "description": form.data.get("description", "")[:2000],
        "document_date": form.data.get("document_date", "")[:20],
        "valid_until": form.data.get("valid_until", "")[:20],
    }


def _typed(request: HttpRequest, assessment: Assessment) -> dict[str, str]:
    typed = request.session.pop(TYPED, None) or {}
    if typed.get("assessment") != assessment.pk:
        return {}
    return {
        k: typed.get(k, "") for k in ("description", "document_date", "valid_until")
    }


@require_POST
@login_required
def act(request: HttpRequest, code: str, year: int, number: int, action: str):
    """Submit, claim, approve, return or revoke; only through the workflow."""
    assessment = assessment_or_404(request, code, year, number)
    try:
        if action == "submit":
            workflow.submit(assessment, actor=request.user)
            done = _("Submitted for review. The evidence is locked until a decision.")
        elif action == "claim":
            workflow.claim(assessment, actor=request.user)
            done = _("You have claimed this criterion.")
        elif action == "approve":
            comment_form = CommentForm(request.POST)
            if not comment_form.is_valid():
                if not workflow.may(request.user, action, assessment):
                    raise Http404
                return _render_criterion(request, assessment, comment_form=comment_form)
            comment = comment_form.cleaned_data["comment"]
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
    return redirect(assessment)


def evidence_or_404(request: HttpRequest, pk: int) -> Evidence:
    """The evidence named by the URL, if the user's scope covers its ward."""
    return get_object_or_404(
        Evidence.objects.visible_to(request.user).select_related(
            "assessment__enrolment__ward", "assessment__criterion"
        ),
        pk=pk,
    )


@require_POST
@login_required
def new_version(request: HttpRequest, pk: int):
    """Upload a new version of a file: the old one is kept as an earlier
    revision, and the reviewer sees what changed."""
    evidence = evidence_or_404(request, pk)
    upload = request.FILES.get("file")
    if upload is None:
        if not workflow.may(request.user, Action.REPLACE_EVIDENCE, evidence.assessment):
            raise Http404
        messages.error(request, _("Choose the file of the new version."))
        return redirect(evidence.assessment)
    try:
        new = services.replace_evidence(
            evidence=evidence, upload=upload, actor=request.user
        )
    except workflow.NotAllowed:
        raise Http404 from None
    except (workflow.WorkflowError, UploadRefused) as exc:
        messages.error(request, getattr(exc, "message", None) or str(exc))
    else:
        messages.success(
            request,
            _(
                "“%(new)s” is the new version of “%(old)s”, which is kept in its "
                "history."
            )
            % {"new": new.original_name, "old": evidence.original_name},
        )
    return redirect(evidence.assessment)


@require_POST
@login_required
def withdraw(request: HttpRequest, pk: int):
    evidence = evidence_or_404(request, pk)
    take_step(
        request,
        lambda: workflow.withdraw_evidence(evidence, actor=request.user),
        _("“%(name)s” was withdrawn from the dossier. It is kept in the history.")
        % {"name": evidence.original_name},
    )
    return redirect(evidence.assessment)


@require_GET
@login_required
def download(request: HttpRequest, pk: int, inline: bool = False):
    """Stream a stored file after checking scope; never a public URL.

    From an object store too: the app reads the object as it arrives and
    passes it on (`core.storage.open_stream`), rather than redirect to a
    presigned URL, which would work for anyone holding it until it expires,
    could not carry the headers below, and would need the store to be
    reachable from every browser.
    """
    evidence = get_object_or_404(Evidence.objects.visible_to(request.user), pk=pk)
    show_inline = inline and evidence.content_type in INLINE_CONTENT_TYPES
    return stored_file_response(
        evidence.file.storage,
        evidence.file.name or "",
        filename=evidence.original_name,
        as_attachment=not show_inline,
        content_type=evidence.content_type,
    )
