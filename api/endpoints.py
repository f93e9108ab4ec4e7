"""The API's endpoints: each reads through the access layer, as the pages do.

`request.auth` is the token's user (`api.main.TokenAuth`); `request.user`,
the session's, is never read. Rows come from the querysets' `visible_to`
and the page rules of `access.scope`; what is out of scope is a 404.
"""

from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from access.scope import province_or_404, scope_of
from assessments.models import Assessment, Decision, Enrolment, Proposal, Stage, Track
from criteria.models import CriteriaSet, Criterion, CriterionGroup
from wards.models import Province, UnitChange, Ward

from .pagination import Pages
from .schemas import (
    AssessmentOut,
    CriteriaSetDetailOut,
    CriteriaSetOut,
    DecisionOut,
    EnrolmentOut,
    ProvinceOut,
    UnitAssessmentsOut,
    UnitDetailOut,
    UnitOut,
)

router = Router()

Year = Field(None, ge=2000, le=2100, description="A year, e.g. 2026.")
ProvinceCode = Field(None, max_length=8, description="A province's code, e.g. 38.")


# Provinces


@router.get(
    "/provinces", response=list[ProvinceOut], url_name="api_provinces", tags=["places"]
)
@paginate(Pages)
def provinces(request: HttpRequest) -> QuerySet[Province]:
    """The provinces whose dashboards the user may see: every one, current
    and former, for national users; their own (with what it was formed
    from) for provincial users; none for a ward's people."""
    scope = scope_of(request.auth)
    rows = Province.objects.all()
    if not scope.nationwide:
        rows = rows.filter(pk__in=scope.province_ids)
    return rows.order_by("code", F("valid_from").asc(nulls_first=True), "pk")


class ProvinceYear(Schema):
    year: int | None = Year


@router.get(
    "/provinces/{code}", response=ProvinceOut, url_name="api_province", tags=["places"]
)
def province(request: HttpRequest, code: str, when: Query[ProvinceYear]) -> Province:
    """One province by code: the one of `year` where a code named two (Hà
    Nội before and after 1 July 2025), else the one in force now."""
    return province_or_404(request.auth, code, year=when.year)


# Units


def _units(user: Any) -> QuerySet[Ward]:
    """The units in the user's scope, as the unit search finds them."""
    return Ward.objects.filter(scope_of(user).ward_filter())


class UnitFilter(Schema):
    province: str | None = ProvinceCode


@router.get("/units", response=list[UnitOut], url_name="api_units", tags=["places"])
@paginate(Pages)
def units(request: HttpRequest, filters: Query[UnitFilter]) -> QuerySet[Ward]:
    """The units the user can see, current and former, by code."""
    rows = _units(request.auth).select_related("province")
    if filters.province:
        rows = rows.filter(province__code=filters.province)
    return rows.order_by("code", F("valid_from").asc(nulls_first=True), "pk")


@router.get(
    "/units/{code}", response=UnitDetailOut, url_name="api_unit", tags=["places"]
)
def unit(request: HttpRequest, code: str) -> Ward:
    """One unit by code, with what it was formed from and what it became.

    A code can name a former unit and the one that took it over (09552: Phú
    La, then Kiến Hưng): this is the one in force, else the latest.
    """
    candidates = list(_units(request.auth).filter(code=code).select_related("province"))
    if not candidates:
        raise Http404
    ward = max(candidates, key=lambda w: (w.valid_to is None, w.valid_to, w.pk))
    changes = UnitChange.objects.filter(
        Q(predecessor=ward) | Q(successor=ward)
    ).select_related("predecessor__province", "successor__province")
    lineage: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
    for change in changes:
        formerly = change.successor_id == ward.pk
        other = change.predecessor if formerly else change.successor
        lineage[formerly].append(
            {
                "code": other.code,
                "name": other.name,
                "province_code": other.province.code,
                "effective": change.effective,
                "partial": change.partial,
            }
        )
    ward.predecessors, ward.successors = lineage[True], lineage[False]  # type: ignore[attr-defined]
    return ward


class AssessmentFilter(Schema):
    year: int | None = Field(
        None, ge=2000, le=2100, description="The year; the latest one by default."
    )
    status: Assessment.Status | None = None


