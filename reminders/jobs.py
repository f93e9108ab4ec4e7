"""What the calendar sends: reminders before a deadline, escalations after
it, warnings before evidence expires.

Each job reads what is due in a few grouped queries and makes notifications
keyed by what they are about and by the reminder's step (30, 7, 1 days
before): a job that runs again, in a restart or in a second worker, finds
the notification made and sends nothing twice. A step missed while the
worker was down is caught up by the next run, once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from access.models import Membership, Role
from assessments.models import Assessment, Evidence, Stage
from criteria.models import ResponsibleBody
from deadlines.schedule import (
    FROM_ASSESSMENT,
    YearCalendar,
    running_years,
    year_calendar,
)
from notifications.models import Kind
from notifications.services import notify, notify_and_mail
from wards.models import Province


@dataclass
class Report:
    """How many notifications each job made in one run, and how they are
    made: `notify_and_mail`, or `notify` alone (no e-mail, for the demo)."""

    made: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    tell: Callable[..., list] = notify_and_mail

    def add(self, job: str, notifications: list) -> None:
        if notifications:
            self.made[job] += len(notifications)

    def as_dict(self) -> dict[str, int]:
        return dict(self.made)


# Submission times in escalation keys: sortable as text.
STAMP = "%Y%m%dT%H%M%S%f"


def step(days_left: int) -> int | None:
    """The reminder step a deadline `days_left` away is in: the smallest of
    REMINDER_DAYS at or above it; None when further than all, or past."""
    if days_left < 0:
        return None
    return next((days for days in settings.REMINDER_DAYS if days_left <= days), None)


def _day(date: dt.date) -> str:
    return formats.date_format(date, "SHORT_DATE_FORMAT")


def _in_days(days: int) -> str:
    if days == 0:
        return _("today")
    return ngettext("in %(n)d day", "in %(n)d days", days) % {"n": days}


def _officers(ward_ids) -> dict[int | None, list]:
    by_ward: dict[int | None, list] = defaultdict(list)
    for membership in Membership.objects.filter(
        role=Role.OFFICER, ward_id__in=list(ward_ids), user__is_active=True
    ).select_related("user"):
        by_ward[membership.ward_id].append(membership.user)
    return by_ward


def _contributors(ward_ids) -> dict[tuple[int | None, str], list]:
    """The contributors of each ward's bodies, by (ward, body)."""
    by_body: dict[tuple[int | None, str], list] = defaultdict(list)
    for membership in Membership.objects.filter(
        role=Role.CONTRIBUTOR, ward_id__in=list(ward_ids), user__is_active=True
    ).select_related("user"):
        by_body[(membership.ward_id, membership.body)].append(membership.user)
    return by_body


def _evidence_title(ward: str, numbers: list[int], due: dt.date, days: int) -> str:
    return ngettext(
        "%(ward)s: %(n)d criterion needs its evidence by %(date)s (%(when)s)",
        "%(ward)s: %(n)d criteria need their evidence by %(date)s (%(when)s)",
        len(numbers),
    ) % {"ward": ward, "n": len(numbers), "date": _day(due), "when": _in_days(days)}


def _leaders(province_ids) -> dict[int | None, list]:
    by_province: dict[int | None, list] = defaultdict(list)
    for membership in Membership.objects.filter(
        role=Role.PROVINCIAL_LEADER,
        province_id__in=list(province_ids),
        user__is_active=True,
    ).select_related("user"):
        by_province[membership.province_id].append(membership.user)
    return by_province


def _ward_url(code: str, year: int) -> str:
    return reverse("ward_detail", kwargs={"code": code}) + f"?year={year}"


