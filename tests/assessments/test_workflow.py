import datetime as dt

import pytest

from access.models import Membership
from assessments import workflow
from assessments.models import Assessment, Evidence, ReviewEvent
from tests.factories import add_file, member

Status = Assessment.Status
Action = ReviewEvent.Action
pytestmark = pytest.mark.usefixtures("english")


def perform(action, assessment, officer, reviewer):
    if action == Action.ADD_EVIDENCE:
        return add_file(assessment, officer, name="new.pdf", content=b"%PDF-1.4 new")
    if action == Action.WITHDRAW_EVIDENCE:
        evidence = assessment.evidence.filter(withdrawn_at=None).first()
        if evidence is None:  # nothing to withdraw yet: attach a row directly
            evidence = Evidence.objects.create(
                assessment=assessment,
                file="evidence/none.pdf",
                original_name="x.pdf",
                content_type="application/pdf",
                size=1,
                sha256="0" * 64,
                uploaded_by=officer,
            )
        return workflow.withdraw_evidence(evidence, actor=officer)
    if action == Action.SUBMIT:
        return workflow.submit(assessment, actor=officer)
    if action == Action.CLAIM:
        return workflow.claim(assessment, actor=reviewer)
    if action == Action.APPROVE:
        return workflow.approve(assessment, actor=reviewer)
    if action == Action.RETURN:
        return workflow.return_for_rework(assessment, actor=reviewer, reason="Lý do")
    return workflow.revoke(assessment, actor=reviewer, reason="Lý do")


EXPECTED = {
    # action: (statuses it may start from, status it leads to or None to stay)
    Action.ADD_EVIDENCE: (
        {"not_started", "in_progress", "returned"},
        "in_progress",
    ),
    Action.WITHDRAW_EVIDENCE: ({"not_started", "in_progress", "returned"}, None),
    Action.SUBMIT: ({"in_progress", "returned"}, "submitted"),
    Action.CLAIM: ({"submitted"}, None),
    Action.APPROVE: ({"submitted"}, "approved"),
    Action.RETURN: ({"submitted"}, "returned"),
    Action.REVOKE: ({"approved"}, "returned"),
}


@pytest.mark.parametrize("status", Status.values)
@pytest.mark.parametrize("action", list(EXPECTED))
@pytest.mark.django_db
def test_every_state_and_action(assessment, reach, officer, reviewer, status, action):
    reach(assessment, status)
    events_before = ReviewEvent.objects.count()
    allowed, target = EXPECTED[action]
    if status in allowed:
        perform(action, assessment, officer, reviewer)
        assessment.refresh_from_db()
        assert assessment.status == (target or status)
        event = ReviewEvent.objects.latest("pk")
        assert ReviewEvent.objects.count() == events_before + 1
        assert (event.action, event.from_status, event.to_status) == (
            action,
            status,
            assessment.status,
        )
    else:
        with pytest.raises(workflow.WorkflowError, match="so this can no longer"):
            perform(action, assessment, officer, reviewer)
        assessment.refresh_from_db()
        assert assessment.status == status
        assert ReviewEvent.objects.count() == events_before


@pytest.mark.django_db
def test_submitting_needs_evidence(assessment, reach, officer):
    evidence = add_file(assessment, officer)
    workflow.withdraw_evidence(evidence, actor=officer)
    with pytest.raises(workflow.WorkflowError, match="at least one piece"):
        workflow.submit(assessment, actor=officer)


@pytest.mark.django_db
def test_returning_and_revoking_need_a_reason(assessment, reach, reviewer):
    reach(assessment, Status.SUBMITTED)
    with pytest.raises(workflow.WorkflowError, match="Give the reason"):
        workflow.return_for_rework(assessment, actor=reviewer, reason="   ")
    workflow.approve(assessment, actor=reviewer)
    with pytest.raises(workflow.WorkflowError, match="Give the reason"):
        workflow.revoke(assessment, actor=reviewer, reason="")
    assessment.refresh_from_db()
    assert assessment.status == Status.APPROVED


@pytest.mark.django_db
def test_a_return_is_answered_by_evidence_and_a_new_submission(
    assessment, reach, officer, reviewer
):
    reach(assessment, Status.RETURNED)
    add_file(assessment, officer, name="bo-sung.pdf", content=b"%PDF-1.4 more")
    assessment.refresh_from_db()
    assert assessment.status == Status.IN_PROGRESS
    workflow.submit(assessment, actor=officer)
    workflow.approve(assessment, actor=reviewer, comment="Đạt")
    actions = list(assessment.events.values_list("action", flat=True))
    assert actions == [
        "add_evidence",
        "submit",
        "return",
        "add_evidence",
        "submit",
        "approve",
    ]


