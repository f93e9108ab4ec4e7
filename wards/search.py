"""Finding a unit by its name, current or former, or by its code."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from core.collation import fold, vi_order

from .models import Ward
from .units import unit_name

MAX_RESULTS = 30


def find_units(query: str, units: QuerySet[Ward] | None = None) -> QuerySet[Ward]:
    """Units whose code starts with `query`, or whose name has a word that
    starts it, whatever the case and diacritics ("an hung" finds An Hưng,
    "Phường An Hưng" too, but not Chấn Hưng). The name itself first, then
    names that begin with it; units in force before former ones."""
    units = Ward.objects.all() if units is None else units
    query = " ".join((query or "").split())[:128]
    if not query:
        return units.none()
    in_force_first = Case(
        When(valid_to__isnull=True, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    if query.isdigit():
        return units.filter(code__startswith=query).order_by("code", in_force_first)
    name, _kind = unit_name(query)
    folded = fold(name)
    found = units.filter(
        Q(folded_name__startswith=folded) | Q(folded_name__contains=" " + folded)
    )
    closeness = Case(
        When(folded_name=folded, then=Value(0)),
        When(folded_name__startswith=folded, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return found.order_by(closeness, in_force_first, vi_order("name"), "code")
