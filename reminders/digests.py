"""Digests: a daily one per reviewer (what waits for them, oldest first) and
for whoever chose to get notifications that way; a weekly one per leader
(progress of the week, wards that moved, wards at risk).

A digest is claimed before it is written: one `SentDigest` row per person,
kind and day, which only one worker can make. The mail is sent once or not
at all; a mail server's fault leaves the row "failed", and a later run takes
it up again (MAIL_RETRY_MINUTES gives how many times).
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from access.models import Membership, Role
from access.scope import scope_of
from assessments import recognition
from assessments.models import Assessment, Enrolment, ReviewEvent, Stage
from core.mail import send_text_mail
from deadlines.schedule import FROM_ASSESSMENT, year_calendar
from notifications.models import Digest, Notification
from notifications.services import for_digest, wants_digest

from .models import SentDigest

logger = logging.getLogger(__name__)
LONGEST_LIST = 15
Action = ReviewEvent.Action


@dataclass(frozen=True)
class Letter:
    """A digest as it will be sent."""

    user: Any
    kind: str
    subject: str
    body: str
    notification_ids: tuple[int, ...] = ()


def _day(date: dt.date) -> str:
    return formats.date_format(date, "SHORT_DATE_FORMAT")


def _capped(lines: list[str]) -> list[str]:
    if len(lines) <= LONGEST_LIST:
        return lines
    more = len(lines) - LONGEST_LIST
    return lines[:LONGEST_LIST] + [
        ngettext("… and %(n)d more", "… and %(n)d more", more) % {"n": more}
    ]


def daily_letter(user: Any, today: dt.date) -> Letter | None:
    """A reviewer's daily digest, with the notifications they chose to get
    this way; None when there is nothing to say."""
    sections: list[str] = []
    queue = list(
        Assessment.objects.review_queue_for(user)
        .select_related("enrolment__ward", "criterion")
        .only(
            "submitted_at",
            "enrolment__year",
            "enrolment__ward__name",
            "enrolment__ward__province_id",
            "criterion__number",
        )
    )
    if queue:
        calendars = {
            year: year_calendar(year) for year in {a.enrolment.year for a in queue}
        }
        late = 0
        lines = []
        for item in queue:
            due = (
                calendars[item.enrolment.year]
                .of(item.enrolment.ward.province_id)
                .review_due(item.submitted_at)
            )
            waited = (today - timezone.localdate(item.submitted_at)).days
            overdue = due < today
            late += overdue
            lines.append(
                "- "
                + _("%(ward)s, criterion %(number)d: waiting %(days)s")
                % {
                    "ward": item.enrolment.ward.name,
                    "number": item.criterion.number,
                    "days": ngettext("%(n)d day", "%(n)d days", waited) % {"n": waited},
                }
                + (
                    " — "
                    + ngettext(
                        "%(n)d day late (due %(date)s)",
                        "%(n)d days late (due %(date)s)",
                        (today - due).days,
                    )
                    % {"n": (today - due).days, "date": _day(due)}
                    if overdue
                    else ""
                )
            )
        sections.append(
            ngettext(
                "%(n)d criterion waits for your decision",
                "%(n)d criteria wait for your decision",
                len(queue),
            )
            % {"n": len(queue)}
            + (
                ", "
                + ngettext(
                    "%(late)d past its deadline", "%(late)d past their deadline", late
                )
                % {"late": late}
                if late
                else ""
            )
            + ":\n"
            + "\n".join(_capped(lines))
            + "\n"
            + _("Review queue: %(url)s")
            % {"url": settings.SITE_URL + reverse("review_queue")}
        )
    chosen = list(for_digest(user))
    if chosen:
        sections.append(
            _("Since your last digest:")
            + "\n"
            + "\n".join(
                _capped(
                    [
                        f"- {n.title}"
                        + (f" ({settings.SITE_URL}{n.url})" if n.url else "")
                        for n in chosen
                    ]
                )
            )
        )
    if not sections:
        return None
    return Letter(
        user=user,
        kind=Digest.DAILY,
        subject=_("[Kiểu Mẫu] Your daily digest, %(date)s") % {"date": _day(today)},
        body="\n\n".join(sections),
        notification_ids=tuple(n.pk for n in chosen),
    )


def weekly_letter(user: Any, today: dt.date) -> Letter | None:
    """A leader's weekly digest: approvals and returns of the past seven
    days, the wards that moved, and the wards at risk (late with evidence,
    evidence expiring, a title at risk); a national leader reads the wards
    at risk counted by province. None when nothing moved and nothing is at
    risk."""
    scope = scope_of(user)
    wards = (
        Q()
        if scope.nationwide
        else Q(ward__province_id__in=scope.led_province_ids or scope.province_ids)
    )
    week_start = timezone.make_aware(
        dt.datetime.combine(today - dt.timedelta(days=7), dt.time.min)
    )
    enrolments = Enrolment.objects.filter(wards, year=today.year)
    counts = Counter(
        dict(
            ReviewEvent.objects.filter(
                assessment__enrolment__in=enrolments, created_at__gte=week_start
            )
            .values("action")
            .annotate(n=Count("pk"))
            .values_list("action", "n")
        )
    )
    moved = (
        enrolments.with_progress()
        .annotate(
            gained=Count(
                "assessments__events",
                filter=Q(
                    assessments__events__action=Action.APPROVE,
                    assessments__events__created_at__gte=week_start,
                ),
            )
        )
        .filter(gained__gt=0)
        .select_related("ward")
        .order_by("-gained", "ward__name")
    )
    moved_lines = [f"- {e.ward.name}: {e.progress} (+{e.gained})" for e in moved]
    risks = _risks(enrolments.filter(stage=Stage.OPEN), today)
    if scope.nationwide:
        by_province = Counter(province for province, _ward in risks)
        risk_lines = [
            "- "
            + ngettext("%(province)s: %(n)d ward", "%(province)s: %(n)d wards", n)
            % {"province": province, "n": n}
            for province, n in by_province.most_common()
        ]
    else:
        risk_lines = [
            f"- {ward}: " + "; ".join(reasons)
            for (_province, ward), reasons in sorted(
                risks.items(), key=lambda item: (-len(item[1]), item[0][1])
            )
        ]
    if not (counts or moved_lines or risk_lines):
        return None
    sections = [
        _(
            "The past seven days: %(approved)d approved, %(returned)d returned, "
            "%(submitted)d submitted."
        )
        % {
            "approved": counts[Action.APPROVE],
            "returned": counts[Action.RETURN] + counts[Action.REVOKE],
            "submitted": counts[Action.SUBMIT],
        }
    ]
    if moved_lines:
        sections.append(_("Wards that moved:") + "\n" + "\n".join(_capped(moved_lines)))
    if risk_lines:
        sections.append(_("Wards at risk:") + "\n" + "\n".join(_capped(risk_lines)))
    sections.append(
        _("Dashboard: %(url)s")
        % {"url": settings.SITE_URL + reverse("national_dashboard")}
    )
    return Letter(
        user=user,
        kind=Digest.WEEKLY,
        subject=_("[Kiểu Mẫu] Your weekly digest, %(date)s") % {"date": _day(today)},
        body="\n\n".join(sections),
    )


def _risks(enrolments, today: dt.date) -> dict[tuple[str, str], list[str]]:
    """Why each ward of `enrolments` is at risk, by (province, ward) name:
    criteria late with their evidence, evidence expired or expiring, and a
    title held from last year at risk (`recognition.at_risk`)."""
    reasons: dict[tuple[str, str], list[str]] = defaultdict(list)
    names = ("enrolment__ward__province__name", "enrolment__ward__name")
    late = Counter(
        Assessment.objects.filter(
            year_calendar(today.year).evidence_overdue(today, **FROM_ASSESSMENT),
            enrolment__in=enrolments,
        ).values_list(*names)
    )
    for ward, n in late.items():
        reasons[ward].append(
            ngettext(
                "%(n)d criterion late with its evidence",
                "%(n)d criteria late with their evidence",
                n,
            )
            % {"n": n}
        )
    expiring = Counter(
        Assessment.objects.expiring(today)
        .filter(enrolment__in=enrolments)
        .values_list(*names)
    )
    for ward, n in expiring.items():
        reasons[ward].append(
            ngettext(
                "evidence of %(n)d criterion expires or has expired",
                "evidence of %(n)d criteria expires or has expired",
                n,
            )
            % {"n": n}
        )
    holders = list(
        enrolments.exclude(keeps_title_of=None)
        .with_progress()
        .select_related("ward__province")
    )
    returned = recognition.returned_criteria(holders)
    medians = {
        pid: recognition.median_approved(today.year, pid)
        for pid in {e.ward.province_id for e in holders}
    }
    for enrolment in holders:
        why = recognition.at_risk(
            enrolment,
            median=medians[enrolment.ward.province_id],
            returned=returned.get(enrolment.pk, []),
            expiring=[],  # counted above
        )
        if why:
            ward = (enrolment.ward.province.name, enrolment.ward.name)
            reasons[ward].append(_("title at risk: %(why)s") % {"why": ", ".join(why)})
    return reasons


def daily_recipients() -> list[Any]:
    """Reviewers, and whoever chose to get some notifications in a digest."""
    User = get_user_model()
    reviewers = Membership.objects.filter(role=Role.REVIEWER).values("user")
    chose = (
        Notification.objects.filter(mailed_at=None)
        .filter(
            user__notification_preferences__kind=F("kind"),
            user__notification_preferences__delivery="digest",
        )
        .values("user")
    )
    people = User.objects.filter(Q(pk__in=reviewers) | Q(pk__in=chose))
    return _with_mail(people, Digest.DAILY)


def weekly_recipients() -> list[Any]:
    """Provincial and national leaders."""
    User = get_user_model()
    leaders = Membership.objects.filter(
        role__in=[Role.PROVINCIAL_LEADER, Role.NATIONAL_LEADER]
    ).values("user")
    return _with_mail(User.objects.filter(pk__in=leaders), Digest.WEEKLY)


def _with_mail(people, digest: str) -> list[Any]:
    people = list(people.filter(is_active=True).exclude(email="").order_by("pk"))
    wanted = wants_digest([p.pk for p in people], digest)
    return [p for p in people if p.pk in wanted]


LETTERS: dict[str, Callable[[Any, dt.date], Letter | None]] = {
    Digest.DAILY: daily_letter,
    Digest.WEEKLY: weekly_letter,
}
RECIPIENTS: dict[str, Callable[[], list[Any]]] = {
    Digest.DAILY: daily_recipients,
    Digest.WEEKLY: weekly_recipients,
}


def letters(kind: str, today: dt.date) -> Iterator[Letter]:
    """Every digest of `kind` that would go out on `today`, composed in the
    site's language: for `send_digests --dry-run`."""
    with translation.override(settings.LANGUAGE_CODE):
        for user in RECIPIENTS[kind]():
            letter = LETTERS[kind](user, today)
            if letter is not None:
                yield letter


