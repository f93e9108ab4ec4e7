"""The national page's units by province and kind match the shipped official list."""

import csv
import re
from collections import Counter

import pytest

from access.models import Membership
from dashboards.coverage import units_in_force
from dashboards.maps import fit
from tests.factories import EnrolmentFactory, make_criteria_set, member
from wards.models import Ward
from wards.units import DATA, import_official

Role = Membership.Role


def counted(path) -> dict[str, Counter]:
    """Units of a shipped list by province code and kind, read with csv."""
    by_province: dict[str, Counter] = {}
    with open(path, encoding="utf-8") as file:
        for row in csv.DictReader(file):
            by_province.setdefault(row["province_code"], Counter())[row["kind"]] += 1
    return by_province


@pytest.fixture(scope="module")
def official(module_db):
    """Both official lists, and three 2026 units enrolled: two of Hà Nội (01),
    one of Thanh Hóa (38)."""
    import_official()
    criteria_set = make_criteria_set(22)
    for code in ("00004", "00008", "14797"):  # Ba Đình, Ngọc Hà, Hạc Thành
        ward = Ward.objects.valid_in(2026).get(code=code)
        EnrolmentFactory(ward=ward, criteria_set=criteria_set, year=2026)
    return member(Role.NATIONAL_LEADER)


def as_counts(units: dict) -> dict[str, Counter]:
    kinds = [kind for kind, _label in units["kinds"]]
    return {
        row["code"]: Counter(
            {kind: n for kind, n in zip(kinds, row["counts"], strict=True) if n}
        )
        for row in units["rows"]
    }


def test_the_2026_page_counts_the_shipped_list_by_province_and_kind(
    db, client, official
):
    client.force_login(official)
    client.cookies["django_language"] = "en"
    response = client.get("/dashboard/", {"year": 2026})
    units = response.context["units"]
    expected = counted(DATA / "units-2025.csv")
    assert len(expected) == 34
    assert as_counts(units) == expected
    assert [kind for kind, _label in units["kinds"]] == ["phuong", "xa", "dac_khu"]
    assert units["totals"]["counts"] == [687, 2621, 13]
    assert units["totals"]["total"] == 3321
    # The national totals as the page prints them, in the table's last row.
    footer = re.search(r"<tfoot>.*?</tfoot>", response.text, re.S).group(0)
    assert re.findall(r'<td class="num">([^<]*)</td>', footer) == [
        "687",
        "2,621",
        "13",
        "3,321",
        "3",
        "0%",
    ]


def test_enrolled_units_stand_beside_their_province(db, client, official):
    client.force_login(official)
    units = client.get("/dashboard/", {"year": 2026}).context["units"]
    by_code = {row["code"]: row for row in units["rows"]}
    hanoi, thanh_hoa = by_code["01"], by_code["38"]
    assert (hanoi["name"], hanoi["total"], hanoi["enrolled"]) == ("Hà Nội", 126, 2)
    assert hanoi["percent"] == 2  # 2 of 126
    assert (thanh_hoa["enrolled"], thanh_hoa["total"]) == (1, 166)
    assert by_code["04"]["enrolled"] == 0  # Cao Bằng
    assert units["totals"]["enrolled"] == 3 and units["elsewhere"] == 0


def test_the_national_map_is_framed_by_the_whole_country(db, client, official):
    """Three enrolled units in the north, on a map of all of Vietnam."""
    client.force_login(official)
    response = client.get("/dashboard/", {"year": 2026})
    with open(DATA / "units-2025.csv", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    latitudes = [float(row["latitude"]) for row in rows]
    longitudes = [float(row["longitude"]) for row in rows]
    extent = (min(latitudes), min(longitudes), max(latitudes), max(longitudes))
    assert response.context["units"]["extent"] == pytest.approx(extent)
    drawn = response.context["map"]
    enrolled = {r["ward__province_id"] for r in response.context["rows"]}
    assert drawn.shown == len(enrolled)  # a circle a province
    country = fit([extent[:2], extent[2:]])
    assert (drawn.width, drawn.height) == (country.width, country.height)
    assert "Đà Nẵng" in drawn.dots and "TP. Hồ Chí Minh" in drawn.dots


def test_a_year_before_the_merger_counts_the_list_then_in_force(db, official):
    units = units_in_force(2024, [])
    assert as_counts(units) == counted(DATA / "units-legacy.csv")
    kinds = [kind for kind, _label in units["kinds"]]
    assert "thi_tran" in kinds and "dac_khu" not in kinds
    assert len(units["rows"]) == 63


def test_2025_counts_the_units_at_its_end_not_both_lists(db, official):
    assert units_in_force(2025, [])["totals"]["total"] == 3321


def test_the_counts_are_one_grouped_query(db, official, django_assert_num_queries):
    with django_assert_num_queries(1):
        units_in_force(2026, [])


def test_a_year_out_of_the_calendar_is_not_an_error(db, client, official):
    client.force_login(official)
    for year in ("0", "123456789"):
        response = client.get("/dashboard/", {"year": year})
        assert response.status_code == 200
        assert response.context["units"]["rows"] == []


@pytest.mark.parametrize("year", ["0", "10000", "99999", "123456789"])
def test_a_year_no_date_can_have_is_no_year(client, national, year):
    """Every dashboard answers; none makes a date of year 99999."""
    client.force_login(national)
    for path in ("/dashboard/", "/dashboard/trend/"):
        assert client.get(path, {"year": year}).status_code == 200
