"""What a person must do next: the items of the "my tasks" page.

`tasks_for(user, today)` gathers, for each role the user holds, what waits
for them, and returns it in the order to do it: returned criteria and the
reviews they claimed first, then by due date (undated last). Each role
costs a fixed number of queries, whatever the number of criteria or items.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from access.models import Membership, Role
from access.scope import Scope, scope_of
from assessments import indicators
from assessments.models import (
    Assessment,
    Comment,
    Enrolment,
    Evidence,
    IndicatorValue,
    Proposal,
    Stage,
    Track,
)
from assessments.querysets import count_of
from assessments.recognition import Standing, standing_filter
from assessments.validity import FLAGGED_STATUSES, horizon
from core.collation import vi_key
from deadlines.schedule import (
    WAITING_FOR_EVIDENCE,
    YearCalendar,
    running_years,
    year_calendar,
)
from wards.models import Province

Status = Assessment.Status


class Kind:
    """What a task asks for (a class on the page, and what tests read)."""

    ANSWER_RETURN = "answer_return"
    # The last message in a criterion's conversation came from above.
    ANSWER_QUESTION = "answer_question"
    CONFIRM_CARRIED = "confirm_carried"
    INDICATORS = "indicators"
    ADD_EVIDENCE = "add_evidence"
    SUBMIT = "submit"
    # A contributor's criterion with evidence: the ward's officers submit it.
    COMPLETE_EVIDENCE = "complete_evidence"
    RENEW_EVIDENCE = "renew_evidence"
    REVIEW = "review"
    PROPOSE = "propose"
    DECIDE_PROPOSAL = "decide_proposal"
    RECORD_DECISION = "record_decision"
    LATE_REVIEWS = "late_reviews"
    SET_QUOTA = "set_quota"
    MINISTRY_WAITING = "ministry_waiting"


@dataclass(frozen=True)
class Task:
    """One thing to do: what, where (a place, a criterion, a link), by when."""

    kind: str
    what: str
    place: str
    url: str
    due: dt.date | None
    today: dt.date
    subject: str = ""
    number: int | None = None
    notes: tuple[str, ...] = ()
    # Before all the others: a returned criterion, a review I claimed.
    first: bool = False
    # Among undated tasks, the oldest first (proposed on, accepted on).
    since: dt.date | None = None

    @property
    def days_left(self) -> int | None:
        return None if self.due is None else (self.due - self.today).days

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.due < self.today

    @property
    def days_late(self) -> int:
        return max(0, (self.today - self.due).days) if self.due else 0


def _order(task: Task) -> tuple:
    return (
        not task.first,
        task.due is None,
        task.due or dt.date.max,
        task.since or dt.date.max,
        vi_key(task.place),
        task.number or 0,
    )


class _Calendars(dict[int, YearCalendar]):
    """The calendars of the years asked for, each read once."""

    def __missing__(self, year: int) -> YearCalendar:
        self[year] = year_calendar(year)
        return self[year]


def tasks_for(user: Any, today: dt.date) -> list[Task]:
    """Everything `user` must do on `today`, the most pressing first."""
    scope = scope_of(user)
    years = running_years(today)
    calendars = _Calendars()
    tasks = (
        _ward_work(scope, today, years, calendars)
        + _questions(scope, today, years)
        + _reviews(user, scope, today, calendars)
        + _to_propose(scope, today, years, calendars)
        + _late_reviews(scope, today, years, calendars)
        + _proposals(user, scope, today)
        + _national(scope, today, calendars)
    )
    return sorted(tasks, key=_order)


def _place(ward_name: str, year: int, today: dt.date) -> str:
    """A ward's name, with the year when it is not this one (January to
    March, last year's cycle still runs)."""
    return ward_name if year == today.year else f"{ward_name} ({year})"


def _day(date: dt.date) -> str:
    return formats.date_format(date, "SHORT_DATE_FORMAT")


# The ward's people: officers and contributors.


