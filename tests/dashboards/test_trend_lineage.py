"""The trend of a province across 1 July 2025, and the provinces of a year.

A small world, built once: the old Hà Giang (02) and the old Tuyên Quang
(08) closed on 30 June 2025 and went into the new Tuyên Quang (08). Two
Hà Giang units, enrolled for 2025, had approvals from March to June; they
merged into Phường Hà Giang 1 (one of them split, part of it going to
Phường Minh Xuân), enrolled for 2025 too, with approvals from July. Hà Nội
(01, old and new) is there to be left out.
"""

import datetime as dt

import pytest

from access.models import Membership
from assessments.models import ReviewEvent
from dashboards import figures as dashboards
from tests.factories import (
    EnrolmentFactory,
    ProvinceFactory,
    WardFactory,
    make_criteria_set,
    member,
)
from wards.models import ProvinceChange, UnitChange
from wards.units import DATA, read_changes, read_units

Role = Membership.Role
pytestmark = pytest.mark.usefixtures("english")
JUNE_30, JULY_1 = dt.date(2025, 6, 30), dt.date(2025, 7, 1)


def approve(enrolment, actor, *months: tuple[int, int]) -> None:
    """One approval of a criterion of `enrolment` on the 10th of each
    (year, month)."""
    assessments = list(enrolment.assessments.order_by("criterion__number"))
    for assessment, (year, month) in zip(assessments, months, strict=False):
        ReviewEvent.objects.create(
            assessment=assessment,
            actor=actor,
            action=ReviewEvent.Action.APPROVE,
            from_status="submitted",
            to_status="approved",
            created_at=dt.datetime(year, month, 10, tzinfo=dt.UTC),
        )


@pytest.fixture(scope="module")
def world(module_db):
    criteria_set = make_criteria_set(8)
    old = {
        "ha_giang": ProvinceFactory(code="02", name="Hà Giang", valid_to=JUNE_30),
        "tuyen_quang": ProvinceFactory(code="08", name="Tuyên Quang", valid_to=JUNE_30),
        "ha_noi": ProvinceFactory(code="01", name="Hà Nội", valid_to=JUNE_30),
    }
    new = {
        "tuyen_quang": ProvinceFactory(
            code="08", name="Tuyên Quang", valid_from=JULY_1
        ),
        "ha_noi": ProvinceFactory(code="01", name="Hà Nội", valid_from=JULY_1),
    }
    for before, after in [
        ("ha_giang", "tuyen_quang"),
        ("tuyen_quang", "tuyen_quang"),
        ("ha_noi", "ha_noi"),
    ]:
        ProvinceChange.objects.create(
            predecessor=old[before], successor=new[after], effective=JULY_1
        )

    def unit(province, name, **validity):
        return WardFactory(province=province, name=name, **validity)

    minh_khai = unit(old["ha_giang"], "Minh Khai", valid_to=JUNE_30)
    nguyen_trai = unit(old["ha_giang"], "Nguyễn Trãi", valid_to=JUNE_30)
    phan_thiet = unit(old["tuyen_quang"], "Phan Thiết", valid_to=JUNE_30)
    ha_giang_1 = unit(new["tuyen_quang"], "Hà Giang 1", valid_from=JULY_1)
    minh_xuan = unit(new["tuyen_quang"], "Minh Xuân", valid_from=JULY_1)
    phuc_xa = unit(old["ha_noi"], "Phúc Xá", valid_to=JUNE_30)
    for before, after, partial in [
        (minh_khai, ha_giang_1, True),  # split: part to each
        (minh_khai, minh_xuan, True),
        (nguyen_trai, ha_giang_1, False),
        (phan_thiet, minh_xuan, False),
    ]:
        UnitChange.objects.create(
            predecessor=before, successor=after, effective=JULY_1, partial=partial
        )

    national = member(Role.NATIONAL_LEADER)

    def enrol(ward, year, *months):
        enrolment = EnrolmentFactory(ward=ward, year=year, criteria_set=criteria_set)
        approve(enrolment, national, *[(year, month) for month in months])
        return enrolment

    # 2025, the year of the merger: 12 approvals in Tuyên Quang's lineage.
    enrol(minh_khai, 2025, 3, 3, 4, 6)
    enrol(nguyen_trai, 2025, 5, 5)
    enrol(phan_thiet, 2025, 4)
    enrol(ha_giang_1, 2025, 7, 7, 7, 9, 9)
    enrol(phuc_xa, 2025, 5, 5, 5)  # Hà Nội, left out of Tuyên Quang
    # 2023: the old provinces, one line each.
    enrol(minh_khai, 2023, 2, 8)
    enrol(phan_thiet, 2023, 6)
    # 2026: the new ones.
    enrol(ha_giang_1, 2026, 2)
    return {
        "old": old,
        "new": new,
        "national": national,
        "leader": member(Role.PROVINCIAL_LEADER, province=new["tuyen_quang"]),
    }


