"""Digests: a reviewer's daily one, a leader's weekly one; once a day per
person, whatever restarts or fails."""

import datetime as dt
import io
import smtplib
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tasks_db.models import DBTaskResult

from access.models import Membership
from assessments import tally, workflow
from assessments.models import Assessment, Evidence
from deadlines.models import Calendar
from reminders import digests
from reminders.digests import due, letters, send_digests
from reminders.models import SentDigest
from reminders.tasks import run_calendar
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
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
SATURDAY = D(2026, 9, 12)
MONDAY = D(2026, 10, 5)


@pytest.fixture(autouse=True)
def _english(settings):
    """Digests are written in the site's language: English here, to read it."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(scope="module")
def world(module_db):
    """Built once. Thanh Hóa: An Hưng and Phú La, a reviewer, a leader. Hà
    Nội: Ba Đình, a reviewer with nothing to review, a leader. A national
    leader. Evidence due 30/09; seven days to review."""
    criteria_set = make_criteria_set(size=4, groups=2)
    province = ProvinceFactory(name="Thanh Hóa", code="38")
    other = ProvinceFactory(name="Hà Nội", code="01")

    def enrol(province, name):
        return EnrolmentFactory(
            ward=WardFactory(province=province, name=name), criteria_set=criteria_set
        )

    an_hung, phu_la, ba_dinh = (
        enrol(province, "An Hưng"),
        enrol(province, "Phú La"),
        enrol(other, "Ba Đình"),
    )
    people = SimpleNamespace(
        officer=member(Role.OFFICER, ward=an_hung.ward),
        other_officer=member(Role.OFFICER, ward=phu_la.ward),
        reviewer=member(Role.REVIEWER, province=province),
        idle_reviewer=member(Role.REVIEWER, province=other),
        leader=member(Role.PROVINCIAL_LEADER, province=province),
        far_leader=member(Role.PROVINCIAL_LEADER, province=other),
        national=member(Role.NATIONAL_LEADER),
    )
    Calendar.objects.create(year=2026, evidence_due=D(2026, 9, 30))
    return SimpleNamespace(
        an_hung=an_hung, phu_la=phu_la, ba_dinh=ba_dinh, people=people
    )


def at(day: dt.date, hour: int = 7, minute: int = 0):
    return time_machine.travel(
        dt.datetime.combine(day, dt.time(hour, minute), tzinfo=HCM), tick=False
    )


def waiting(enrolment, number, day, hour=10):
    Assessment.objects.filter(enrolment=enrolment, criterion__number=number).update(
        status="submitted", submitted_at=dt.datetime.combine(day, dt.time(hour), HCM)
    )
    tally.recount()


@pytest.fixture
def queue(world):
    """Four criteria wait in Thanh Hóa: submitted on 20/8, 1/9, 5/9 (due on
    Saturday 12/9, not late yet) and 10/9."""
    waiting(world.an_hung, 3, D(2026, 9, 1))
    waiting(world.phu_la, 4, D(2026, 9, 5), hour=23)
    waiting(world.phu_la, 1, D(2026, 9, 10))
    waiting(world.an_hung, 2, D(2026, 8, 20))


def sent_to(user) -> list:
    return [m for m in mail.outbox if m.to == [user.email]]


def test_a_reviewer_digest_lists_the_waiting_oldest_first(db, world, queue):
    with at(SATURDAY):
        outcome = send_digests("daily", SATURDAY)
    assert outcome == {"sent": 1, "empty": 1}
    (message,) = mail.outbox
    assert message.to == [world.people.reviewer.email]
    assert message.subject.startswith("[Kiểu Mẫu] Your daily digest,")
    body = message.body
    assert body.startswith("4 criteria wait for your decision, 2 past their deadline:")
    lines = [line for line in body.splitlines() if line.startswith("- ")]
    assert [line.split(":")[0] for line in lines] == [
        "- An Hưng, criterion 2",
        "- An Hưng, criterion 3",
        "- Phú La, criterion 4",
        "- Phú La, criterion 1",
    ]
    assert "waiting 23 days — 16 days late (due " in lines[0]
    assert "waiting 11 days — 4 days late (due " in lines[1]
    assert lines[2].endswith("waiting 7 days")  # due today: not late yet
    assert lines[3].endswith("waiting 2 days")
    assert "/review/" in body or "Review queue: http" in body


def test_an_empty_digest_is_not_sent(db, world):
    with at(SATURDAY):
        outcome = send_digests("daily", SATURDAY)
    assert outcome == {"empty": 2}
    assert mail.outbox == []
    rows = SentDigest.objects.filter(day=SATURDAY, kind="daily")
    assert {row.user for row in rows} == {
        world.people.reviewer,
        world.people.idle_reviewer,
    }
    assert {row.status for row in rows} == {"empty"}


def test_twice_the_same_day_sends_one_digest(db, world, queue):
    with at(SATURDAY):
        first = send_digests("daily", SATURDAY)
    with at(SATURDAY, 19):
        second = send_digests("daily", SATURDAY)
    assert first == {"sent": 1, "empty": 1}
    assert second == {"done before": 2}
    assert len(mail.outbox) == 1
    row = SentDigest.objects.get(user=world.people.reviewer, day=SATURDAY)
    assert (row.status, row.attempts) == ("sent", 1)
    assert row.sent_at == dt.datetime(2026, 9, 12, 7, tzinfo=HCM)
    # The next day is another digest.
    with at(SATURDAY + dt.timedelta(days=1)):
        send_digests("daily", SATURDAY + dt.timedelta(days=1))
    assert len(sent_to(world.people.reviewer)) == 2


def test_a_restarted_worker_sends_nothing_new(db, world, queue, settings):
    settings.TASKS = DATABASE_TASKS
    with at(SATURDAY, 7, 5):
        report = run_calendar.call()
    assert report["daily digest sent"] == 1
    assert "weekly digest sent" not in report  # Saturday
    assert len(mail.outbox) == 1
    # The worker restarts: the calendar runs again, now and later that day.
    for hour, minute in ((7, 6), (7, 20), (23, 59)):
        with at(SATURDAY, hour, minute):
            report = run_calendar.call()
        assert report["daily digest done before"] == 2
        assert "daily digest sent" not in report
    assert len(mail.outbox) == 1
    assert SentDigest.objects.filter(day=SATURDAY).count() == 2
    # Each run scheduled the next, but only one waits.
    assert (
        DBTaskResult.objects.filter(
            task_path=run_calendar.module_path, status="READY"
        ).count()
        == 1
    )


@pytest.mark.parametrize(
    "local, kinds",
    [
        (dt.datetime(2026, 9, 12, 6, 59, 59), []),
        (dt.datetime(2026, 9, 12, 7, 0), ["daily"]),
        (dt.datetime(2026, 9, 12, 23, 59), ["daily"]),
        (dt.datetime(2026, 9, 14, 0, 0), []),  # a Monday, before 07:00
        (dt.datetime(2026, 9, 14, 6, 59), []),
        (dt.datetime(2026, 9, 14, 7, 0), ["daily", "weekly"]),
        (dt.datetime(2026, 9, 15, 7, 0), ["daily"]),  # Tuesday
    ],
)
def test_digests_are_due_from_the_digest_time_local(local, kinds):
    assert due(local.replace(tzinfo=HCM)) == kinds
    # The same moment in UTC: 07:00 in Vietnam is midnight in UTC.
    assert due(local.replace(tzinfo=HCM).astimezone(dt.UTC)) == kinds


def test_the_digest_time_and_weekday_are_settings(settings):
    settings.DIGEST_TIME = "18:30"
    settings.WEEKLY_DIGEST_WEEKDAY = 5
    friday = dt.datetime(2026, 9, 18, 18, 29, tzinfo=HCM)
    assert due(friday) == []
    assert due(friday + dt.timedelta(minutes=1)) == ["daily", "weekly"]


def test_the_worker_sends_the_digest_from_seven_oclock(db, world, queue, settings):
    settings.TASKS = DATABASE_TASKS
    with at(SATURDAY, 6, 59):
        report = run_calendar.call()
    assert not any("digest" in key for key in report)
    assert mail.outbox == []
    with at(SATURDAY, 7, 0):
        report = run_calendar.call()
    assert report["daily digest sent"] == 1
    assert len(mail.outbox) == 1


@pytest.fixture
def mail_server_down(monkeypatch):
    def refuse(subject, body, recipients):
        raise smtplib.SMTPException("451 try again later")

    monkeypatch.setattr(digests, "send_text_mail", refuse)
    return monkeypatch


def test_a_failed_digest_is_tried_again_and_sent_once(
    db, world, queue, mail_server_down
):
    reviewer = world.people.reviewer
    with at(SATURDAY):
        assert send_digests("daily", SATURDAY) == {"failed": 1, "empty": 1}
    row = SentDigest.objects.get(user=reviewer, day=SATURDAY)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "451 try again later" in row.error
    assert mail.outbox == []
    mail_server_down.undo()
    with at(SATURDAY, 7, 10):
        assert send_digests("daily", SATURDAY) == {"sent": 1, "done before": 1}
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error) == ("sent", 2, "")
    with at(SATURDAY, 7, 20):
        assert send_digests("daily", SATURDAY) == {"done before": 2}
    assert len(sent_to(reviewer)) == 1


def test_a_digest_that_keeps_failing_is_given_up(
    db, world, queue, mail_server_down, settings
):
    settings.MAIL_RETRY_MINUTES = [1, 5]  # three tries in all
    for minute in range(5):
        with at(SATURDAY, 7, minute):
            send_digests("daily", SATURDAY)
    row = SentDigest.objects.get(user=world.people.reviewer, day=SATURDAY)
    assert (row.status, row.attempts) == ("failed", 3)
    mail_server_down.undo()
    with at(SATURDAY, 8):
        send_digests("daily", SATURDAY)
    assert mail.outbox == []


def test_a_digest_whose_worker_died_is_sent_once_its_claim_lapses(
    db, world, queue, monkeypatch, settings
):
    """The worker was killed while sending (before the server accepted): the
    row stays "being sent". Another run leaves it alone for
    WORKER_LOST_SECONDS, then takes it and sends the digest once."""
    settings.WORKER_LOST_SECONDS = 60
    reviewer = world.people.reviewer

    def killed(subject, body, recipients):
        raise KeyboardInterrupt  # as the worker's process ends

    monkeypatch.setattr(digests, "send_text_mail", killed)
    with at(SATURDAY), pytest.raises(KeyboardInterrupt):
        send_digests("daily", SATURDAY, username=reviewer.username)
    row = SentDigest.objects.get(user=reviewer, day=SATURDAY)
    assert row.status == "sending"
    monkeypatch.undo()
    with at(SATURDAY, 7, 0):  # at once: it may still be sending
        assert send_digests("daily", SATURDAY) == {"done before": 1, "empty": 1}
    assert mail.outbox == []
    with at(SATURDAY, 7, 2):
        assert send_digests("daily", SATURDAY) == {"sent": 1, "done before": 1}
    with at(SATURDAY, 7, 4):
        assert send_digests("daily", SATURDAY) == {"done before": 2}
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(sent_to(reviewer)) == 1


def test_the_weekly_digest_of_a_leader(db, world):
    people = world.people
    reviewer = people.reviewer

    def through(enrolment, number, officer, day, *, approve=True):
        assessment = enrolment.assessments.get(criterion__number=number)
        with at(day, 9):
            add_file(assessment, officer, name=f"{assessment.pk}.pdf")
            workflow.submit(assessment, actor=officer)
        with at(day, 15):
            if approve:
                workflow.approve(assessment, actor=reviewer)
            else:
                workflow.return_for_rework(assessment, actor=reviewer, reason="Thiếu")
        return assessment

    # Before the week: Phú La's criterion 2 approved.
    through(world.phu_la, 2, people.other_officer, D(2026, 9, 25))
    # In the week: An Hưng's 1 and 2 approved, Phú La's 1 returned.
    first = through(world.an_hung, 1, people.officer, D(2026, 9, 29))
    through(world.an_hung, 2, people.officer, D(2026, 9, 30))
    through(world.phu_la, 1, people.other_officer, D(2026, 10, 1), approve=False)
    # An Hưng's evidence of criterion 1 lapses on 20/10.
    Evidence.objects.filter(assessment=first).update(valid_until=D(2026, 10, 20))

    with at(MONDAY, 7, 30):
        outcome = send_digests("weekly", MONDAY)
    assert outcome == {"sent": 3}
    (letter,) = sent_to(people.leader)
    assert letter.subject.startswith("[Kiểu Mẫu] Your weekly digest,")
    body = letter.body
    assert body.startswith("The past seven days: 2 approved, 1 returned, 3 submitted.")
    moved = body.split("Wards that moved:\n")[1].split("\n\n")[0]
    assert moved == "- An Hưng: 2/4 (+2)"
    risk = body.split("Wards at risk:\n")[1].split("\n\n")[0].splitlines()
    # The ward with most reasons first, each reason told.
    assert risk == [
        "- An Hưng: 2 criteria late with their evidence; "
        "evidence of 1 criterion expires or has expired",
        "- Phú La: 3 criteria late with their evidence",
    ]
    assert "Ba Đình" not in body
    # The leader of Hà Nội hears of Ba Đình only; the nation of all three.
    (far,) = sent_to(people.far_leader)
    assert far.body.startswith("The past seven days: 0 approved, 0 returned")
    assert "- Ba Đình: 4 criteria late with their evidence" in far.body
    assert "An Hưng" not in far.body
    # The nation reads the wards at risk counted by province.
    (national,) = sent_to(people.national)
    assert national.body.startswith("The past seven days: 2 approved, 1 returned")
    risk = national.body.split("Wards at risk:\n")[1].split("\n\n")[0].splitlines()
    assert risk == ["- Thanh Hóa: 2 wards", "- Hà Nội: 1 ward"]


def test_a_quiet_week_sends_no_weekly_digest(db, world):
    # Before the evidence is due, nothing moved and nothing at risk.
    with at(D(2026, 9, 14), 7):
        assert send_digests("weekly", D(2026, 9, 14)) == {"empty": 3}
    assert mail.outbox == []


def test_weekly_digests_can_be_turned_off(db, world):
    from notifications.models import Preference

    Preference.objects.create(
        user=world.people.far_leader, kind="weekly", delivery="none"
    )
    with at(MONDAY, 7):
        outcome = send_digests("weekly", MONDAY)
    assert outcome == {"sent": 2}
    assert sent_to(world.people.far_leader) == []


def test_a_dry_run_prints_the_digests_and_sends_nothing(db, world, queue):
    out = io.StringIO()
    call_command(
        "send_digests",
        "--dry-run",
        "--kind",
        "daily",
        "--date",
        "2026-09-12",
        stdout=out,
    )
    printed = out.getvalue()
    assert f"To: {world.people.reviewer.email}" in printed
    assert "Subject: [Kiểu Mẫu] Your daily digest," in printed
    assert "4 criteria wait for your decision, 2 past their deadline:" in printed
    assert "daily: 1 digest(s) would be sent (dry run)." in printed
    assert world.people.idle_reviewer.email not in printed
    assert mail.outbox == []
    assert not SentDigest.objects.exists()


def test_a_dry_run_for_one_person(db, world, queue):
    out = io.StringIO()
    call_command(
        "send_digests",
        "--dry-run",
        "--date",
        "2026-10-05",
        "--user",
        world.people.leader.get_username(),
        stdout=out,
    )
    printed = out.getvalue()
    assert printed.count("To: ") == 1
    assert f"To: {world.people.leader.email}" in printed
    assert "daily: 0 digest(s) would be sent (dry run)." in printed
    assert "weekly: 1 digest(s) would be sent (dry run)." in printed
    assert mail.outbox == [] and not SentDigest.objects.exists()


def test_the_command_sends_and_says_what_became_of_each(db, world, queue):
    with at(SATURDAY, 8):
        out = io.StringIO()
        call_command("send_digests", "--kind", "daily", stdout=out)
        assert out.getvalue().strip() == "daily: 1 empty, 1 sent"
        assert len(mail.outbox) == 1
        out = io.StringIO()
        call_command("send_digests", "--kind", "daily", stdout=out)
        assert out.getvalue().strip() == "daily: 2 done before"
        assert len(mail.outbox) == 1


def test_the_command_sends_only_todays_and_only_the_person_named(db, world, queue):
    with at(SATURDAY, 8):
        with pytest.raises(CommandError, match="today only"):
            call_command("send_digests", "--date", "2026-09-01", stdout=io.StringIO())
        out = io.StringIO()
        name = world.people.idle_reviewer.get_username()
        call_command("send_digests", "--kind", "daily", "--user", name, stdout=out)
        # Only the reviewer named, whose digest is empty: nothing was sent.
        assert out.getvalue().strip() == "daily: 1 empty"
        assert mail.outbox == []


def test_letters_compose_what_would_be_sent(db, world, queue):
    (letter,) = letters("daily", SATURDAY)
    assert letter.user == world.people.reviewer
    assert letter.body.startswith("4 criteria wait")
