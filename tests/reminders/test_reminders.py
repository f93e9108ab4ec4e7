"""The calendar's jobs, day by day through a year: reminders 30, 7 and 1 days
before, escalations after, expiry warnings, and e-mail as each chose."""

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from access.models import Membership
from assessments import tally, workflow
from assessments.models import Assessment, Evidence
from deadlines.models import Calendar
from notifications.models import Kind, Notification, Preference
from reminders.digests import send_digests
from reminders.jobs import run_jobs
from reminders.models import SentDigest
from tests.factories import (
    EnrolmentFactory,
    ProvinceFactory,
    WardFactory,
    add_file,
    make_criteria_set,
    member,
)

Role = Membership.Role
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
D = dt.date
DUE = D(2026, 9, 30)
YEAR_END_DUE = D(2026, 12, 15)


@pytest.fixture(autouse=True)
def _english(settings):
    """The jobs write in the site's language: English here, to read it."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(scope="module")
def world(module_db):
    """Built once. Criteria 1-3 any time, 4 at year end. In Thanh Hóa, An
    Hưng has done nothing; Phú La has 1-3 approved, with a file on 1. In Hà
    Nội, Ba Đình has all four approved. The country's calendar: evidence
    30/09, year end 15/12, the default days to review (7)."""
    criteria_set = make_criteria_set(size=4, groups=2, year_end=(4,))
    province = ProvinceFactory(name="Thanh Hóa", code="38")
    other_province = ProvinceFactory(name="Hà Nội", code="01")

    def enrol(province, name):
        return EnrolmentFactory(
            ward=WardFactory(province=province, name=name), criteria_set=criteria_set
        )

    late, done, far = (
        enrol(province, "An Hưng"),
        enrol(province, "Phú La"),
        enrol(other_province, "Ba Đình"),
    )
    people = SimpleNamespace(
        officer=member(Role.OFFICER, ward=late.ward),
        done_officer=member(Role.OFFICER, ward=done.ward),
        far_officer=member(Role.OFFICER, ward=far.ward),
        reviewer=member(Role.REVIEWER, province=province),
        leader=member(Role.PROVINCIAL_LEADER, province=province),
        far_leader=member(Role.PROVINCIAL_LEADER, province=other_province),
    )
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, tzinfo=HCM), tick=False):
        evidence = add_file(
            done.assessments.get(criterion__number=1), people.done_officer
        )
    done.assessments.filter(criterion__number__lte=3).update(status="approved")
    tally.recount()
    far.assessments.update(status="approved")
    tally.recount()
    calendar = Calendar.objects.create(
        year=2026, evidence_due=DUE, year_end_evidence_due=YEAR_END_DUE
    )
    return SimpleNamespace(
        late=late,
        done=done,
        far=far,
        people=people,
        evidence=evidence,
        calendar=calendar,
        province=province,
    )


def at(day: dt.date, hour: int = 8, minute: int = 0):
    return time_machine.travel(
        dt.datetime.combine(day, dt.time(hour, minute), tzinfo=HCM), tick=False
    )


def days(first: dt.date, last: dt.date, skip=()):
    day = first
    while day <= last:
        if not (skip and skip[0] <= day <= skip[-1]):
            yield day
        day += dt.timedelta(days=1)


def walk(first: dt.date, last: dt.date, *, skip=()) -> dict[dt.date, dict]:
    """Run the jobs once a day at 08:00, as the worker does; `skip` is a
    (first, last) span of days the worker was down."""
    reports = {}
    for day in days(first, last, skip):
        with at(day):
            reports[day] = made(run_jobs(timezone.localdate()))
    return reports


def made(report: dict) -> dict:
    """The jobs that made something."""
    return {job: n for job, n in report.items() if n}


def told(user, kind, key_prefix=""):
    return list(
        Notification.objects.filter(
            user=user, kind=kind, key__startswith=key_prefix
        ).order_by("created_at", "pk")
    )


def day_of(notification) -> dt.date:
    return timezone.localdate(notification.created_at)


def test_an_officer_is_reminded_30_7_and_1_days_before(db, world):
    officer = world.people.officer
    reports = walk(DUE - dt.timedelta(days=40), DUE)
    reminders = told(officer, Kind.REMINDER)
    assert [day_of(n) for n in reminders] == [
        D(2026, 8, 31),
        D(2026, 9, 23),
        D(2026, 9, 29),
    ]
    assert [n.key.rsplit(":", 1)[1] for n in reminders] == ["30", "7", "1"]
    assert {day for day, report in reports.items() if report} == {
        D(2026, 8, 31),
        D(2026, 9, 23),
        D(2026, 9, 29),
    }
    first = reminders[0]
    assert first.title.startswith("An Hưng: 3 criteria need their evidence by")
    assert first.title.endswith("(in 30 days)")
    assert first.body == "Criteria: 1, 2, 3."
    assert first.url == f"/wards/{world.late.ward.code}/?year=2026"
    # Nobody else hears of An Hưng's evidence; Phú La and Ba Đình owe nothing.
    assert Notification.objects.filter(kind=Kind.REMINDER).count() == 3
    officer.refresh_from_db()
    assert officer.unread_notifications == 3


def test_a_contributor_is_reminded_of_its_bodys_criteria_only(db, world):
    world.late.criteria_set.criteria.filter(number=2).update(
        responsible_body="party_committee"
    )
    party = member(Role.CONTRIBUTOR, ward=world.late.ward, body="party_committee")
    peoples = member(Role.CONTRIBUTOR, ward=world.late.ward, body="peoples_committee")
    walk(DUE - dt.timedelta(days=30), DUE - dt.timedelta(days=30))
    (reminder,) = told(party, Kind.REMINDER)
    assert reminder.title.startswith("An Hưng: 1 criterion needs its evidence by")
    assert reminder.body == "Criteria: 2."
    assert reminder.url == reverse("my_tasks")
    assert told(peoples, Kind.REMINDER) == []
    # The officers still hear of all three, one who also contributes too.
    officer = world.people.officer
    Membership.objects.create(
        user=officer,
        role=Role.CONTRIBUTOR,
        ward=world.late.ward,
        body="party_committee",
    )
    walk(DUE - dt.timedelta(days=7), DUE - dt.timedelta(days=7))
    bodies = sorted(n.body for n in told(officer, Kind.REMINDER))
    assert bodies == ["Criteria: 1, 2, 3.", "Criteria: 1, 2, 3.", "Criteria: 2."]


def test_the_one_day_reminder_comes_the_day_before(db, world):
    walk(D(2026, 9, 28), D(2026, 9, 28))
    # Two days before, the 7-day step, missed at 30 and 7 days: one reminder.
    (reminder,) = told(world.people.officer, Kind.REMINDER)
    assert day_of(reminder) == D(2026, 9, 28)
    assert reminder.key.endswith(":7")
    walk(D(2026, 9, 29), D(2026, 9, 29))
    assert told(world.people.officer, Kind.REMINDER)[-1].title.endswith("(in 1 day)")


def test_running_the_jobs_again_the_same_day_makes_nothing_new(db, world):
    with at(D(2026, 8, 31)):
        assert made(run_jobs(timezone.localdate())) == {"reminders": 1}
    with at(D(2026, 8, 31), 8, 10):
        assert made(run_jobs(timezone.localdate())) == {}
    with at(D(2026, 8, 31), 23, 59):
        assert made(run_jobs(timezone.localdate())) == {}
    assert len(told(world.people.officer, Kind.REMINDER)) == 1
    world.people.officer.refresh_from_db()
    assert world.people.officer.unread_notifications == 1


def test_a_missed_week_is_caught_up_once(db, world):
    # The worker is down from 20/9 to 27/9: the 7-day step (23/9) comes on 28/9.
    walk(DUE - dt.timedelta(days=40), DUE, skip=(D(2026, 9, 20), D(2026, 9, 27)))
    reminders = told(world.people.officer, Kind.REMINDER)
    assert [(day_of(n), n.key[-2:]) for n in reminders] == [
        (D(2026, 8, 31), "30"),
        (D(2026, 9, 28), ":7"),
        (D(2026, 9, 29), ":1"),
    ]


def test_a_long_outage_sends_only_the_step_it_ends_in(db, world):
    walk(D(2026, 8, 1), DUE, skip=(D(2026, 9, 1), D(2026, 9, 29)))
    reminders = told(world.people.officer, Kind.REMINDER)
    assert [(day_of(n), n.key[-2:]) for n in reminders] == [
        (D(2026, 8, 31), "30"),
        (DUE, ":1"),
    ]
    assert reminders[-1].title.endswith("(today)")


def submit(assessment, officer, day):
    with at(day, 10):
        add_file(assessment, officer, name=f"{assessment.pk}.pdf")
        workflow.submit(assessment, actor=officer)


def test_a_criterion_submitted_before_the_step_is_left_out(db, world):
    officer = world.people.officer
    walk(D(2026, 8, 31), D(2026, 9, 9))
    submit(world.late.assessments.get(criterion__number=2), officer, D(2026, 9, 10))
    walk(D(2026, 9, 10), D(2026, 9, 23))
    thirty, seven = told(officer, Kind.REMINDER)
    assert thirty.body == "Criteria: 1, 2, 3."
    assert seven.body == "Criteria: 1, 3."
    assert seven.title.startswith("An Hưng: 2 criteria need their evidence")
    # Everything submitted before the last step: no last reminder.
    for number in (1, 3):
        submit(
            world.late.assessments.get(criterion__number=number),
            officer,
            D(2026, 9, 25),
        )
    walk(D(2026, 9, 24), DUE)
    assert len(told(officer, Kind.REMINDER)) == 2


def test_a_returned_criterion_is_reminded_again(db, world):
    world.late.assessments.filter(criterion__number__lte=3).update(status="approved")
    tally.recount()
    walk(D(2026, 8, 31), D(2026, 9, 1))
    assert told(world.people.officer, Kind.REMINDER) == []
    world.late.assessments.filter(criterion__number=2).update(status="returned")
    tally.recount()
    walk(D(2026, 9, 23), D(2026, 9, 23))
    (reminder,) = told(world.people.officer, Kind.REMINDER)
    assert reminder.body == "Criteria: 2."


def test_leaders_hear_once_per_due_date_of_the_wards_that_are_late(db, world):
    leader = world.people.leader
    walk(D(2026, 9, 25), D(2026, 10, 20))
    (escalation,) = told(leader, Kind.ESCALATION)
    assert day_of(escalation) == D(2026, 10, 1)
    assert escalation.title.startswith("1 ward is late with evidence due on")
    assert escalation.body == "An Hưng: 3 criteria"
    assert escalation.url.startswith(reverse("ward_list") + "?year=2026&")
    assert escalation.key == f"escalate:evidence:{world.province.pk}:2026:2026-09-30"
    # Not the officers, not the leaders of a province with nothing late.
    assert told(world.people.far_leader, Kind.ESCALATION) == []
    assert told(world.people.officer, Kind.ESCALATION) == []
    # The year-end date passes: one more, for both wards of the province.
    walk(D(2026, 12, 14), D(2026, 12, 31))
    first, year_end = told(leader, Kind.ESCALATION)
    assert first == escalation
    assert day_of(year_end) == D(2026, 12, 16)
    assert year_end.title.startswith("2 wards are late")
    assert year_end.body == "An Hưng: 1 criterion\nPhú La: 1 criterion"


def test_no_escalation_when_everything_came_in_time(db, world):
    world.late.assessments.filter(criterion__number__lte=3).update(status="approved")
    tally.recount()
    walk(D(2026, 9, 29), D(2026, 10, 3))
    assert told(world.people.leader, Kind.ESCALATION) == []


def test_reviews_past_their_deadline_are_escalated_once_each(db, world):
    leader = world.people.leader
    one, two, three = (
        world.late.assessments.get(criterion__number=n) for n in (1, 2, 3)
    )
    # 1 submitted on 1/9 (due 8/9, late from 9/9), 2 on 5/9 (late from
    # 13/9); 3 on 3/9 but decided in time.
    Assessment.objects.filter(pk=one.pk).update(
        status="submitted", submitted_at=dt.datetime(2026, 9, 1, 10, tzinfo=HCM)
    )
    tally.recount()
    Assessment.objects.filter(pk=two.pk).update(
        status="submitted", submitted_at=dt.datetime(2026, 9, 5, 10, tzinfo=HCM)
    )
    tally.recount()
    Assessment.objects.filter(pk=three.pk).update(
        status="submitted", submitted_at=dt.datetime(2026, 9, 3, 10, tzinfo=HCM)
    )
    tally.recount()
    walk(D(2026, 9, 1), D(2026, 9, 9))
    Assessment.objects.filter(pk=three.pk).update(status="approved")
    tally.recount()
    walk(D(2026, 9, 10), D(2026, 9, 25))
    escalations = told(leader, Kind.ESCALATION, "escalate:review:")
    assert [day_of(n) for n in escalations] == [D(2026, 9, 9), D(2026, 9, 13)]
    first, second = escalations
    assert first.title == "1 criterion has waited for a decision past its deadline"
    assert first.body.startswith("An Hưng, criterion 1, submitted")
    assert "criterion 3" not in first.body
    assert second.body.startswith("An Hưng, criterion 2, submitted")
    assert "criterion 1" not in second.body
    assert told(world.people.far_leader, Kind.ESCALATION) == []


def test_a_late_review_of_one_year_does_not_hide_another_year(db, world):
    """In the first months of a year, last year's cycle still runs: a late
    decision on each year's criteria is told to the leaders."""
    Calendar.objects.create(year=2027, evidence_due=D(2027, 9, 30))
    next_year = EnrolmentFactory(
        ward=world.done.ward, year=2027, criteria_set=world.done.criteria_set
    )
    # Last year's criterion submitted on 10/1, this year's a little earlier.
    Assessment.objects.filter(
        pk=world.late.assessments.get(criterion__number=1).pk
    ).update(status="submitted", submitted_at=dt.datetime(2027, 1, 10, tzinfo=HCM))
    tally.recount()
    Assessment.objects.filter(
        pk=next_year.assessments.get(criterion__number=1).pk
    ).update(status="submitted", submitted_at=dt.datetime(2027, 1, 5, tzinfo=HCM))
    tally.recount()
    walk(D(2027, 1, 20), D(2027, 1, 21))
    told_of = "\n".join(
        n.body for n in told(world.people.leader, Kind.ESCALATION, "escalate:review:")
    )
    assert "An Hưng, criterion 1" in told_of
    assert "Phú La, criterion 1" in told_of


