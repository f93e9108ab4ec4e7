"""Evidence valid until a date: given at upload or later, flagged on the
criterion and ward pages before and after it, and replaced at a reviewer's
request."""

import datetime as dt

import pytest
import time_machine

from access.models import Membership
from assessments import recognition, workflow
from assessments.models import Assessment, Enrolment, Evidence, ReviewEvent
from tests import files
from tests.factories import EnrolmentFactory, add_file, member

Status = Assessment.Status
Action = ReviewEvent.Action
Role = Membership.Role
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def _pages_in_english(client):
    client.cookies["django_language"] = "en"


TZ = dt.timezone(dt.timedelta(hours=7))
DEADLINE = dt.date(2026, 12, 31)


def at(day: dt.date):
    """The clock at noon in Hà Nội on `day`."""
    return time_machine.travel(dt.datetime.combine(day, dt.time(12), TZ), tick=False)


def approved_with(assessment, officer, reviewer, valid_until, name="chung-nhan.pdf"):
    """An approved criterion whose one file holds until `valid_until`."""
    item = add_file(assessment, officer, name=name, content=files.pdf(name))
    workflow.set_validity(item, actor=officer, valid_until=valid_until)
    workflow.submit(assessment, actor=officer)
    workflow.approve(assessment, actor=reviewer)
    item.refresh_from_db()
    assessment.refresh_from_db()
    return item


@pytest.mark.django_db
def test_the_upload_form_takes_a_validity_date(client, assessment, officer):
    client.force_login(officer)
    url = f"{assessment.get_absolute_url()}upload/"
    client.post(
        url,
        {
            "files": [files.upload("pccc.pdf", files.pdf("pccc"))],
            "document_date": "01/03/2026",
            "valid_until": "28/02/2027",
        },
    )
    item = Evidence.objects.get(assessment=assessment)
    assert (item.document_date, item.valid_until) == (
        dt.date(2026, 3, 1),
        dt.date(2027, 2, 28),
    )
    page = client.get(assessment.get_absolute_url()).content.decode()
    assert "valid until 28/02/2027" in page

    # Valid until before its own date: refused, nothing stored.
    response = client.post(
        url,
        {
            "files": [files.upload("sai.pdf", files.pdf("sai"))],
            "document_date": "01/03/2026",
            "valid_until": "28/02/2026",
        },
        follow=True,
    )
    assert "cannot be valid until a day before its own date" in (
        response.content.decode()
    )
    assert Evidence.objects.filter(assessment=assessment).count() == 1


@pytest.mark.django_db
def test_the_date_changes_while_the_file_could_be_withdrawn(
    client, assessment, officer, reviewer, other_enrolment
):
    item = add_file(assessment, officer)
    client.force_login(officer)
    client.post(f"/evidence/{item.pk}/validity/", {"valid_until": "15/06/2027"})
    item.refresh_from_db()
    assert item.valid_until == dt.date(2027, 6, 15)
    event = ReviewEvent.objects.latest("pk")
    assert event.action == Action.SET_VALIDITY
    assert event.comment == "bien-ban.pdf: valid until 15/06/2027"
    # Emptied: no end date.
    client.post(f"/evidence/{item.pk}/validity/", {"valid_until": ""})
    item.refresh_from_db()
    assert item.valid_until is None
    # Not before the document's own date: refused with the reason.
    Evidence.objects.filter(pk=item.pk).update(document_date=dt.date(2025, 10, 15))
    response = client.post(
        f"/evidence/{item.pk}/validity/", {"valid_until": "01/01/2020"}, follow=True
    )
    assert "cannot be valid until a day before its own date" in response.text
    item.refresh_from_db()
    assert item.valid_until is None

    # Once submitted, as for withdrawing: no longer.
    workflow.submit(assessment, actor=officer)
    with pytest.raises(workflow.WorkflowError, match="can no longer be done"):
        workflow.set_validity(item, actor=officer, valid_until=DEADLINE)
    # Another ward's officer, or a reviewer, is not let near it.
    stranger = member(Role.OFFICER, ward=other_enrolment.ward)
    for user in (stranger, reviewer):
        client.force_login(user)
        response = client.post(
            f"/evidence/{item.pk}/validity/", {"valid_until": "01/01/2028"}
        )
        assert response.status_code == 404
    item.refresh_from_db()
    assert item.valid_until is None


