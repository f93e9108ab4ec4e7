"""Next year from this year: still-valid evidence carried over.

When a ward is enrolled in a year and was enrolled the year before, the
evidence that supported an approved criterion last year and is still valid
may be carried into the same criterion's dossier this year. Nothing is
carried silently: the ward's officers are offered it (`offers`) and choose
(`carry_over`, `carry_over_many`). A carried file is linked, not copied: a
new Evidence row points at the same stored file, with `carried_from`, and
must be confirmed by an officer before the criterion can be submitted.
Last year's rows do not change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from access.scope import scope_of
from criteria.models import Assessed, Criterion

from . import workflow
from .models import Assessment, Enrolment, Evidence

# Where a dossier still takes files (the sources of `Action.CARRY_OVER`).
OPEN_STATUSES = workflow.TRANSITIONS[workflow.Action.CARRY_OVER][0]


@dataclass
class Offer:
    """Last year's still-valid files for one criterion of this year."""

    assessment: Assessment
    previous: Assessment
    items: list[Evidence]

    @property
    def number(self) -> int:
        return self.assessment.criterion.number


def previous_enrolment(enrolment: Enrolment) -> Enrolment | None:
    """The ward's enrolment of the year before, else the one of that year
    whose title it keeps (a unit that took over a recognised one)."""
    earlier = (
        Enrolment.objects.filter(ward_id=enrolment.ward_id, year=enrolment.year - 1)
        .select_related("criteria_set")
        .first()
    )
    if earlier is None and enrolment.keeps_title_of_id is not None:
        earlier = (
            Enrolment.objects.filter(
                pk=enrolment.keeps_title_of_id, year=enrolment.year - 1
            )
            .select_related("criteria_set")
            .first()
        )
    return earlier


def _key(criterion: Criterion) -> tuple[int, str]:
    return (criterion.number, criterion.title.strip())


def _matches(
    enrolment: Enrolment, assessments: Iterable[Assessment] | None
) -> tuple[list[Assessment], dict[int, Assessment]]:
    """This year's open criteria that may carry over (those of
    `assessments` if given), and for each, by its pk, last year's approved
    assessment it may carry from."""
    if enrolment.is_frozen:
        return [], {}
    earlier = previous_enrolment(enrolment)
    if earlier is None:
        return [], {}
    wanted = Assessment.objects.filter(
        enrolment=enrolment, status__in=OPEN_STATUSES
    ).exclude(criterion__assessed=Assessed.YEAR_END)
    if assessments is not None:
        wanted = wanted.filter(pk__in=[a.pk for a in assessments])
    current = list(wanted.select_related("criterion").order_by("criterion__number"))
    if not current:
        return [], {}
    previous = list(
        Assessment.objects.filter(
            enrolment=earlier, status=Assessment.Status.APPROVED
        ).select_related("criterion")
    )
    same_set = earlier.criteria_set_id == enrolment.criteria_set_id
    by_criterion = {a.criterion_id: a for a in previous}
    by_key = {_key(a.criterion): a for a in previous}
    matched: dict[int, Assessment] = {}
    for assessment in current:
        match = (
            by_criterion.get(assessment.criterion_id)
            if same_set
            else by_key.get(_key(assessment.criterion))
        )
        if match is not None:
            matched[assessment.pk] = match
    return current, matched


def _present(matched: dict[int, Assessment]) -> dict[int, set[str]]:
    """The contents (SHA-256) already in each matched dossier of this year."""
    present: dict[int, set[str]] = {}
    for assessment_id, sha256 in (
        Evidence.objects.current()
        .filter(assessment__in=list(matched))
        .values_list("assessment_id", "sha256")
    ):
        present.setdefault(assessment_id, set()).add(sha256)
    return present


