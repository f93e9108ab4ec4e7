"""The stored progress stays what a recount says, through every change."""

import datetime as dt
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from access.models import Membership
from assessments import recognition, tally, workflow
from assessments.models import (
    Assessment,
    CriterionTally,
    Enrolment,
    Tally,
)
from assessments.services import create_missing_assessments
from criteria.models import Criterion
from tests import files
from tests.factories import EnrolmentFactory, WardFactory, add_file, member

Role = Membership.Role
S = Assessment.Status


def exact() -> None:
    found = tally.recount(fix=False)
    assert found.differences == 0, found.examples


def levels(**key) -> dict[tuple[int, int], int]:
    """{(approved, size): wards} of the tallies matching `key`."""
    rows: dict[tuple[int, int], int] = {}
    for row in Tally.objects.filter(**key):
        if row.wards:
            rows[(row.approved, row.size)] = rows.get((row.approved, row.size), 0)
            rows[(row.approved, row.size)] += row.wards
    return rows


@pytest.fixture
def people(province):
    return {
        "reviewer": member(Role.REVIEWER, province=province),
        "leader": member(Role.PROVINCIAL_LEADER, province=province),
        "ministry": member(Role.MINISTRY_REVIEWER),
        "ministry_2": member(Role.MINISTRY_REVIEWER),
    }


def approve_all(enrolment, officer, reviewer):
    for assessment in enrolment.assessments.order_by("criterion__number"):
        add_file(assessment, officer, name=f"{assessment.pk}.pdf")
        workflow.submit(assessment, actor=officer)
        workflow.approve(assessment, actor=reviewer)


@pytest.mark.django_db
def test_a_new_enrolment_counts_at_zero(enrolment, province):
    enrolment.refresh_from_db()
    size = enrolment.assessments.count()
    assert (enrolment.approved_criteria, enrolment.set_size) == (0, size)
    assert levels(year=enrolment.year, province=province) == {(0, size): 1}
    assert set(
        CriterionTally.objects.filter(year=enrolment.year).values_list(
            "wards", "approved", "submitted"
        )
    ) == {(1, 0, 0)}
    exact()


@pytest.mark.django_db
def test_every_status_transition_keeps_the_counts(
    enrolment, officer, reviewer, province
):
    first, second, third = enrolment.assessments.order_by("criterion__number")[:3]
    size = enrolment.assessments.count()
    steps = [
        lambda: add_file(first, officer),
        lambda: workflow.submit(first, actor=officer),
        lambda: workflow.claim(first, actor=reviewer),
        lambda: workflow.return_for_rework(first, actor=reviewer, reason="Thiếu"),
        lambda: add_file(first, officer, name="b.pdf", content=files.pdf("b")),
        lambda: workflow.submit(first, actor=officer),
        lambda: workflow.approve(first, actor=reviewer),
        lambda: add_file(second, officer, name="c.pdf", content=files.pdf("c")),
        lambda: workflow.submit(second, actor=officer),
        lambda: workflow.return_for_rework(second, actor=reviewer, reason="Thiếu"),
        lambda: workflow.revoke(first, actor=reviewer, reason="Sai"),
        lambda: workflow.submit(first, actor=officer),
        lambda: workflow.approve(first, actor=reviewer),
        lambda: add_file(third, officer, name="d.pdf", content=files.pdf("d")),
        lambda: workflow.withdraw_evidence(
            third.evidence.get(withdrawn_at=None), actor=officer
        ),
    ]
    for step in steps:
        step()
        exact()
    enrolment.refresh_from_db()
    assert (
        enrolment.approved_criteria,
        enrolment.submitted_criteria,
        enrolment.returned_criteria,
    ) == (1, 0, 1)
    assert levels(year=enrolment.year, province=province) == {(1, size): 1}
    [row] = Tally.objects.filter(year=enrolment.year, wards=1)
    assert (row.submitted, row.returned, row.stage) == (0, 1, "open")
    one = CriterionTally.objects.get(criterion=first.criterion)
    assert (one.wards, one.approved, one.submitted) == (1, 1, 0)