def remind_evidence(calendar: YearCalendar, today: dt.date, report: Report) -> None:
    """Officers hear, at each step before a due date, which criteria of
    their ward still wait for evidence."""
    horizon = today + dt.timedelta(days=max(settings.REMINDER_DAYS))
    due_soon = calendar.evidence_due_where(
        lambda day: today <= day <= horizon, **FROM_ASSESSMENT
    )
    rows = (
        Assessment.objects.filter(due_soon)
        .filter(enrolment__year=calendar.year, enrolment__stage=Stage.OPEN)
        .values(
            "enrolment_id",
            "enrolment__ward_id",
            "enrolment__ward__code",
            "enrolment__ward__name",
            "enrolment__ward__province_id",
            "criterion__group_id",
            "criterion__assessed",
            "criterion__number",
            "criterion__responsible_body",
        )
        .order_by("enrolment_id", "criterion__number")
    )
    waiting: dict[tuple, list[int]] = defaultdict(list)
    # The criteria another body of the ward carries out, for its contributors.
    theirs: dict[tuple, list[int]] = defaultdict(list)
    for row in rows:
        dates = calendar.of(row["enrolment__ward__province_id"])
        due = dates.evidence_due_for(
            row["criterion__group_id"], row["criterion__assessed"]
        )
        if due is None or step((due - today).days) is None:
            continue
        ward = (
            row["enrolment_id"],
            row["enrolment__ward_id"],
            row["enrolment__ward__code"],
            row["enrolment__ward__name"],
        )
        waiting[(ward, due)].append(row["criterion__number"])
        body = row["criterion__responsible_body"]
        if body != ResponsibleBody.POLICE:
            theirs[(ward, due, body)].append(row["criterion__number"])
    officers = _officers({ward[1] for ward, _due in waiting})
    contributors = _contributors({ward[1] for ward, _due, _body in theirs})
    for ((enrolment_id, ward_id, _code, name), due, body), numbers in theirs.items():
        days = (due - today).days
        report.add(
            "reminders",
            report.tell(
                contributors[(ward_id, body)],
                kind=Kind.REMINDER,
                # Its own key: someone both officer and contributor hears both.
                key=f"remind:evidence:{enrolment_id}:{due}:{step(days)}:{body}",
                title=_evidence_title(name, numbers, due, days),
                body=_("Criteria: %(numbers)s.")
                % {"numbers": ", ".join(map(str, numbers))},
                url=reverse("my_tasks"),
            ),
        )
    for ((enrolment_id, ward_id, code, name), due), numbers in waiting.items():
        days = (due - today).days
        title = _evidence_title(name, numbers, due, days)
        body = _("Criteria: %(numbers)s.") % {"numbers": ", ".join(map(str, numbers))}
        report.add(
            "reminders",
            report.tell(
                officers[ward_id],
                kind=Kind.REMINDER,
                key=f"remind:evidence:{enrolment_id}:{due}:{step(days)}",
                title=title,
                body=body,
                url=_ward_url(code, calendar.year),
            ),
        )


def remind_leaders(calendar: YearCalendar, today: dt.date, report: Report) -> None:
    """Leaders hear, at each step, that registration closes or proposals
    are due."""
    province_ids = set(
        Province.objects.valid_in(calendar.year).values_list("pk", flat=True)
    )
    leaders = _leaders(province_ids)
    for province_id in province_ids:
        dates = calendar.of(province_id)
        for what, due, title in (
            (
                "registration",
                dates.registration_closes,
                _("Registration of wards for %(year)d closes on %(date)s (%(when)s)"),
            ),
            (
                "proposal",
                dates.proposal_due,
                _(
                    "Proposals of complete wards for %(year)d are due on "
                    "%(date)s (%(when)s)"
                ),
            ),
        ):
            if due is None or step((due - today).days) is None:
                continue
            days = (due - today).days
            report.add(
                "reminders",
                report.tell(
                    leaders[province_id],
                    kind=Kind.REMINDER,
                    key=f"remind:{what}:{province_id}:{due}:{step(days)}",
                    title=title
                    % {
                        "year": calendar.year,
                        "date": _day(due),
                        "when": _in_days(days),
                    },
                    url=reverse("recognition"),
                ),
            )


def escalate_evidence(calendar: YearCalendar, today: dt.date, report: Report) -> None:
    """A province's leaders hear, once per passed due date, which wards
    still wait for evidence that was due."""
    overdue = calendar.evidence_overdue(today, **FROM_ASSESSMENT)
    rows = (
        Assessment.objects.filter(overdue)
        .filter(enrolment__year=calendar.year, enrolment__stage=Stage.OPEN)
        .values(
            "enrolment__ward__province_id",
            "enrolment__ward__name",
            "criterion__group_id",
            "criterion__assessed",
        )
        .order_by("enrolment__ward__name")
    )
    late: dict[tuple[int, dt.date], dict[str, int]] = defaultdict(
        lambda: defaultdict(int)
    )
    for row in rows:
        province_id = row["enrolment__ward__province_id"]
        due = calendar.of(province_id).evidence_due_for(
            row["criterion__group_id"], row["criterion__assessed"]
        )
        if due is not None:
            late[(province_id, due)][row["enrolment__ward__name"]] += 1
    leaders = _leaders({province_id for province_id, _due in late})
    for (province_id, due), wards in late.items():
        title = ngettext(
            "%(n)d ward is late with evidence due on %(date)s",
            "%(n)d wards are late with evidence due on %(date)s",
            len(wards),
        ) % {"n": len(wards), "date": _day(due)}
        body = "\n".join(
            ngettext("%(ward)s: %(n)d criterion", "%(ward)s: %(n)d criteria", n)
            % {"ward": ward, "n": n}
            for ward, n in sorted(wards.items())
        )
        report.add(
            "escalations",
            report.tell(
                leaders[province_id],
                kind=Kind.ESCALATION,
                key=f"escalate:evidence:{province_id}:{calendar.year}:{due}",
                title=title,
                body=body,
                url=reverse("ward_list") + f"?year={calendar.year}&late=true",
            ),
        )


