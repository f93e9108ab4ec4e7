"""A ward's pages: the list of wards, one ward's year, its printable dossier."""

from __future__ import annotations

from collections import Counter

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Max, OuterRef, Prefetch, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from access import people
from access.scope import landing_ward, scope_of
from core.collation import vi_key, vi_order
from deadlines.schedule import dates_for
from wards.models import Province, UnitChange, Ward
from wards.search import MAX_RESULTS, find_units

from .. import carryover, dossier, recognition
from ..filters import EnrolmentFilter, YearFilter
from ..models import Assessment, Enrolment, Evidence, ReviewEvent
from ..querysets import count_of

WARDS_PER_PAGE = 50
# A ward's page shows its latest steps; the whole year is on its history page.
TIMELINE_ON_PAGE = 30
RECENT_EVENTS = 8
HISTORY_PER_PAGE = 100


@require_GET
@login_required
def unit_search(request: HttpRequest) -> HttpResponse:
    """Units by current or former name, or by code, within the user's scope;
    a former unit says what it became, a current one what it was."""
    query = request.GET.get("q", "")
    in_scope = Ward.objects.filter(scope_of(request.user).ward_filter())
    units = list(
        find_units(query, in_scope)
        .select_related("province")
        .prefetch_related(*LINEAGE)
        .annotate(last_year=Max("enrolments__year"))[:MAX_RESULTS]
    )
    return render(
        request,
        "assessments/unit_search.html",
        {"query": query, "units": units, "limit": MAX_RESULTS},
    )


# What a unit was made from, and what it became.
LINEAGE = [
    Prefetch(
        "origins",
        queryset=UnitChange.objects.select_related("predecessor"),
    ),
    Prefetch(
        "successions",
        queryset=UnitChange.objects.select_related("successor"),
    ),
]


def _enrolment_or_404(request: HttpRequest, code: str) -> tuple[Enrolment, list[int]]:
    """The ward's enrolment for the year asked (or its latest), within scope.

    Returns it with every year the ward is enrolled in.
    """
    visible = Enrolment.objects.visible_to(request.user).filter(ward__code=code)
    years = YearFilter(request.GET, queryset=visible)
    enrolment = (
        years.qs.with_progress()
        .select_related("ward__province", "criteria_set", "decision")
        .first()
    )
    if enrolment is None:
        raise Http404
    return enrolment, years.years


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Officers land on their ward, contributors on their tasks, reviewers
    on their queue, Ministry reviewers on the proposals, leaders on their
    dashboard (their province's, or the country's), others on the wards."""
    ward = landing_ward(request.user)
    if ward is not None:
        return redirect("ward_detail", code=ward.code)
    scope = scope_of(request.user)
    # Their criteria's pages are theirs; no ward page or list is.
    if scope.is_only_contributor:
        return redirect("my_tasks")
    if scope.is_only_reviewer:
        return redirect("review_queue")
    if scope.is_only_ministry_reviewer:
        return redirect("proposal_queue")
    if scope.leads:
        return redirect("national_dashboard")
    return ward_list(request)


@require_GET
@login_required
def ward_list(request: HttpRequest) -> HttpResponse:
    """Enrolled wards the user can see, with their progress, for one year."""
    visible = Enrolment.objects.visible_to(request.user)
    chosen = EnrolmentFilter(request.GET, queryset=visible)
    year = chosen.year_value
    enrolments = (
        chosen.qs.with_progress()
        .with_late(year or 0)
        .select_related("ward__province", "decision")
        .order_by(
            vi_order("ward__province__name"), "-approved_count", vi_order("ward__name")
        )
    )
    provinces = sorted(
        Province.objects.filter(
            pk__in=visible.filter(year=year or 0).values("ward__province")
        ),
        key=lambda province: vi_key(province.name),
    )
    page = Paginator(enrolments, WARDS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "assessments/ward_list.html",
        {
            "page": page,
            "year": year,
            "years": chosen.years,
            "provinces": provinces,
            "province": chosen.chosen["province"],
            "track": chosen.chosen["track"],
            "tracks": Enrolment.Track.choices,
            "standing": chosen.chosen["standing"],
            "standings": list(recognition.Standing.LABELS.items()),
            "late": chosen.chosen["late"],
            "recent_events": ReviewEvent.objects.recent_for(request.user),
        },
    )


@require_GET
@login_required
def ward_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One ward's year: progress and every criterion with its status."""
    enrolment, years = _enrolment_or_404(request, code)
    last_event = ReviewEvent.objects.filter(assessment=OuterRef("pk")).order_by(
        "-created_at", "-pk"
    )
    active_evidence = Evidence.objects.filter(
        assessment=OuterRef("pk"), withdrawn_at=None
    )
    assessments = list(
        Assessment.objects.filter(enrolment=enrolment)
        .select_related("criterion__group")
        .with_expiry()
        .annotate(
            evidence_count=count_of(active_evidence, "assessment"),
            last_event_at=Subquery(last_event.values("created_at")[:1]),
        )
        .order_by("criterion__group__position", "criterion__number")
    )
    today = timezone.localdate()
    dates = dates_for(enrolment.year, enrolment.ward.province_id)
    for assessment in assessments:
        assessment.enrolment = enrolment  # known already: no query, no join
        if not enrolment.is_frozen:
            assessment.due = dates.due_of(assessment, today)
    counts = Counter(a.status for a in assessments)
    history = _history(enrolment, [a.pk for a in assessments])
    # One more than shown: whether there are more, without counting them.
    timeline = list(history[: TIMELINE_ON_PAGE + 1])
    more = len(timeline) > TIMELINE_ON_PAGE
    timeline = timeline[:TIMELINE_ON_PAGE]
    recent = [e for e in timeline if e.actor_id != request.user.pk][:RECENT_EVENTS]
    if len(recent) < RECENT_EVENTS and more:
        # The page's own officer did most of it: others' steps lie further back.
        recent = list(history.exclude(actor=request.user)[:RECENT_EVENTS])
    for event in timeline + recent:
        event.assessment.enrolment = enrolment  # known already: no query, no join
    ward = enrolment.ward
    lineage = list(
        UnitChange.objects.filter(
            Q(predecessor=ward) | Q(successor=ward)
        ).select_related("predecessor", "successor")
    )
    formerly = [c for c in lineage if c.successor_id == ward.pk]
    expiring = [a.criterion.number for a in assessments if a.expiry]
    may_carry = carryover.may_carry_over(request.user, enrolment)
    return render(
        request,
        "assessments/ward_detail.html",
        {
            **_recognition_context(request, enrolment, formerly, sorted(expiring)),
            "carry_over_offers": (
                carryover.offers_count(enrolment) if may_carry else 0
            ),
            "formerly": formerly,
            "became": [c for c in lineage if c.predecessor_id == ward.pk],
            "enrolment": enrolment,
            "ward": enrolment.ward,
            "assessments": assessments,
            "next_due": None
            if enrolment.is_frozen
            else dates.next_for(
                assessments,
                today,
                complete=counts.get(Assessment.Status.APPROVED, 0) == len(assessments),
            ),
            "status_counts": [
                (status, label, counts.get(status, 0))
                for status, label in Assessment.Status.choices
            ],
            "years": years,
            "recent_events": recent,
            "timeline": timeline,
            "more_events": more,
        },
    )


