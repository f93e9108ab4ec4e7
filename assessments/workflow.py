"""The review workflow: every change of an assessment's status happens here.

Each transition is one transaction that locks the assessment row, checks who
may act and from which status, changes the row, and writes its ReviewEvent.
Notifications are enqueued only once that transaction has committed. Views,
the admin and commands call these functions; nothing else sets `status`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from access.people import display_name
from access.scope import scope_of

from .models import Assessment, Evidence, ReviewEvent

Status = Assessment.Status
Action = ReviewEvent.Action

# Where each action may start, and where it leads (None: the status stays).
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    Action.ADD_EVIDENCE: (
        frozenset({Status.NOT_STARTED, Status.IN_PROGRESS, Status.RETURNED}),
        Status.IN_PROGRESS,
    ),
    Action.WITHDRAW_EVIDENCE: (
        frozenset({Status.NOT_STARTED, Status.IN_PROGRESS, Status.RETURNED}),
        None,
    ),
    Action.SUBMIT: (frozenset({Status.IN_PROGRESS, Status.RETURNED}), Status.SUBMITTED),
    Action.CLAIM: (frozenset({Status.SUBMITTED}), None),
    Action.APPROVE: (frozenset({Status.SUBMITTED}), Status.APPROVED),
    Action.RETURN: (frozenset({Status.SUBMITTED}), Status.RETURNED),
    Action.REVOKE: (frozenset({Status.APPROVED}), Status.RETURNED),
}
OFFICER_ACTIONS = {Action.ADD_EVIDENCE, Action.WITHDRAW_EVIDENCE, Action.SUBMIT}
REVIEWER_ACTIONS = {Action.CLAIM, Action.APPROVE, Action.RETURN, Action.REVOKE}
NOTIFY_ACTIONS = {Action.SUBMIT, Action.APPROVE, Action.RETURN, Action.REVOKE}


class WorkflowError(Exception):
    """An action that is refused; `message` says why, in the user's language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotAllowed(WorkflowError):
    """The user's role or scope does not allow the action."""


class DuplicateEvidence(WorkflowError):
    """The same content is in the dossier already."""


@dataclass(frozen=True)
class Outcome:
    assessment: Assessment
    event: ReviewEvent


def may(user: Any, action: str, assessment: Assessment) -> bool:
    """Whether `user`'s memberships allow `action` on `assessment` at all."""
    scope = scope_of(user)
    ward = assessment.enrolment.ward
    if action in OFFICER_ACTIONS:
        return scope.is_officer_of(ward.pk)
    if action in REVIEWER_ACTIONS:
        return scope.reviews_group(ward.province_id, assessment.criterion.group_id)
    return False


def available_actions(user: Any, assessment: Assessment) -> set[str]:
    """The actions `user` could take on `assessment` as it stands now."""
    return {
        action
        for action, (sources, _target) in TRANSITIONS.items()
        if assessment.status in sources and may(user, action, assessment)
    }


def year_end_window_opens(year: int) -> dt.date:
    """The first day on which year-end criteria of `year` may be submitted."""
    for text in settings.YEAR_END_WINDOW_DATES:
        day = dt.date.fromisoformat(text)
        if day.year == year:
            return day
    month, day_of_month = (
        int(part) for part in settings.YEAR_END_WINDOW_OPENS.split("-")
    )
    return dt.date(year, month, day_of_month)


def submit(assessment: Assessment, *, actor: Any) -> Outcome:
    """Send a criterion's dossier for review; its evidence is locked from now."""

    def check(locked: Assessment) -> None:
        if not locked.evidence.filter(withdrawn_at=None).exists():
            raise WorkflowError(
                _("Attach at least one piece of evidence before submitting.")
            )
        if locked.criterion.year_end_only:
            opens = year_end_window_opens(locked.enrolment.year)
            if timezone.localdate() < opens:
                raise WorkflowError(
                    _(
                        "This criterion is assessed at year end; it can be "
                        "submitted from %(date)s."
                    )
                    % {"date": date_format(opens, "SHORT_DATE_FORMAT")}
                )

    def change(locked: Assessment, now: dt.datetime) -> None:
        locked.submitted_by = actor
        locked.submitted_at = now
        locked.reviewer = None
        locked.claimed_at = None

    return _transition(assessment, Action.SUBMIT, actor, check=check, change=change)


def claim(assessment: Assessment, *, actor: Any) -> Outcome:
    """Mark a pending item as taken by this reviewer, so colleagues see it."""

    def check(locked: Assessment) -> None:
        if locked.reviewer_id and locked.reviewer_id != actor.pk:
            raise WorkflowError(
                _("%(name)s has already claimed this criterion.")
                % {"name": display_name(locked.reviewer)}
            )

    def change(locked: Assessment, now: dt.datetime) -> None:
        locked.reviewer = actor
        locked.claimed_at = now

    return _transition(assessment, Action.CLAIM, actor, check=check, change=change)


def approve(assessment: Assessment, *, actor: Any, comment: str = "") -> Outcome:
    """Approve a submitted criterion; it now counts towards the ward's progress."""
    return _transition(
        assessment,
        Action.APPROVE,
        actor,
        comment=comment,
        check=_not_own_submission(actor),
        change=_decided(actor),
    )


