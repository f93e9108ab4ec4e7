"""The one place that decides what a user may see.

A user's memberships give a `Scope`, read once per request. Querysets of
rows that belong to a ward filter themselves by it (`ScopedQuerySet`), and
the page rules below answer each question a view asks. Out of scope is
always `Http404`: a user never learns that another ward's record exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.db import models
from django.db.models import Q
from django.http import Http404

from core.collation import vi_key
from wards.lineage import with_predecessors
from wards.models import Province, Ward

from .models import NATIONAL_ROLES, Membership, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser
else:
    AnyUser = Any


@dataclass(frozen=True)
class Scope:
    """What one user's memberships cover."""

    nationwide: bool = False
    province_ids: frozenset[int] = field(default_factory=frozenset)
    ward_ids: frozenset[int] = field(default_factory=frozenset)
    roles: frozenset[str] = field(default_factory=frozenset)
    # Wards whose officer this user is.
    officer_ward_ids: frozenset[int] = field(default_factory=frozenset)
    # Wards this user contributes to, with the bodies whose criteria they
    # work on: they see and act on those criteria only, nothing else.
    contributes: dict[int, frozenset[str]] = field(default_factory=dict)
    # Provinces this user reviews: the groups covered, or None for every group.
    reviews: dict[int, frozenset[int] | None] = field(default_factory=dict)
    # A national leader or administrator (not a Ministry reviewer).
    national: bool = False
    # Provinces this user leads: proposes their wards, decides at their level.
    led_province_ids: frozenset[int] = field(default_factory=frozenset)
    # Where this user decides Ministry-level proposals: None for nowhere, an
    # empty set for the whole country, else these provinces.
    ministry_province_ids: frozenset[int] | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.nationwide or self.province_ids or self.ward_ids)

    @property
    def only_ward_id(self) -> int | None:
        """The ward of a user whose own unit is exactly one ward, else None
        (the units it was formed from, which the user also reads, aside)."""
        if self.nationwide or self.province_ids or len(self.officer_ward_ids) != 1:
            return None
        return next(iter(self.officer_ward_ids))

    @property
    def is_only_reviewer(self) -> bool:
        return bool(self.reviews) and self.roles == {Role.REVIEWER}

    @property
    def leads(self) -> bool:
        """A provincial or national leader: someone who reads the dashboards."""
        return bool(self.roles & {Role.PROVINCIAL_LEADER, Role.NATIONAL_LEADER})

    @property
    def is_only_ministry_reviewer(self) -> bool:
        return self.roles == {Role.MINISTRY_REVIEWER}

    @property
    def decides_any(self) -> bool:
        """Whether this user decides proposals anywhere."""
        return bool(self.led_province_ids) or self.ministry_province_ids is not None

    def proposes_in(self, province_id: int) -> bool:
        """Provincial leaders register and propose their province's wards."""
        return province_id in self.led_province_ids

    def decides(self, track: str, province_id: int) -> bool:
        """Whether this user accepts, returns and records the decisions of
        `track` for wards of a province: the Ministry's reviewers for the
        Ministry level, the province's own leadership for the province's."""
        if track == "province":
            return province_id in self.led_province_ids
        covered = self.ministry_province_ids
        return covered is not None and (not covered or province_id in covered)

    def decision_filter(self, prefix: str = "") -> Q:
        """A filter on proposals (through `prefix`) this user decides."""
        province = f"{prefix}enrolment__ward__province_id"
        condition = Q(
            **{f"{prefix}track": "province", f"{province}__in": self.led_province_ids}
        )
        covered = self.ministry_province_ids
        if covered is not None:
            ministry = Q(**{f"{prefix}track": "ministry"})
            if covered:
                ministry &= Q(**{f"{province}__in": covered})
            condition |= ministry
        return condition

    def is_officer_of(self, ward_id: int) -> bool:
        return ward_id in self.officer_ward_ids

    def contributes_to(self, ward_id: int, body: str) -> bool:
        """Whether this user works on a ward's criteria carried out by `body`."""
        return body in self.contributes.get(ward_id, ())

    @property
    def is_only_contributor(self) -> bool:
        return self.roles == {Role.CONTRIBUTOR}

    def contribution_filter(self, ward_prefix: str, criterion_prefix: str) -> Q:
        """A filter on rows of the criteria this user contributes to."""
        condition = Q(pk__in=[])
        for ward_id, bodies in self.contributes.items():
            condition |= Q(
                **{
                    f"{ward_prefix}pk": ward_id,
                    f"{criterion_prefix}responsible_body__in": sorted(bodies),
                }
            )
        return condition

    def sees_province(self, province_id: int) -> bool:
        return self.nationwide or province_id in self.province_ids

    def reviews_group(self, province_id: int, group_id: int) -> bool:
        if province_id not in self.reviews:
            return False
        groups = self.reviews[province_id]
        return groups is None or group_id in groups

    def review_filter(self, prefix: str = "") -> Q:
        """A filter on assessments (through `prefix`) this user may decide."""
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
        if self.is_empty:
            return Q(pk__in=[])
        return Q(**{f"{prefix}pk__in": self.ward_ids}) | Q(
            **{f"{prefix}province_id__in": self.province_ids}
        )