def send_digests(kind: str, today: dt.date, *, username: str = "") -> Counter:
    """Send each person's digest of `kind` for `today` (only `username`'s,
    when given), once: returns how many were sent, empty, failed, or
    already done."""
    done = set(
        SentDigest.objects.filter(kind=kind, day=today)
        .exclude(status=SentDigest.Status.FAILED)
        .exclude(_lapsed(timezone.now()))
        .values_list("user_id", flat=True)
    )
    outcome: Counter = Counter()
    with translation.override(settings.LANGUAGE_CODE):
        for user in RECIPIENTS[kind]():
            if username and user.get_username() != username:
                continue
            if user.pk in done:
                outcome["done before"] += 1
                continue
            outcome[send_one(user, kind, today)] += 1
    return outcome


def _lapsed(now: dt.datetime) -> Q:
    """Digests taken by a worker more than WORKER_LOST_SECONDS ago and not
    sent: that worker died (`ops.liveness`), and another may take them."""
    lapse = dt.timedelta(seconds=settings.WORKER_LOST_SECONDS)
    return Q(status=SentDigest.Status.SENDING, created_at__lt=now - lapse)


def claim(user: Any, kind: str, today: dt.date) -> SentDigest | None:
    """Take the digest of (user, kind, day) for this worker; None when it
    is taken, sent, or has failed too often. One taken by a worker that
    died is taken again once its claim lapses."""
    try:
        with transaction.atomic():
            return SentDigest.objects.create(user=user, kind=kind, day=today)
    except IntegrityError:
        pass
    now = timezone.now()
    tries = len(settings.MAIL_RETRY_MINUTES) + 1
    retaken = (
        SentDigest.objects.filter(user=user, kind=kind, day=today, attempts__lt=tries)
        .filter(Q(status=SentDigest.Status.FAILED) | _lapsed(now))
        .update(
            status=SentDigest.Status.SENDING,
            attempts=F("attempts") + 1,
            created_at=now,
        )
    )
    if not retaken:
        return None
    return SentDigest.objects.get(user=user, kind=kind, day=today)


