"""E-mails about review events, sent by Django's tasks framework."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.tasks import task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from access import people
from access.models import Membership
from core.mail import send_text_mail

from .models import RecognitionEvent, ReviewEvent

Action = ReviewEvent.Action
Step = RecognitionEvent.Action
logger = logging.getLogger(__name__)


def recipients_for(event: ReviewEvent) -> list[str]:
    """Who hears of an event: reviewers of a submission, the ward otherwise."""
    assessment = event.assessment
    ward = assessment.enrolment.ward
    if event.action == Action.SUBMIT:
        memberships = Membership.objects.reviewers_for(
            province_id=ward.province_id, group_id=assessment.criterion.group_id
        )
    else:
        memberships = Membership.objects.officers_of(ward.pk)
    emails = memberships.filter(user__is_active=True).exclude(user__email="")
    return sorted(set(emails.values_list("user__email", flat=True)))


@task
def notify_event(event_id: int, attempt: int = 1) -> int:
    """Send the e-mail for one review event; returns how many were addressed.

    Runs in the task worker. When the mail server fails or does not answer
    (within EMAIL_TIMEOUT), the mail is enqueued again after the next of
    MAIL_RETRY_MINUTES; after the last, the task fails and its result records
    why (the admin's task results).
    """
    event = ReviewEvent.objects.select_related(
        "actor", "assessment__enrolment__ward__province", "assessment__criterion"
    ).get(pk=event_id)
    recipients = recipients_for(event)
    if not recipients:
        return 0
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
        lines += [
            "",
            _("Open it: %(url)s")
            % {"url": settings.SITE_URL + assessment.get_absolute_url()},
        ]
    return _deliver(notify_event, event_id, attempt, subject, lines, recipients)


def _deliver(job, event_id: int, attempt: int, subject, lines, recipients) -> int:
    """Send one mail; on a mail server's fault, enqueue `job` again after the
    next of MAIL_RETRY_MINUTES, and after the last let the task fail."""
    try:
        send_text_mail(subject, "\n".join(lines), recipients)
    except (OSError, smtplib.SMTPException) as exc:
        delays = settings.MAIL_RETRY_MINUTES
        if attempt > len(delays):
            logger.error(
                "Mail for event %s failed %d times: %s", event_id, attempt, exc
            )
            raise
        wait = dt.timedelta(minutes=delays[attempt - 1])
        logger.warning(
            "Mail for event %s failed (%s); trying again in %s.", event_id, exc, wait
        )
        job.using(run_after=timezone.now() + wait).enqueue(
            event_id=event_id, attempt=attempt + 1
        )
        return 0
    return len(recipients)


def recognition_recipients(event: RecognitionEvent) -> list[str]:
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
    emails = (
        memberships.filter(user__is_active=True)
        .exclude(user__email="")
        .exclude(user=event.actor_id)
    )
    return sorted(set(emails.values_list("user__email", flat=True)))


@task
def notify_recognition(event_id: int, attempt: int = 1) -> int:
    """Send the e-mail for one step towards recognition (see `notify_event`)."""
    event = RecognitionEvent.objects.select_related(
        "actor", "enrolment__ward__province", "proposal", "decision"
    ).get(pk=event_id)
    recipients = recognition_recipients(event)
    if not recipients:
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
    return _deliver(notify_recognition, event_id, attempt, subject, lines, recipients)
