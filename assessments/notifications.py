"""Who is told of review and recognition events: in their bell, and by
e-mail as each chose (`notifications.services`); run in the task worker."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.tasks import task
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from access import people
from access.models import Membership
from notifications.models import Kind
from notifications.services import notify, send_mail_for

from .models import RecognitionEvent, ReviewEvent

Action = ReviewEvent.Action
SUBJECT_PREFIX = "[Kiểu Mẫu] "
Step = RecognitionEvent.Action
logger = logging.getLogger(__name__)


def recipients_for(event: ReviewEvent) -> list[str]:
    """The e-mail addresses of those who hear of an event."""
    return _addresses(_review_memberships(event))


def _addresses(memberships) -> list[str]:
    emails = memberships.filter(user__is_active=True).exclude(user__email="")
    return sorted(set(emails.values_list("user__email", flat=True)))


def _people(memberships) -> list:
    User = get_user_model()
    return list(User.objects.filter(pk__in=memberships.values("user"), is_active=True))


def _review_memberships(event: ReviewEvent):
    """Who hears of an event: reviewers of a submission; otherwise the
    ward's officers and the contributors of the body that carries the
    criterion out."""
    assessment = event.assessment
    ward = assessment.enrolment.ward
    if event.action == Action.SUBMIT:
        memberships = Membership.objects.reviewers_for(
            province_id=ward.province_id, group_id=assessment.criterion.group_id
        )
    else:
        memberships = Membership.objects.officers_of(
            ward.pk
        ) | Membership.objects.contributors_of(
            ward.pk, assessment.criterion.responsible_body
        )
    return memberships


@dataclass(frozen=True)
class Message:
    """What the people told of an event read: in their bell and by e-mail."""

    told: list
    subject: str
    lines: list[str]
    url: str


def review_message(event: ReviewEvent) -> Message:
    """The message of a review event, in the site's language."""
    assessment = event.assessment
    ward = assessment.enrolment.ward
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[Kiểu Mẫu] %(ward)s, criterion %(number)d: %(action)s") % {
            "ward": ward.name,
            "number": assessment.criterion.number,
            "action": event.get_action_display(),
        }
        lines = [
            _("%(name)s %(action)s criterion %(number)d of %(ward)s (%(year)d).")
            % {
                "name": people.person(event.actor),
                "action": event.get_action_display(),
                "number": assessment.criterion.number,
                "ward": f"{ward.name}, {ward.province.name}",
                "year": assessment.enrolment.year,
            },
            "",
            assessment.criterion.title,
        ]
        if event.comment:
            lines += ["", _("Reason: %(reason)s") % {"reason": event.comment}]
        url = assessment.get_absolute_url()
        lines += ["", _("Open it: %(url)s") % {"url": settings.SITE_URL + url}]
    return Message(_people(_review_memberships(event)), subject, lines, url)


def put_in_bells(event: ReviewEvent) -> None:
    """Put a review event in the bells of those it concerns, with no e-mail:
    for events written without the workflow (the demo's past)."""
    message = review_message(event)
    notify(
        message.told,
        kind=Kind.REVIEW,
        key=f"{notify_event.name}:{event.pk}",
        title=message.subject.removeprefix(SUBJECT_PREFIX),
        body="\n".join(message.lines[:-2]).strip(),
        url=message.url,
    )


@task
def notify_event(event_id: int, attempt: int = 1) -> int:
    """Tell of one review event: in the bells of those it concerns, and by
    e-mail to those who want it at once; returns how many were e-mailed.

    Runs in the task worker. When the mail server fails or does not answer
    (within EMAIL_TIMEOUT), the mail is enqueued again after the next of
    MAIL_RETRY_MINUTES; after the last, the task fails and its result records
    why (the admin's task results).
    """
    event = ReviewEvent.objects.select_related(
        "actor", "assessment__enrolment__ward__province", "assessment__criterion"
    ).get(pk=event_id)
    message = review_message(event)
    if not message.told:
        return 0
    return _tell(notify_event, event_id, attempt, message, kind=Kind.REVIEW)


def _tell(job, event_id: int, attempt: int, message: Message, *, kind: str) -> int:
    """Put the event in each person's bell (once), then e-mail those who
    want it at once; a mail server's fault enqueues `job` again (see
    `notifications.services.send_mail_for`)."""
    key = f"{job.name}:{event_id}"
    notify(
        message.told,
        kind=kind,
        key=key,
        title=message.subject.removeprefix(SUBJECT_PREFIX),
        # The bell shows the link itself: the text without "Open it: …".
        body="\n".join(message.lines[:-2]).strip(),
        url=message.url,
    )
    return send_mail_for(
        key,
        message.subject,
        message.lines,
        retry=job,
        retry_kwargs={"event_id": event_id},
        attempt=attempt,
    )


def recognition_recipients(event: RecognitionEvent) -> list[str]:
    """The e-mail addresses of those who hear of a step towards recognition."""
    return _addresses(_recognition_memberships(event))


def _recognition_memberships(event: RecognitionEvent):
    """Who hears of a step towards recognition: the level above of a
    proposal; the province's leaders and the ward's officers of the rest."""
    enrolment = event.enrolment
    ward = enrolment.ward
    if event.action == Step.PROPOSE:
        memberships = (
            Membership.objects.ministry_reviewers_for(ward.province_id)
            if enrolment.track == "ministry"
            else Membership.objects.leaders_of(ward.province_id)
        )
    else:
        memberships = Membership.objects.leaders_of(
            ward.province_id
        ) | Membership.objects.officers_of(ward.pk)
    return memberships.exclude(user=event.actor_id)


@task
def notify_recognition(event_id: int, attempt: int = 1) -> int:
    """Send the e-mail for one step towards recognition (see `notify_event`)."""
    event = RecognitionEvent.objects.select_related(
        "actor", "enrolment__ward__province", "proposal", "decision"
    ).get(pk=event_id)
    told = _people(_recognition_memberships(event))
    if not told:
        return 0
    enrolment = event.enrolment
    ward = enrolment.ward
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[Kiểu Mẫu] %(ward)s, %(year)d: %(action)s") % {
            "ward": ward.name,
            "year": enrolment.year,
            "action": event.get_action_display(),
        }
        lines = [
            _("%(name)s %(action)s: %(ward)s (%(year)d, %(track)s).")
            % {
                "name": people.person(event.actor),
                "action": event.get_action_display(),
                "ward": f"{ward.full_name}, {ward.province.name}",
                "year": enrolment.year,
                "track": enrolment.get_track_display(),
            },
        ]
        if event.comment:
            lines += ["", event.comment]
        url = (
            event.proposal.get_absolute_url()
            if event.proposal is not None
            else reverse("ward_detail", kwargs={"code": ward.code})
            + f"?year={enrolment.year}"
        )
        lines += ["", _("Open it: %(url)s") % {"url": settings.SITE_URL + url}]
    message = Message(told, subject, lines, url)
    return _tell(notify_recognition, event_id, attempt, message, kind=Kind.RECOGNITION)