@pytest.mark.django_db
def test_year_end_criteria_wait_for_the_window(enrolment, officer, settings):
    assessment = enrolment.assessments.get(criterion__number=2)
    assessment.criterion.assessed = "year_end"
    assessment.criterion.save()
    add_file(assessment, officer)
    settings.YEAR_END_WINDOW_DATES = [f"{enrolment.year + 1}-01-01"]
    settings.YEAR_END_WINDOW_OPENS = "12-31"
    with pytest.raises(workflow.WorkflowError, match="assessed at year end"):
        workflow.submit(assessment, actor=officer)
    settings.YEAR_END_WINDOW_DATES = [f"{enrolment.year}-01-01"]
    workflow.submit(assessment, actor=officer)
    assert workflow.year_end_window_opens(enrolment.year) == dt.date(
        enrolment.year, 1, 1
    )


@pytest.mark.django_db
def test_a_claim_by_a_colleague_is_refused(assessment, reach, reviewer, province):
    colleague = member(Membership.Role.REVIEWER, province=province)
    reach(assessment, Status.SUBMITTED)
    workflow.claim(assessment, actor=reviewer)
    with pytest.raises(workflow.WorkflowError, match="already claimed"):
        workflow.claim(assessment, actor=colleague)


@pytest.mark.django_db
def test_roles_cannot_take_each_others_actions(
    assessment, reach, officer, reviewer, leader, national
):
    reach(assessment, Status.IN_PROGRESS)
    for user in (reviewer, leader, national):
        with pytest.raises(workflow.NotAllowed):
            workflow.submit(assessment, actor=user)
    workflow.submit(assessment, actor=officer)
    for user in (officer, leader, national):
        with pytest.raises(workflow.NotAllowed):
            workflow.approve(assessment, actor=user)


@pytest.mark.django_db
def test_a_reviewer_limited_to_groups_decides_only_those(enrolment, officer, province):
    first = enrolment.assessments.get(criterion__number=1)
    last = enrolment.assessments.get(criterion__number=22)
    limited = member(
        Membership.Role.REVIEWER, province=province, groups=[first.criterion.group]
    )
    for assessment in (first, last):
        add_file(assessment, officer, name=f"{assessment.pk}.pdf")
        workflow.submit(assessment, actor=officer)
    workflow.approve(first, actor=limited)
    with pytest.raises(workflow.NotAllowed):
        workflow.approve(last, actor=limited)


@pytest.mark.django_db
def test_a_reviewer_of_another_province_cannot_decide(
    assessment, reach, other_province
):
    stranger = member(Membership.Role.REVIEWER, province=other_province)
    reach(assessment, Status.SUBMITTED)
    with pytest.raises(workflow.NotAllowed):
        workflow.approve(assessment, actor=stranger)


@pytest.mark.django_db
def test_the_refusal_says_who_changed_it(assessment, reach, reviewer, province):
    colleague = member(
        Membership.Role.REVIEWER, province=province, first_name="Lan", last_name="Lê"
    )
    reach(assessment, Status.SUBMITTED)
    workflow.approve(assessment, actor=colleague)
    with pytest.raises(workflow.WorkflowError) as caught:
        workflow.return_for_rework(assessment, actor=reviewer, reason="Thiếu")
    assert "Approved" in caught.value.message
    assert "Lê Lan" in caught.value.message  # family name first


@pytest.mark.django_db
def test_approved_criteria_count_towards_progress(assessment, reach, reviewer):
    from assessments.models import Enrolment

    reach(assessment, Status.APPROVED)
    progress = Enrolment.objects.with_progress().get(pk=assessment.enrolment_id)
    assert progress.progress == "1/22"
    workflow.revoke(assessment, actor=reviewer, reason="Sai số liệu")
    progress = Enrolment.objects.with_progress().get(pk=assessment.enrolment_id)
    assert progress.progress == "0/22"


@pytest.mark.django_db
def test_nobody_decides_their_own_submission(assessment, province, officer):
    both = member(Membership.Role.REVIEWER, province=province)
    Membership.objects.create(
        user=both, role=Membership.Role.OFFICER, ward=assessment.enrolment.ward
    )
    add_file(assessment, both)
    workflow.submit(assessment, actor=both)
    with pytest.raises(workflow.WorkflowError, match="another reviewer"):
        workflow.approve(assessment, actor=both)
    with pytest.raises(workflow.WorkflowError, match="another reviewer"):
        workflow.return_for_rework(assessment, actor=both, reason="x")
