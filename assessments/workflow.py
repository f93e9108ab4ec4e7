"""The review workflow: every change of an assessment's status happens here.

Each transition is one transaction that locks the assessment row, checks who
may act and from which status, changes the row, and writes its ReviewEvent.
Notifications are enqueued only once that transaction has committed. Views,
the admin and commands call these functions; nothing else sets `status`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from access.people import display_name
from access.scope import scope_of
from criteria.models import Indicator
from deadlines.schedule import year_end_window_opens
from wards.models import Ward

from . import indicators, tally
from .models import (
    Assessment,
    Decision,
    Enrolment,
    Evidence,
    IndicatorValue,
    Proposal,
    RecognitionEvent,
    ReviewEvent,
    Track,
    decision_path,
)
from .uploads import HashingFile, UploadRefused, check_upload, clean_name
from .validity import Expiry

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
    # Only through `return_proposal`: the level above names the criterion.
    Action.REOPEN: (frozenset({Status.APPROVED}), Status.RETURNED),
    # While a file could be withdrawn, its validity date can be corrected.
    Action.SET_VALIDITY: (
        frozenset({Status.NOT_STARTED, Status.IN_PROGRESS, Status.RETURNED}),
        None,
    ),
    Action.CARRY_OVER: (
        frozenset({Status.NOT_STARTED, Status.IN_PROGRESS, Status.RETURNED}),
        Status.IN_PROGRESS,
    ),
    Action.CONFIRM_EVIDENCE: (
        frozenset({Status.NOT_STARTED, Status.IN_PROGRESS, Status.RETURNED}),
        None,
    ),
    Action.REPLACE_EVIDENCE: (
        frozenset({Status.NOT_STARTED, Status.IN_PROGRESS, Status.RETURNED}),
        Status.IN_PROGRESS,
    ),
    Action.ENTER_VALUE: (
        frozenset({Status.NOT_STARTED, Status.IN_PROGRESS, Status.RETURNED}),
        Status.IN_PROGRESS,
    ),
}
OFFICER_ACTIONS = {
    Action.ADD_EVIDENCE,
    Action.WITHDRAW_EVIDENCE,
    Action.SUBMIT,
    Action.SET_VALIDITY,
    Action.CARRY_OVER,
    Action.CONFIRM_EVIDENCE,
    Action.REPLACE_EVIDENCE,
    Action.ENTER_VALUE,
}
# A contributor (the ward's Party committee, People's Committee…) works on
# the criteria its body carries out; submitting stays with the officers.
CONTRIBUTOR_ACTIONS = {
    Action.ADD_EVIDENCE,
    Action.WITHDRAW_EVIDENCE,
    Action.SET_VALIDITY,
    Action.REPLACE_EVIDENCE,
    Action.ENTER_VALUE,
}
REVIEWER_ACTIONS = {Action.CLAIM, Action.APPROVE, Action.RETURN, Action.REVOKE}
# Taken by whoever decides the ward's proposal, never from the criterion page.
DECIDER_ACTIONS = {Action.REOPEN}
# The officers hear of a reopened criterion with the returned proposal.
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
        if scope.is_officer_of(ward.pk):
            return True
        return action in CONTRIBUTOR_ACTIONS and scope.contributes_to(
            ward.pk, assessment.criterion.responsible_body
        )
    if action in REVIEWER_ACTIONS:
        return scope.reviews_group(ward.province_id, assessment.criterion.group_id)
    if action in DECIDER_ACTIONS:
        return scope.decides(assessment.enrolment.track, ward.province_id)
    return False


def available_actions(user: Any, assessment: Assessment) -> set[str]:
    """The actions `user` could take on `assessment`'s page as it stands now."""
    if assessment.enrolment.is_frozen:
        return set()
    return {
        action
        for action, (sources, _target) in TRANSITIONS.items()
        if action not in DECIDER_ACTIONS
        and assessment.status in sources
        and may(user, action, assessment)
    }


