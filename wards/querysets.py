"""Reads about wards: who may see what, and how far each ward has got."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class Scope:
    """What one user's memberships cover."""

    nationwide: bool = False
    province_ids: frozenset[int] = field(default_factory=frozenset)
    ward_ids: frozenset[int] = field(default_factory=frozenset)
    roles: frozenset[str] = field(default_factory=frozenset)
    # Wards whose officer this user is.
    officer_ward_ids: frozenset[int] = field(default_factory=frozenset)
    # Provinces this user reviews: the groups covered, or None for every group.
    reviews: dict[int, frozenset[int] | None] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.nationwide or self.province_ids or self.ward_ids)

    def is_officer_of(self, ward_id: int) -> bool:
        return ward_id in self.officer_ward_ids

    def reviews_group(self, province_id: int, group_id: int) -> bool:
        if province_id not in self.reviews:
            return False
        groups = self.reviews[province_id]
        return groups is None or group_id in groups

    def review_filter(self, prefix: str = "") -> Q:
        """A filter on assessments (through `prefix`) this user may decide."""
        if not self.reviews:
            return Q(pk__in=[])
        condition = Q(pk__in=[])
        for province_id, groups in self.reviews.items():
            term = Q(**{f"{prefix}enrolment__ward__province_id": province_id})
            if groups is not None:
                term &= Q(**{f"{prefix}criterion__group_id__in": groups})
            condition |= term
        return condition

    def ward_filter(self, prefix: str = "") -> Q:
        """A filter on wards (through `prefix`) that this scope covers."""
        if self.nationwide:
            return Q()
        return Q(**{f"{prefix}pk__in": self.ward_ids}) | Q(
            **{f"{prefix}province_id__in": self.province_ids}
        )


def scope_of(user: User | Any) -> Scope:
    """The scope of `user`, read once per user object."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope()
    cached = getattr(user, "_kieumau_scope", None)
    if cached is not None:
        return cached
    from .models import Membership

    rows = list(user.memberships.values_list("pk", "role", "ward_id", "province_id"))
    roles = frozenset(role for _pk, role, _ward, _province in rows)
    reviewer_rows = [r for r in rows if r[1] == Membership.Role.REVIEWER]
    group_rows = Membership.criterion_groups.through.objects.filter(
        membership_id__in=[r[0] for r in reviewer_rows]
    ).values_list("membership_id", "criteriongroup_id")
    groups_of: dict[int, set[int]] = {}
    for membership_id, group_id in group_rows if reviewer_rows else ():
        groups_of.setdefault(membership_id, set()).add(group_id)
    reviews: dict[int, frozenset[int] | None] = {}
    for pk, _role, _ward, province_id in reviewer_rows:
        mine = groups_of.get(pk)
        known = reviews.get(province_id, frozenset())
        if mine is None or known is None:
            reviews[province_id] = None  # one unrestricted membership covers all
        else:
            reviews[province_id] = known | mine
    scope = Scope(
        nationwide=user.is_superuser or bool(roles & set(Membership.NATIONAL_ROLES)),
        province_ids=frozenset(p for _pk, _r, _w, p in rows if p is not None),
        ward_ids=frozenset(w for _pk, _r, w, _p in rows if w is not None),
        roles=roles,
        officer_ward_ids=frozenset(
            w for _pk, r, w, _p in rows if r == Membership.Role.OFFICER
        ),
        reviews=reviews,
    )
    user._kieumau_scope = scope
    return scope


class WardQuerySet(models.QuerySet):
    def visible_to(self, user: User | Any) -> WardQuerySet:
        scope = scope_of(user)
        if scope.is_empty:
            return self.none()
        return self.filter(scope.ward_filter())


class EnrolmentQuerySet(models.QuerySet):
    def visible_to(self, user: User | Any) -> EnrolmentQuerySet:
        scope = scope_of(user)
        if scope.is_empty:
            return self.none()
        return self.filter(scope.ward_filter("ward__"))

    def with_progress(self, *, group: str = "") -> EnrolmentQuerySet:
        """Annotate `approved_count` and `criteria_count` in the same query.

        The size comes from the enrolment's criteria set, so a 20-criterion
        set reads "n/20" and the 22-criterion set "n/22". With `group` (a
        group code such as "C"), both count only that group's criteria. The
        counts are subqueries, so they can be grouped and averaged further.
        """
        from criteria.models import Criterion
        from evidence.models import Assessment

        criteria = Criterion.objects.filter(criteria_set=OuterRef("criteria_set"))
        approved = Assessment.objects.filter(
            enrolment=OuterRef("pk"), status=Assessment.Status.APPROVED
        )
        if group:
            criteria = criteria.filter(group__code=group)
            approved = approved.filter(criterion__group__code=group)
        return self.annotate(
            approved_count=count_of(approved, "enrolment"),
            criteria_count=count_of(criteria, "criteria_set"),
        )

    def with_activity(self) -> EnrolmentQuerySet:
        """Annotate pending and returned counts and the time of the last event."""
        from evidence.models import Assessment, ReviewEvent

        mine = Assessment.objects.filter(enrolment=OuterRef("pk"))
        last = ReviewEvent.objects.filter(
            assessment__enrolment=OuterRef("pk")
        ).order_by("-created_at")
        return self.annotate(
            pending_count=count_of(
                mine.filter(status=Assessment.Status.SUBMITTED), "enrolment"
            ),
            returned_count=count_of(
                mine.filter(status=Assessment.Status.RETURNED), "enrolment"
            ),
            last_activity=Subquery(last.values("created_at")[:1]),
        )


def count_of(queryset: models.QuerySet, by: str) -> Coalesce:
    """A correlated COUNT(*) subquery, 0 when nothing matches."""
    counted = queryset.order_by().values(by).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=models.IntegerField()), 0)


class MembershipQuerySet(models.QuerySet):
    def reviewers_for(self, *, province_id: int, group_id: int) -> MembershipQuerySet:
        """Reviewer memberships whose scope covers a province and a group."""
        from .models import Membership

        return (
            self.filter(role=Membership.Role.REVIEWER, province_id=province_id)
            .filter(Q(criterion_groups__isnull=True) | Q(criterion_groups__pk=group_id))
            .distinct()
        )
