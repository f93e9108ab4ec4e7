"""E-mails about review events, sent by Django's tasks framework."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.utils import translation
from django.utils.translation import gettext as _

from access.models import Membership

from .models import ReviewEvent

Action = ReviewEvent.Action


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
def notify_event(event_id: int) -> int:
    """Send the e-mail for one review event; returns how many were addressed."""
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
                "name": event.actor.get_full_name() or event.actor.get_username(),
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
    send_mail(subject, "\n".join(lines), None, recipients)
    return len(recipients)