def test_evidence_is_warned_of_30_7_and_1_days_before_it_expires_and_after(db, world):
    Evidence.objects.filter(pk=world.evidence.pk).update(valid_until=D(2026, 10, 15))
    walk(D(2026, 9, 10), D(2026, 10, 25))
    warnings = told(world.people.done_officer, Kind.EXPIRY)
    assert [day_of(n) for n in warnings] == [
        D(2026, 9, 15),
        D(2026, 10, 8),
        D(2026, 10, 14),
        D(2026, 10, 16),
    ]
    assert [n.key for n in warnings] == [
        f"expiry:{world.evidence.pk}:2026-10-15:30",
        f"expiry:{world.evidence.pk}:2026-10-15:7",
        f"expiry:{world.evidence.pk}:2026-10-15:1",
        f"expired:{world.evidence.pk}",
    ]
    assert "criterion 1" in warnings[0].title and "expires on" in warnings[0].title
    assert "expired on" in warnings[-1].title
    assert warnings[0].url == reverse(
        "criterion_detail",
        kwargs={"code": world.done.ward.code, "year": 2026, "number": 1},
    )
    assert told(world.people.officer, Kind.EXPIRY) == []


def test_evidence_of_a_year_whose_cycle_ended_is_not_warned_of(db, world):
    """2026's dossier runs until 31/03/2027: a file that expires after that
    concerns a year that is over."""
    Evidence.objects.filter(pk=world.evidence.pk).update(valid_until=D(2027, 3, 20))
    walk(D(2027, 3, 15), D(2027, 3, 31))
    # 7 and 1 days before, and once after.
    assert len(told(world.people.done_officer, Kind.EXPIRY)) == 3
    Evidence.objects.filter(pk=world.evidence.pk).update(valid_until=D(2027, 5, 1))
    walk(D(2027, 4, 1), D(2027, 5, 10))
    assert len(told(world.people.done_officer, Kind.EXPIRY)) == 3