@pytest.mark.django_db
def test_flags_before_and_after_the_date(client, enrolment, officer, reviewer):
    first, second, third = enrolment.assessments.order_by("criterion__number")[:3]
    with at(dt.date(2026, 10, 1)):
        approved_with(first, officer, reviewer, DEADLINE)
        # Working on it: not flagged at the top, even with the same date.
        item = add_file(third, officer, name="x.pdf", content=files.pdf("x"))
        workflow.set_validity(item, actor=officer, valid_until=DEADLINE)
        # Withdrawn evidence does not count.
        old = add_file(second, officer, name="cu.pdf", content=files.pdf("cu"))
        workflow.set_validity(old, actor=officer, valid_until=dt.date(2026, 11, 1))
        workflow.withdraw_evidence(old, actor=officer)
        add_file(second, officer, name="moi.pdf", content=files.pdf("moi"))
        workflow.submit(second, actor=officer)
    ward_page = f"/wards/{enrolment.ward.code}/"

    def flags(path):
        client.force_login(officer)  # a session of that day
        response = client.get(path)
        assert response.status_code == 200
        page = response.content.decode()
        return (
            page.count("expires on 31/12/2026"),
            page.count("expired on 31/12/2026"),
            "Evidence of this criterion" in page,
        )

    with at(dt.date(2026, 11, 30)):  # 31 days before: not yet
        assert flags(first.get_absolute_url()) == (0, 0, False)
        assert flags(ward_page) == (0, 0, False)
        assert not Assessment.objects.filter(enrolment=enrolment).expiring().exists()
    with at(dt.date(2026, 12, 1)):  # 30 days before
        # At the top and on the file.
        assert flags(first.get_absolute_url()) == (2, 0, True)
        assert flags(third.get_absolute_url()) == (1, 0, False)
        assert flags(second.get_absolute_url()) == (0, 0, False)
        assert flags(ward_page) == (1, 0, False)  # criterion 1 only
    with at(DEADLINE):  # valid through its date
        assert flags(first.get_absolute_url()) == (2, 0, True)
    with at(dt.date(2027, 1, 1)):
        assert flags(first.get_absolute_url()) == (0, 2, True)
        assert flags(ward_page) == (0, 1, False)


@pytest.mark.django_db
def test_the_reads_for_reminders_and_dashboards(enrolment, officer, reviewer, settings):
    first, second = enrolment.assessments.order_by("criterion__number")[:2]
    with at(dt.date(2026, 10, 1)):
        soon = approved_with(first, officer, reviewer, dt.date(2026, 10, 20))
        later = approved_with(second, officer, reviewer, dt.date(2027, 3, 1), "b.pdf")
    today = dt.date(2026, 10, 1)
    assert list(Evidence.objects.expiring(today)) == [soon]
    assert set(Evidence.objects.expiring(today, within_days=200)) == {soon, later}
    assert list(Evidence.objects.expiring(dt.date(2026, 11, 1), 0)) == [soon]
    expiring = Assessment.objects.expiring(today)
    assert [(a.pk, a.expires_on) for a in expiring] == [(first.pk, soon.valid_until)]
    assert (
        Enrolment.objects.with_expiring(today).get(pk=enrolment.pk).expiring_count == 1
    )
    settings.EVIDENCE_EXPIRY_WARNING_DAYS = 365
    assert Assessment.objects.expiring(today).count() == 2
    assert recognition.expiring_criteria([enrolment], today) == {enrolment.pk: [1, 2]}


