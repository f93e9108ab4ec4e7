import pytest
from django.core import mail
from django.tasks import default_task_backend

from access.models import Membership
from assessments import workflow
from tests.factories import add_file, member

DUMMY = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def submitted(enrolment, officer):
    assessment = enrolment.assessments.get(criterion__number=1)
    add_file(assessment, officer)
    return assessment


@pytest.mark.django_db
def test_notifications_are_enqueued_only_after_commit(
    submitted, officer, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DUMMY
    default_task_backend.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        workflow.submit(submitted, actor=officer)
        assert default_task_backend.results == []
    assert len(callbacks) == 1
    callbacks[0]()
    (result,) = default_task_backend.results
    assert result.task.name == "notify_event"
    assert result.kwargs == {"event_id": submitted.events.latest("pk").pk}


@pytest.mark.django_db
def test_a_refused_transition_enqueues_nothing(
    submitted, officer, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DUMMY
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(workflow.WorkflowError),
    ):
        workflow.approve(
            submitted,
            actor=member(
                Membership.Role.REVIEWER, province=submitted.enrolment.ward.province
            ),
        )
    assert callbacks == []


@pytest.mark.django_db
def test_reviewers_of_the_province_hear_of_a_submission(
    submitted,
    officer,
    reviewer,
    other_province,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.TASKS = IMMEDIATE
    member(Membership.Role.REVIEWER, province=other_province, email="far@x.invalid")
    other_group = submitted.enrolment.criteria_set.groups.exclude(
        pk=submitted.criterion.group_id
    ).first()
    member(
        Membership.Role.REVIEWER,
        province=submitted.enrolment.ward.province,
        groups=[other_group],
        email="othergroup@x.invalid",
    )
    with django_capture_on_commit_callbacks(execute=True):
        workflow.submit(submitted, actor=officer)
    (message,) = mail.outbox
    assert message.to == [reviewer.email]
    assert submitted.enrolment.ward.name in message.subject
    assert f"/wards/{submitted.enrolment.ward.code}/" in message.body


@pytest.mark.django_db
def test_the_ward_hears_of_a_return_with_the_reason(
    submitted, officer, reviewer, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    workflow.submit(submitted, actor=officer)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.return_for_rework(
            submitted, actor=reviewer, reason="Thiếu biên bản có chữ ký"
        )
    (message,) = mail.outbox
    assert message.to == [officer.email]
    assert "Thiếu biên bản có chữ ký" in message.body
    mail.outbox.clear()
    workflow.submit(submitted, actor=officer)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.approve(submitted, actor=reviewer)
    assert [m.to for m in mail.outbox] == [[officer.email]]
