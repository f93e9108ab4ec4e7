"""The shipped official lists (wards/data/) load, link up and say the facts."""

import datetime as dt
from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import F

from wards.models import Province, UnitChange, Ward
from wards.units import import_official

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 30)
JUNE_30 = dt.date(2025, 6, 30)


def test_the_official_lists_load_with_their_lineage_and_again_change_nothing():
    plans = import_official()
    assert [name for name, plan in plans] == ["legacy", "2025"]
    assert not any(plan.refusals for _name, plan in plans)

    assert Province.objects.valid_on(TODAY).count() == 34
    assert Province.objects.valid_on(JUNE_30).count() == 63
    current = Ward.objects.valid_on(TODAY)
    assert current.count() == 3321
    assert Counter(current.values_list("kind", flat=True)) == {
        "xa": 2621,
        "phuong": 687,
        "dac_khu": 13,
    }
    assert Ward.objects.valid_on(JUNE_30).exclude(kind="huyen").count() == 10035

    an_hung = Ward.objects.get(code="16435")
    assert (an_hung.name, an_hung.province.name, an_hung.valid_to) == (
        "An Hưng",
        "Thanh Hóa",
        JUNE_30,
    )
    assert sorted(
        an_hung.successions.values_list("successor__name", "successor__code")
    ) == [("Hạc Thành", "14797"), ("Đông Quang", "16417")]
    phu_la, kien_hung = Ward.objects.filter(code="09552").order_by(
        F("valid_from").asc(nulls_first=True)
    )
    assert (phu_la.name, kien_hung.name) == ("Phú La", "Kiến Hưng")
    assert sorted(
        phu_la.successions.values_list("successor__name", "successor__code")
    ) == [("Dương Nội", "09886"), ("Kiến Hưng", "09552")]
    assert (
        UnitChange.objects.filter(successor=kien_hung, predecessor=phu_la).get().partial
    )

    before = (
        Ward.objects.count(),
        UnitChange.objects.count(),
        Province.objects.count(),
    )
    again = import_official()
    assert all(plan.is_empty for _name, plan in again)
    after = (Ward.objects.count(), UnitChange.objects.count(), Province.objects.count())
    assert after == before


def test_the_dry_run_prints_the_plan_and_writes_nothing(capsys, english):
    call_command("import_units", "--official", "--dry-run")
    out = capsys.readouterr().out
    assert "10040 unit(s) to add" in out  # the list before 1 July 2025
    assert "3321 unit(s) to add" in out
    assert "443 unit(s) split between several" in out
    assert "Dry run: nothing was written." in out
    assert not Ward.objects.exists()