def offers(
    enrolment: Enrolment,
    *,
    today: dt.date | None = None,
    assessments: Iterable[Assessment] | None = None,
) -> list[Offer]:
    """What each criterion of `enrolment` could carry over, by criterion
    number, in a handful of queries whatever the size of the set.

    A criterion is offered the current (not withdrawn) evidence of last
    year's assessment of the same criterion (or, if the criteria set
    changed, of the one with the same number and title) when that was
    approved, whose validity date is none or not before `today`, and whose
    content is not in this year's dossier yet. Only criteria that still take
    files are offered, and nothing while the ward is frozen. Criteria
    assessed at year end are never offered: last year's result (a rating,
    a year's figures) cannot stand for this year's. With `assessments`, only
    those are considered.
    """
    current, matched = _matches(enrolment, assessments)
    if not matched:
        return []
    items: dict[int, list[Evidence]] = {}
    for item in (
        Evidence.objects.filter(assessment__in=list(matched.values()))
        .still_valid(today)
        .order_by("uploaded_at", "pk")
    ):
        items.setdefault(item.assessment_id, []).append(item)
    present = _present(matched)
    found = []
    for assessment in current:
        match = matched.get(assessment.pk)
        if match is None:
            continue
        here = present.get(assessment.pk, set())
        offered = [e for e in items.get(match.pk, []) if e.sha256 not in here]
        if offered:
            assessment.enrolment = enrolment  # known already
            found.append(Offer(assessment, match, offered))
    return found


def may_carry_over(user: Any, enrolment: Enrolment) -> bool:
    """Whether `user` may see and take the offers of `enrolment`: its
    ward's officers, who may add files there."""
    return scope_of(user).is_officer_of(enrolment.ward_id)


def offers_count(enrolment: Enrolment, *, today: dt.date | None = None) -> int:
    """How many criteria of `enrolment` have evidence to carry over, for a
    notice such as "12 criteria have evidence you can carry over": what
    `offers` finds, read as contents only, not as files."""
    _current, matched = _matches(enrolment, None)
    if not matched:
        return 0
    valid: dict[int, set[str]] = {}
    for assessment_id, sha256 in (
        Evidence.objects.filter(assessment__in=list(matched.values()))
        .still_valid(today)
        .values_list("assessment_id", "sha256")
    ):
        valid.setdefault(assessment_id, set()).add(sha256)
    present = _present(matched)
    return sum(
        1
        for pk, match in matched.items()
        if valid.get(match.pk, set()) - present.get(pk, set())
    )


def carry_over(
    assessment: Assessment, *, actor: Any, today: dt.date | None = None
) -> list[Evidence]:
    """Carry over what `offers` offers `assessment`, through the workflow
    (under the assessment's lock; one ReviewEvent). Returns the new rows.

    Raises workflow.NotAllowed for someone who may not add files there, and
    workflow.WorkflowError when there is nothing (left) to carry over.
    """
    if not workflow.may(actor, workflow.Action.CARRY_OVER, assessment):
        raise workflow.NotAllowed(_("You are not allowed to do this."))
    found = offers(assessment.enrolment, today=today, assessments=[assessment])
    if not found:
        raise workflow.WorkflowError(
            _("There is nothing from last year to carry over here.")
        )
    return workflow.carry_over_evidence(
        found[0].assessment, sources=found[0].items, actor=actor
    )


@dataclass
class CarriedMany:
    """What a ward-wide carry-over did: files carried per criterion number,
    and why the others were not (one line each, naming the criterion)."""

    carried: dict[int, int] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)


def carry_over_many(
    enrolment: Enrolment,
    *,
    numbers: Iterable[int],
    actor: Any,
    today: dt.date | None = None,
) -> CarriedMany:
    """Carry over the offers of the criteria `numbers` of `enrolment`, each
    criterion on its own: one refused does not stop the rest. Numbers with
    no offer are said to have nothing to carry over."""
    if not may_carry_over(actor, enrolment):
        raise workflow.NotAllowed(_("You are not allowed to do this."))
    result = CarriedMany()
    chosen = sorted(set(numbers))
    found = {
        offer.number: offer
        for offer in offers(
            enrolment,
            today=today,
            assessments=Assessment.objects.filter(
                enrolment=enrolment, criterion__number__in=chosen
            ),
        )
    }
    for number in chosen:
        offer = found.get(number)
        if offer is None:
            result.refused.append(
                _("Criterion %(number)d: nothing to carry over.") % {"number": number}
            )
            continue
        try:
            rows = workflow.carry_over_evidence(
                offer.assessment, sources=offer.items, actor=actor
            )
        except workflow.NotAllowed:
            raise
        except workflow.WorkflowError as exc:  # changed meanwhile
            result.refused.append(
                _("Criterion %(number)d: %(reason)s")
                % {"number": number, "reason": exc.message}
            )
        else:
            result.carried[number] = len(rows)
    return result