def line(response) -> list[tuple[int, int]]:
    assert response.status_code == 200
    return [(p["month"].month, p["total"]) for p in response.context["points"]]


def test_the_trend_of_a_province_across_1_july_2025_runs_on(db, client, world):
    client.force_login(world["leader"])
    client.cookies["django_language"] = "en"
    response = client.get("/dashboard/trend/", {"year": 2025, "province": "08"})
    assert response.context["filters"].province == world["new"]["tuyen_quang"]
    # March to June from the units of Hà Giang and the old Tuyên Quang, July
    # and September from the unit they became: one line, never dropping.
    assert line(response) == [(3, 2), (4, 4), (5, 6), (6, 7), (7, 10), (9, 12)]
    totals = [total for _month, total in line(response)]
    assert totals == sorted(totals)
    assert "Tuyên Quang was formed on 1 Jul 2025" in response.text
    # Without a province named, the leader's own province: the same line.
    assert line(client.get("/dashboard/trend/", {"year": 2025})) == line(response)


def test_a_national_leader_sees_the_same_line_and_the_country_counts_once(
    db, client, world
):
    client.force_login(world["national"])
    tuyen_quang = client.get("/dashboard/trend/", {"year": 2025, "province": "08"})
    assert line(tuyen_quang)[-1] == (9, 12)
    assert "Tuyên Quang được thành lập ngày 01/07/2025" in tuyen_quang.text
    # The split unit's approvals are counted once, in the country's line too.
    country = dashboards.trend(world["national"], dashboards.Filters(year=2025))
    assert [(p["month"].month, p["total"]) for p in country] == [
        (3, 2),
        (4, 4),
        (5, 9),
        (6, 10),
        (7, 13),
        (9, 15),
    ]


def test_an_earlier_year_is_the_province_of_that_year(db, client, world):
    client.force_login(world["leader"])
    # In 2023 Tuyên Quang (08) was the old province alone: Hà Giang's 2023
    # approvals are not in its line.
    response = client.get("/dashboard/trend/", {"year": 2023, "province": "08"})
    assert response.context["filters"].province == world["old"]["tuyen_quang"]
    assert line(response) == [(6, 1)]
    assert "was formed on" not in response.text
    assert line(client.get("/dashboard/trend/", {"year": 2023})) == [(6, 1)]
    assert line(client.get("/dashboard/trend/", {"year": 2026})) == [(2, 1)]


def test_the_province_selector_offers_the_provinces_of_the_year(db, client, world):
    client.force_login(world["national"])
    old, new = world["old"], world["new"]

    def offered(year):
        response = client.get("/dashboard/trend/", {"year": year})
        return [(p.pk, p.name) for p in response.context["provinces"]]

    assert offered(2023) == [
        (old["ha_giang"].pk, "Hà Giang"),
        (old["ha_noi"].pk, "Hà Nội"),
        (old["tuyen_quang"].pk, "Tuyên Quang"),
    ]
    after = [(new["ha_noi"].pk, "Hà Nội"), (new["tuyen_quang"].pk, "Tuyên Quang")]
    # 2025: those in force at its end, whose lines carry the ones before them.
    assert offered(2025) == after
    assert offered(2026) == after
    response = client.get("/dashboard/trend/", {"year": 2026, "province": "08"})
    assert '<option value="08" selected>Tuyên Quang</option>' in response.text
    # A provincial leader looks at their own province: no choice.
    client.force_login(world["leader"])
    assert client.get("/dashboard/trend/", {"year": 2026}).context["provinces"] == []


def test_every_split_of_2025_stays_within_the_province_lineage():
    """What lets the trend follow provinces, not units: in the shipped lists
    each unit's successors lie in the province its own province became."""
    old_province_of = {
        unit.code: unit.province_code for unit in read_units(DATA / "units-legacy.csv")
    }
    new_province_of = {
        unit.code: unit.province_code for unit in read_units(DATA / "units-2025.csv")
    }
    became = {}
    for change in read_changes(DATA / "province-changes-2025.csv"):
        became.setdefault(change.old_code, set()).add(change.new_code)
    assert all(len(successors) == 1 for successors in became.values())
    changes = read_changes(DATA / "changes-2025.csv")
    assert any(change.partial for change in changes)
    strays = [
        change
        for change in changes
        if new_province_of[change.new_code]
        not in became[old_province_of[change.old_code]]
    ]
    assert strays == []