@pytest.mark.django_db
def test_recognition_steps_and_a_track_change_move_the_ward(
    enrolment, officer, reviewer, province, people
):
    approve_all(enrolment, officer, reviewer)
    exact()
    size = enrolment.assessments.count()
    recognition.change_track(enrolment, track="province", actor=people["leader"])
    exact()
    assert levels(year=enrolment.year, track="province") == {(size, size): 1}
    assert levels(year=enrolment.year, track="ministry") == {}
    recognition.change_track(enrolment, track="ministry", actor=people["leader"])
    proposal = workflow.propose(enrolment, actor=people["leader"])
    exact()
    assert levels(stage="proposed") == {(size, size): 1}
    criterion = enrolment.assessments.get(criterion__number=2).criterion
    workflow.return_proposal(
        proposal, actor=people["ministry"], reason="Thiếu", criteria=[criterion]
    )
    exact()
    assert levels(stage="open") == {(size - 1, size): 1}
    again = enrolment.assessments.get(criterion=criterion)
    workflow.submit(again, actor=officer)
    workflow.approve(again, actor=reviewer)
    proposal = workflow.propose(enrolment, actor=people["leader"])
    workflow.accept(proposal, actor=people["ministry"])
    exact()
    assert levels(stage="accepted") == {(size, size): 1}
    decision = workflow.record_decision(
        track="ministry",
        year=enrolment.year,
        text=workflow.DecisionText("1/QĐ", dt.date(enrolment.year, 12, 1), "Bộ trưởng"),
        scan=files.upload("qd.pdf", files.pdf("Quyết định")),
        proposals=[proposal],
        actor=people["ministry_2"],
    )
    exact()
    assert levels(stage="recognised") == {(size, size): 1}
    # A correcting decision that leaves the ward out puts it back to accepted.
    other = EnrolmentFactory(ward=WardFactory(province=province))
    approve_all(other, officer_of(other), reviewer)
    second = workflow.propose(other, actor=people["leader"])
    workflow.accept(second, actor=people["ministry"])
    workflow.record_decision(
        track="ministry",
        year=enrolment.year,
        text=workflow.DecisionText("2/QĐ", dt.date(enrolment.year, 12, 2), "Bộ trưởng"),
        scan=files.upload("qd2.pdf", files.pdf("Quyết định 2")),
        proposals=[second],
        actor=people["ministry_2"],
        corrects=decision,
        note="Thay người",
    )
    exact()
    assert levels(stage="accepted") == {(size, size): 1}
    assert levels(stage="recognised") == {(size, size): 1}


def officer_of(enrolment):
    return member(Role.OFFICER, ward=enrolment.ward)


@pytest.mark.django_db
def test_a_set_that_gains_a_criterion_grows_every_ward(enrolment):
    size = enrolment.assessments.count()
    group = enrolment.criteria_set.groups.first()
    Criterion.objects.create(
        criteria_set=enrolment.criteria_set, group=group, number=99, title="Mới"
    )
    create_missing_assessments(criteria_set=enrolment.criteria_set)
    exact()
    enrolment.refresh_from_db()
    assert enrolment.set_size == size + 1
    assert levels() == {(0, size + 1): 1}