def _ward_work(
    scope: Scope, today: dt.date, years: list[int], calendars: _Calendars
) -> list[Task]:
    """The criteria of their wards' open years that wait for evidence, and
    those whose evidence expires: an officer's whole ward, a contributor
    the criteria of their body. Three queries and the calendars."""
    if not (scope.officer_ward_ids or scope.contributes):
        return []
    unconfirmed = Evidence.objects.filter(
        assessment=OuterRef("pk"),
        withdrawn_at=None,
        carried_from__isnull=False,
        confirmed_at=None,
    )
    rows = list(
        Assessment.objects.filter(
            Q(enrolment__ward_id__in=scope.officer_ward_ids)
            | scope.contribution_filter("enrolment__ward__", "criterion__"),
            enrolment__year__in=years,
            enrolment__stage=Stage.OPEN,
        )
        .with_expiry()
        .filter(
            Q(status__in=WAITING_FOR_EVIDENCE)
            | Q(status__in=FLAGGED_STATUSES, expires_on__lte=horizon(today))
        )
        .annotate(unconfirmed=count_of(unconfirmed, "assessment"))
        .select_related("enrolment__ward", "criterion")
        .prefetch_related("criterion__indicators")
    )
    values = _figures(rows, years)
    tasks = []
    for assessment in rows:
        enrolment = assessment.enrolment
        criterion = assessment.criterion
        officer = scope.is_officer_of(enrolment.ward_id)
        common = {
            "place": _place(enrolment.ward.name, enrolment.year, today),
            "url": assessment.get_absolute_url(),
            "today": today,
            "subject": criterion.display_title,
            "number": criterion.number,
        }
        if assessment.status in FLAGGED_STATUSES:
            expiry = assessment.expiry
            assert expiry is not None  # the rows read are expiring
            tasks.append(
                Task(
                    kind=Kind.RENEW_EVIDENCE,
                    what=_("Prepare a new document"),
                    due=expiry.date,
                    notes=(expiry.evidence_label,),
                    **common,
                )
            )
            continue
        due = (
            calendars[enrolment.year]
            .of(enrolment.ward.province_id)
            .due_of(assessment, today)
        )
        unmet = [
            reading
            for indicator in criterion.indicators.all()
            if not (
                reading := indicators.read(
                    indicator, enrolment.year, values.get(enrolment.ward_id, [])
                )
            ).met
        ]
        notes = []
        # Confirming carried-over files is the officers' step, not a contributor's.
        to_confirm = assessment.unconfirmed if officer else 0
        if to_confirm:
            notes.append(
                ngettext(
                    "%(n)d file carried over from last year to confirm",
                    "%(n)d files carried over from last year to confirm",
                    to_confirm,
                )
                % {"n": to_confirm}
            )
        notes += [reading.problem for reading in unmet]
        kind, what = _next_step(assessment.status, officer, to_confirm, unmet)
        tasks.append(
            Task(
                kind=kind,
                what=what,
                due=due.date if due else None,
                notes=tuple(notes),
                first=kind == Kind.ANSWER_RETURN,
                **common,
            )
        )
    return tasks


def _questions(scope: Scope, today: dt.date, years: list[int]) -> list[Task]:
    """Criteria whose conversation ends with a message from above the ward
    (a reviewer's question, a leader's): the ward has not answered yet. One
    query, and one for who wrote the last messages when there are some."""
    if not (scope.officer_ward_ids or scope.contributes):
        return []
    last = Comment.objects.filter(assessment=OuterRef("pk")).order_by(
        "-created_at", "-pk"
    )
    rows = list(
        Assessment.objects.filter(
            Q(enrolment__ward_id__in=scope.officer_ward_ids)
            | scope.contribution_filter("enrolment__ward__", "criterion__"),
            enrolment__year__in=years,
            enrolment__stage=Stage.OPEN,
        )
        .annotate(
            last_author=Subquery(last.values("author_id")[:1]),
            last_text=Subquery(last.values("text")[:1]),
        )
        .filter(last_author__isnull=False)
        .select_related("enrolment__ward", "criterion")
    )
    if not rows:
        return []
    # Who of the ward wrote last: its officers, the criterion's contributors.
    of_the_ward = {
        (user_id, ward_id, body)
        for user_id, ward_id, body in Membership.objects.filter(
            user_id__in={a.last_author for a in rows},
            ward_id__in={a.enrolment.ward_id for a in rows},
            role__in=[Role.OFFICER, Role.CONTRIBUTOR],
        ).values_list("user_id", "ward_id", "body")
    }
    tasks = []
    for assessment in rows:
        ward_id = assessment.enrolment.ward_id
        author = assessment.last_author
        if (author, ward_id, "") in of_the_ward or (
            author,
            ward_id,
            assessment.criterion.responsible_body,
        ) in of_the_ward:
            continue
        text = assessment.last_text
        tasks.append(
            Task(
                kind=Kind.ANSWER_QUESTION,
                what=_("Answer the question in the conversation"),
                place=_place(
                    assessment.enrolment.ward.name, assessment.enrolment.year, today
                ),
                url=assessment.get_absolute_url() + "#comments",
                due=None,
                today=today,
                subject=assessment.criterion.display_title,
                number=assessment.criterion.number,
                notes=(f"“{text[:140]}{'…' if len(text) > 140 else ''}”",),
                first=True,
            )
        )
    return tasks


