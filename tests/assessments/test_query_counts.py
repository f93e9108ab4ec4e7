"""The ward and review pages cost a fixed number of queries, pinned.

The numbers include the session, the user, their memberships and the
second factor that every signed-in page looks up, and the savepoint in
which the session is saved inside the test's transaction (2 queries that a
deployment does not make). They are the same at 2 rows and at 20.
"""

import datetime as dt

import pytest

from access.models import Membership
from assessments import workflow
from assessments.models import IndicatorValue
from criteria.models import Indicator
from tests import files
from tests.factories import (
    EnrolmentFactory,
    ProvinceFactory,
    WardFactory,
    add_file,
    make_criteria_set,
    member,
)

Role = Membership.Role


@pytest.fixture(scope="module")
def sizes(module_db):
    """Two and twenty of everything, built once.

    2 wards enrolled in 2025 and 20 in 2026. In 2026, ward "few" has 2 files
    on criterion 1 and 2 criteria waiting for review, one of them claimed;
    ward "many" has 20 and 20, so its history is ten times longer too.
    """
    criteria_set = make_criteria_set(22)
    # Criterion 1 is measured by two indicators.
    for code in ("cases", "rate"):
        Indicator.objects.create(
            criterion=criteria_set.criteria.get(number=1),
            code=code,
            name=code,
            rule="at_least",
            target=1,
        )
    province = ProvinceFactory(code="38")
    for year, wards in ((2025, 2), (2026, 18)):
        for _ in range(wards):
            EnrolmentFactory(
                ward=WardFactory(province=province),
                criteria_set=criteria_set,
                year=year,
            )
    people = {
        "national": member(Role.NATIONAL_LEADER),
        "reviewer": member(Role.REVIEWER, province=province),
    }
    for name, count in (("few", 2), ("many", 20)):
        enrolment = EnrolmentFactory(
            ward=WardFactory(province=province, code=name),
            criteria_set=criteria_set,
            year=2026,
        )
        officer = member(Role.OFFICER, ward=enrolment.ward)
        people[name] = officer
        first = enrolment.assessments.get(criterion__number=1)
        for index in range(count):
            add_file(first, officer, f"{index}.pdf", files.pdf(f"{name}-{index}"))
            IndicatorValue.objects.create(
                ward=enrolment.ward,
                code="cases",
                period_end=dt.date(2026, 1, 1) + dt.timedelta(days=index),
                value=index,
                source="Báo cáo",
                entered_by=officer,
            )
        for number in range(2, count + 2):
            waiting = enrolment.assessments.get(criterion__number=number)
            add_file(waiting, officer, f"{number}.pdf", files.pdf(f"{name}{number}"))
            workflow.submit(waiting, actor=officer)
        # The queue names who claimed an item, with their unit.
        workflow.claim(waiting, actor=people["reviewer"])
    return people


# (who, page for "2", page for "20", queries). Each page names people with
# their unit (access.people): one query reads the memberships of all of them.
# The ward page reads its unit's lineage (formerly, became) in one more, and its
# last proposal and last year's results (its own and its predecessors') in two.
PAGES = {
    # The ward list, the ward page, the criterion and the queue also read
    # the year's calendar (one query); the dossier and the criterion, the
    # criterion's conversation (one), and its indicators and the ward's
    # figures of them (two).
    "ward list": ("national", "/wards/?year=2025", "/wards/?year=2026", 11),
    "ward page": ("national", "/wards/few/", "/wards/many/", 13),
    "dossier": ("national", "/wards/few/dossier/", "/wards/many/dossier/", 13),
    # The criterion, to those above the ward: other wards holding its files
    # (one query; the allowances only when some do: none here).
    "criterion": ("national", "/wards/few/2026/1/", "/wards/many/2026/1/", 13),
    # Who claimed the queue's items, and who did the recent events: 2 queries;
    # the reviewer's province and what it was formed from: 1.
    # Which items have a file also in other wards: 2 (their files, then the
    # same contents elsewhere; a third for the allowances when found).
    "review queue": ("reviewer", "/review/?ward=few", "/review/?ward=many", 16),
}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("size", ["2", "20"])
def test_a_page_costs_a_fixed_number_of_queries(
    db, client, sizes, django_assert_num_queries, page, size
):
    who, small, large, queries = PAGES[page]
    client.force_login(sizes[who])
    with django_assert_num_queries(queries):
        response = client.get(small if size == "2" else large)
    assert response.status_code == 200
    if page in ("ward list", "review queue"):
        assert len(response.context["page"].object_list) == int(size)
    if page == "criterion":
        assert len(response.context["active_evidence"]) == int(size)
