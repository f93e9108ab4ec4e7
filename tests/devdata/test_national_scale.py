"""The benchmark's data at a scale (`make bench SCALE=4`): copies of the units.

The generator loads the whole map; here it loads only small provinces
(Lai Châu, 12; Điện Biên, 11), so that each test builds its data in a
second or two. The copying does not depend on which units there are.
"""

import datetime as dt
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from assessments.models import Enrolment
from devdata import national
from devdata.demo_units import load_units
from wards.models import Ward

END_2025 = dt.date(2025, 12, 31)


def small_map(monkeypatch, *provinces: str) -> None:
    monkeypatch.setattr(
        national, "load_units", lambda: load_units(provinces=set(provinces))
    )


def test_the_scale_makes_copies_of_the_units_enrolled_in_their_province(
    db, monkeypatch
):
    small_map(monkeypatch, "11", "12")
    counts = national.generate(years=[2025], per_province=2, scale=3)
    enrolled = Ward.objects.filter(enrolments__year=2025)
    per_province = Counter(enrolled.values_list("province__name", flat=True))
    assert per_province == {"Lai Châu": 6, "Điện Biên": 6}
    assert counts["enrolments"] == 12
    codes = list(enrolled.values_list("code", flat=True))
    assert len(set(codes)) == 12
    copies = enrolled.exclude(pk__in=national.originals(enrolled))
    assert copies.count() == 8
    for copy in copies.select_related("province"):
        assert len(copy.code) == national.COPY_CODE_LENGTH
        number, length = int(copy.code[:2]), int(copy.code[2])
        original = Ward.objects.get(
            code=copy.code[-length:], valid_from=copy.valid_from
        )
        assert copy.name == f"{original.name} ({number})"
        assert copy.folded_name and copy.province == original.province
        assert copy.valid_to == original.valid_to
        for got, was in [
            (copy.latitude, original.latitude),
            (copy.longitude, original.longitude),
        ]:
            assert got is not None and was is not None and abs(got - was) <= 0.01
    # Copies have no lineage; no official code is taken.
    assert not copies.filter(origins__isnull=False).exists()
    assert national.copy_code("318", 2) != national.copy_code("00318", 2)


def test_a_scaled_database_is_recognised_and_another_scale_starts_again(
    db, monkeypatch
):
    small_map(monkeypatch, "12")
    years = [2025, 2026]
    national.generate(years=years, scale=2)
    units = Ward.objects.valid_on(END_2025)
    assert units.count() == 2 * 38
    assert national.originals(units).count() == 38
    assert Enrolment.objects.filter(year=2026).count() == 2 * 38
    # The units before 1 July 2025 come twice too.
    before = Ward.objects.valid_on(dt.date(2024, 12, 31))
    assert before.count() == 2 * national.originals(before).count() > 0
    assert Ward.objects.values("code", "valid_from").distinct().count() == (
        Ward.objects.count()
    )
    assert national.loaded_scale() == 2
    assert national.is_loaded(years, scale=2)
    assert not national.is_loaded(years, scale=1)
    assert not national.is_loaded(years, scale=3)
    out = StringIO()
    call_command("generate_national", years=years, scale=2, stdout=out)
    assert "already there" in out.getvalue()
    call_command("generate_national", "--check", years=years, scale=2)
    with pytest.raises(CommandError, match="at scale 2, not 4") as caught:
        call_command("generate_national", "--check", years=years, scale=4)
    assert caught.value.returncode == 3