def _figures(
    rows: list[Assessment], years: list[int]
) -> dict[int, list[IndicatorValue]]:
    """The figures of the wards of `rows` for their criteria's indicators,
    this year's and the year before's (to compare), by ward: one query."""
    codes = {
        indicator.code
        for assessment in rows
        if assessment.status in WAITING_FOR_EVIDENCE
        for indicator in assessment.criterion.indicators.all()
    }
    if not codes:
        return {}
    return indicators.figures_of({a.enrolment.ward_id for a in rows}, codes, years)


def _next_step(
    status: str, officer: bool, to_confirm: int, unmet: list[indicators.Reading]
) -> tuple[str, str]:
    """What to do first on a criterion waiting for evidence."""
    if status == Status.RETURNED:
        return Kind.ANSWER_RETURN, _("Answer the return")
    if to_confirm:
        return Kind.CONFIRM_CARRIED, _("Confirm the evidence carried over")
    if any(reading.value is None for reading in unmet):
        return Kind.INDICATORS, _("Enter the indicator figures")
    if unmet:
        return Kind.INDICATORS, _("Indicators not met")
    if status == Status.NOT_STARTED:
        return Kind.ADD_EVIDENCE, _("Add evidence")
    if officer:
        return Kind.SUBMIT, _("Submit for review")
    return Kind.COMPLETE_EVIDENCE, _(
        "Complete the evidence (the ward's officers submit it)"
    )


# Reviewers.


def review_queue(
    user: Any, calendars: _Calendars | None = None
) -> list[tuple[Assessment, dt.date]]:
    """The criteria waiting for `user`'s decision, each with the day it
    should be decided by: those they may decide that nobody else has
    claimed and they did not submit themselves. One query and the
    calendars."""
    calendars = _Calendars() if calendars is None else calendars
    queue = (
        Assessment.objects.review_queue_for(user)
        .filter(Q(reviewer=None) | Q(reviewer=user))
        .exclude(submitted_by=user)
        .select_related("enrolment__ward", "criterion")
        .only(
            "submitted_at",
            "reviewer_id",
            "enrolment__year",
            "enrolment__ward__code",
            "enrolment__ward__name",
            "enrolment__ward__province_id",
            "criterion__number",
            "criterion__title",
            "criterion__title_en",
        )
    )
    return [
        (
            item,
            calendars[item.enrolment.year]
            .of(item.enrolment.ward.province_id)
            .review_due(item.submitted_at),
        )
        for item in queue
    ]


def _reviews(
    user: Any, scope: Scope, today: dt.date, calendars: _Calendars
) -> list[Task]:
    """What `review_queue` holds, those they claimed first."""
    if not scope.reviews:
        return []
    tasks = []
    for item, due in review_queue(user, calendars):
        mine = item.reviewer_id == user.pk
        assert item.submitted_at is not None  # the queue holds submitted items
        submitted = _day(timezone.localdate(item.submitted_at))
        tasks.append(
            Task(
                kind=Kind.REVIEW,
                what=_("Decide: approve or return"),
                place=_place(item.enrolment.ward.name, item.enrolment.year, today),
                url=item.get_absolute_url(),
                due=due,
                today=today,
                subject=item.criterion.display_title,
                number=item.criterion.number,
                notes=((_("Claimed by you"),) if mine else ())
                + (_("submitted on %(date)s") % {"date": submitted},),
                first=mine,
            )
        )
    return tasks


# Provincial leaders, and those who decide proposals.


def _to_propose(
    scope: Scope, today: dt.date, years: list[int], calendars: _Calendars
) -> list[Task]:
    """Their province's wards with every criterion approved, not yet
    proposed: due by the calendar's date for proposals. One query."""
    if not scope.led_province_ids:
        return []
    complete = (
        Enrolment.objects.filter(
            ward__province_id__in=scope.led_province_ids, year__in=years
        )
        .with_progress()
        .filter(standing_filter(Standing.COMPLETE))
        .select_related("ward")
    )
    return [
        Task(
            kind=Kind.PROPOSE,
            what=_("Propose for recognition"),
            place=_place(enrolment.ward.name, enrolment.year, today),
            url=reverse("ward_detail", kwargs={"code": enrolment.ward.code})
            + f"?year={enrolment.year}",
            due=calendars[enrolment.year].of(enrolment.ward.province_id).proposal_due,
            today=today,
            subject=enrolment.get_track_display(),
        )
        for enrolment in complete
    ]