def _history(enrolment: Enrolment, assessment_ids: list[int]):
    """The ward's year, newest first, by the ids of its assessments:
    PostgreSQL then reads the few events of this ward instead of walking the
    whole log. Claims (a reviewer taking a criterion) are left out."""
    return (
        ReviewEvent.objects.filter(assessment_id__in=assessment_ids)
        .exclude(action=ReviewEvent.Action.CLAIM)
        .select_related("actor", "assessment__criterion")
        .prefetch_related(people.with_units("actor"))
        .order_by("-created_at", "-pk")
    )


@require_GET
@login_required
def ward_history(request: HttpRequest, code: str) -> HttpResponse:
    """A ward's year, event by event, a page of events at a time."""
    enrolment, _years = _enrolment_or_404(request, code)
    ids = list(enrolment.assessments.values_list("pk", flat=True))
    page = Paginator(_history(enrolment, ids), HISTORY_PER_PAGE).get_page(
        request.GET.get("page")
    )
    for event in page.object_list:
        event.assessment.enrolment = enrolment  # known already: no query, no join
    return render(
        request,
        "assessments/ward_history.html",
        {"enrolment": enrolment, "ward": enrolment.ward, "page": page},
    )


def _recognition_context(
    request, enrolment: Enrolment, formerly, expiring: list[int]
) -> dict:
    """Where the ward stands on the way to recognition, what it and the
    units it was formed from achieved the year before, and whether a title
    it holds is at risk."""
    proposal = enrolment.proposals.select_related("decided_by").order_by("-pk").first()
    earlier = list(
        Enrolment.objects.visible_to(request.user)
        .filter(
            ward__in=[enrolment.ward_id] + [c.predecessor_id for c in formerly],
            year=enrolment.year - 1,
        )
        .with_progress()
        .select_related("ward", "decision")
    )
    leads = enrolment.stage == Enrolment.Stage.OPEN and scope_of(
        request.user
    ).proposes_in(enrolment.ward.province_id)
    return {
        "proposal": proposal,
        "last_year": earlier,
        "risks": recognition.at_risk(enrolment, expiring=expiring),
        "may_propose": leads and enrolment.is_complete,
        "may_propose_later": leads and not enrolment.is_complete,
    }


@require_GET
@login_required
def ward_dossier(request: HttpRequest, code: str) -> HttpResponse:
    """A printable dossier: criteria, status, evidence with SHA-256, history.

    Laid out as an administrative document of the ward's police (Nghị định
    30/2020/NĐ-CP): issuing body, national heading, place and date, title,
    content, signature block and recipients.
    """
    enrolment, _years = _enrolment_or_404(request, code)
    return render(request, dossier.TEMPLATE, dossier.dossier_context(enrolment))