def scope_of(user: AnyUser | None) -> Scope:
    """The scope of `user`, read once per user object."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope()
    cached = getattr(user, "_kieumau_scope", None)
    if cached is not None:
        return cached
    memberships = list(
        Membership.objects.filter(user_id=user.pk).values_list(
            "pk", "role", "ward_id", "province_id", "body"
        )
    )
    contributes: dict[int, frozenset[str]] = {}
    for _pk, role, ward_id, _province, body in memberships:
        if role == Role.CONTRIBUTOR:
            contributes[ward_id] = contributes.get(ward_id, frozenset()) | {body}
    # A contributor's ward is not in their scope: only its criteria are.
    rows = [m[:4] for m in memberships if m[1] != Role.CONTRIBUTOR]
    roles = frozenset(role for _pk, role, _ward, _province in rows) | (
        {Role.CONTRIBUTOR} if contributes else frozenset()
    )
    reviewer_rows = [r for r in rows if r[1] == Role.REVIEWER]
    groups_of: dict[int, set[int]] = {}
    if reviewer_rows:
        links = Membership.criterion_groups.through.objects.filter(
            membership_id__in=[r[0] for r in reviewer_rows]
        ).values_list("membership_id", "criteriongroup_id")
        for membership_id, group_id in links:
            groups_of.setdefault(membership_id, set()).add(group_id)
    reviews: dict[int, frozenset[int] | None] = {}
    for pk, _role, _ward, province_id in reviewer_rows:
        mine = groups_of.get(pk)
        known = reviews.get(province_id, frozenset())
        if mine is None or known is None:
            reviews[province_id] = None  # one unrestricted membership covers all
        else:
            reviews[province_id] = known | mine
    national = bool(getattr(user, "is_superuser", False)) or bool(
        roles & set(NATIONAL_ROLES)
    )
    ministry_rows = [r for r in rows if r[1] == Role.MINISTRY_REVIEWER]
    ministry_province_ids = (
        None
        if not ministry_rows
        # One membership for the whole country covers every province.
        else frozenset()
        if any(p is None for _pk, _r, _w, p in ministry_rows)
        else frozenset(p for _pk, _r, _w, p in ministry_rows)
    )
    nationwide = national or ministry_province_ids == frozenset()
    # A unit's people read the records of the units it was formed from (and a
    # province's those of its former provinces); they act only on their own.
    ward_ids, province_ids = (
        (frozenset(), frozenset())
        if nationwide
        else with_predecessors(
            (w for _pk, _r, w, _p in rows if w is not None),
            (p for _pk, _r, _w, p in rows if p is not None),
        )
    )
    scope = Scope(
        nationwide=nationwide,
        province_ids=province_ids,
        ward_ids=ward_ids,
        roles=roles,
        officer_ward_ids=frozenset(w for _pk, r, w, _p in rows if r == Role.OFFICER),
        contributes=contributes,
        reviews=reviews,
        national=national,
        led_province_ids=frozenset(
            p for _pk, r, _w, p in rows if r == Role.PROVINCIAL_LEADER
        ),
        ministry_province_ids=ministry_province_ids,
    )
    setattr(user, "_kieumau_scope", scope)  # noqa: B010 - not a declared field
    return scope


class ScopedQuerySet(models.QuerySet):
    """Rows that belong to a ward; `ward_path` is the lookup that leads to it.

    Rows of one criterion (`criterion_path`) are also visible to the ward's
    contributors whose body carries that criterion out.
    """

    ward_path: ClassVar[str]
    criterion_path: ClassVar[str | None] = None

    def visible_to(self, user: AnyUser | None) -> Self:
        """The rows in `user`'s scope; none for a user without a membership."""
        scope = scope_of(user)
        if scope.nationwide:
            return self.all()
        condition = scope.ward_filter(self.ward_path)
        if scope.contributes and self.criterion_path is not None:
            condition |= scope.contribution_filter(self.ward_path, self.criterion_path)
        return self.filter(condition)


