"""Races on PostgreSQL, with real threads, connections and row locks."""

import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from access.models import Membership
from assessments import workflow
from assessments.models import Evidence, RecognitionEvent, ReviewEvent
from assessments.services import attach_evidence
from assessments.uploads import UploadRefused
from tests import files
from tests.factories import add_file, member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*actions):
    """Run the callables at the same moment; return (results, errors)."""
    barrier = threading.Barrier(len(actions))
    results, errors = [], []

    def run(action):
        try:
            barrier.wait()
            results.append(action())
        except (workflow.WorkflowError, UploadRefused) as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def stored_files():
    return {p for p in Path(settings.PRIVATE_MEDIA_ROOT).rglob("*") if p.is_file()}


@pytest.fixture
def submitted(enrolment, officer):
    assessment = enrolment.assessments.get(criterion__number=1)
    add_file(assessment, officer)
    workflow.submit(assessment, actor=officer)
    return assessment


def test_two_reviewers_deciding_at_once_one_wins(submitted, reviewer, province):
    colleague = member(Membership.Role.REVIEWER, province=province)
    results, errors = race(
        lambda: workflow.approve(submitted, actor=reviewer),
        lambda: workflow.return_for_rework(submitted, actor=colleague, reason="Thiếu"),
    )
    assert len(results) == 1 and len(errors) == 1
    decisions = ReviewEvent.objects.filter(
        assessment=submitted, action__in=["approve", "return"]
    )
    assert decisions.count() == 1
    submitted.refresh_from_db()
    assert submitted.status == decisions.get().to_status
    winner = decisions.get().actor
    assert winner.get_username() in errors[0].message


def test_two_reviewers_claiming_at_once_one_wins(submitted, reviewer, province):
    colleague = member(Membership.Role.REVIEWER, province=province)
    results, errors = race(
        lambda: workflow.claim(submitted, actor=reviewer),
        lambda: workflow.claim(submitted, actor=colleague),
    )
    assert len(results) == 1 and len(errors) == 1
    assert ReviewEvent.objects.filter(action="claim").count() == 1


def test_an_upload_racing_an_approval_is_refused_cleanly(submitted, officer, reviewer):
    before = stored_files()
    count = Evidence.objects.count()
    results, errors = race(
        lambda: workflow.approve(submitted, actor=reviewer),
        lambda: attach_evidence(
            assessment=submitted,
            uploads=[files.upload("muon.pdf", files.pdf("late"))],
            description="",
            document_date=None,
            actor=officer,
        ),
    )
    assert len(results) == 1 and len(errors) == 1
    assert Evidence.objects.count() == count
    assert stored_files() == before
    submitted.refresh_from_db()
    assert submitted.status == "approved"


def test_an_upload_racing_a_submission_is_all_or_nothing(enrolment, officer):
    assessment = enrolment.assessments.get(criterion__number=2)
    add_file(assessment, officer, name="first.pdf", content=files.pdf("first"))
    before = stored_files()
    results, errors = race(
        lambda: workflow.submit(assessment, actor=officer),
        lambda: attach_evidence(
            assessment=assessment,
            uploads=[files.upload("second.pdf", files.pdf("second"))],
            description="",
            document_date=None,
            actor=officer,
        ),
    )
    assessment.refresh_from_db()
    assert assessment.status == "submitted"
    events = list(assessment.events.values_list("action", flat=True))
    if errors:  # the submission won: the upload left nothing behind
        assert stored_files() == before
        assert assessment.evidence.count() == 1
        assert events == ["add_evidence", "submit"]
    else:  # the upload won: it is in the dossier that was submitted
        assert assessment.evidence.count() == 2
        assert len(stored_files()) == len(before) + 1
        assert events == ["add_evidence", "add_evidence", "submit"]


