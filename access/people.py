"""How a person is named on a page: full name and police unit.

"Nguyễn Văn An (Công an tỉnh Thanh Hóa)": the unit comes from the person's
memberships. A ward officer belongs to the ward's police, a reviewer or
provincial leader to the provincial police, national roles to the Ministry.
Pages that name many people prefetch the memberships with `with_units`, so
that naming them costs one query per page, not one per person.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, prefetch_related_objects
from django.utils.translation import gettext as _

from core.collation import vi_key
from wards.models import KIND_PREFIXES, Province, Ward, WardKind

from .models import COUNTRY_OR_PROVINCE_ROLES, NATIONAL_ROLES, Membership

# The six centrally governed cities (thành phố trực thuộc trung ương) since
# 1 July 2025, by official code: their police is "Công an thành phố …".
CITY_CODES = frozenset({"01", "31", "46", "48", "79", "92"})

_CACHE = "_kieumau_memberships"


def with_units(path: str) -> Prefetch:
    """Prefetch the memberships of the user at `path` (e.g. "actor").

    `path` is a relation to a user; "" for a queryset of users themselves.
    """
    lookup = f"{path}__memberships" if path else "memberships"
    return Prefetch(
        lookup, queryset=Membership.objects.select_related("ward__province", "province")
    )


def load_units(users: Iterable[Any]) -> None:
    """Read the memberships of these users (None skipped) in one query."""
    prefetch_related_objects([u for u in users if u is not None], with_units(""))


def memberships_of(user: Any) -> list[Membership]:
    """The user's memberships: prefetched if they were, else read once."""
    prefetched = getattr(user, "_prefetched_objects_cache", {})
    if "memberships" in prefetched:
        return list(prefetched["memberships"])
    cached = getattr(user, _CACHE, None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user_id=user.pk).select_related(
                "ward__province", "province"
            )
        )
        setattr(user, _CACHE, cached)
    return cached


def ward_police(ward: Ward) -> str:
    """The police of a unit: "Công an phường X" ("Công an phường 1" for the
    numbered "Phường 1")."""
    name = ward.name.removeprefix(KIND_PREFIXES.get(ward.kind, "") + " ")
    if ward.kind == WardKind.XA:
        return _("%(name)s Commune Police") % {"name": name}
    if ward.kind == WardKind.DAC_KHU:
        return _("%(name)s Special Zone Police") % {"name": name}
    if ward.kind == WardKind.THI_TRAN:
        return _("%(name)s Township Police") % {"name": name}
    return _("%(name)s Ward Police") % {"name": name}


def ward_body(ward: Ward, body: str) -> str:
    """A body of a unit other than its police: "Đảng ủy phường X", "Ủy ban
    nhân dân xã Y"; the unit's name for another body."""
    name = ward.name.removeprefix(KIND_PREFIXES.get(ward.kind, "") + " ")
    commune = ward.kind == WardKind.XA
    if body == "party_committee":
        if commune:
            return _("%(name)s Commune Party Committee") % {"name": name}
        return _("%(name)s Ward Party Committee") % {"name": name}
    if body == "peoples_committee":
        if commune:
            return _("%(name)s Commune People's Committee") % {"name": name}
        return _("%(name)s Ward People's Committee") % {"name": name}
    return ward.name


def ward_police_head(ward: Ward) -> str:
    """The title of whoever signs for a ward's police: "Trưởng Công an phường"."""
    if ward.kind == WardKind.XA:
        return _("Head of the Commune Police")
    if ward.kind == WardKind.DAC_KHU:
        return _("Head of the Special Zone Police")
    if ward.kind == WardKind.THI_TRAN:
        return _("Head of the Township Police")
    return _("Head of the Ward Police")


def province_police(province: Province) -> str:
    """The police of a province or city: "Công an tỉnh X"."""
    if province.code in CITY_CODES:
        return _("%(name)s City Police") % {"name": province.name}
    return _("%(name)s Provincial Police") % {"name": province.name}


def ministry() -> str:
    return _("Ministry of Public Security")


def units_of(user: Any) -> list[str]:
    """The units a user belongs to: the Ministry first, then provinces, wards."""
    national, provinces, wards = [], [], []
    for membership in memberships_of(user):
        # A Ministry reviewer works at the Ministry, whatever provinces.
        if membership.role in NATIONAL_ROLES + COUNTRY_OR_PROVINCE_ROLES:
            national.append(ministry())
        elif membership.province is not None:
            provinces.append(province_police(membership.province))
        elif membership.ward is not None and membership.body:
            wards.append(ward_body(membership.ward, membership.body))
        elif membership.ward is not None:
            wards.append(ward_police(membership.ward))
    return list(
        dict.fromkeys(
            national + sorted(provinces, key=vi_key) + sorted(wards, key=vi_key)
        )
    )


def unit_of(user: Any) -> str:
    """The user's unit(s) in one line; "" for someone without a membership."""
    return ", ".join(units_of(user))


def display_name(user: Any) -> str:
    """The full name, or the user name of someone who has none."""
    return user.get_full_name() or user.get_username()


def person(user: Any) -> str:
    """ "Nguyễn Văn An (Công an phường An Hưng)"; "" for no user."""
    if user is None:
        return ""
    unit = unit_of(user)
    return f"{display_name(user)} ({unit})" if unit else display_name(user)


def roles_of(user: Any) -> str:
    """The user's roles, as their names, in one line."""
    return ", ".join(
        dict.fromkeys(str(m.get_role_display()) for m in memberships_of(user))
    )