@router.get(
    "/units/{code}/assessments",
    response=UnitAssessmentsOut,
    url_name="api_unit_assessments",
    tags=["progress"],
)
def unit_assessments(
    request: HttpRequest, code: str, filters: Query[AssessmentFilter]
) -> dict[str, Any]:
    """Where each criterion of a unit's year stands. A contributor reads the
    criteria of their own body only, as on the pages."""
    visible = Assessment.objects.visible_to(request.auth).filter(
        enrolment__ward__code=code
    )
    if filters.year is not None:
        visible = visible.filter(enrolment__year=filters.year)
    enrolment_id = (
        visible.order_by(
            "-enrolment__year",
            F("enrolment__ward__valid_from").desc(nulls_last=True),
            "-enrolment_id",
        )
        .values_list("enrolment_id", flat=True)
        .first()
    )
    if enrolment_id is None:
        raise Http404
    rows = visible.filter(enrolment_id=enrolment_id)
    if filters.status:
        rows = rows.filter(status=filters.status)
    enrolment = Enrolment.objects.select_related("ward", "criteria_set").get(
        pk=enrolment_id
    )
    return {
        "unit_code": enrolment.ward.code,
        "year": enrolment.year,
        "criteria_set": enrolment.criteria_set.code,
        "assessments": [
            AssessmentOut(
                number=a.criterion.number,
                title=a.criterion.title,
                title_en=a.criterion.title_en,
                group=a.criterion.group.code,
                status=a.status,
                updated_at=a.updated_at,
            )
            for a in rows.select_related("criterion__group").order_by(
                "criterion__number"
            )
        ],
    }


# Criteria sets


def _criteria_sets(user: Any) -> QuerySet[CriteriaSet]:
    """Every set for national users; otherwise the sets of the enrolments
    the user can see (a contributor reads their criteria on the unit's
    assessments instead)."""
    if scope_of(user).nationwide:
        return CriteriaSet.objects.all()
    return CriteriaSet.objects.filter(
        pk__in=Enrolment.objects.visible_to(user).values("criteria_set")
    )


@router.get(
    "/criteria-sets",
    response=list[CriteriaSetOut],
    url_name="api_criteria_sets",
    tags=["criteria"],
)
@paginate(Pages)
def criteria_sets(request: HttpRequest) -> QuerySet[CriteriaSet]:
    return (
        _criteria_sets(request.auth)
        .annotate(size=Count("criteria"))
        .order_by("-year", "code", "pk")
    )


@router.get(
    "/criteria-sets/{code}",
    response=CriteriaSetDetailOut,
    url_name="api_criteria_set",
    tags=["criteria"],
)
def criteria_set(request: HttpRequest, code: str) -> CriteriaSet:
    """One set with its groups and their criteria, in order."""
    found = (
        _criteria_sets(request.auth)
        .filter(code=code)
        .annotate(size=Count("criteria"))
        .prefetch_related(
            Prefetch(
                "groups",
                queryset=CriterionGroup.objects.order_by(
                    "position", "code"
                ).prefetch_related(
                    Prefetch("criteria", queryset=Criterion.objects.order_by("number"))
                ),
            )
        )
        .first()
    )
    if found is None:
        raise Http404
    return found


# Enrolments and their progress


class EnrolmentFilter(Schema):
    province: str | None = ProvinceCode
    year: int | None = Year
    track: Track | None = None
    stage: Stage | None = None


@router.get(
    "/enrolments",
    response=list[EnrolmentOut],
    url_name="api_enrolments",
    tags=["progress"],
)
@paginate(Pages)
def enrolments(
    request: HttpRequest, filters: Query[EnrolmentFilter]
) -> QuerySet[Enrolment]:
    """The enrolled units the user can see, with their stored progress:
    approved, submitted and returned criteria against the size of the set."""
    rows = Enrolment.objects.visible_to(request.auth)
    if filters.province:
        rows = rows.filter(ward__province__code=filters.province)
    for name in ("year", "track", "stage"):
        value = getattr(filters, name)
        if value is not None:
            rows = rows.filter(**{name: value})
    return rows.select_related("ward__province", "criteria_set").order_by(
        "-year", "ward__province__code", "ward__code", "pk"
    )


# Recognition decisions


class DecisionFilter(Schema):
    province: str | None = Field(
        None, max_length=8, description="Decisions recognising units of a province."
    )
    year: int | None = Year


@router.get(
    "/decisions",
    response=list[DecisionOut],
    url_name="api_decisions",
    tags=["recognition"],
)
@paginate(Pages)
def decisions(
    request: HttpRequest, filters: Query[DecisionFilter]
) -> QuerySet[Decision]:
    """Recognition decisions of units the user can see, each with those units."""
    user = request.auth
    rows = Decision.objects.visible_to(user)
    if filters.province:
        code = filters.province
        rows = rows.filter(
            Q(proposals__enrolment__ward__province__code=code)
            | Q(enrolments__ward__province__code=code)
        )
    if filters.year is not None:
        rows = rows.filter(year=filters.year)
    return (
        rows.select_related("province")
        .annotate(corrected=Exists(Decision.objects.filter(corrects=OuterRef("pk"))))
        .prefetch_related(
            Prefetch(
                "proposals",
                queryset=Proposal.objects.visible_to(user)
                .select_related("enrolment__ward__province")
                .order_by("enrolment__ward__code", "pk"),
                to_attr="visible_proposals",
            )
        )
        .order_by("-year", "-date", "-pk")
    )
