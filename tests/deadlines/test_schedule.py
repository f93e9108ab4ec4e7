"""What is due when: the country's calendar, a province's own dates over it
date by date, a group's own date, and the calendar page."""

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import Q

from access.models import Membership
from assessments import tally
from assessments.models import Assessment, Enrolment
from criteria.models import CriterionGroup
from deadlines.forms import CalendarForm
from deadlines.models import Calendar, GroupDeadline
from deadlines.schedule import (
    FROM_ASSESSMENT,
    FROM_ENROLMENT,
    Dates,
    year_calendar,
)
from tests.factories import (
    EnrolmentFactory,
    ProvinceFactory,
    WardFactory,
    make_criteria_set,
    member,
)

Role = Membership.Role
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
D = dt.date


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=HCM)


@pytest.fixture(scope="module")
def year(module_db):
    """Built once. Criteria 1-8 in four groups of two; 6, 7 and 8 are
    assessed at year end (group 3 only at year end, group 2 mixed).

    The country: evidence 30/09, year end 15/12, group 1 on 31/08, five days
    to review. Thanh Hóa: evidence 15/10, group 0 on 20/10, ten days to
    review, the rest the country's. Nghệ An has a calendar with no date of
    its own; Hà Nội has none.
    """
    criteria_set = make_criteria_set(size=8, groups=4, year_end=(6, 7, 8))
    groups = list(CriterionGroup.objects.filter(criteria_set=criteria_set))
    groups.sort(key=lambda g: g.position)
    own = ProvinceFactory(name="Thanh Hóa", code="38")
    empty = ProvinceFactory(name="Nghệ An", code="40")
    plain = ProvinceFactory(name="Hà Nội", code="01")
    national = Calendar.objects.create(
        year=2026,
        registration_closes=D(2026, 3, 31),
        evidence_due=D(2026, 9, 30),
        year_end_evidence_due=D(2026, 12, 15),
        review_days=5,
        proposal_due=D(2027, 1, 31),
    )
    GroupDeadline.objects.create(
        calendar=national, group=groups[1], evidence_due=D(2026, 8, 31)
    )
    province_calendar = Calendar.objects.create(
        year=2026, province=own, evidence_due=D(2026, 10, 15), review_days=10
    )
    GroupDeadline.objects.create(
        calendar=province_calendar, group=groups[0], evidence_due=D(2026, 10, 20)
    )
    Calendar.objects.create(year=2026, province=empty)
    wards = {}
    for province in (own, empty, plain):
        enrolment = EnrolmentFactory(
            ward=WardFactory(province=province, name=f"Phường {province.code}"),
            criteria_set=criteria_set,
        )
        # 2 approved, 4 submitted (waits for a decision), 1 returned (waits
        # for evidence again); 3, 5, 6, 7 and 8 not started.
        by_number = {a.criterion.number: a for a in enrolment.assessments.all()}
        Assessment.objects.filter(pk=by_number[2].pk).update(status="approved")
        tally.recount()
        Assessment.objects.filter(pk=by_number[4].pk).update(
            status="submitted", submitted_at=local(2026, 9, 1, 0, 30)
        )
        tally.recount()
        Assessment.objects.filter(pk=by_number[1].pk).update(status="returned")
        tally.recount()
        wards[province.code] = enrolment
    return SimpleNamespace(
        criteria_set=criteria_set,
        groups=groups,
        own=own,
        empty=empty,
        plain=plain,
        national=national,
        province_calendar=province_calendar,
        wards=wards,
        people={
            "national": member(Role.NATIONAL_LEADER),
            "leader": member(Role.PROVINCIAL_LEADER, province=own),
            "other_leader": member(Role.PROVINCIAL_LEADER, province=plain),
            "reviewer": member(Role.REVIEWER, province=own),
            "officer": member(Role.OFFICER, ward=wards["38"].ward),
        },
    )


def test_a_province_overrides_the_country_date_by_date(db, year):
    calendar = year_calendar(2026)
    country = calendar.of(year.plain.pk)
    assert country == calendar.national
    assert country.evidence_due == D(2026, 9, 30)
    assert country.review_days == 5

    own = calendar.of(year.own.pk)
    assert own.evidence_due == D(2026, 10, 15)  # its own
    assert own.review_days == 10  # its own
    assert own.registration_closes == D(2026, 3, 31)  # the country's
    assert own.year_end_evidence_due == D(2026, 12, 15)  # the country's
    assert own.proposal_due == D(2027, 1, 31)  # the country's
    g0, g1 = year.groups[0].pk, year.groups[1].pk
    assert own.group_due == {g0: D(2026, 10, 20), g1: D(2026, 8, 31)}

    # A province's calendar without a date of its own is the country's.
    empty = calendar.of(year.empty.pk)
    assert (
        empty.evidence_due,
        empty.year_end_evidence_due,
        empty.review_days,
        empty.group_due,
    ) == (D(2026, 9, 30), D(2026, 12, 15), 5, {g1: D(2026, 8, 31)})