def test_the_same_file_sent_twice_at_once_is_added_once(enrolment, officer):
    assessment = enrolment.assessments.get(criterion__number=1)
    content = files.pdf("the same minutes")

    def upload(name):
        return lambda: attach_evidence(
            assessment=assessment,
            uploads=[files.upload(name, content)],
            description="",
            document_date=None,
            actor=officer,
        )

    for _round in range(3):  # a race is a matter of luck: run it a few times
        Evidence.objects.filter(assessment=assessment).update(withdrawn_at=None)
        Evidence.objects.filter(assessment=assessment).delete()
        ReviewEvent.objects.filter(assessment=assessment).delete()
        before = stored_files()
        results, errors = race(upload("a.pdf"), upload("b.pdf"))
        assert errors == []
        added = [e for attached in results for e in attached.added]
        refusals = [r for attached in results for r in attached.refused]
        assert len(added) == 1 and len(refusals) == 1, refusals
        refused = {"a.pdf", "b.pdf"} - {added[0].original_name}
        assert refusals[0].startswith(f"“{refused.pop()}”")  # in the dossier already
        assert Evidence.objects.filter(assessment=assessment).count() == 1
        # The refused copy's file is not left behind.
        kept = Path(settings.PRIVATE_MEDIA_ROOT) / added[0].file.name
        assert stored_files() - before == {kept}


def test_two_deciders_at_once_exactly_one_wins(province):
    from tests.assessments.test_recognition import complete

    enrolment = complete(province)
    leader = member(Membership.Role.PROVINCIAL_LEADER, province=province)
    proposal = workflow.propose(enrolment, actor=leader)
    first = member(Membership.Role.MINISTRY_REVIEWER)
    second = member(Membership.Role.MINISTRY_REVIEWER, province=province)
    criterion = enrolment.criteria_set.criteria.get(number=5)
    results, errors = race(
        lambda: workflow.accept(proposal, actor=first),
        lambda: workflow.return_proposal(
            proposal, actor=second, reason="Thiếu", criteria=[criterion]
        ),
    )
    assert len(results) == 1 and len(errors) == 1
    steps = RecognitionEvent.objects.filter(action__in=["accept", "return"])
    assert steps.count() == 1
    proposal.refresh_from_db()
    assert proposal.decided_by == steps.get().actor
    assert proposal.decided_by.get_username() in errors[0].message
    returned = enrolment.assessments.filter(status="returned").count()
    assert returned == (1 if proposal.status == "returned" else 0)


def test_a_revoke_racing_a_proposal_leaves_no_frozen_gap(province, reviewer):
    """Either the revoke lands first (and the proposal is refused as
    incomplete) or the proposal does (and the revoke is refused)."""
    from tests.assessments.test_recognition import complete

    enrolment = complete(province)
    leader = member(Membership.Role.PROVINCIAL_LEADER, province=province)
    approved = enrolment.assessments.get(criterion__number=3)
    results, errors = race(
        lambda: workflow.propose(enrolment, actor=leader),
        lambda: workflow.revoke(approved, actor=reviewer, reason="Sai số liệu"),
    )
    assert len(results) == 1 and len(errors) == 1
    approved.refresh_from_db()
    enrolment.refresh_from_db()
    proposed = enrolment.stage == "proposed"
    assert proposed == (approved.status == "approved")
    assert RecognitionEvent.objects.filter(action="propose").count() == int(proposed)


def test_two_dossiers_entering_last_years_figure_at_once_one_wins(enrolment, officer):
    """2025's dossier and 2026's (to compare with) enter 2025's figure for
    the same period at the same moment: the ward's row serialises them, and
    the second is told it is entered already."""
    import datetime as dt
    from decimal import Decimal

    from assessments.models import IndicatorValue
    from criteria.models import Indicator
    from tests.factories import EnrolmentFactory

    this_year = enrolment.assessments.get(criterion__number=1)
    indicator = Indicator.objects.create(
        criterion=this_year.criterion,
        code="crimes",
        name="Số vụ",
        rule="change_below",
        target=0,
    )
    last_year = EnrolmentFactory(
        ward=enrolment.ward, criteria_set=enrolment.criteria_set, year=2025
    ).assessments.get(criterion__number=1)

    def enter(assessment, value):
        return lambda: workflow.enter_value(
            assessment,
            indicator=indicator,
            period_end=dt.date(2025, 9, 30),
            value=Decimal(value),
            source="Báo cáo 9 tháng 2025",
            actor=officer,
        )

    results, errors = race(enter(last_year, 11), enter(this_year, 99))
    assert len(results) == 1 and len(errors) == 1
    assert "không sửa được nữa" in errors[0].message  # no longer changed
    (figure,) = IndicatorValue.objects.all()
    events = ReviewEvent.objects.filter(action="enter_value")
    assert events.count() == 1
    assert str(figure.value.normalize()) in events.get().comment
