import email.policy
import io

import pytest
from django.core import mail
from django.core.mail.backends import console
from django.tasks import default_task_backend

from access.models import Membership
from assessments import workflow
from core.mail import TextMail
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


@pytest.mark.django_db
def test_the_mail_as_sent_reads_as_written(
    submitted, officer, reviewer, settings, django_capture_on_commit_callbacks
):
    """Console, file and SMTP see the Vietnamese text itself, not base64."""
    settings.TASKS = IMMEDIATE
    workflow.submit(submitted, actor=officer)
    reason = "Thiếu biên bản có chữ ký và đóng dấu của Công an phường. " * 3
    with django_capture_on_commit_callbacks(execute=True):
        workflow.return_for_rework(submitted, actor=reviewer, reason=reason)
    (message,) = mail.outbox
    for policy in (email.policy.default, email.policy.SMTP):
        sent = message.message(policy=policy).as_bytes()
        assert b"Content-Transfer-Encoding: 8bit" in sent
        assert reason.strip().encode() in sent
        assert "Xem chi tiết".encode() in sent  # the words of the mail itself
    # What the development console prints.
    stream = io.StringIO()
    console.EmailBackend(stream=stream).send_messages([message])
    assert reason.strip() in stream.getvalue()


def test_a_line_too_long_for_8_bit_goes_quoted_printable():
    line = "Biên bản " * 200  # 2,000 bytes on one line
    sent = TextMail("Biên bản", line, None, ["a@x.invalid"]).message().as_bytes()
    assert b"Content-Transfer-Encoding: quoted-printable" in sent
    assert max(len(row) for row in sent.splitlines()) <= 998