# The page rules: one function per question a view asks.


def landing_ward(user: AnyUser | None) -> Ward | None:
    """The ward a user whose scope is exactly one ward lands on."""
    ward_id = scope_of(user).only_ward_id
    if ward_id is None:
        return None
    return Ward.objects.filter(pk=ward_id).only("code").first()


def _of_year(provinces: list[Province], year: int | None) -> Province | None:
    """Of the provinces that carried one code, the one of `year`.

    A code can name a province before 1 July 2025 and the one formed then
    (Hà Nội 01; Tuyên Quang 08, which also took in Hà Giang): the one in
    force in `year`, the later where both were (it carries the earlier in its
    lineage). Without a year, or if none was in force, the one in force now,
    else the latest.
    """
    latest_first = sorted(
        provinces, key=lambda p: (p.valid_to is None, p.valid_to, p.pk), reverse=True
    )
    if year is not None:
        for province in latest_first:
            if province.valid_in(year):
                return province
    return latest_first[0] if latest_first else None


def province_or_404(
    user: AnyUser | None, code: str, *, year: int | None = None
) -> Province:
    """The province with `code` in `year` (see `_of_year`), if `user` may see
    its dashboards."""
    province = _of_year(list(Province.objects.filter(code=code)), year)
    if province is None or not scope_of(user).sees_province(province.pk):
        raise Http404
    return province


def home_province(user: AnyUser | None, *, year: int | None = None) -> Province | None:
    """The province a provincial user lands on: the first of theirs by name,
    as it was in `year`.

    Their own provinces are those still in force; the others in their scope
    are what those were formed from (Hà Giang for Tuyên Quang), not a home.
    """
    provinces = list(Province.objects.filter(pk__in=scope_of(user).province_ids))
    own = min(provinces, key=lambda p: (p.closed, vi_key(p.name)), default=None)
    if own is None:
        return None
    return _of_year([p for p in provinces if p.code == own.code], year)


def dashboard_province(
    user: AnyUser | None, code: str = "", *, year: int | None = None
) -> Province | None:
    """Where a dashboard of `year` looks: a province, or None for the country.

    A province named in the request must be in scope. Without one, national
    users see the country and provincial users their own province; anyone
    else has no dashboard.
    """
    if code:
        return province_or_404(user, code, year=year)
    if scope_of(user).nationwide:
        return None
    province = home_province(user, year=year)
    if province is None:
        raise Http404
    return province


def dashboard_provinces(user: AnyUser | None, year: int | None) -> list[Province]:
    """The provinces a national user may choose on a dashboard of `year`, in
    Vietnamese order: those in force at its end.

    For 2025 that is the 34 formed on 1 July, whose figures carry the 63
    before them, not both sets. Others look at their own province: none.
    """
    if year is None or not scope_of(user).nationwide:
        return []
    provinces = Province.objects.at_year_end(year)
    return sorted(provinces, key=lambda p: vi_key(p.name))


def require_nationwide(user: AnyUser | None) -> None:
    """Pages about the whole country: national users only."""
    if not scope_of(user).nationwide:
        raise Http404


def require_national(user: AnyUser | None) -> None:
    """What only the national leadership does (quotas, opening a year)."""
    if not scope_of(user).national:
        raise Http404


def require_decider(user: AnyUser | None) -> None:
    """Pages of the level above: anyone who decides proposals somewhere."""
    if not scope_of(user).decides_any:
        raise Http404


def require_reviewer(user: AnyUser | None) -> None:
    """Pages for reviewers: anyone who reviews at least one province."""
    if not scope_of(user).reviews:
        raise Http404