def test_a_group_date_overrides_the_date_of_its_kind(db, year):
    calendar = year_calendar(2026)
    g = [group.pk for group in year.groups]
    country, own = calendar.of(year.plain.pk), calendar.of(year.own.pk)
    assert country.evidence_due_for(g[0], "anytime") == D(2026, 9, 30)
    assert country.evidence_due_for(g[0], "year_end") == D(2026, 12, 15)
    assert country.evidence_due_for(g[1], "anytime") == D(2026, 8, 31)
    assert country.evidence_due_for(g[1], "year_end") == D(2026, 8, 31)
    assert own.evidence_due_for(g[0], "anytime") == D(2026, 10, 20)
    assert own.evidence_due_for(g[0], "year_end") == D(2026, 10, 20)
    assert own.evidence_due_for(g[2], "anytime") == D(2026, 10, 15)
    assert own.evidence_due_for(g[2], "year_end") == D(2026, 12, 15)


def test_no_calendar_no_dates_and_the_default_review_days(db, year, settings):
    settings.REVIEW_OVERDUE_DAYS = 7
    none = year_calendar(2030)
    assert not none.national.is_set
    assert none.national.review_days == 7
    assert none.of(year.own.pk) == none.national
    Calendar.objects.create(year=2031, evidence_due=D(2031, 9, 30))
    assert year_calendar(2031).national.review_days == 7
    # Only a province's own calendar: the country has none, the province its own.
    Calendar.objects.create(year=2032, province=year.own, evidence_due=D(2032, 9, 1))
    only = year_calendar(2032)
    assert not only.national.is_set
    assert only.of(year.own.pk).evidence_due == D(2032, 9, 1)
    assert only.of(year.own.pk).review_days == 7


def test_review_due_counts_from_the_local_day_of_submission(db, year):
    calendar = year_calendar(2026)
    # 00:30 on 1/9 in Vietnam is still 31/8 in UTC: the local day counts.
    submitted = local(2026, 9, 1, 0, 30)
    assert calendar.of(year.plain.pk).review_due(submitted) == D(2026, 9, 6)
    assert calendar.of(year.own.pk).review_due(submitted) == D(2026, 9, 11)


# The criteria waiting for their evidence whose date has passed, by province
# and day: 1 (returned), 3, 5, 6, 7 and 8 wait; 2 approved, 4 submitted.
OVERDUE = [
    (D(2026, 8, 31), set(), set(), set()),
    (D(2026, 9, 1), {3}, {3}, {3}),
    (D(2026, 9, 30), {3}, {3}, {3}),
    (D(2026, 10, 1), {3}, {1, 3, 5}, {1, 3, 5}),
    (D(2026, 10, 15), {3}, {1, 3, 5}, {1, 3, 5}),
    (D(2026, 10, 16), {3, 5}, {1, 3, 5}, {1, 3, 5}),
    (D(2026, 10, 21), {1, 3, 5}, {1, 3, 5}, {1, 3, 5}),
    (D(2026, 12, 15), {1, 3, 5}, {1, 3, 5}, {1, 3, 5}),
    (D(2026, 12, 16), {1, 3, 5, 6, 7, 8}, {1, 3, 5, 6, 7, 8}, {1, 3, 5, 6, 7, 8}),
]


@pytest.mark.parametrize("today, own, empty, plain", OVERDUE)
def test_evidence_overdue_selects_the_late_rows(db, year, today, own, empty, plain):
    calendar = year_calendar(2026)
    q = calendar.evidence_overdue(today, **FROM_ASSESSMENT)
    late = Assessment.objects.filter(q).values_list(
        "enrolment__ward__province__code", "criterion__number"
    )
    found = {"38": set(), "40": set(), "01": set()}
    for code, number in late:
        found[code].add(number)
    assert found == {"38": own, "40": empty, "01": plain}
    # The same from the enrolments: the wards with something late.
    wards = set(
        Enrolment.objects.filter(calendar.evidence_overdue(today, **FROM_ENROLMENT))
        .distinct()
        .values_list("ward__province__code", flat=True)
    )
    assert wards == {code for code, numbers in found.items() if numbers}


