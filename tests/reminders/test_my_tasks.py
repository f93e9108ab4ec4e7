"""The "my tasks" page: each role's next steps, in the order to take them,
within their scope, in a fixed number of queries."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine

from access.models import Membership
from assessments import tally, workflow
from assessments.models import (
    Assessment,
    Enrolment,
    Evidence,
    IndicatorValue,
    Quota,
)
from criteria.models import Indicator
from deadlines.models import Calendar, GroupDeadline
from reminders.todo import Kind
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
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
D = dt.date
TODAY = D(2026, 9, 5)


def at(day: dt.date = TODAY):
    return time_machine.travel(
        dt.datetime.combine(day, dt.time(9), tzinfo=HCM), tick=False
    )


def submitted(enrolment, number, day, **fields):
    Assessment.objects.filter(enrolment=enrolment, criterion__number=number).update(
        status="submitted",
        submitted_at=dt.datetime.combine(day, dt.time(10), HCM),
        **fields,
    )
    tally.recount()


def status(enrolment, number, value):
    enrolment.assessments.filter(criterion__number=number).update(status=value)
    tally.recount()


def criterion(enrolment, number):
    return enrolment.assessments.select_related("criterion", "enrolment__ward").get(
        criterion__number=number
    )


@pytest.fixture(scope="module")
def world(module_db):
    """Built once; the day is Saturday 5/9/2026.

    The country's calendar of 2026: registration closed 31/3, evidence due
    30/9 (group B, criteria 5-7: 31/8), seven days to review, proposals due
    30/11.

    Thanh Hóa. An Hưng: 1 approved, its file valid until 10/9; 2 submitted
    on 20/8 (late for review); 3 returned; 4 not started; 5 in progress,
    its indicator without a figure; 6 in progress with a file, carried out
    by the Party committee; 7 in progress with a file carried over from
    2025, not confirmed. Phú La: 1 submitted on 1/9; 2 on 4/9, claimed by
    the reviewer; 3 on 2/9, claimed by another. Đông Sơn: complete.
    Hải Bình: complete, proposed at the province's level.

    Hà Nội (quota set): Ba Đình proposed at the Ministry's level; Hoàn Kiếm
    proposed and accepted. Quảng Ninh and Nghệ An (quotas set): wards for
    the query counts, "few" and "many" ways.
    """
    criteria_set = make_criteria_set(size=7, groups=2)
    criteria_set.criteria.filter(number=6).update(responsible_body="party_committee")
    indicator = Indicator.objects.create(
        criterion=criteria_set.criteria.get(number=5),
        code="solved",
        name="Tỷ lệ điều tra khám phá",
        name_en="Cases solved",
        unit="%",
        rule=Indicator.Rule.AT_LEAST,
        target=Decimal(90),
    )
    thanh_hoa = ProvinceFactory(name="Thanh Hóa", code="38")
    ha_noi = ProvinceFactory(name="Hà Nội", code="01")

    def enrol(province, name, **fields):
        return EnrolmentFactory(
            ward=WardFactory(province=province, name=name),
            criteria_set=criteria_set,
            **fields,
        )

    an_hung = enrol(thanh_hoa, "An Hưng")
    phu_la = enrol(thanh_hoa, "Phú La")
    dong_son = enrol(thanh_hoa, "Đông Sơn")
    hai_binh = enrol(thanh_hoa, "Hải Bình", track="province")
    ba_dinh = enrol(ha_noi, "Ba Đình")
    hoan_kiem = enrol(ha_noi, "Hoàn Kiếm")
    last_year = EnrolmentFactory(
        ward=an_hung.ward, year=2025, criteria_set=criteria_set
    )
    people = SimpleNamespace(
        officer=member(Role.OFFICER, ward=an_hung.ward),
        other_officer=member(Role.OFFICER, ward=phu_la.ward),
        contributor=member(Role.CONTRIBUTOR, ward=an_hung.ward, body="party_committee"),
        reviewer=member(Role.REVIEWER, province=thanh_hoa),
        colleague=member(Role.REVIEWER, province=thanh_hoa),
        leader=member(Role.PROVINCIAL_LEADER, province=thanh_hoa),
        far_leader=member(Role.PROVINCIAL_LEADER, province=ha_noi),
        ministry=member(Role.MINISTRY_REVIEWER),
        national=member(Role.NATIONAL_LEADER),
        admin=member(Role.ADMINISTRATOR),
    )
    officer = people.officer

    # An Hưng.
    expiring = add_file(criterion(an_hung, 1), officer, "chung-nhan.pdf")
    Evidence.objects.filter(pk=expiring.pk).update(valid_until=D(2026, 9, 10))
    status(an_hung, 1, "approved")
    submitted(an_hung, 2, D(2026, 8, 20))
    status(an_hung, 3, "returned")
    status(an_hung, 5, "in_progress")
    add_file(criterion(an_hung, 6), officer, "nghi-quyet.pdf")
    source = add_file(criterion(last_year, 7), officer, "ke-hoach.pdf")
    Evidence.objects.create(
        assessment=criterion(an_hung, 7),
        file=source.file,
        original_name=source.original_name,
        content_type=source.content_type,
        size=source.size,
        sha256=source.sha256,
        uploaded_by=officer,
        carried_from=source,
    )
    status(an_hung, 7, "in_progress")
    # Phú La.
    submitted(phu_la, 1, D(2026, 9, 1))
    submitted(phu_la, 2, D(2026, 9, 4), reviewer=people.reviewer)
    submitted(phu_la, 3, D(2026, 9, 2), reviewer=people.colleague)
    # Recognition.
    for enrolment in (dong_son, hai_binh, ba_dinh, hoan_kiem):
        set_statuses(enrolment, approved=7)
    workflow.propose(hai_binh, actor=people.leader)
    workflow.propose(ba_dinh, actor=people.far_leader)
    workflow.accept(
        workflow.propose(hoan_kiem, actor=people.far_leader), actor=people.ministry
    )
    calendar = Calendar.objects.create(
        year=2026,
        registration_closes=D(2026, 3, 31),
        evidence_due=D(2026, 9, 30),
        review_days=7,
        proposal_due=D(2026, 11, 30),
    )
    group_b = criteria_set.groups.get(code="B")
    GroupDeadline.objects.create(
        calendar=calendar, group=group_b, evidence_due=D(2026, 8, 31)
    )
    counted = _sizes(people)
    for province in (ha_noi, *counted.provinces):
        Quota.objects.create(
            province=province, year=2026, wards=3, set_by=people.national
        )
    return SimpleNamespace(
        an_hung=an_hung,
        phu_la=phu_la,
        dong_son=dong_son,
        hai_binh=hai_binh,
        ba_dinh=ba_dinh,
        hoan_kiem=hoan_kiem,
        indicator=indicator,
        people=people,
        counted=counted,
    )


def _sizes(people):
    """Two and twenty of each, for the query counts: in Quảng Ninh, ward
    "few" has 2 criteria waiting, "many" 20, each with an indicator and a
    figure; in Nghệ An, 2 criteria wait for review in one ward and 60 in
    another, each province with its reviewer."""
    criteria_set = make_criteria_set(size=22)
    for item in criteria_set.criteria.all():
        Indicator.objects.create(
            criterion=item,
            code=f"c{item.number}",
            name="Số vụ",
            rule="at_most",
            target=3,
        )
    quang_ninh = ProvinceFactory(name="Quảng Ninh", code="22")
    nghe_an = ProvinceFactory(name="Nghệ An", code="40")
    sizes = SimpleNamespace(provinces=(quang_ninh, nghe_an), officers={}, reviewers={})
    for name, waiting in (("few", 2), ("many", 20)):
        enrolment = EnrolmentFactory(
            ward=WardFactory(province=quang_ninh, code=name), criteria_set=criteria_set
        )
        officer = member(Role.OFFICER, ward=enrolment.ward)
        set_statuses(enrolment, approved=22 - waiting)
        for number in range(1, 23):
            IndicatorValue.objects.create(
                ward=enrolment.ward,
                code=f"c{number}",
                period_end=D(2026, 6, 30),
                value=number % 5,
                source="Báo cáo 6 tháng",
                entered_by=officer,
            )
        sizes.officers[name] = officer
    for province, waiting in ((quang_ninh, 2), (nghe_an, 60)):
        enrolment = EnrolmentFactory(
            ward=WardFactory(province=province),
            criteria_set=make_criteria_set(size=waiting),
        )
        set_statuses(enrolment, submitted=waiting)
        Assessment.objects.filter(enrolment=enrolment).update(
            submitted_at=dt.datetime(2026, 9, 1, 10, tzinfo=HCM)
        )
        sizes.reviewers[waiting] = member(Role.REVIEWER, province=province)
    return sizes


def page(client, user, day: dt.date = TODAY):
    with at(day):
        client.force_login(user)
        response = client.get("/tasks/")
    assert response.status_code == 200
    return response


def listed(client, user, day: dt.date = TODAY) -> list[tuple]:
    """(kind, place, criterion number, due date) of each task shown."""
    return [
        (task.kind, task.place, task.number, task.due)
        for task in page(client, user, day).context["tasks"]
    ]


# The ward's officers.


def test_an_officer_answers_returns_first_then_by_due_date(db, client, world):
    assert listed(client, world.people.officer) == [
        (Kind.ANSWER_RETURN, "An Hưng", 3, D(2026, 9, 30)),
        (Kind.INDICATORS, "An Hưng", 5, D(2026, 8, 31)),
        (Kind.SUBMIT, "An Hưng", 6, D(2026, 8, 31)),
        (Kind.CONFIRM_CARRIED, "An Hưng", 7, D(2026, 8, 31)),
        (Kind.RENEW_EVIDENCE, "An Hưng", 1, D(2026, 9, 10)),
        (Kind.ADD_EVIDENCE, "An Hưng", 4, D(2026, 9, 30)),
    ]


def test_each_task_links_to_its_criterion(db, client, world):
    tasks = page(client, world.people.officer).context["tasks"]
    assert [task.url for task in tasks] == [
        world.an_hung.criterion_url(number) for number in (3, 5, 6, 7, 1, 4)
    ]


def test_an_officer_sees_nothing_of_another_ward(db, client, world):
    mine = listed(client, world.people.other_officer)
    assert {place for _kind, place, _number, _due in mine} == {"Phú La"}
    # Its criterion 5 has an indicator without a figure, like An Hưng's.
    assert [(kind, number) for kind, _place, number, _due in mine] == [
        (Kind.INDICATORS, 5),
        (Kind.ADD_EVIDENCE, 6),
        (Kind.ADD_EVIDENCE, 7),
        (Kind.ADD_EVIDENCE, 4),
    ]


def test_a_met_indicator_leaves_the_criterion_to_submit(db, client, world):
    IndicatorValue.objects.create(
        ward=world.an_hung.ward,
        code="solved",
        period_end=D(2026, 6, 30),
        value=Decimal(95),
        source="Báo cáo 6 tháng",
        entered_by=world.people.officer,
    )
    tasks = page(client, world.people.officer).context["tasks"]
    assert [(task.kind, task.number) for task in tasks][1] == (Kind.SUBMIT, 5)


def test_an_unmet_indicator_says_why(db, client, world, english):
    IndicatorValue.objects.create(
        ward=world.an_hung.ward,
        code="solved",
        period_end=D(2026, 6, 30),
        value=Decimal(80),
        source="Báo cáo 6 tháng",
        entered_by=world.people.officer,
    )
    client.cookies["django_language"] = "en"
    (task,) = [
        t for t in page(client, world.people.officer).context["tasks"] if t.number == 5
    ]
    assert task.kind == Kind.INDICATORS
    assert task.notes == ("Cases solved: 80 %; must be at least 90 %",)


def test_a_frozen_ward_asks_nothing_of_its_officer(db, client, world):
    Enrolment.objects.filter(pk=world.an_hung.pk).update(stage="proposed")
    assert listed(client, world.people.officer) == []


def test_last_years_criteria_wait_until_its_cycle_ends(db, client, world):
    """In February 2027, 2026 is still running (until 31 March); 2025 is not."""
    kinds = listed(client, world.people.officer, D(2027, 2, 1))
    assert {place for _kind, place, _number, _due in kinds} == {"An Hưng (2026)"}


# Contributors.


def test_a_contributor_sees_only_their_bodys_criteria_and_never_submits(
    db, client, world
):
    tasks = page(client, world.people.contributor).context["tasks"]
    assert [(t.kind, t.place, t.number) for t in tasks] == [
        (Kind.COMPLETE_EVIDENCE, "An Hưng", 6)
    ]
    # The criterion's page is theirs; the ward's is not.
    assert tasks[0].url == world.an_hung.criterion_url(6)
    with at():
        assert client.get(tasks[0].url).status_code == 200


def test_a_question_waits_for_the_wards_answer(db, client, world):
    """A reviewer's message is a task for the ward (first, like a return)
    until someone of the ward writes back; the contributor's criterion's is
    theirs too."""
    from assessments.comments import add_comment

    people = world.people
    with at():
        add_comment(
            criterion(world.an_hung, 2), author=people.reviewer, text="Ký ngày nào?"
        )
        add_comment(
            criterion(world.an_hung, 6), author=people.reviewer, text="Bản có dấu?"
        )
    tasks = page(client, people.officer).context["tasks"]
    asked = [(t.kind, t.number) for t in tasks if t.kind == Kind.ANSWER_QUESTION]
    assert asked == [(Kind.ANSWER_QUESTION, 2), (Kind.ANSWER_QUESTION, 6)]
    # First with the return (which has a date), before everything else.
    assert [t.kind for t in tasks[:3]] == [
        Kind.ANSWER_RETURN,
        Kind.ANSWER_QUESTION,
        Kind.ANSWER_QUESTION,
    ]
    assert "Ký ngày nào?" in tasks[1].notes[0]
    theirs = page(client, people.contributor).context["tasks"]
    assert [(t.kind, t.number) for t in theirs][0] == (Kind.ANSWER_QUESTION, 6)
    # The contributor answers criterion 6, the officer criterion 2: done.
    with at():
        add_comment(criterion(world.an_hung, 6), author=people.contributor, text="Có.")
        add_comment(criterion(world.an_hung, 2), author=people.officer, text="12/3.")
    tasks = page(client, people.officer).context["tasks"]
    assert Kind.ANSWER_QUESTION not in {t.kind for t in tasks}
    # Another ward's officer has nothing to answer.
    others = page(client, people.other_officer).context["tasks"]
    assert Kind.ANSWER_QUESTION not in {t.kind for t in others}


def test_a_contributor_does_not_confirm_carried_evidence(db, client, world):
    Membership.objects.filter(user=world.people.contributor).update(
        body="peoples_committee"
    )
    world.an_hung.criteria_set.criteria.filter(number=7).update(
        responsible_body="peoples_committee"
    )
    tasks = page(client, world.people.contributor).context["tasks"]
    assert [(t.kind, t.number) for t in tasks] == [(Kind.COMPLETE_EVIDENCE, 7)]


def test_a_contributor_lands_on_their_tasks(db, client, world):
    with at():
        client.force_login(world.people.contributor)
        response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/tasks/"


# Reviewers, leaders, the Ministry, the nation.


def test_a_reviewer_decides_what_they_claimed_first_then_by_review_date(
    db, client, world
):
    assert listed(client, world.people.reviewer) == [
        (Kind.REVIEW, "Phú La", 2, D(2026, 9, 11)),
        (Kind.REVIEW, "An Hưng", 2, D(2026, 8, 27)),
        (Kind.REVIEW, "Phú La", 1, D(2026, 9, 8)),
    ]


def test_a_provincial_leader_proposes_decides_and_hears_of_late_reviews(
    db, client, world
):
    tasks = page(client, world.people.leader).context["tasks"]
    assert [(t.kind, t.place, t.due) for t in tasks] == [
        (Kind.PROPOSE, "Đông Sơn", D(2026, 11, 30)),
        (Kind.DECIDE_PROPOSAL, "Hải Bình", None),
        (Kind.LATE_REVIEWS, "Thanh Hóa", None),
    ]
    assert tasks[2].what.startswith("1 ")


def test_a_ministry_reviewer_decides_the_ministry_level_proposals(db, client, world):
    tasks = page(client, world.people.ministry).context["tasks"]
    assert [(t.kind, t.place) for t in tasks] == [
        (Kind.DECIDE_PROPOSAL, "Ba Đình"),
        (Kind.RECORD_DECISION, "Hoàn Kiếm"),
    ]
    assert tasks[0].url == world.ba_dinh.proposals.get().get_absolute_url()


@pytest.mark.parametrize("who", ["national", "admin"])
def test_the_nation_sets_missing_quotas_and_follows_the_ministry(
    db, client, world, who
):
    tasks = page(client, getattr(world.people, who)).context["tasks"]
    assert [(t.kind, t.due, t.notes) for t in tasks] == [
        (Kind.SET_QUOTA, D(2026, 3, 31), ("Thanh Hóa",)),
        (Kind.MINISTRY_WAITING, None, ()),
    ]


def test_nothing_waiting_is_said_so(db, client, world, english):
    Quota.objects.create(
        province=world.an_hung.ward.province,
        year=2026,
        wards=3,
        set_by=world.people.national,
    )
    world.ba_dinh.proposals.update(status="returned")
    client.cookies["django_language"] = "en"
    response = page(client, world.people.national)
    assert response.context["tasks"] == []
    assert "Nothing is waiting for you." in response.text


# The page.


def test_late_tasks_are_marked_with_their_dates(db, client, world):
    client.cookies["django_language"] = "en"
    text = page(client, world.people.officer).text
    assert "6 things to do, the most pressing first." in text
    assert "3 are late." in text
    assert '<span class="due overdue">Due on 31/08/2026: 5 days late</span>' in text
    assert '<span class="due">Due on 10/09/2026: 5 days left</span>' in text
    assert "evidence expires on 10/09/2026" in text
    assert 'href="/tasks/"' in text  # in the main navigation


def test_a_long_list_is_cut_and_points_to_the_whole_queue(db, client, world):
    response = page(client, world.counted.reviewers[60])
    assert len(response.context["tasks"]) == 50
    assert response.context["more"] == 10
    assert 'href="/review/"' in response.text.split('class="more-tasks"')[1]


# Queries.


# Every signed-in page reads the session, the user and their memberships,
# and saves the session in a savepoint (3 queries a deployment does not
# make): 6. Those above the ward also look up their second factor (1); a
# ward's or province's people, the units theirs was formed from (1); a
# reviewer, the criterion groups they cover (1).
@pytest.mark.parametrize(
    ("who", "queries"),
    [
        # 7, then the criteria, their indicators, the figures, the calendar,
        # and the conversations that end with a question (none here).
        ("officer:few", 9),
        ("officer:many", 9),
        # 9, then the queue and the calendar.
        ("reviewer:2", 8),
        ("reviewer:60", 8),
        # 8, then the wards to propose, the calendar, the late reviews and
        # the proposals.
        ("leader", 9),
        # 7, then the proposals.
        ("ministry", 5),
        # 7, then the provinces without a quota, the calendar and the count
        # of the Ministry's proposals.
        ("national", 7),
    ],
)
def test_the_page_costs_a_fixed_number_of_queries(
    db, client, world, django_assert_num_queries, who, queries
):
    role, _sep, size = who.partition(":")
    user = {
        "officer": lambda: world.counted.officers[size],
        "reviewer": lambda: world.counted.reviewers[int(size or 0)],
        "leader": lambda: world.people.leader,
        "ministry": lambda: world.people.ministry,
        "national": lambda: world.people.national,
    }[role]()
    with at():
        client.force_login(user)
        with django_assert_num_queries(queries):
            response = client.get("/tasks/")
    assert response.status_code == 200
    if role == "officer":
        assert len(response.context["tasks"]) == (2 if size == "few" else 20)
