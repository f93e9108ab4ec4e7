"""Recognition: quotas and registration, proposals, the level above's queue,
and decisions with their signed scans."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from access import people
from access.scope import (
    dashboard_provinces,
    province_or_404,
    require_decider,
    require_national,
    scope_of,
)
from core.collation import vi_key, vi_order
from core.numbers import whole_number
from core.storage import stored_file_response
from wards.models import Province, Ward

from .. import recognition, workflow
from ..forms import DecisionForm, ProposeForm, QuotaForm, ReturnProposalForm
from ..models import (
    Assessment,
    Decision,
    Enrolment,
    Evidence,
    Proposal,
    RecognitionEvent,
    Track,
)
from ..querysets import count_of
from .steps import take_step

Stage = Enrolment.Stage
Standing = recognition.Standing


def _a_year(value: str) -> int | None:
    year = whole_number(value, 4)
    return year if year is not None and 2000 <= year <= 2100 else None


def _year(request: HttpRequest, default: int | None) -> int | None:
    year = _a_year(request.GET.get("year", ""))
    return default if year is None else year


def _latest_year() -> int | None:
    return Enrolment.objects.order_by("-year").values_list("year", flat=True).first()


@require_GET
@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Quotas, registrations and where wards stand, province by province.

    National users see every province in force at the year's end; others the
    provinces they lead or read (none: 404).
    """
    scope = scope_of(request.user)
    year = _year(request, _latest_year())
    if year is None:
        raise Http404
    if scope.nationwide:
        provinces = dashboard_provinces(request.user, year)
    else:  # theirs as they were that year (Hà Nội before or since 2025)
        provinces = sorted(
            Province.objects.filter(pk__in=scope.province_ids).at_year_end(year),
            key=lambda p: vi_key(p.name),
        )
    if not provinces:
        raise Http404
    rows = recognition.registrations(year, provinces)
    totals = {key: sum(r.standing[key] for r in rows) for key in Standing.LABELS}
    return render(
        request,
        "assessments/recognition.html",
        {
            "year": year,
            "years": _years_around(year),
            "rows": rows,
            "labels": Standing.LABELS,
            "totals": totals,
            "may_set_quotas": scope.national,
            "to_reenrol": recognition.to_reenrol(year) if scope.national else 0,
        },
    )


def _years_around(year: int) -> list[int]:
    """The years with enrolments, this calendar year and the next (to open
    it), and the year shown."""
    today = timezone.localdate().year
    years = set(Enrolment.objects.values_list("year", flat=True).distinct())
    return sorted(years | {year, today, today + 1}, reverse=True)


@require_POST
@login_required
def quota_set(request: HttpRequest) -> HttpResponse:
    """The national leadership sets a province's quota for a year."""
    require_national(request.user)
    form = QuotaForm(request.POST)
    if not form.is_valid():
        for error in _errors(form):
            messages.error(request, error)
        year = request.POST.get("year", "")
        return redirect(f"{reverse('recognition')}?year={year[:4]}")
    data = form.cleaned_data
    province = province_or_404(request.user, data["province"], year=data["year"])
    recognition.set_quota(
        province=province, year=data["year"], wards=data["wards"], actor=request.user
    )
    messages.success(
        request,
        _("Quota of %(province)s for %(year)d: %(wards)d wards.")
        % {"province": province.name, "year": data["year"], "wards": data["wards"]},
    )
    return redirect(f"{reverse('recognition')}?year={data['year']}")


@require_POST
@login_required
def open_year(request: HttpRequest) -> HttpResponse:
    """Enrol last year's recognised wards again for the year asked."""
    require_national(request.user)
    year = _year(request, None) or _year_from_post(request)
    if year is None:
        raise Http404
    opened = recognition.open_year(year, actor=request.user)
    messages.success(
        request,
        ngettext(
            "%(count)d ward recognised in %(last)d is enrolled again for %(year)d.",
            "%(count)d wards recognised in %(last)d are enrolled again for %(year)d.",
            len(opened.enrolled),
        )
        % {"count": len(opened.enrolled), "last": year - 1, "year": year},
    )
    if opened.closed:
        messages.warning(
            request,
            _("No longer in force, and no unit in force took them: %(list)s.")
            % {"list": ", ".join(e.ward.full_name for e in opened.closed)},
        )
    return redirect(f"{reverse('recognition')}?year={year}")


def _year_from_post(request: HttpRequest) -> int | None:
    return _a_year(request.POST.get("year", ""))