def test_evidence_due_where_answers_as_due_of_does(db, year):
    """The query and the dates in memory agree, row by row, on a day when
    each kind of date is near."""
    calendar = year_calendar(2026)
    today = D(2026, 10, 10)
    window = calendar.evidence_due_where(
        lambda day: today <= day <= today + dt.timedelta(days=30), **FROM_ASSESSMENT
    )
    selected = set(Assessment.objects.filter(window).values_list("pk", flat=True))
    expected = set()
    for assessment in Assessment.objects.filter(
        enrolment__criteria_set=year.criteria_set
    ).select_related("criterion", "enrolment__ward"):
        due = calendar.of(assessment.enrolment.ward.province_id).due_of(
            assessment, today
        )
        if due and due.kind == "evidence" and 0 <= due.days_left <= 30:
            expected.add(assessment.pk)
    assert selected == expected
    assert len(selected) == 2  # criteria 1 (20/10) and 5 (15/10) of Thanh Hóa


@pytest.mark.parametrize(
    "today, late",
    [
        (D(2026, 9, 6), set()),
        (D(2026, 9, 7), {"40", "01"}),
        (D(2026, 9, 11), {"40", "01"}),
        (D(2026, 9, 12), {"38", "40", "01"}),
    ],
)
def test_review_overdue_from_the_day_after_the_review_is_due(db, year, today, late):
    q = year_calendar(2026).review_overdue(
        today,
        province="enrolment__ward__province_id",
        submitted_at="submitted_at",
        status="status",
    )
    rows = Assessment.objects.filter(q).values_list(
        "enrolment__ward__province__code", "criterion__number"
    )
    assert {code for code, _n in rows} == late
    assert {n for _c, n in rows} <= {4}


def test_due_of_and_next_for(db, year):
    calendar = year_calendar(2026)
    enrolment = year.wards["38"]
    assessments = list(enrolment.assessments.select_related("criterion"))
    dates = calendar.of(year.own.pk)
    by_number = {a.criterion.number: a for a in assessments}
    today = D(2026, 8, 1)
    assert dates.due_of(by_number[2], today) is None  # approved
    decision = dates.due_of(by_number[4], today)
    assert (decision.kind, decision.date) == ("decision", D(2026, 9, 11))
    evidence = dates.due_of(by_number[8], today)
    assert (evidence.kind, evidence.date) == ("evidence", D(2026, 12, 15))
    first = dates.next_for(assessments, today, complete=False)
    assert (first.kind, first.date, first.days_left) == ("evidence", D(2026, 8, 31), 30)
    assert not first.overdue
    later = dates.next_for(assessments, D(2026, 9, 2), complete=False)
    assert (later.date, later.overdue, later.days_late) == (D(2026, 8, 31), True, 2)
    proposal = dates.next_for(assessments, today, complete=True)
    assert (proposal.kind, proposal.date) == ("proposal", D(2027, 1, 31))
    assert Dates(year=2026).next_for(assessments, today, complete=True) is None
    assert Dates(year=2026).next_for([by_number[2]], today, complete=False) is None
    # What the ward's officers can act on comes first: the evidence of 15/12,
    # not the decision due earlier (11/09); the decision when nothing else.
    mixed = [by_number[4], by_number[8]]
    assert dates.next_for(mixed, today, complete=False).date == D(2026, 12, 15)
    assert dates.next_for([by_number[4]], today, complete=False).kind == "decision"


# The calendar form.


def form_for(year, **data):
    return CalendarForm(data, year=2026, groups=year.groups)


def test_the_form_accepts_a_whole_calendar(db, year, english):
    form = form_for(
        year,
        registration_closes="31/03/2026",
        evidence_due="30/09/2026",
        year_end_evidence_due="15/12/2026",
        review_days="5",
        proposal_due="31/03/2027",
        **{f"group_{year.groups[3].pk}": "2026-12-20"},
    )
    assert form.is_valid(), form.errors