def _late_reviews(
    scope: Scope, today: dt.date, years: list[int], calendars: _Calendars
) -> list[Task]:
    """How many criteria of their province wait for a decision past the
    review deadline: one query, one task per province."""
    if not scope.led_province_ids:
        return []
    late = Q(pk__in=[])
    for year in years:
        late |= Q(enrolment__year=year) & calendars[year].review_overdue(
            today,
            province="enrolment__ward__province_id",
            submitted_at="submitted_at",
            status="status",
        )
    rows = (
        Assessment.objects.filter(
            late, enrolment__ward__province_id__in=scope.led_province_ids
        )
        .values("enrolment__ward__province__code", "enrolment__ward__province__name")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        Task(
            kind=Kind.LATE_REVIEWS,
            what=ngettext(
                "%(n)d criterion waits for a decision past its deadline",
                "%(n)d criteria wait for a decision past their deadline",
                row["n"],
            )
            % {"n": row["n"]},
            place=row["enrolment__ward__province__name"],
            url=reverse(
                "province_dashboard",
                kwargs={"code": row["enrolment__ward__province__code"]},
            ),
            due=None,
            today=today,
        )
        for row in rows
    ]


def _proposals(user: Any, scope: Scope, today: dt.date) -> list[Task]:
    """Proposals of the level they decide: pending ones to accept or
    return, accepted ones whose decision is to be recorded. One query."""
    if not scope.decides_any:
        return []
    proposals = (
        Proposal.objects.decided_by(user)
        .filter(
            Q(status=Proposal.Status.PENDING)
            | Q(status=Proposal.Status.ACCEPTED, enrolment__stage=Stage.ACCEPTED)
        )
        .select_related("enrolment__ward__province")
    )
    tasks = []
    for proposal in proposals:
        enrolment = proposal.enrolment
        pending = proposal.status == Proposal.Status.PENDING
        moment = proposal.proposed_at if pending else proposal.decided_at
        since = timezone.localdate(moment) if moment else None
        tasks.append(
            Task(
                kind=Kind.DECIDE_PROPOSAL if pending else Kind.RECORD_DECISION,
                what=_("Accept or return the proposal")
                if pending
                else _("Record the recognition decision"),
                place=_place(enrolment.ward.name, enrolment.year, today),
                url=proposal.get_absolute_url(),
                due=None,
                today=today,
                subject=enrolment.ward.province.name,
                notes=(
                    (
                        _("proposed on %(date)s")
                        if pending
                        else _("accepted on %(date)s")
                    )
                    % {"date": _day(since)},
                )
                if since
                else (),
                since=since,
            )
        )
    return tasks


# The national leadership.


def _national(scope: Scope, today: dt.date, calendars: _Calendars) -> list[Task]:
    """Provinces without a quota for this year, by the date registration
    closes there; and how many proposals wait at the Ministry's level (for
    those who do not decide them). Two queries and the calendar."""
    if not scope.national:
        return []
    year = today.year
    url = reverse("recognition") + f"?year={year}"
    missing: dict[dt.date | None, list[str]] = defaultdict(list)
    for province in Province.objects.at_year_end(year).exclude(quotas__year=year):
        closes = calendars[year].of(province.pk).registration_closes
        missing[closes].append(province.name)
    tasks = [
        Task(
            kind=Kind.SET_QUOTA,
            what=ngettext(
                "Set the quota of %(n)d province for %(year)d",
                "Set the quotas of %(n)d provinces for %(year)d",
                len(names),
            )
            % {"n": len(names), "year": year},
            place=_("Whole country"),
            url=url,
            due=closes,
            today=today,
            notes=(", ".join(sorted(names, key=vi_key)),),
        )
        for closes, names in missing.items()
    ]
    if scope.ministry_province_ids is None:
        waiting = Proposal.objects.filter(
            track=Track.MINISTRY, status=Proposal.Status.PENDING
        ).count()
        if waiting:
            tasks.append(
                Task(
                    kind=Kind.MINISTRY_WAITING,
                    what=ngettext(
                        "%(n)d proposal waits for the Ministry's decision",
                        "%(n)d proposals wait for the Ministry's decision",
                        waiting,
                    )
                    % {"n": waiting},
                    place=_("Whole country"),
                    url=url,
                    due=None,
                    today=today,
                )
            )
    return tasks