def escalate_reviews(calendar: YearCalendar, today: dt.date, report: Report) -> None:
    """A province's leaders hear, once per criterion and submission, of
    criteria waiting for a decision past the review deadline; one
    notification a day gathers those that became late since the last."""
    rows = (
        Assessment.objects.filter(
            calendar.review_overdue(
                today,
                province="enrolment__ward__province_id",
                submitted_at="submitted_at",
                status="status",
            )
        )
        .filter(enrolment__year=calendar.year)
        .values(
            "pk",
            "submitted_at",
            "enrolment__ward__province_id",
            "enrolment__ward__name",
            "criterion__number",
        )
        .order_by("submitted_at")
    )
    late: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        late[row["enrolment__ward__province_id"]].append(row)
    leaders = _leaders(late)
    for province_id, items in late.items():
        # Only what was submitted after the items of the last escalation:
        # each late submission is told once.
        key_prefix = f"escalate:review:{province_id}:{calendar.year}:"
        told = _last_told(key_prefix)
        fresh = [row for row in items if told is None or row["submitted_at"] > told]
        if not fresh:
            continue
        newest = max(row["submitted_at"] for row in fresh)
        title = ngettext(
            "%(n)d criterion has waited for a decision past its deadline",
            "%(n)d criteria have waited for a decision past their deadline",
            len(fresh),
        ) % {"n": len(fresh)}
        body = "\n".join(
            _("%(ward)s, criterion %(number)d, submitted %(date)s")
            % {
                "ward": row["enrolment__ward__name"],
                "number": row["criterion__number"],
                "date": _day(row["submitted_at"].date()),
            }
            for row in fresh
        )
        report.add(
            "escalations",
            report.tell(
                leaders[province_id],
                kind=Kind.ESCALATION,
                key=key_prefix + newest.astimezone(dt.UTC).strftime(STAMP),
                title=title,
                body=body,
                url=reverse("national_dashboard"),
            ),
        )


def _last_told(key_prefix: str) -> dt.datetime | None:
    """The newest submission time an escalation with this prefix covered."""
    from notifications.models import Notification

    key = (
        Notification.objects.filter(key__startswith=key_prefix)
        .order_by("-key")
        .values_list("key", flat=True)
        .first()
    )
    if key is None:
        return None
    return dt.datetime.strptime(key.removeprefix(key_prefix), STAMP).replace(
        tzinfo=dt.UTC
    )


def warn_expiry(today: dt.date, report: Report) -> None:
    """Officers hear, at each step before, and once after, that evidence of
    an approved or submitted criterion of their ward expires."""
    expiring = (
        Evidence.objects.expiring(today, max(settings.REMINDER_DAYS))
        .filter(
            assessment__enrolment__stage=Stage.OPEN,
            assessment__enrolment__year__in=running_years(today),
        )
        .values(
            "pk",
            "original_name",
            "valid_until",
            "assessment__criterion__number",
            "assessment__enrolment__year",
            "assessment__enrolment__ward_id",
            "assessment__enrolment__ward__code",
            "assessment__enrolment__ward__name",
        )
    )
    rows = list(expiring)
    officers = _officers({row["assessment__enrolment__ward_id"] for row in rows})
    for row in rows:
        days = (row["valid_until"] - today).days
        if days < 0:
            key = f"expired:{row['pk']}"
            title = _("%(ward)s, criterion %(number)d: “%(file)s” expired on %(date)s")
            body = _("Add a valid document in its place: the old one has lapsed.")
        elif step(days) is not None:
            key = f"expiry:{row['pk']}:{row['valid_until']}:{step(days)}"
            title = _("%(ward)s, criterion %(number)d: “%(file)s” expires on %(date)s")
            body = _("Add a valid document before the old one lapses.")
        else:
            continue
        code = row["assessment__enrolment__ward__code"]
        year = row["assessment__enrolment__year"]
        number = row["assessment__criterion__number"]
        report.add(
            "expiry",
            report.tell(
                officers[row["assessment__enrolment__ward_id"]],
                kind=Kind.EXPIRY,
                key=key,
                title=title
                % {
                    "ward": row["assessment__enrolment__ward__name"],
                    "number": number,
                    "file": row["original_name"],
                    "date": _day(row["valid_until"]),
                },
                body=body,
                url=reverse(
                    "criterion_detail",
                    kwargs={"code": code, "year": year, "number": number},
                ),
            ),
        )


def run_jobs(today: dt.date, *, mail: bool = True) -> dict[str, int]:
    """Every reminder, escalation and expiry warning due on `today`; with
    `mail` False, in the bells only."""
    report = Report(tell=notify_and_mail if mail else notify)
    with translation.override(settings.LANGUAGE_CODE):
        for year in running_years(today):
            calendar = year_calendar(year)
            remind_evidence(calendar, today, report)
            remind_leaders(calendar, today, report)
            escalate_evidence(calendar, today, report)
            escalate_reviews(calendar, today, report)
        warn_expiry(today, report)
    return report.as_dict()