def test_year_end_evidence_due_before_the_window_is_refused(db, year, english):
    form = form_for(year, year_end_evidence_due="14/11/2026")
    assert not form.is_valid()
    (message,) = form.errors["year_end_evidence_due"]
    assert "Year-end criteria can be submitted only from" in message
    assert "2026" in message
    assert form_for(year, year_end_evidence_due="15/11/2026").is_valid()
    # A group assessed only at year end, the same; a mixed group may be earlier.
    year_end_group, mixed = year.groups[3], year.groups[2]
    form = form_for(year, **{f"group_{year_end_group.pk}": "01/10/2026"})
    assert not form.is_valid()
    assert "assessed at year end" in form.errors[f"group_{year_end_group.pk}"][0]
    assert form_for(year, **{f"group_{mixed.pk}": "01/10/2026"}).is_valid()


@pytest.mark.parametrize(
    "field, value",
    [
        ("evidence_due", "31/12/2025"),
        ("evidence_due", "01/04/2027"),
        ("registration_closes", "01/01/2028"),
        ("proposal_due", "15/06/2027"),
    ],
)
def test_a_date_outside_the_year_is_refused(db, year, english, field, value):
    form = form_for(year, **{field: value})
    assert not form.is_valid()
    assert "Choose a date between" in form.errors[field][0]


def test_a_group_date_outside_the_year_is_refused(db, year, english):
    name = f"group_{year.groups[0].pk}"
    form = form_for(year, **{name: "01/05/2027"})
    assert not form.is_valid()
    assert "Choose a date between" in form.errors[name][0]


def test_the_last_day_of_the_cycle_and_the_first_are_accepted(db, year):
    assert form_for(
        year, evidence_due="01/01/2026", proposal_due="31/03/2027"
    ).is_valid()


def test_a_day_that_does_not_exist_is_refused(db, year, english):
    form = form_for(year, evidence_due="31/02/2026")
    assert not form.is_valid()
    assert "check that the day exists" in form.errors["evidence_due"][0]


def test_days_to_review_must_be_positive(db, year):
    assert not form_for(year, review_days="0").is_valid()
    assert form_for(year, review_days="1").is_valid()


# The calendar page.

IN_2026 = local(2026, 6, 1, 9, 0)


@pytest.fixture
def at_2026():
    with time_machine.travel(IN_2026, tick=False):
        yield


@pytest.mark.parametrize(
    "who, url, status, editable",
    [
        ("national", "/calendar/", 200, True),
        ("national", "/calendar/38/", 200, True),
        ("leader", "/calendar/?country=1", 200, False),
        ("leader", "/calendar/38/", 200, True),
        ("leader", "/calendar/01/", 404, False),
        ("other_leader", "/calendar/38/", 404, False),
        ("reviewer", "/calendar/38/", 200, False),
        ("reviewer", "/calendar/", 200, False),
        ("officer", "/calendar/", 404, False),
        ("officer", "/calendar/38/", 404, False),
    ],
)
def test_who_sees_and_edits_the_calendar(
    db, client, year, at_2026, who, url, status, editable
):
    client.force_login(year.people[who])
    url += ("&" if "?" in url else "?") + "year=2026"
    response = client.get(url)
    assert response.status_code == status
    if status == 200:
        assert (response.context["form"] is not None) == editable
        posted = client.post(url, {"evidence_due": "01/09/2026"})
        assert posted.status_code == (302 if editable else 404)
    else:
        assert client.post(url, {"evidence_due": "01/09/2026"}).status_code == 404


def test_a_provincial_leader_lands_on_the_provinces_own_calendar(
    db, client, year, at_2026
):
    client.force_login(year.people["leader"])
    response = client.get("/calendar/?year=2026")
    assert response.status_code == 302
    assert response["Location"] == "/calendar/38/?year=2026"
    page = client.get(response["Location"])
    # Thanh Hóa set its evidence date and its days to review.
    assert page.context["own_dates"] == {"evidence_due", "review_days"}


def test_anonymous_is_sent_to_log_in(db, client, year):
    response = client.get("/calendar/")
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_page_shows_the_dates_in_force(db, client, year, at_2026):
    client.force_login(year.people["leader"])
    page = client.get("/calendar/38/?year=2026")
    dates = page.context["dates"]
    assert dates.evidence_due == D(2026, 10, 15)
    assert dates.registration_closes == D(2026, 3, 31)  # the country's
    assert "15/10/2026" in page.content.decode()