@require_GET
@login_required
def registration(request: HttpRequest, code: str) -> HttpResponse:
    """A province's wards for a year: their track, progress and standing,
    with registration, change of level and proposal for its leaders."""
    year = _year(request, _latest_year())
    if year is None:
        raise Http404
    province = province_or_404(request.user, code, year=year)
    scope = scope_of(request.user)
    leads = scope.proposes_in(province.pk)
    enrolments = list(
        Enrolment.objects.visible_to(request.user)
        .filter(year=year, ward__province=province)
        .with_progress()
        .select_related("ward", "decision", "keeps_title_of__decision")
        .order_by("track", "-approved_count", vi_order("ward__name"))
    )
    holders = [e for e in enrolments if e.keeps_title_of_id is not None]
    median = recognition.median_approved(year, province.pk) if holders else 0
    returned = recognition.returned_criteria(holders) if holders else {}
    expiring = recognition.expiring_criteria(holders) if holders else {}
    for enrolment in enrolments:
        enrolment.risks = recognition.at_risk(
            enrolment,
            median,
            returned.get(enrolment.pk, []),
            expiring=expiring.get(enrolment.pk, []),
        )
    enrolled = {e.ward_id for e in enrolments}
    units = (
        sorted(
            (
                w
                for w in Ward.objects.filter(province=province).valid_in(year)
                if w.pk not in enrolled
            ),
            key=lambda w: vi_key(w.name),
        )
        if leads
        else []
    )
    [row] = recognition.registrations(year, [province])
    return render(
        request,
        "assessments/registration.html",
        {
            "province": province,
            "year": year,
            "years": _years_around(year),
            "row": row,
            "enrolments": enrolments,
            "units": units,
            "leads": leads,
            "tracks": Track.choices,
            "propose_form": ProposeForm(),
        },
    )


@require_POST
@login_required
def register_unit(request: HttpRequest, code: str) -> HttpResponse:
    year = _year_from_post(request)
    if year is None:
        raise Http404
    province = province_or_404(request.user, code, year=year)
    if not scope_of(request.user).proposes_in(province.pk):
        raise Http404
    back = f"{reverse('registration', args=[province.code])}?year={year}"
    ward = (
        Ward.objects.filter(province=province, code=request.POST.get("ward", ""))
        .valid_in(year)
        .first()
    )
    track = request.POST.get("track", "")
    if ward is None or track not in Track.values:
        messages.error(request, _("Choose a unit of the province and a level."))
        return redirect(back)
    try:
        enrolment = recognition.register(
            ward=ward, year=year, track=track, actor=request.user
        )
    except (workflow.WorkflowError, ValidationError) as exc:
        messages.error(request, _message(exc))
        return redirect(back)
    messages.success(
        request,
        _("%(ward)s is registered for %(year)d at %(track)s.")
        % {
            "ward": ward.full_name,
            "year": year,
            "track": enrolment.get_track_display(),
        },
    )
    [row] = recognition.registrations(year, [province])
    if row.over_quota:
        messages.warning(
            request,
            _(
                "%(province)s now has %(count)d wards at Ministry level for a "
                "quota of %(quota)d."
            )
            % {"province": province.name, "count": row.ministry, "quota": row.quota},
        )
    return redirect(back)


def _errors(form) -> list[str]:
    return [str(error) for errors in form.errors.values() for error in errors]


def _message(exc: Exception) -> str:
    if isinstance(exc, workflow.WorkflowError):
        return exc.message
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def _own_enrolment(request: HttpRequest, code: str, year: int) -> Enrolment:
    return get_object_or_404(
        Enrolment.objects.visible_to(request.user).select_related("ward__province"),
        ward__code=code,
        year=year,
    )


@require_POST
@login_required
def change_track(request: HttpRequest, code: str, year: int) -> HttpResponse:
    enrolment = _own_enrolment(request, code, year)
    track = request.POST.get("track", "")
    if track not in Track.values:
        raise Http404
    take_step(
        request,
        lambda: recognition.change_track(enrolment, track=track, actor=request.user),
        _("The level is changed."),
    )
    return redirect(_next(request, enrolment))


def _next(request: HttpRequest, enrolment: Enrolment) -> str:
    """Back to the registration list or the ward page, whichever sent it."""
    if request.POST.get("next") == "registration":
        return (
            reverse("registration", args=[enrolment.ward.province.code])
            + f"?year={enrolment.year}"
        )
    return (
        reverse("ward_detail", args=[enrolment.ward.code]) + f"?year={enrolment.year}"
    )