def send_one(user: Any, kind: str, today: dt.date) -> str:
    """Claim, write and send one digest; returns what became of it."""
    row = claim(user, kind, today)
    if row is None:
        return "done before"
    letter = LETTERS[kind](user, today)
    if letter is None:
        SentDigest.objects.filter(pk=row.pk).update(status=SentDigest.Status.EMPTY)
        return "empty"
    try:
        send_text_mail(letter.subject, letter.body, [user.email])
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("The %s digest of %s failed: %s", kind, user.pk, exc)
        SentDigest.objects.filter(pk=row.pk).update(
            status=SentDigest.Status.FAILED, error=str(exc)[:1000]
        )
        return "failed"
    now = timezone.now()
    SentDigest.objects.filter(pk=row.pk).update(
        status=SentDigest.Status.SENT, sent_at=now, error=""
    )
    Notification.objects.filter(pk__in=letter.notification_ids).update(mailed_at=now)
    return "sent"


def due(now: dt.datetime) -> list[str]:
    """The digests due at `now` (local time): the daily one from
    DIGEST_TIME, the weekly one from then on WEEKLY_DIGEST_WEEKDAY."""
    local = timezone.localtime(now)
    if local.time() < dt.time.fromisoformat(settings.DIGEST_TIME):
        return []
    kinds: list[str] = [Digest.DAILY]
    if local.isoweekday() == settings.WEEKLY_DIGEST_WEEKDAY:
        kinds.append(Digest.WEEKLY)
    return kinds
