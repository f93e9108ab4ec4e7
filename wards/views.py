from collections import Counter

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Max, OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from evidence.models import Assessment, Evidence, ReviewEvent

from .collation import vi_key, vi_order
from .dashboards import is_number
from .models import Enrolment, Membership, Province, Ward
from .querysets import count_of, scope_of

WARDS_PER_PAGE = 50


def _selected_year(request: HttpRequest, enrolments) -> int | None:
    """The year asked for, or the latest year the user can see."""
    year = request.GET.get("year", "")
    if is_number(year):
        return int(year)
    return enrolments.aggregate(latest=Max("year"))["latest"]


def _enrolment_or_404(request: HttpRequest, code: str):
    """The ward's enrolment for the year asked (or its latest), within scope."""
    visible = Enrolment.objects.visible_to(request.user).filter(ward__code=code)
    year = _selected_year(request, visible)
    enrolment = (
        visible.filter(year=year)
        .with_progress()
        .select_related("ward__province", "criteria_set")
        .first()
    )
    if enrolment is None:
        raise Http404
    return enrolment, visible


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Officers land on their ward, reviewers on their queue, others on wards."""
    scope = scope_of(request.user)
    if not scope.nationwide and not scope.province_ids and len(scope.ward_ids) == 1:
        ward = Ward.objects.filter(pk__in=scope.ward_ids).only("code").first()
        if ward is not None:
            return redirect("ward_detail", code=ward.code)
    if scope.reviews and scope.roles == {Membership.Role.REVIEWER}:
        return redirect("review_queue")
    return ward_list(request)


@require_GET
@login_required
def ward_list(request: HttpRequest) -> HttpResponse:
    """Enrolled wards the user can see, with their progress, for one year."""
    visible = Enrolment.objects.visible_to(request.user)
    year = _selected_year(request, visible)
    enrolments = (
        visible.filter(year=year)
        .with_progress()
        .select_related("ward__province")
        .order_by(
            vi_order("ward__province__name"), "-approved_count", vi_order("ward__name")
        )
    )
    provinces = sorted(
        Province.objects.filter(
            pk__in=visible.filter(year=year).values("ward__province")
        ),
        key=lambda province: vi_key(province.name),
    )
    province = request.GET.get("province", "")
    if province:
        enrolments = enrolments.filter(ward__province__code=province)
    track = request.GET.get("track", "")
    if track in Enrolment.Track.values:
        enrolments = enrolments.filter(track=track)
    page = Paginator(enrolments, WARDS_PER_PAGE).get_page(request.GET.get("page"))
    years = visible.order_by("-year").values_list("year", flat=True).distinct()
    return render(
        request,
        "wards/ward_list.html",
        {
            "page": page,
            "year": year,
            "years": list(years),
            "provinces": provinces,
            "province": province,
            "track": track,
            "tracks": Enrolment.Track.choices,
            "recent_events": ReviewEvent.objects.recent_for(request.user),
        },
    )


@require_GET
@login_required
def ward_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One ward's year: progress and every criterion with its status."""
    enrolment, visible = _enrolment_or_404(request, code)
    last_event = ReviewEvent.objects.filter(assessment=OuterRef("pk")).order_by(
        "-created_at", "-pk"
    )
    active_evidence = Evidence.objects.filter(
        assessment=OuterRef("pk"), withdrawn_at=None
    )
    assessments = list(
        Assessment.objects.filter(enrolment=enrolment)
        .select_related("criterion__group")
        .annotate(
            evidence_count=count_of(active_evidence, "assessment"),
            last_event_at=Subquery(last_event.values("created_at")[:1]),
        )
        .order_by("criterion__group__position", "criterion__number")
    )
    counts = Counter(a.status for a in assessments)
    # The ward's history, by the ids of its assessments: PostgreSQL then
    # reads the few events of this ward instead of walking the whole log.
    timeline = list(
        ReviewEvent.objects.filter(assessment_id__in=[a.pk for a in assessments])
        .exclude(action=ReviewEvent.Action.CLAIM)
        .select_related("actor", "assessment__criterion")
        .order_by("-created_at", "-pk")
    )
    for event in timeline:
        event.assessment.enrolment = enrolment  # known already: no query, no join
    recent = [e for e in timeline if e.actor_id != request.user.pk][:8]
    return render(
        request,
        "wards/ward_detail.html",
        {
            "enrolment": enrolment,
            "ward": enrolment.ward,
            "assessments": assessments,
            "status_counts": [
                (status, label, counts.get(status, 0))
                for status, label in Assessment.Status.choices
            ],
            "years": list(
                visible.order_by("-year").values_list("year", flat=True).distinct()
            ),
            "recent_events": recent,
            "timeline": timeline,
        },
    )


@require_GET
@login_required
def ward_dossier(request: HttpRequest, code: str) -> HttpResponse:
    """A printable dossier: criteria, status, evidence with SHA-256, history."""
    enrolment, visible = _enrolment_or_404(request, code)
    assessments = list(
        Assessment.objects.filter(enrolment=enrolment)
        .select_related("criterion__group")
        .order_by("criterion__group__position", "criterion__number")
    )
    evidence: dict[int, list] = {}
    for item in (
        Evidence.objects.filter(assessment__enrolment=enrolment)
        .select_related("uploaded_by")
        .order_by("uploaded_at", "pk")
    ):
        evidence.setdefault(item.assessment_id, []).append(item)
    events: dict[int, list] = {}
    for event in (
        ReviewEvent.objects.filter(assessment__enrolment=enrolment)
        .select_related("actor")
        .order_by("created_at", "pk")
    ):
        events.setdefault(event.assessment_id, []).append(event)
    for assessment in assessments:
        assessment.evidence_items = evidence.get(assessment.pk, [])
        assessment.event_items = events.get(assessment.pk, [])
    return render(
        request,
        "wards/ward_dossier.html",
        {
            "enrolment": enrolment,
            "ward": enrolment.ward,
            "assessments": assessments,
            "printed_at": timezone.now(),
        },
    )