def test_withdrawn_or_unsubmitted_evidence_is_not_warned_of(db, world):
    Evidence.objects.filter(pk=world.evidence.pk).update(
        valid_until=D(2026, 10, 15), withdrawn_at=timezone.now()
    )
    with at(D(2026, 9, 20), 9):
        add_file(world.late.assessments.get(criterion__number=1), world.people.officer)
    Evidence.objects.filter(assessment__enrolment=world.late).update(
        valid_until=D(2026, 10, 1)
    )
    walk(D(2026, 9, 29), D(2026, 10, 3))
    assert not Notification.objects.filter(kind=Kind.EXPIRY).exists()


def test_leaders_are_reminded_of_the_proposals(db, world):
    Calendar.objects.filter(pk=world.calendar.pk).update(proposal_due=D(2026, 11, 30))
    walk(D(2026, 10, 25), D(2026, 11, 30))
    for leader in (world.people.leader, world.people.far_leader):
        reminders = told(leader, Kind.REMINDER, "remind:proposal:")
        assert [day_of(n) for n in reminders] == [
            D(2026, 10, 31),
            D(2026, 11, 23),
            D(2026, 11, 29),
        ]


# E-mail, as each person chose.


def test_a_reminder_is_mailed_at_once_by_default(
    db, world, django_capture_on_commit_callbacks
):
    officer = world.people.officer
    with at(D(2026, 8, 31)), django_capture_on_commit_callbacks(execute=True):
        run_jobs(timezone.localdate())
    (message,) = mail.outbox
    (reminder,) = told(officer, Kind.REMINDER)
    assert message.to == [officer.email]
    assert message.subject == f"[Kiểu Mẫu] {reminder.title}"
    assert "Criteria: 1, 2, 3." in message.body
    assert f"/wards/{world.late.ward.code}/?year=2026" in message.body
    assert reminder.mailed_at is not None
    with at(D(2026, 9, 1)), django_capture_on_commit_callbacks(execute=True):
        run_jobs(timezone.localdate())
    assert len(mail.outbox) == 1