def return_for_rework(assessment: Assessment, *, actor: Any, reason: str) -> Outcome:
    """Send a submitted criterion back to the ward, saying why."""
    return _transition(
        assessment,
        Action.RETURN,
        actor,
        comment=_required_reason(reason),
        check=_not_own_submission(actor),
        change=_decided(actor),
    )


def revoke(assessment: Assessment, *, actor: Any, reason: str) -> Outcome:
    """Withdraw an earlier approval; the criterion goes back to the ward."""
    return _transition(
        assessment,
        Action.REVOKE,
        actor,
        comment=_required_reason(reason),
        change=_decided(actor),
    )


def record_evidence(evidence: Evidence, *, actor: Any) -> Outcome:
    """Log a new piece of evidence; called by `services.attach_evidence`.

    Must run inside the transaction that creates the Evidence row, so that a
    refused transition leaves no row behind. The same content already in the
    dossier is refused here, under the assessment's lock, so two copies sent
    at the same moment cannot both get in.
    """

    def check(locked: Assessment) -> None:
        twin = (
            locked.evidence.filter(withdrawn_at=None, sha256=evidence.sha256)
            .only("original_name")
            .first()
        )
        if twin is not None:
            raise DuplicateEvidence(
                _(
                    "“%(name)s” is already in this dossier as “%(existing)s”; "
                    "it was not added again."
                )
                % {"name": evidence.original_name, "existing": twin.original_name}
            )

    return _transition(
        evidence.assessment,
        Action.ADD_EVIDENCE,
        actor,
        comment=evidence.original_name,
        check=check,
        before_change=lambda locked: _attach(evidence, locked),
    )


def withdraw_evidence(evidence: Evidence, *, actor: Any) -> Outcome:
    """Take a piece of evidence out of the dossier. It is kept, never deleted."""

    def check(locked: Assessment) -> None:
        current = Evidence.objects.select_for_update().get(pk=evidence.pk)
        if current.assessment_id != locked.pk:
            raise NotAllowed(_("This evidence belongs to another criterion."))
        if current.withdrawn_at is not None:
            raise WorkflowError(_("This evidence has already been withdrawn."))

    def change(locked: Assessment, now: dt.datetime) -> None:
        Evidence.objects.filter(pk=evidence.pk).update(
            withdrawn_at=now, withdrawn_by=actor
        )

    return _transition(
        evidence.assessment,
        Action.WITHDRAW_EVIDENCE,
        actor,
        comment=evidence.original_name,
        check=check,
        change=change,
    )


def _transition(
    assessment: Assessment,
    action: str,
    actor: Any,
    *,
    comment: str = "",
    check=None,
    change=None,
    before_change=None,
) -> Outcome:
    sources, target = TRANSITIONS[action]
    with transaction.atomic():
        # Only inner joins here: PostgreSQL re-reads a row that was locked by
        # another transaction, but not the outer-joined rows (the reviewer).
        locked = (
            Assessment.objects.select_for_update(of=("self",))
            .select_related("enrolment__ward", "criterion")
            .get(pk=assessment.pk)
        )
        if not may(actor, action, locked):
            raise NotAllowed(_("You are not allowed to do this."))
        if locked.status not in sources:
            raise WorkflowError(_refusal(action, locked))
        if check is not None:
            check(locked)
        if before_change is not None:
            before_change(locked)
        now = timezone.now()
        from_status = locked.status
        if change is not None:
            change(locked, now)
        if target is not None:
            locked.status = target
        locked.save()
        event = ReviewEvent.objects.create(
            assessment=locked,
            actor=actor,
            action=action,
            from_status=from_status,
            to_status=locked.status,
            comment=comment,
            created_at=now,
        )
        if action in NOTIFY_ACTIONS:
            from .notifications import notify_event

            transaction.on_commit(lambda: notify_event.enqueue(event_id=event.pk))
    assessment.refresh_from_db()
    return Outcome(assessment=locked, event=event)


def _attach(evidence: Evidence, locked: Assessment) -> None:
    evidence.assessment = locked
    evidence.save()


def _not_own_submission(actor: Any):
    def check(locked: Assessment) -> None:
        if locked.submitted_by_id == actor.pk:
            raise WorkflowError(
                _("You submitted this criterion; another reviewer must decide it.")
            )

    return check


def _decided(actor: Any):
    def change(locked: Assessment, now: dt.datetime) -> None:
        locked.reviewer = actor
        locked.decided_at = now

    return change


def _required_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError(_("Give the reason, so the ward knows what to fix."))
    return reason


def _refusal(action: str, locked: Assessment) -> str:
    """Why `action` cannot happen now, naming who changed the item last."""
    last = (
        locked.events.select_related("actor")
        .exclude(action__in=[Action.CLAIM])
        .order_by("-created_at", "-pk")
        .first()
    )
    message = _(
        "This criterion is now “%(status)s”, so this can no longer be done."
    ) % {"status": locked.get_status_display()}
    if last is not None:
        message += " " + _("Last change: %(action)s by %(name)s at %(time)s.") % {
            "action": last.get_action_display(),
            "name": display_name(last.actor),
            "time": date_format(
                timezone.localtime(last.created_at), "SHORT_DATETIME_FORMAT"
            ),
        }
    return message
