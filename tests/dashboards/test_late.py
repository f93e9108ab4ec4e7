"""What is late stands out: the national table counts, per province, the
wards late with evidence, the criteria waiting past their review deadline
and the approved criteria whose evidence expires; the province page and the
ward list mark the late wards, and the ward list filters them."""

import datetime as dt

import pytest
from django.utils import timezone

from access.models import Membership
from assessments.models import Evidence
from deadlines.models import Calendar
from tests.factories import (
    EnrolmentFactory,
    ProvinceFactory,
    WardFactory,
    add_file,
    make_criteria_set,
    member,
    set_statuses,
)

Role = Membership.Role


@pytest.fixture(scope="module")
def late(module_db):
    """This year, 4 criteria. Thanh Hóa: Phú La has done nothing (late), An
    Hưng has all approved, one with a file expiring in a week, and Ba Đình
    has two criteria submitted twelve days ago (past a seven-day review).
    Hà Nội's own date is still to come: its ward is not late."""
    today = timezone.localdate()
    year = today.year
    criteria_set = make_criteria_set(size=4)
    thanh_hoa = ProvinceFactory(name="Thanh Hóa", code="38")
    hanoi = ProvinceFactory(name="Hà Nội", code="01")

    def enrol(province, name):
        return EnrolmentFactory(
            ward=WardFactory(province=province, name=name),
            criteria_set=criteria_set,
            year=year,
        )

    enrol(thanh_hoa, "Phú La")
    an_hung, ba_dinh = enrol(thanh_hoa, "An Hưng"), enrol(thanh_hoa, "Ba Đình")
    enrol(hanoi, "Kiến Hưng")
    officer = member(Role.OFFICER, ward=an_hung.ward)
    expiring = add_file(an_hung.assessments.get(criterion__number=1), officer)
    Evidence.objects.filter(pk=expiring.pk).update(
        valid_until=today + dt.timedelta(days=7)
    )
    set_statuses(an_hung, approved=4)
    set_statuses(ba_dinh, approved=2, submitted=2, days_ago=12)
    Calendar.objects.create(year=year, evidence_due=today - dt.timedelta(days=2))
    Calendar.objects.create(
        year=year, province=hanoi, evidence_due=today + dt.timedelta(days=20)
    )
    return {
        "year": year,
        "national": member(Role.NATIONAL_LEADER),
        "leader": member(Role.PROVINCIAL_LEADER, province=thanh_hoa),
    }


def test_the_national_table_counts_what_is_late_by_province(client, late):
    client.force_login(late["national"])
    rows = {
        row["ward__province__code"]: row
        for row in client.get(f"/dashboard/?year={late['year']}").context["rows"]
    }
    # Phú La waits for all four criteria's evidence: one ward late (Ba
    # Đình sent all of its); Ba Đình's two submissions wait past seven
    # days; one expiring file.
    assert (rows["38"]["late_wards"], rows["38"]["late_reviews"]) == (1, 2)
    assert rows["38"]["expiring"] == 1
    assert (rows["01"]["late_wards"], rows["01"]["late_reviews"]) == (0, 0)
    assert rows["01"]["expiring"] == 0


def test_the_ward_list_marks_and_filters_the_late_wards(client, late):
    client.force_login(late["national"])
    every = client.get(f"/wards/?year={late['year']}")
    counts = {e.ward.name: e.late_count for e in every.context["page"]}
    assert counts == {"Phú La": 4, "An Hưng": 0, "Ba Đình": 0, "Kiến Hưng": 0}
    assert "4 tiêu chí quá hạn" in every.text
    only = client.get(f"/wards/?year={late['year']}&late=true")
    assert [e.ward.name for e in only.context["page"]] == ["Phú La"]
    others = client.get(f"/wards/?year={late['year']}&late=false")
    assert "Phú La" not in {e.ward.name for e in others.context["page"]}


def test_the_province_page_marks_its_late_wards(client, late):
    client.force_login(late["leader"])
    response = client.get(f"/dashboard/38/?year={late['year']}")
    marked = {e.ward.name: e.late_count for e in response.context["wards"]}
    assert marked["Phú La"] == 4 and marked["An Hưng"] == 0
    assert "4 tiêu chí quá hạn" in response.text