def submit(assessment: Assessment, *, actor: Any) -> Outcome:
    """Send a criterion's dossier for review; its evidence is locked from now."""

    def check(locked: Assessment) -> None:
        current = list(
            locked.evidence.filter(withdrawn_at=None)
            .only("original_name", "valid_until", "carried_from", "confirmed_at")
            .order_by("uploaded_at", "pk")
        )
        if not current:
            raise WorkflowError(
                _("Attach at least one piece of evidence before submitting.")
            )
        unconfirmed = [e.original_name for e in current if e.needs_confirmation]
        if unconfirmed:
            raise WorkflowError(
                _(
                    "Confirm the evidence carried over from last year before "
                    "submitting, or withdraw it: %(names)s."
                )
                % {"names": "; ".join(f"“{name}”" for name in unconfirmed)}
            )
        today = timezone.localdate()
        expired = [
            (e.original_name, e.valid_until)
            for e in current
            if e.valid_until is not None and e.valid_until < today
        ]
        if expired:
            raise WorkflowError(
                _(
                    "Some evidence is no longer valid; withdraw it and add a "
                    "replacement before submitting: %(names)s."
                )
                % {
                    "names": "; ".join(
                        f"“{name}” ({Expiry(day, expired=True)})"
                        for name, day in expired
                    )
                }
            )
        missing = indicators.unmet(locked)
        if missing:
            raise WorkflowError(
                _("The criterion's indicators are not met: %(problems)s.")
                % {"problems": "; ".join(r.problem for r in missing)}
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
        _refuse_twin(locked, evidence)

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


def set_validity(
    evidence: Evidence, *, actor: Any, valid_until: dt.date | None
) -> Outcome:
    """Set or change how long a piece of evidence holds (None: no end), while
    it could still be withdrawn."""

    def check(locked: Assessment) -> None:
        _current_evidence(evidence, locked)

    def change(locked: Assessment, now: dt.datetime) -> None:
        Evidence.objects.filter(pk=evidence.pk).update(valid_until=valid_until)

    until = (
        date_format(valid_until, "SHORT_DATE_FORMAT")
        if valid_until
        else _("no end date")
    )
    return _transition(
        evidence.assessment,
        Action.SET_VALIDITY,
        actor,
        comment=_("%(name)s: valid until %(date)s")
        % {"name": evidence.original_name, "date": until},
        check=check,
        change=change,
    )


def carry_over_evidence(
    assessment: Assessment, *, sources: list[Evidence], actor: Any
) -> list[Evidence]:
    """Link last year's still-valid evidence into `assessment`'s dossier:
    one new row per file, pointing at the same stored file (never copied),
    to be confirmed before the criterion is submitted. Called by
    `carryover.carry_over`, which chooses `sources`.

    Content already in the dossier is skipped, under the assessment's lock;
    when nothing is left, WorkflowError. Last year's rows are not changed.
    """
    carried: list[Evidence] = []

    def check(locked: Assessment) -> None:
        today = timezone.localdate()
        present = set(
            locked.evidence.filter(withdrawn_at=None).values_list("sha256", flat=True)
        )
        for source in Evidence.objects.filter(pk__in=[s.pk for s in sources]):
            if source.sha256 in present or not source.is_current:
                continue
            if source.valid_until is not None and source.valid_until < today:
                continue
            present.add(source.sha256)
            carried.append(
                Evidence(
                    assessment=locked,
                    file=source.file.name,
                    original_name=source.original_name,
                    content_type=source.content_type,
                    size=source.size,
                    sha256=source.sha256,
                    description=source.description,
                    document_date=source.document_date,
                    valid_until=source.valid_until,
                    uploaded_by=actor,
                    carried_from=source,
                )
            )
        if not carried:
            raise WorkflowError(
                _("Nothing to carry over: these files are in the dossier already.")
            )

    def change(locked: Assessment, now: dt.datetime) -> None:
        for row in carried:
            row.uploaded_at = now
        Evidence.objects.bulk_create(carried)

    _transition(
        assessment,
        Action.CARRY_OVER,
        actor,
        comment=lambda: (
            _("From %(year)d: %(names)s")
            % {
                "year": assessment.enrolment.year - 1,
                "names": ", ".join(row.original_name for row in carried),
            }
        ),
        check=check,
        change=change,
    )
    return carried


def confirm_evidence(evidence: Evidence, *, actor: Any) -> Outcome:
    """An officer confirms that a file carried over from last year still
    stands for this year's dossier."""

    def check(locked: Assessment) -> None:
        current = _current_evidence(evidence, locked)
        if current.carried_from_id is None:
            raise WorkflowError(_("Only evidence carried over needs confirming."))
        if current.confirmed_at is not None:
            raise WorkflowError(_("This evidence has already been confirmed."))

    def change(locked: Assessment, now: dt.datetime) -> None:
        Evidence.objects.filter(pk=evidence.pk).update(
            confirmed_at=now, confirmed_by=actor
        )

    return _transition(
        evidence.assessment,
        Action.CONFIRM_EVIDENCE,
        actor,
        comment=evidence.original_name,
        check=check,
        change=change,
    )


def require_replacement(evidence: Evidence, *, actor: Any, note: str = "") -> Outcome:
    """A reviewer sends an approved or submitted criterion back because a
    piece of its evidence has expired or expires soon: a revocation (or a
    return) whose reason names the file and its date, so the ward adds a
    new one and submits again."""
    assessment = evidence.assessment
    approved = assessment.status == Status.APPROVED
    action = Action.REVOKE if approved else Action.RETURN

    def check(locked: Assessment) -> None:
        current = _current_evidence(evidence, locked)
        expiry = current.expiry
        if expiry is None:
            raise WorkflowError(
                _("“%(name)s” is not expiring; there is nothing to replace.")
                % {"name": current.original_name}
            )
        if action == Action.RETURN:
            _not_own_submission(actor)(locked)

    expiry = evidence.expiry
    reason = _(
        "“%(name)s” %(expiry)s: add a replacement and submit the criterion again."
    ) % {"name": evidence.original_name, "expiry": expiry or _("is not expiring")}
    if note.strip():
        reason += "\n" + note.strip()
    return _transition(
        assessment,
        action,
        actor,
        comment=reason,
        check=check,
        change=_decided(actor),
    )


def enter_value(
    assessment: Assessment,
    *,
    indicator: Any,
    period_end: dt.date,
    value: Decimal,
    source: str,
    actor: Any,
    evidence: Evidence | None = None,
) -> Outcome:
    """Enter (or correct) a ward's figure for one of the criterion's
    indicators, for a period of this year ending on `period_end`, or of last
    year when none was entered then (to compare with).

    The event log keeps each figure entered, corrections with the old one.
    """
    source = source.strip()
    value = Decimal(str(value))
    before: list[Decimal] = []

    def check(locked: Assessment) -> None:
        year = locked.enrolment.year
        if indicator.criterion_id != locked.criterion_id:
            raise NotAllowed(_("This indicator belongs to another criterion."))
        if period_end.year not in (year - 1, year):
            raise WorkflowError(
                _(
                    "The period must end in %(year)d, or in %(previous)d for last "
                    "year's figure."
                )
                % {"year": year, "previous": year - 1}
            )
        if period_end > timezone.localdate():
            raise WorkflowError(_("The period has not ended yet."))
        if not source:
            raise WorkflowError(_("Say which document the figure comes from."))
        if evidence is not None and (
            evidence.assessment_id != locked.pk or evidence.withdrawn_at is not None
        ):
            raise WorkflowError(_("Choose a file of this criterion's dossier."))
        if value < 0 or (indicator.unit.strip() == "%" and value > 100):
            raise WorkflowError(
                _("A figure is not negative, and a percentage is at most 100.")
            )
        ward_id = locked.enrolment.ward_id
        # Figures are the ward's, whichever dossier enters them: the ward's
        # row serialises them (two dossiers of one ward, or a new figure
        # where no row exists yet to lock).
        Ward.objects.select_for_update().filter(pk=ward_id).first()
        if (
            Indicator.objects.filter(
                criterion__criteria_set_id=locked.enrolment.criteria_set_id,
                code=indicator.code,
            )
            .exclude(criterion_id=locked.criterion_id)
            .exists()
        ):
            # One figure, one criterion: never another body's through a code.
            raise NotAllowed(_("This indicator belongs to another criterion."))
        of_ward = IndicatorValue.objects.filter(ward_id=ward_id, code=indicator.code)
        # Last year's figures are entered once, when there are none: those
        # a dossier of last year was decided on never change.
        if (
            period_end.year < year
            and of_ward.filter(period_end__year=period_end.year).exists()
        ):
            raise WorkflowError(
                _(
                    "Last year's figures for this indicator are entered already; "
                    "they are no longer changed."
                )
            )
        existing = of_ward.filter(period_end=period_end).first()
        if existing is not None:
            if Enrolment.objects.filter(ward_id=ward_id, year__gt=year).exists():
                # Next year's dossier compares with it: it stands as it is.
                raise WorkflowError(
                    _(
                        "This figure is compared with by next year's dossier; "
                        "it is no longer changed."
                    )
                )
            before.append(existing.value)

    def change(locked: Assessment, now: dt.datetime) -> None:
        IndicatorValue.objects.update_or_create(
            ward_id=locked.enrolment.ward_id,
            code=indicator.code,
            period_end=period_end,
            defaults={
                "value": value,
                "source": source,
                "evidence": evidence,
                "entered_by": actor,
                "entered_at": now,
            },
        )

    def comment() -> str:
        shown = indicators.figure(value, indicator.unit)
        if before:
            shown = f"{indicators.figure(before[0], indicator.unit)} → {shown}"
        return _("%(name)s: %(value)s (to %(date)s; source: %(source)s)") % {
            "name": indicator.name,
            "value": shown,
            "date": date_format(period_end, "SHORT_DATE_FORMAT"),
            "source": source,
        }

    return _transition(
        assessment,
        Action.ENTER_VALUE,
        actor,
        comment=comment,
        check=check,
        change=change,
    )


def _current_evidence(evidence: Evidence, locked: Assessment) -> Evidence:
    """The evidence row, locked, if it is in `locked`'s dossier now."""
    current = Evidence.objects.select_for_update().get(pk=evidence.pk)
    if current.assessment_id != locked.pk:
        raise NotAllowed(_("This evidence belongs to another criterion."))
    if current.withdrawn_at is not None:
        raise WorkflowError(_("This evidence has been withdrawn."))
    return current


def replace_evidence(new: Evidence, old: Evidence, *, actor: Any) -> Outcome:
    """Put `new` in the dossier as the next version of `old`, which is
    withdrawn and kept as the earlier revision; called by
    `services.replace_evidence` inside the transaction that creates `new`.
    The same content as any current file is refused, as for an upload."""

    def check(locked: Assessment) -> None:
        current = Evidence.objects.select_for_update().get(pk=old.pk)
        if current.assessment_id != locked.pk:
            raise NotAllowed(_("This evidence belongs to another criterion."))
        if current.withdrawn_at is not None:
            raise WorkflowError(
                _("This evidence has been withdrawn or replaced already.")
            )
        _refuse_twin(locked, new)

    def attach(locked: Assessment) -> None:
        new.replaces = old
        _attach(new, locked)

    def change(locked: Assessment, now: dt.datetime) -> None:
        Evidence.objects.filter(pk=old.pk).update(withdrawn_at=now, withdrawn_by=actor)

    return _transition(
        old.assessment,
        Action.REPLACE_EVIDENCE,
        actor,
        comment=f"{old.original_name} → {new.original_name}",
        check=check,
        before_change=attach,
        change=change,
    )


def _transition(
    assessment: Assessment,
    action: str,
    actor: Any,
    *,
    comment: str | Callable[[], str] = "",
    check=None,
    change=None,
    before_change=None,
) -> Outcome:
    sources, target = TRANSITIONS[action]
    with transaction.atomic():
        # A change of status changes the ward's stored progress: its
        # enrolment is locked first, as a proposal locks it before the
        # assessments (`tally`).
        enrolment = tally.lock(assessment.enrolment_id) if target else None
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
        _refuse_if_frozen(locked.enrolment_id)
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
        if enrolment is not None:
            tally.changed(enrolment, locked, from_status)
        event = ReviewEvent.objects.create(
            assessment=locked,
            province_id=locked.enrolment.ward.province_id,
            actor=actor,
            action=action,
            from_status=from_status,
            to_status=locked.status,
            comment=comment() if callable(comment) else comment,
            created_at=now,
        )
        if action in NOTIFY_ACTIONS:
            from .notifications import notify_event

            transaction.on_commit(lambda: notify_event.enqueue(event_id=event.pk))
    assessment.refresh_from_db()
    return Outcome(assessment=locked, event=event)


def _refuse_if_frozen(enrolment_id: int) -> None:
    """Refuse while the ward is proposed, accepted or recognised.

    Read by its own statement once the assessment is locked: a proposal
    locks the enrolment and then every assessment, so this sees the stage
    that the proposal committed.
    """
    stage = Enrolment.objects.filter(pk=enrolment_id).values_list("stage", flat=True)
    if stage.get() != Enrolment.Stage.OPEN:
        raise WorkflowError(
            _(
                "This ward has been proposed for recognition: its dossier is "
                "frozen until the level above returns the proposal."
            )
        )


def _refuse_twin(locked: Assessment, evidence: Evidence) -> None:
    """Refuse `evidence` when its content is in the dossier already."""
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


# Recognition: a complete ward proposed, the proposal accepted or returned by
# the level above, and the decision. Each step locks the enrolment row first
# (several in the order of their keys), so two people deciding the same ward
# at once are served one after the other, and the second is told why not.

Stage = Enrolment.Stage
ProposalStatus = Proposal.Status
Step = RecognitionEvent.Action
NOTIFY_STEPS = {Step.PROPOSE, Step.ACCEPT, Step.RETURN, Step.DECIDE, Step.CORRECT}


def propose(enrolment: Enrolment, *, actor: Any, note: str = "") -> Proposal:
    """Put a ward whose every criterion is approved forward for recognition
    on its track. Its assessments are frozen while the proposal stands."""
    with transaction.atomic():
        locked = _lock_enrolments([enrolment.pk])[0]
        if not scope_of(actor).proposes_in(locked.ward.province_id):
            raise NotAllowed(_("You are not allowed to do this."))
        if locked.stage != Stage.OPEN:
            raise WorkflowError(
                _("%(ward)s is already “%(stage)s” for %(year)d.")
                % {
                    "ward": locked.ward.full_name,
                    "stage": locked.get_stage_display(),
                    "year": locked.year,
                }
            )
        assessments = list(
            Assessment.objects.select_for_update(of=("self",))
            .filter(enrolment=locked)
            .select_related("criterion")
            .order_by("criterion__number")
        )
        missing = [a for a in assessments if a.status != Status.APPROVED]
        if missing or not assessments:
            raise WorkflowError(
                _(
                    "Only a ward with every criterion approved can be proposed. "
                    "Not yet approved: %(list)s."
                )
                % {
                    "list": "; ".join(
                        f"{a.criterion.number} ({a.get_status_display()})"
                        for a in missing
                    )
                    or "—"
                }
            )
        now = timezone.now()
        proposal = Proposal.objects.create(
            enrolment=locked,
            track=locked.track,
            note=(note or "").strip(),
            proposed_by=actor,
            proposed_at=now,
        )
        _set_stage(locked, Stage.PROPOSED)
        _log(locked, actor, Step.PROPOSE, now, proposal=proposal, comment=proposal.note)
    return proposal


def accept(proposal: Proposal, *, actor: Any) -> Proposal:
    """The level above accepts a pending proposal; a decision follows."""
    with transaction.atomic():
        locked, current = _lock_proposal(proposal, actor)
        now = timezone.now()
        current.status = ProposalStatus.ACCEPTED
        current.decided_by = actor
        current.decided_at = now
        current.save(update_fields=["status", "decided_by", "decided_at"])
        _set_stage(locked, Stage.ACCEPTED)
        _log(locked, actor, Step.ACCEPT, now, proposal=current)
    return current


@dataclass
class Accepted:
    """What a bulk acceptance did: the proposals accepted, and why not the
    others (one line each, naming the ward)."""

    accepted: list[Proposal]
    refused: list[str]


def accept_many(proposals: list[Proposal], *, actor: Any) -> Accepted:
    """Accept each proposal on its own: one refused does not stop the rest."""
    result = Accepted([], [])
    for proposal in proposals:
        try:
            result.accepted.append(accept(proposal, actor=actor))
        except WorkflowError as exc:
            ward = proposal.enrolment.ward.full_name
            result.refused.append(f"{ward}: {exc.message}")
    return result


def return_proposal(
    proposal: Proposal, *, actor: Any, reason: str, criteria: list[Any]
) -> Proposal:
    """Send a proposal back, naming the criteria in question: exactly those
    are reopened (returned, with the reason); the others stay approved."""
    reason = _required_reason(reason)
    if not criteria:
        raise WorkflowError(_("Choose the criteria in question."))
    with transaction.atomic():
        locked, current = _lock_proposal(proposal, actor)
        named = list(
            Assessment.objects.filter(
                enrolment=locked, criterion__in=criteria
            ).order_by("criterion__number")
        )
        if len(named) != len({getattr(c, "pk", c) for c in criteria}):
            raise WorkflowError(_("These criteria are not in this ward's set."))
        now = timezone.now()
        current.status = ProposalStatus.RETURNED
        current.decided_by = actor
        current.decided_at = now
        current.reason = reason
        current.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        current.returned_criteria.set([a.criterion_id for a in named])
        # Open first: a reopen is an ordinary transition, refused while frozen.
        _set_stage(locked, Stage.OPEN)
        for assessment in named:
            _transition(
                assessment, Action.REOPEN, actor, comment=reason, change=_decided(actor)
            )
        numbers = ", ".join(str(a.criterion.number) for a in named)
        _log(
            locked,
            actor,
            Step.RETURN,
            now,
            proposal=current,
            comment=_("Criteria %(numbers)s: %(reason)s")
            % {"numbers": numbers, "reason": reason},
        )
    return current


@dataclass(frozen=True)
class DecisionText:
    """What the signed paper says: its number, date and signer."""

    number: str
    date: dt.date
    signer: str


def record_decision(
    *,
    track: str,
    year: int,
    text: DecisionText,
    scan: Any,
    proposals: list[Proposal],
    actor: Any,
    corrects: Decision | None = None,
    note: str = "",
) -> Decision:
    """Record the decision recognising accepted proposals, with its signed
    scan (a PDF, stored with its SHA-256 like evidence).

    A correcting decision (`corrects`) replaces one in force: it lists the
    wards as they should be, must say what it corrects, and the corrected one
    stays on record. A ward it no longer lists goes back to accepted.
    """
    number, signer = text.number.strip(), text.signer.strip()
    if not number or not signer or text.date is None:
        raise WorkflowError(_("Give the decision's number, date and signer."))
    if not proposals:
        raise WorkflowError(_("Choose the wards the decision recognises."))
    if corrects is not None and not note.strip():
        raise WorkflowError(_("Say what this decision corrects."))
    if scan is None:
        raise WorkflowError(_("Attach the signed scan of the decision (PDF)."))
    stored = _store_scan(scan)
    try:
        with transaction.atomic():
            decision = _decide(
                track,
                year,
                number,
                text.date,
                signer,
                stored,
                proposals,
                actor,
                corrects,
                note.strip(),
            )
    except BaseException:
        default_storage.delete(stored.name)
        raise
    return decision


@dataclass(frozen=True)
class _Scan:
    name: str
    original_name: str
    size: int
    sha256: str


def _store_scan(scan: Any) -> _Scan:
    try:
        kind = check_upload(scan)
    except UploadRefused as exc:
        raise WorkflowError(str(exc)) from exc
    if kind.name != "pdf":
        raise WorkflowError(_("The signed scan must be a PDF file."))
    original = clean_name(scan.name or "") or "quyet-dinh.pdf"
    hashing = HashingFile(scan, original)
    name = default_storage.save(decision_path(None, original), hashing)
    return _Scan(name, original, hashing.bytes_read, hashing.sha256)


def _decide(
    track, year, number, date, signer, scan: _Scan, proposals, actor, corrects, note
) -> Decision:
    scope = scope_of(actor)
    earlier: list[int] = []
    if corrects is not None:
        corrected = Decision.objects.select_for_update().get(pk=corrects.pk)
        if Decision.objects.filter(corrects=corrected).exists():
            raise WorkflowError(
                _(
                    "Decision %(number)s has been corrected already; "
                    "correct the one in force."
                )
                % {"number": corrected.number}
            )
        if (corrected.track, corrected.year) != (track, year):
            raise WorkflowError(
                _("A decision corrects one of the same level and year.")
            )
        earlier = list(corrected.enrolments.values_list("pk", flat=True))
    chosen = {p.enrolment_id for p in proposals}
    enrolments = {e.pk: e for e in _lock_enrolments(sorted(chosen | set(earlier)))}
    for pk in earlier:
        if not scope.decides(track, enrolments[pk].ward.province_id):
            raise NotAllowed(_("You are not allowed to do this."))
    current = list(
        Proposal.objects.select_for_update(of=("self",))
        .filter(pk__in=[p.pk for p in proposals])
        .select_related("enrolment__ward")
    )
    provinces = {p.enrolment.ward.province_id for p in current}
    province_id = None
    if track == Track.PROVINCE:
        if len(provinces) != 1:
            raise WorkflowError(
                _("A province's decision recognises wards of that province only.")
            )
        province_id = next(iter(provinces))
    for proposal in current:
        enrolment = enrolments[proposal.enrolment_id]
        ward = enrolment.ward.full_name
        if (
            not scope.decides(track, enrolment.ward.province_id)
            or proposal.track != track
        ):
            raise NotAllowed(
                _("You cannot record a decision for %(ward)s.") % {"ward": ward}
            )
        if enrolment.year != year:
            raise WorkflowError(
                _("%(ward)s was proposed for %(other)d, not %(year)d.")
                % {"ward": ward, "other": enrolment.year, "year": year}
            )
        already = enrolment.stage == Stage.RECOGNISED and enrolment.pk not in earlier
        if proposal.status != ProposalStatus.ACCEPTED or already:
            raise WorkflowError(
                _(
                    "%(ward)s is “%(stage)s”: a decision recognises only "
                    "accepted proposals that no decision in force lists."
                )
                % {"ward": ward, "stage": enrolment.get_stage_display()}
            )
    now = timezone.now()
    decision = Decision.objects.create(
        track=track,
        province_id=province_id,
        year=year,
        number=number,
        date=date,
        signer=signer,
        scan=scan.name,
        scan_name=scan.original_name,
        scan_size=scan.size,
        scan_sha256=scan.sha256,
        corrects=corrects,
        note=note,
        recorded_by=actor,
        recorded_at=now,
    )
    decision.proposals.set(current)
    step = Step.CORRECT if corrects is not None else Step.DECIDE
    by_enrolment = {p.enrolment_id: p for p in current}
    stage_before = {pk: enrolment.stage for pk, enrolment in enrolments.items()}
    for pk, enrolment in enrolments.items():
        if pk in by_enrolment:
            enrolment.stage, enrolment.decision = Stage.RECOGNISED, decision
            comment = _("Decision %(number)s of %(date)s") % {
                "number": number,
                "date": date_format(date, "SHORT_DATE_FORMAT"),
            }
        else:  # recognised by the corrected decision, not by this one
            enrolment.stage, enrolment.decision = Stage.ACCEPTED, None
            comment = _(
                "No longer recognised: decision %(number)s corrects %(old)s."
            ) % {
                "number": number,
                "old": corrects.number if corrects else "",
            }
        enrolment.save(update_fields=["stage", "decision"])
        tally.restaged(enrolment, stage_before[pk])
        _log(
            enrolment,
            actor,
            step,
            now,
            proposal=by_enrolment.get(pk),
            decision=decision,
            comment=comment,
        )
    return decision


def _lock_enrolments(ids: list[int]) -> list[Enrolment]:
    """Lock enrolment rows in the order of their keys (no deadlock)."""
    rows = list(
        Enrolment.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("ward")
        .order_by("pk")
    )
    if len(rows) != len(set(ids)):
        raise Enrolment.DoesNotExist
    return rows


def _lock_proposal(proposal: Proposal, actor: Any) -> tuple[Enrolment, Proposal]:
    """Lock a proposal's enrolment, then the proposal, and check that
    `actor` decides it and that it still waits for a decision."""
    locked = _lock_enrolments([proposal.enrolment_id])[0]
    current = (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("decided_by")
        .get(pk=proposal.pk)
    )
    if not scope_of(actor).decides(current.track, locked.ward.province_id):
        raise NotAllowed(_("You are not allowed to do this."))
    if current.proposed_by_id == actor.pk:
        raise WorkflowError(
            _("You proposed this ward; someone else at the level above must decide.")
        )
    if current.status != ProposalStatus.PENDING:
        raise WorkflowError(
            _("This proposal was already “%(status)s” by %(name)s at %(time)s.")
            % {
                "status": current.get_status_display(),
                "name": display_name(current.decided_by),
                "time": date_format(
                    timezone.localtime(current.decided_at), "SHORT_DATETIME_FORMAT"
                ),
            }
        )
    return locked, current


def _set_stage(enrolment: Enrolment, stage: str) -> None:
    """Move a locked enrolment (with its ward) to `stage`, and its tally."""
    old, enrolment.stage = enrolment.stage, stage
    enrolment.save(update_fields=["stage"])
    tally.restaged(enrolment, old)


def _log(
    enrolment: Enrolment,
    actor: Any,
    action: str,
    now: dt.datetime,
    *,
    proposal: Proposal | None = None,
    decision: Decision | None = None,
    comment: str = "",
) -> RecognitionEvent:
    """Write a step of the recognition log; its mail goes once committed."""
    event = RecognitionEvent.objects.create(
        enrolment=enrolment,
        proposal=proposal,
        decision=decision,
        actor=actor,
        action=action,
        comment=comment,
        created_at=now,
    )
    if action in NOTIFY_STEPS:
        from .notifications import notify_recognition

        transaction.on_commit(lambda: notify_recognition.enqueue(event_id=event.pk))
    return event