def test_a_national_leader_saves_the_national_calendar(db, client, year, at_2026):
    national = year.people["national"]
    client.force_login(national)
    group = year.groups[3]
    response = client.post(
        "/calendar/?year=2026",
        {
            "registration_closes": "15/04/2026",
            "evidence_due": "20/09/2026",
            "year_end_evidence_due": "10/12/2026",
            "review_days": "6",
            "proposal_due": "",
            f"group_{group.pk}": "18/12/2026",
            f"group_{year.groups[1].pk}": "",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/calendar/?year=2026"
    calendar = Calendar.objects.get(year=2026, province=None)
    assert calendar.pk == year.national.pk
    assert (
        calendar.registration_closes,
        calendar.evidence_due,
        calendar.year_end_evidence_due,
        calendar.review_days,
        calendar.proposal_due,
        calendar.set_by,
    ) == (D(2026, 4, 15), D(2026, 9, 20), D(2026, 12, 10), 6, None, national)
    # Group 3 has a date now; the empty field took group 1's away.
    assert dict(calendar.group_deadlines.values_list("group_id", "evidence_due")) == {
        group.pk: D(2026, 12, 18)
    }
    # The province keeps its own dates over the new ones.
    assert year_calendar(2026).of(year.own.pk).evidence_due == D(2026, 10, 15)
    assert year_calendar(2026).of(year.plain.pk).evidence_due == D(2026, 9, 20)


def test_a_leader_saves_the_province_calendar(db, client, year, at_2026):
    client.force_login(year.people["leader"])
    response = client.post(
        "/calendar/38/?year=2026", {"evidence_due": "05/10/2026", "review_days": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == "/calendar/38/?year=2026"
    calendar = Calendar.objects.get(year=2026, province=year.own)
    assert calendar.pk == year.province_calendar.pk
    assert calendar.evidence_due == D(2026, 10, 5)
    assert calendar.review_days is None
    assert not calendar.group_deadlines.exists()
    dates = year_calendar(2026).of(year.own.pk)
    assert dates.review_days == 5  # the country's now
    assert dates.group_due == {year.groups[1].pk: D(2026, 8, 31)}
    # The country's calendar is untouched.
    assert Calendar.objects.get(year=2026, province=None).evidence_due == D(2026, 9, 30)


def test_a_refused_calendar_saves_nothing(db, client, year, at_2026):
    client.force_login(year.people["national"])
    response = client.post(
        "/calendar/?year=2026",
        {"evidence_due": "31/02/2026", "year_end_evidence_due": "01/11/2026"},
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {
        "evidence_due",
        "year_end_evidence_due",
    }
    assert Calendar.objects.get(year=2026, province=None).evidence_due == D(2026, 9, 30)


def test_a_leader_makes_a_calendar_for_the_next_year(db, client, year, at_2026):
    client.force_login(year.people["leader"])
    response = client.post("/calendar/38/?year=2027", {"evidence_due": "30/09/2027"})
    assert response.status_code == 302
    assert response["Location"] == "/calendar/38/?year=2027"
    assert Calendar.objects.filter(
        Q(year=2027, province=year.own, set_by=year.people["leader"])
    ).exists()


def test_a_calendar_made_meanwhile_by_another_request_is_updated(db, year, english):
    """Two leaders save a province's first calendar at once (or one clicks
    twice): the second save updates the row the first made."""
    province = ProvinceFactory(name="Điện Biên", code="11")
    form = form_for(year, evidence_due="30/10/2026")
    assert form.is_valid(), form.errors
    Calendar.objects.create(year=2026, province=province, proposal_due=D(2026, 12, 1))
    saved = form.save_for(province=province, actor=year.people["leader"])
    assert Calendar.objects.filter(year=2026, province=province).count() == 1
    assert saved.evidence_due == D(2026, 10, 30) and saved.proposal_due is None


def test_the_dates_must_come_in_the_cycles_order(db, year, english):
    form = form_for(
        year,
        registration_closes="30/11/2026",
        evidence_due="01/06/2026",
        proposal_due="01/02/2026",
        **{f"group_{year.groups[3].pk}": "20/12/2026"},
    )
    assert not form.is_valid()
    assert form.errors["registration_closes"] == [
        "Registration must close before evidence is due (01/06/2026)."
    ]
    assert form.errors["proposal_due"] == [
        "Proposals cannot be due before the last evidence (20/12/2026)."
    ]
    fine = form_for(
        year,
        registration_closes="31/03/2026",
        evidence_due="01/06/2026",
        proposal_due="31/12/2026",
        **{f"group_{year.groups[3].pk}": "20/12/2026"},
    )
    assert fine.is_valid(), fine.errors
