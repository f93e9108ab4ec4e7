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

    @property
    def is_empty(self) -> bool:
        return not (self.nationwide or self.province_ids or self.ward_ids)

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

    rows = list(user.memberships.values_list("role", "ward_id", "province_id"))
    roles = frozenset(role for role, _ward, _province in rows)
    scope = Scope(
        nationwide=user.is_superuser or bool(roles & set(Membership.NATIONAL_ROLES)),
        province_ids=frozenset(p for role, _w, p in rows if p is not None),
        ward_ids=frozenset(w for role, w, _p in rows if w is not None),
        roles=roles,
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

    def with_progress(self) -> EnrolmentQuerySet:
        """Annotate `approved_count` and `criteria_count` in the same query.

        The size comes from the enrolment's criteria set, so a 20-criterion
        set reads "n/20" and the 22-criterion set "n/22".
        """
        from criteria.models import Criterion
        from evidence.models import Assessment

        set_size = (
            Criterion.objects.filter(criteria_set=OuterRef("criteria_set"))
            .order_by()
            .values("criteria_set")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(
            approved_count=Count(
                "assessments",
                filter=Q(assessments__status=Assessment.Status.APPROVED),
            ),
            criteria_count=Coalesce(Subquery(set_size), 0),
        )


class MembershipQuerySet(models.QuerySet):
    def reviewers_for(self, *, province_id: int, group_id: int) -> MembershipQuerySet:
        """Reviewer memberships whose scope covers a province and a group."""
        from .models import Membership

        return (
            self.filter(role=Membership.Role.REVIEWER, province_id=province_id)
            .filter(Q(criterion_groups__isnull=True) | Q(criterion_groups__pk=group_id))
            .distinct()
        )