@pytest.mark.django_db
def test_a_title_holder_with_expiring_evidence_is_at_risk(enrolment, officer, reviewer):
    earlier = EnrolmentFactory(
        ward=enrolment.ward, criteria_set=enrolment.criteria_set, year=2025
    )
    Enrolment.objects.filter(pk=enrolment.pk).update(keeps_title_of=earlier)
    first = enrolment.assessments.get(criterion__number=1)
    with at(dt.date(2026, 12, 1)):
        approved_with(first, officer, reviewer, dt.date(2026, 12, 20))
        holder = Enrolment.objects.with_progress().get(pk=enrolment.pk)
        risks = recognition.at_risk(holder, median=0, returned=[])
        assert risks == ["evidence expired or expiring: criteria 1"]
        # Batched, as the registration page does: the same.
        batched = recognition.expiring_criteria([holder])
        assert (
            recognition.at_risk(holder, 0, [], expiring=batched.get(holder.pk, []))
            == risks
        )


@pytest.mark.django_db
def test_a_reviewer_requires_a_replacement(
    client, enrolment, officer, reviewer, other_province
):
    first, second = enrolment.assessments.order_by("criterion__number")[:2]
    with at(dt.date(2026, 12, 10)):
        item = approved_with(first, officer, reviewer, DEADLINE)
        fine = approved_with(second, officer, reviewer, None, "khong-han.pdf")
        url = f"/evidence/{item.pk}/replace/"
        # The ward's officer cannot, nor a reviewer of another province: 404.
        for user in (officer, member(Role.REVIEWER, province=other_province)):
            client.force_login(user)
            assert client.post(url, {"note": "x"}).status_code == 404
        first.refresh_from_db()
        assert first.status == Status.APPROVED
        # A file without a date is not replaced this way.
        client.force_login(reviewer)
        client.post(f"/evidence/{fine.pk}/replace/")
        second.refresh_from_db()
        assert second.status == Status.APPROVED

        # Offered on the expiring file only.
        page = client.get(first.get_absolute_url()).content.decode()
        assert f'action="/evidence/{item.pk}/replace/"' in page
        page = client.get(second.get_absolute_url()).content.decode()
        assert "/replace/" not in page
        # A note too long is refused with a message; nothing changes.
        response = client.post(url, {"note": "x" * 4001}, follow=True)
        assert "4000" in response.content.decode()
        first.refresh_from_db()
        assert first.status == Status.APPROVED
        response = client.post(url, {"note": "Xin bản gia hạn."}, follow=True)
        assert "must replace “chung-nhan.pdf”" in response.content.decode()
        first.refresh_from_db()
        assert first.status == Status.RETURNED
        event = first.events.latest("pk")
        assert event.action == Action.REVOKE and event.actor == reviewer
        assert event.comment == (
            "“chung-nhan.pdf” expires on 31/12/2026: add a replacement and submit "
            "the criterion again.\nXin bản gia hạn."
        )
        # The officer adds a new file and submits again.
        add_file(first, officer, name="moi.pdf", content=files.pdf("moi"))
        workflow.submit(first, actor=officer)
    # Submitted with an item that expires: returned the same way.
    with at(dt.date(2026, 12, 20)):
        workflow.require_replacement(item, actor=reviewer)
        first.refresh_from_db()
        assert first.status == Status.RETURNED
        assert first.events.latest("pk").action == Action.RETURN
    # Once expired, it must go before the criterion is submitted again.
    with at(dt.date(2027, 1, 2)):
        with pytest.raises(workflow.WorkflowError, match="no longer valid"):
            workflow.submit(first, actor=officer)
        workflow.withdraw_evidence(item, actor=officer)
        workflow.submit(first, actor=officer)


@pytest.mark.django_db
def test_no_replacement_is_required_of_a_frozen_ward(enrolment, officer, reviewer):
    first = enrolment.assessments.get(criterion__number=1)
    with at(dt.date(2026, 12, 10)):
        item = approved_with(first, officer, reviewer, DEADLINE)
        Enrolment.objects.filter(pk=enrolment.pk).update(stage=Enrolment.Stage.PROPOSED)
        with pytest.raises(workflow.WorkflowError, match="frozen"):
            workflow.require_replacement(item, actor=reviewer)
    first.refresh_from_db()
    assert first.status == Status.APPROVED
