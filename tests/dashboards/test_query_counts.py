"""Each dashboard page and export costs a fixed number of queries, pinned.

The numbers include the session, the user, their memberships and the
second factor that every signed-in page looks up, and the savepoint in
which the session is saved inside the test's transaction (2 queries that a
deployment does not make). They are the same at 2 rows and at 20: a page
that counted per row would grow.
"""

import pytest

from access.models import Membership
from tests.factories import (
    EnrolmentFactory,
    ProvinceFactory,
    WardFactory,
    make_criteria_set,
    member,
    set_statuses,
)

Role = Membership.Role


@pytest.fixture(scope="module")
def sizes(module_db):
    """Two rows and twenty, built once.

    For the national pages, 2 provinces of one ward each in 2025 and 20 in
    2026. For a province's pages, province 50 with 2 wards and province 60
    with 20, in 2026.
    """
    criteria_set = make_criteria_set(22)

    def enrol(province, year, index):
        enrolment = EnrolmentFactory(
            ward=WardFactory(province=province), criteria_set=criteria_set, year=year
        )
        set_statuses(enrolment, approved=index % 23, submitted=1, returned=1)

    for year, provinces in ((2025, 2), (2026, 20)):
        for index in range(provinces):
            enrol(ProvinceFactory(), year, index)
    for code, wards in (("50", 2), ("60", 20)):
        province = ProvinceFactory(code=code)
        for index in range(wards):
            enrol(province, 2026, index)
    return member(Role.NATIONAL_LEADER)


NATIONAL = "year={year}"
PROVINCE = "year=2026&province={province}"
# page, its query string for "2" and "20", and the queries it makes.
PAGES = [
    # The stored tallies by province and level, and by criterion; + the units
    # in force by province and kind (cached: counted here once), + the quotas,
    # + the year's calendar, + the reviews past their deadline with the
    # oldest waiting, and the expiring evidence by province (and the wards
    # late with evidence, once some was due)
    ("/dashboard/", NATIONAL, 13),
    ("/dashboard/trend/", NATIONAL, 8),  # + the provinces of the year to choose
    ("/dashboard/export/provinces.csv", NATIONAL, 8),
    ("/dashboard/export/provinces.xlsx", NATIONAL, 8),
    # A province's pages also read what it was formed from (one query).
    # + the heat map legend, + the quota, registrations and recognition (3),
    # + the year's calendar (for the wards late with evidence); the wards'
    # stored progress (map and summary), then a page of the ranking and that
    # page's details
    ("/dashboard/{province}/", "year=2026", 16),
    # + the indicators of the sets in use (none here: each one adds a query,
    # see tests/dashboards/test_indicators.py)
    ("/dashboard/export/wards.xlsx", PROVINCE, 9),
    ("/dashboard/export/heatmap.csv", PROVINCE, 9),
    ("/dashboard/export/pipeline.csv", PROVINCE, 8),
    ("/dashboard/trend/", PROVINCE, 10),
]


@pytest.mark.parametrize(("path", "query", "queries"), PAGES)
@pytest.mark.parametrize("size", ["2", "20"])
def test_a_dashboard_costs_a_fixed_number_of_queries(
    db, client, sizes, django_assert_num_queries, path, query, queries, size
):
    values = {"year": 2025 if size == "2" else 2026}
    values["province"] = "50" if size == "2" else "60"
    url = path.format(**values) + "?" + query.format(**values)
    client.force_login(sizes)
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200, url
    if path == "/dashboard/":  # 2 provinces, or the 20 and provinces 50 and 60
        assert len(response.context["rows"]) == (2 if size == "2" else 22)
    if path == "/dashboard/{province}/":
        assert len(response.context["wards"]) == int(size)