@pytest.mark.django_db
def test_the_admin_keeps_the_counts(admin_client, enrolment, officer, reviewer):
    assessment = enrolment.assessments.first()
    add_file(assessment, officer)
    workflow.submit(assessment, actor=officer)
    workflow.approve(assessment, actor=reviewer)
    url = f"/admin/evidence/enrolment/{enrolment.pk}/change/"
    response = admin_client.post(
        url,
        {
            "ward": enrolment.ward_id,
            "year": enrolment.year,
            "criteria_set": enrolment.criteria_set_id,
            "track": "province",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    exact()
    assert levels(track="province")


@pytest.mark.django_db
def test_an_enrolment_saved_from_an_old_copy_keeps_its_counts(
    enrolment, officer, reviewer
):
    stale = Enrolment.objects.get(pk=enrolment.pk)
    assessment = enrolment.assessments.first()
    add_file(assessment, officer)
    workflow.submit(assessment, actor=officer)
    stale.save()
    exact()


@pytest.mark.parametrize("few", [100, 0])
@pytest.mark.django_db
def test_recount_finds_and_fixes_a_difference(enrolment, officer, few, monkeypatch):
    monkeypatch.setattr(tally, "FEW", few)  # row by row, or all in SQL
    assessment = enrolment.assessments.first()
    add_file(assessment, officer)
    workflow.submit(assessment, actor=officer)
    Enrolment.objects.filter(pk=enrolment.pk).update(submitted_criteria=5)
    Tally.objects.update(submitted=7)
    with pytest.raises(CommandError):
        call_command("recount", "--check", stdout=open("/dev/null", "w"))  # noqa: SIM115
    found = tally.recount(fix=False)
    assert (found.enrolments, found.tallies) == (1, 1)
    assert any("stored (0, 5, 0," in line for line in found.examples)
    call_command("recount", stdout=open("/dev/null", "w"))  # noqa: SIM115
    exact()
    enrolment.refresh_from_db()
    assert enrolment.submitted_criteria == 1
    assert Tally.objects.get(wards=1).submitted == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_transitions_keep_the_counts(province):
    """Officers submitting and reviewers deciding at once, in threads with
    their own connections, on the wards of one province: the tallies they
    share come out exact (and nothing deadlocks)."""
    reviewer = member(Role.REVIEWER, province=province)
    leader = member(Role.PROVINCIAL_LEADER, province=province)
    enrolments = [
        EnrolmentFactory(ward=WardFactory(province=province)) for _ in range(4)
    ]
    work = []
    for enrolment in enrolments:
        officer = officer_of(enrolment)
        for assessment in enrolment.assessments.order_by("criterion__number")[:5]:
            add_file(assessment, officer, name=f"{assessment.pk}.pdf")
            work.append((assessment, officer))
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(work) + 1)

    def run(assessment, officer):
        try:
            barrier.wait()
            workflow.submit(assessment, actor=officer)
            workflow.approve(assessment, actor=reviewer)
            workflow.revoke(assessment, actor=reviewer, reason="Lại")
            workflow.submit(assessment, actor=officer)
            workflow.approve(assessment, actor=reviewer)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    def moves():
        try:
            barrier.wait()
            for track in ("province", "ministry", "province"):
                recognition.change_track(enrolments[0], track=track, actor=leader)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in work]
    threads.append(threading.Thread(target=moves))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    exact()
    assert levels(track="ministry") == {(5, enrolments[1].set_size): 3}
    assert levels(track="province") == {(5, enrolments[0].set_size): 1}


@pytest.mark.django_db
def test_a_provinces_feed_reads_the_events_own_province(
    enrolment, officer, reviewer, province
):
    """Each event keeps its ward's province; a provincial reviewer's feed of
    recent steps is read by it (and says the same as the ward path)."""
    from assessments.models import ReviewEvent
    from tests.factories import ProvinceFactory

    assessment = enrolment.assessments.first()
    add_file(assessment, officer)
    workflow.submit(assessment, actor=officer)
    elsewhere = ProvinceFactory(code="46")
    other = EnrolmentFactory(ward=WardFactory(province=elsewhere))
    other_officer = officer_of(other)
    add_file(other.assessments.first(), other_officer, name="o.pdf")
    workflow.submit(other.assessments.first(), actor=other_officer)
    assert set(ReviewEvent.objects.values_list("province", flat=True)) == {
        province.pk,
        elsewhere.pk,
    }
    feed = ReviewEvent.objects.recent_for(reviewer)
    assert [(e.action, e.province_id) for e in feed] == [("submit", province.pk)]
    quiet = member(Role.REVIEWER, province=ProvinceFactory(code="99"))
    assert ReviewEvent.objects.recent_for(quiet) == []