def test_no_mail_for_whoever_chose_the_bell_only(
    db, world, django_capture_on_commit_callbacks
):
    officer = world.people.officer
    Preference.objects.create(user=officer, kind=Kind.REMINDER, delivery="none")
    with at(D(2026, 8, 31)), django_capture_on_commit_callbacks(execute=True):
        assert made(run_jobs(timezone.localdate())) == {"reminders": 1}
    assert mail.outbox == []
    (reminder,) = told(officer, Kind.REMINDER)
    assert reminder.mailed_at is None and reminder.read_at is None
    officer.refresh_from_db()
    assert officer.unread_notifications == 1
    # Nor in a digest.
    with at(D(2026, 9, 1)):
        send_digests("daily", timezone.localdate())
    assert mail.outbox == []


def test_a_reminder_chosen_for_the_digest_goes_in_the_next_digest_once(
    db, world, django_capture_on_commit_callbacks
):
    officer = world.people.officer
    Preference.objects.create(user=officer, kind=Kind.REMINDER, delivery="digest")
    with at(D(2026, 8, 31), 6), django_capture_on_commit_callbacks(execute=True):
        run_jobs(timezone.localdate())
    assert mail.outbox == []
    (reminder,) = told(officer, Kind.REMINDER)
    assert reminder.mailed_at is None
    with at(D(2026, 8, 31), 7):
        outcome = send_digests("daily", timezone.localdate())
    assert outcome["sent"] == 1
    (digest,) = mail.outbox
    assert digest.to == [officer.email]
    assert "Since your last digest:" in digest.body
    assert reminder.title in digest.body
    reminder.refresh_from_db()
    assert reminder.mailed_at is not None
    assert SentDigest.objects.get(user=officer).status == "sent"
    # The next day, nothing new: no digest for the officer.
    with at(D(2026, 9, 1), 7):
        send_digests("daily", timezone.localdate())
    assert len(mail.outbox) == 1
    assert not SentDigest.objects.filter(user=officer, day=D(2026, 9, 1)).exists()