@require_POST
@login_required
def propose(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """A provincial leader proposes a complete ward for recognition."""
    enrolment = _own_enrolment(request, code, year)
    form = ProposeForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    if not form.is_valid():
        if not scope_of(request.user).proposes_in(enrolment.ward.province_id):
            raise Http404
        for error in _errors(form):
            messages.error(request, error)
        return redirect(_next(request, enrolment))
    take_step(
        request,
        lambda: workflow.propose(enrolment, actor=request.user, note=note),
        _("%(ward)s is proposed for recognition at %(track)s.")
        % {
            "ward": enrolment.ward.full_name,
            "track": enrolment.get_track_display(),
        },
    )
    return redirect(_next(request, enrolment))


@require_GET
@login_required
def proposal_queue(request: HttpRequest) -> HttpResponse:
    """Proposals waiting for this user's level, oldest first; and those
    accepted and waiting for their decision."""
    require_decider(request.user)
    mine = Proposal.objects.decided_by(request.user).select_related(
        "enrolment__ward__province", "proposed_by"
    )
    pending = list(mine.filter(status=Proposal.Status.PENDING).order_by("proposed_at"))
    accepted = list(
        mine.filter(
            status=Proposal.Status.ACCEPTED, enrolment__stage=Stage.ACCEPTED
        ).order_by("enrolment__year", "decided_at")
    )
    # A provincial leader also follows what the province proposed.
    led = scope_of(request.user).led_province_ids
    proposed = list(
        Proposal.objects.filter(enrolment__ward__province__in=led)
        .select_related("enrolment__ward__province", "proposed_by")
        .order_by("-proposed_at")[:50]
    )
    people.load_units([p.proposed_by for p in pending + proposed])
    return render(
        request,
        "assessments/proposal_queue.html",
        {"pending": pending, "accepted": accepted, "proposed": proposed},
    )


@require_POST
@login_required
def accept_selected(request: HttpRequest) -> HttpResponse:
    """Accept the proposals ticked in the queue, each on its own."""
    require_decider(request.user)
    ids = [whole_number(value, 18) for value in request.POST.getlist("proposal")]
    ids = [pk for pk in ids if pk is not None]
    chosen = list(
        Proposal.objects.decided_by(request.user)
        .filter(pk__in=ids)
        .select_related("enrolment__ward")
    )
    if not chosen:
        messages.error(request, _("Tick at least one proposal."))
        return redirect("proposal_queue")
    result = workflow.accept_many(chosen, actor=request.user)
    if result.accepted:
        messages.success(
            request,
            ngettext(
                "%(count)d proposal accepted.",
                "%(count)d proposals accepted.",
                len(result.accepted),
            )
            % {"count": len(result.accepted)},
        )
    for refusal in result.refused:
        messages.error(request, refusal)
    return redirect("proposal_queue")


def _proposal_or_404(request: HttpRequest, pk: int) -> Proposal:
    return get_object_or_404(
        Proposal.objects.visible_to(request.user).select_related(
            "enrolment__ward__province",
            "enrolment__criteria_set",
            "enrolment__decision",
            "proposed_by",
            "decided_by",
        ),
        pk=pk,
    )


@require_GET
@login_required
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _proposal_or_404(request, pk)
    return _render_proposal(request, proposal, ReturnProposalForm(proposal=proposal))


def _render_proposal(request, proposal, return_form, status=200) -> HttpResponse:
    enrolment = proposal.enrolment
    files = Evidence.objects.filter(assessment=OuterRef("pk"), withdrawn_at=None)
    assessments = list(
        Assessment.objects.filter(enrolment=enrolment)
        .select_related("criterion__group", "reviewer")
        .annotate(evidence_count=count_of(files, "assessment"))
        .order_by("criterion__group__position", "criterion__number")
    )
    events = list(
        RecognitionEvent.objects.filter(enrolment=enrolment)
        .select_related("actor", "decision")
        .order_by("created_at", "pk")
    )
    people.load_units(
        [e.actor for e in events]
        + [a.reviewer for a in assessments]
        + [proposal.proposed_by, proposal.decided_by]
    )
    scope = scope_of(request.user)
    decides = (
        scope.decides(proposal.track, enrolment.ward.province_id)
        and proposal.proposed_by_id != request.user.pk
    )
    approved = sum(a.status == Assessment.Status.APPROVED for a in assessments)
    return render(
        request,
        "assessments/proposal_detail.html",
        {
            "proposal": proposal,
            "enrolment": enrolment,
            "ward": enrolment.ward,
            "assessments": assessments,
            "approved": approved,
            "events": events,
            "decides": decides and proposal.status == Proposal.Status.PENDING,
            "return_form": return_form,
            "returned_numbers": set(
                proposal.returned_criteria.values_list("number", flat=True)
            ),
        },
        status=status,
    )


@require_POST
@login_required
def proposal_accept(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _proposal_or_404(request, pk)
    take_step(
        request,
        lambda: workflow.accept(proposal, actor=request.user),
        _("Accepted. Record the decision once it is signed."),
    )
    return redirect(proposal)


@require_POST
@login_required
def proposal_return(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _proposal_or_404(request, pk)
    scope = scope_of(request.user)
    if not scope.decides(proposal.track, proposal.enrolment.ward.province_id):
        raise Http404
    form = ReturnProposalForm(request.POST, proposal=proposal)
    if not form.is_valid():
        return _render_proposal(request, proposal, form, status=400)
    take_step(
        request,
        lambda: workflow.return_proposal(
            proposal,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            criteria=list(form.cleaned_data["criteria"]),
        ),
        _("Returned to the province; the criteria named are back with the ward."),
    )
    return redirect(proposal)


@require_GET
@login_required
def decision_list(request: HttpRequest) -> HttpResponse:
    decisions = (
        Decision.objects.visible_to(request.user)
        .select_related("province", "corrects", "corrected_by", "recorded_by")
        # Only the wards the user may see are counted, as on the decision's page.
        .annotate(
            ward_count=Count(
                "proposals",
                filter=Q(proposals__in=Proposal.objects.visible_to(request.user)),
                distinct=True,
            )
        )
        .order_by("-year", "-date", "-pk")
    )
    return render(
        request,
        "assessments/decision_list.html",
        {
            "decisions": decisions[:200],
            "decides": scope_of(request.user).decides_any,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def decision_new(request: HttpRequest) -> HttpResponse:
    """Record a signed decision for accepted proposals, or one correcting a
    decision in force (`?corrects=<id>`)."""
    require_decider(request.user)
    corrects = None
    corrects_id = request.GET.get("corrects", "")
    if corrects_id:
        pk = whole_number(corrects_id, 18)
        if pk is None:
            raise Http404
        corrects = get_object_or_404(Decision.objects.visible_to(request.user), pk=pk)
    form = DecisionForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        corrects=corrects,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            decision = workflow.record_decision(
                track=data["track"],
                year=data["year"],
                text=workflow.DecisionText(
                    data["number"], data["date"], data["signer"]
                ),
                scan=data["scan"],
                proposals=list(data["proposals"]),
                actor=request.user,
                corrects=corrects,
                note=data["note"],
            )
        except workflow.NotAllowed:
            raise Http404 from None
        except workflow.WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                ngettext(
                    "Decision %(number)s recorded: %(count)d ward recognised.",
                    "Decision %(number)s recorded: %(count)d wards recognised.",
                    decision.proposals.count(),
                )
                % {"number": decision.number, "count": decision.proposals.count()},
            )
            return redirect(decision)
    return render(
        request,
        "assessments/decision_form.html",
        {"form": form, "corrects": corrects},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@login_required
def decision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_object_or_404(
        Decision.objects.visible_to(request.user).select_related(
            "province", "corrects", "corrected_by", "recorded_by"
        ),
        pk=pk,
    )
    proposals = list(
        Proposal.objects.visible_to(request.user)
        .filter(decisions=decision)
        .select_related("enrolment__ward__province", "enrolment__decision")
        .order_by(
            vi_order("enrolment__ward__province__name"),
            vi_order("enrolment__ward__name"),
        )
    )
    corrected_by = getattr(decision, "corrected_by", None)
    people.load_units([decision.recorded_by])
    scope = scope_of(request.user)
    return render(
        request,
        "assessments/decision_detail.html",
        {
            "decision": decision,
            "proposals": proposals,
            "corrected_by": corrected_by,
            "may_correct": corrected_by is None
            and any(
                scope.decides(decision.track, p.enrolment.ward.province_id)
                for p in proposals
            ),
        },
    )


@require_GET
@login_required
def decision_scan(request: HttpRequest, pk: int) -> FileResponse:
    """The signed scan, after the same check as the decision's page."""
    decision = get_object_or_404(Decision.objects.visible_to(request.user), pk=pk)
    if not decision.scan:
        raise Http404
    return stored_file_response(
        decision.scan.storage,
        decision.scan.name or "",
        filename=decision.scan_name or "quyet-dinh.pdf",
        as_attachment=False,
        content_type="application/pdf",
    )
