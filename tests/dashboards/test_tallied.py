"""The dashboards read the stored tallies: they must say what counting the
wards one by one says, for every filter a leader can choose."""

import pytest

from access.models import Membership
from assessments import workflow
from assessments.models import Tally
from dashboards import figures
from dashboards.filters import Filters, enrolments_for
from tests.factories import (
    EnrolmentFactory,
    ProvinceFactory,
    WardFactory,
    member,
    set_statuses,
)

Role = Membership.Role


@pytest.fixture
def country(db):
    """Two provinces, both tracks, every band, a proposed ward."""
    hanoi = ProvinceFactory(code="01", name="Hà Nội")
    hue = ProvinceFactory(code="46", name="Huế")
    plans = [
        (hanoi, "ministry", 22, 0, 0),
        (hanoi, "ministry", 18, 2, 1),
        (hanoi, "province", 9, 5, 3),
        (hue, "ministry", 22, 0, 0),
        (hue, "province", 0, 0, 0),
        (hue, "province", 15, 1, 0),
    ]
    for province, track, approved, submitted, returned in plans:
        enrolment = EnrolmentFactory(ward=WardFactory(province=province), track=track)
        set_statuses(
            enrolment, approved=approved, submitted=submitted, returned=returned
        )
    # Sent for review long ago: past any review deadline.
    waiting = EnrolmentFactory(ward=WardFactory(province=hue), track="province")
    set_statuses(waiting, approved=3, submitted=4, days_ago=40)
    complete = EnrolmentFactory(ward=WardFactory(province=hanoi))
    set_statuses(complete, approved=22)
    leader = member(Role.PROVINCIAL_LEADER, province=hanoi)
    workflow.propose(complete, actor=leader)
    return {"hanoi": hanoi, "hue": hue, "leader": leader}


@pytest.mark.parametrize("track", ["", "ministry", "province"])
@pytest.mark.parametrize("where", ["country", "hanoi"])
def test_the_tallies_say_what_the_wards_say(country, track, where):
    national = member(Role.NATIONAL_LEADER)
    filters = Filters(year=2026, track=track)
    if where == "hanoi":
        filters = filters.for_province(country["hanoi"])
    enrolments = enrolments_for(national, filters)
    levels = figures.tallied(national, filters)
    assert levels is not None and len(levels) <= enrolments.count()
    one_by_one = figures.progress_of(enrolments)
    assert figures.province_rows(enrolments, progress=levels) == (
        figures.province_rows(enrolments, progress=one_by_one)
    )
    assert figures.distribution(progress=levels) == figures.distribution(
        progress=one_by_one
    )
    assert figures.recognition_counts(levels) == figures.recognition_counts(one_by_one)
    provinces = figures.tallied_provinces(national, filters)
    rows = figures.province_rows(enrolments, progress=levels, oldest=False)
    late = figures.with_late(
        [dict(r) for r in rows], enrolments, 2026, provinces=provinces, track=track
    )
    assert late == figures.with_late([dict(r) for r in rows], enrolments, 2026)
    # The export's oldest waiting, from the tally by day, as counted.
    oldest = figures.with_oldest(
        [dict(r) for r in rows], 2026, provinces=provinces, track=track
    )
    counted = figures.province_rows(enrolments, progress=one_by_one)
    assert [r["oldest_days"] for r in oldest] == [r["oldest_days"] for r in counted]
    if where == "country" and track != "ministry":
        hue = next(r for r in late if r["ward__province__code"] == "46")
        assert hue["late_reviews"] == 4 and hue["oldest_days"] == 40
    assert figures.criteria_holding_back(
        enrolments, filters=filters, provinces=provinces
    ) == figures.criteria_holding_back(enrolments)


def test_a_leader_of_one_province_reads_its_tallies_only(country):
    filters = Filters(year=2026)
    assert figures.tallied_provinces(country["leader"], filters) == [
        country["hanoi"].pk
    ]
    hue = Filters(year=2026).for_province(country["hue"])
    assert figures.tallied_provinces(country["leader"], hue) is None


def test_a_group_or_single_wards_are_counted_one_by_one(country):
    national = member(Role.NATIONAL_LEADER)
    assert figures.tallied(national, Filters(year=2026, group="A")) is None
    ward = country["hanoi"].wards.first()
    officer_and_leader = member(Role.PROVINCIAL_LEADER, province=country["hue"])
    Membership.objects.create(user=officer_and_leader, role=Role.OFFICER, ward=ward)
    assert figures.tallied_provinces(officer_and_leader, Filters(year=2026)) is None


def test_the_national_page_reads_the_tallies(client, country):
    national = member(Role.NATIONAL_LEADER)
    client.force_login(national)
    response = client.get("/dashboard/", {"year": 2026})
    assert response.context["totals"] == {"enrolled": 8, "complete": 3, "pending": 12}
    # Were the stored tallies wrong, the page would say so: it reads them.
    Tally.objects.filter(province=country["hue"], approved=22).update(wards=5)
    response = client.get("/dashboard/", {"year": 2026})
    assert response.context["totals"]["enrolled"] == 12
