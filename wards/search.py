"""Finding a unit by its name, current or former, or by its code."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from core.collation import fold, vi_order

from .models import Ward
from .units import unit_name

MAX_RESULTS = 30


def find_units(query: str, units: QuerySet[Ward] | None = None) -> QuerySet[Ward]:
    """Units whose code starts with `query`, or whose name contains it,
    whatever the case and diacritics ("an hung" finds An Hưng, "Phường An
    Hưng" too). Units in force come first."""
    units = Ward.objects.all() if units is None else units
    query = " ".join((query or "").split())[:128]
    if not query:
        return units.none()
    if query.isdigit():
        found = units.filter(code__startswith=query)
    else:
        name, _kind = unit_name(query)
        found = units.filter(folded_name__contains=fold(name))
    return found.annotate(
        closed_first=Case(
            When(valid_to__isnull=True, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("closed_first", vi_order("name"), "code")
