"""Demo data on the official units: 2023, finished, and the current year.

What it holds is in `demo_plans`: 2023 on the units in force then (Hà Nội's
26 wards and Phường An Hưng at the figures of the public record), the
current year (the year it is loaded in) on the units formed on 1 July 2025
that took them. Nothing of 2023 waits for review: every criterion sent that
year was decided by its end, and the wards that met every criterion were
recognised. The people who worked on a 2023 ward are the officers of the
unit that took it (the one keeping its code or name, else the first), and
read its record through the unit's lineage.

Every event of a year happens within that year (`timeline.DemoYear`): from
January to mid-December for 2023, to the moment of loading for the current
year, and year-end criteria only once their window has opened. Criteria
with indicators that were sent for review carry figures meeting their rules
(`demo_indicators`), Phú La's and An Hưng's from the public record.

The loader writes final states in bulk, with the events that would have led
to them, because replaying a year of clicks through the workflow would make
`make run` slow; the states it writes are ones the workflow allows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Collection

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from access.models import Membership
from accounts.models import User
from assessments import tally
from assessments.models import (
    Assessment,
    Comment,
    Decision,
    Enrolment,
    Evidence,
    IndicatorValue,
    Proposal,
    Quota,
    RecognitionEvent,
    ReuseAllowed,
    ReviewEvent,
    evidence_path,
    fill_event_provinces,
)
from assessments.services import import_criteria_file
from criteria.fileformat import ILLUSTRATIVE_SET
from criteria.models import CriteriaSet
from deadlines.models import Calendar
from wards.models import Province, UnitChange, Ward

from .demo_calendar import load_calendar
from .demo_indicators import Figures
from .demo_plans import (
    DEMO_ACCOUNTS,
    DEMO_PROVINCES,
    HANOI,
    PAST_DAY,
    PAST_YEAR,
    PLANS_NOW,
    PLANS_PAST,
    THANH_HOA,
    Plan,
)
from .demo_recognition import load_recognition
from .demo_units import load_units, units_on
from .demo_validity import DEMO_WARD, load_validity
from .timeline import DemoYear

CRITERIA_FILE = ILLUSTRATIVE_SET
DEFAULT_PASSWORD = "kieumau-demo"  # noqa: S105 - documented demo password
# Demo accounts that need a second factor get an authenticator with a random
# key under this name; `manage.py demo_code USER` prints its current code.
DEMO_DEVICE = "Demo authenticator"

S = Assessment.Status

# Made-up people: family and middle name (last_name), given name (first_name).
DEMO_NAMES = {
    "demo-officer": ("Nguyễn Văn", "An"),
    "demo-contributor": ("Đinh Thị", "Thu"),
    "demo-reviewer": ("Lê Thị", "Lan"),
    "demo-leader": ("Trần Quốc", "Bảo"),
    "demo-ministry": ("Vũ Thị", "Hạnh"),
    "demo-national": ("Phạm Minh", "Đức"),
    "demo-admin": ("Hoàng Văn", "Sơn"),
}
OTHER_NAMES = [
    ("Trần Thị", "Hà"),
    ("Lê Văn", "Minh"),
    ("Phạm Thu", "Trang"),
    ("Nguyễn Đức", "Thắng"),
    ("Hoàng Thị", "Mai"),
    ("Vũ Quang", "Huy"),
    ("Đặng Thị", "Hương"),
    ("Bùi Văn", "Long"),
    ("Đỗ Minh", "Tuấn"),
    ("Ngô Thị", "Ngọc"),
    ("Dương Văn", "Nam"),
    ("Lý Thanh", "Tâm"),
]

RETURN_REASONS = [
    "Biên bản chưa có chữ ký và đóng dấu của đơn vị; đề nghị bổ sung bản có đủ chữ ký.",
    "Số liệu trong báo cáo chưa khớp với số liệu thống kê của Công an tỉnh; đề "
    "nghị rà soát lại.",
    "Thiếu hình ảnh minh chứng tại hiện trường; đề nghị tải lên ảnh chụp có ghi ngày.",
]


def is_loaded() -> bool:
    return (
        Enrolment.objects.filter(year=PAST_YEAR, ward__code=PLANS_PAST[0].code).exists()
        and User.objects.filter(username="demo-officer").exists()
    )


def load_reference_data(*, only_demo_provinces: bool = False) -> CriteriaSet:
    """The shipped criteria set and the official units; safe to run again.

    Every official unit, or with `only_demo_provinces` (for tests) only those
    of the provinces the demo uses, from both lists, with their lineage.
    """
    result = import_criteria_file(CRITERIA_FILE)
    load_units(provinces=DEMO_PROVINCES if only_demo_provinces else None)
    return result.criteria_set


@transaction.atomic
def load_demo(
    *,
    password: str | None = None,
    now: dt.datetime | None = None,
    only_demo_provinces: bool = False,
) -> None:
    """Load the demo enrolments, evidence, events and accounts, once.

    Two years: 2023, finished, and the year of `now` (by default, now), in
    progress. See `load_reference_data` for `only_demo_provinces`.
    """
    criteria_set = load_reference_data(only_demo_provinces=only_demo_provinces)
    if is_loaded():
        return
    password = password or settings.DEMO_PASSWORD
    this_year = DemoYear.current(now or timezone.now())
    past_year = DemoYear.finished(PAST_YEAR)
    today = this_year.end.date()
    units_now = units_on(today, {p.code: p.name for p in PLANS_NOW})
    units_past = units_on(PAST_DAY, {p.code: p.name for p in PLANS_PAST})
    accounts = _create_accounts(password, units_now, today)
    now_in = _taken_by(units_past.values(), units_now.values())
    criteria = list(criteria_set.criteria.order_by("number"))

    figures = Figures(criteria_set)
    writer = _DemoWriter(figures)
    for year, plans, units in (
        (past_year, PLANS_PAST, units_past),
        (this_year, PLANS_NOW, units_now),
    ):
        for index, plan in enumerate(plans):
            ward = units[plan.code]
            # Who did the work: in 2023, the people of the unit that took it.
            at = now_in[ward.pk] if year is past_year else ward
            enrolment = _enrol(plan, ward, year, criteria_set, len(criteria))
            officer = accounts.officer_for(at)
            reviewer = accounts.reviewer_for(at.province)
            rng = random.Random(f"{plan.code}/{year.year}")  # noqa: S311 - demo
            for position, criterion in enumerate(plan.order(criteria, index)):
                if year is past_year:
                    status = plan.status_past(position)
                    late = plan.rest_submitted and status != S.APPROVED
                else:
                    status, late = plan.status_now(position, criterion, year), False
                writer.add(
                    enrolment, criterion, status, officer, reviewer, rng, year, late
                )
    writer.flush()
    # Written in bulk, not through the workflow: the stored progress is
    # counted here, for the proposals that follow, and again at the end.
    tally.recount()
    provinces = {p.code: p for p in Province.objects.valid_on(today)}
    load_recognition(
        [(past_year, PLANS_PAST), (this_year, PLANS_NOW)],
        leaders={
            HANOI: User.objects.get(username="demo-leader"),
            THANH_HOA: accounts.leader_for(provinces[THANH_HOA]),
        },
        pdf=demo_pdf,
    )
    hac_thanh = units_now[DEMO_WARD]
    load_validity(
        this_year,
        ward=hac_thanh,
        officer=accounts.officer_for(hac_thanh),
        reviewer=accounts.reviewer_for(hac_thanh.province),
        criteria_set=criteria_set,
        pdf=demo_pdf,
        figures=figures,
    )
    writer.flush_events(figures.flush())
    # Last: the bells, as the worker would fill them from all of the above.
    load_calendar(this_year)
    tally.recount()
    fill_event_provinces()


def _enrol(plan: Plan, ward: Ward, year: DemoYear, criteria_set, size: int):
    enrolment = Enrolment(
        ward=ward, year=year.year, criteria_set=criteria_set, track=plan.track
    )
    enrolment.clean()  # a unit in force that year, as for any enrolment
    enrolment.save()
    return enrolment


def _taken_by(past: Collection[Ward], now: Collection[Ward]) -> dict[int, Ward]:
    """For each 2023 unit, the current unit its people are in now: of those
    that took it (`UnitChange`), the one with its code, else its name, else
    the first by code."""
    current = {ward.pk: ward for ward in now}
    successors: dict[int, list[Ward]] = {}
    for old, new in UnitChange.objects.filter(
        predecessor__in=[w.pk for w in past], successor__in=list(current)
    ).values_list("predecessor_id", "successor_id"):
        successors.setdefault(old, []).append(current[new])
    taken = {}
    for ward in past:
        if ward.pk not in successors:
            raise ValueError(
                f"No unit of the demo took {ward.full_name} ({ward.code})."
            )
        taken[ward.pk] = min(
            successors[ward.pk],
            key=lambda w: (w.code != ward.code, w.name != ward.name, w.code),
        )
    return taken


class _Accounts:
    """One officer per current unit and one reviewer per current province,
    made when first needed."""

    def __init__(self) -> None:
        self.officers: dict[int, User] = {}
        self.reviewers: dict[int, User] = {}

    def officer_for(self, ward: Ward) -> User:
        if ward.pk not in self.officers:
            user = _demo_user(f"officer-{ward.code}", None)
            Membership.objects.create(
                user=user, role=Membership.Role.OFFICER, ward=ward
            )
            self.officers[ward.pk] = user
        return self.officers[ward.pk]

    def leader_for(self, province: Province) -> User:
        """A provincial leader of a province without a demo leader account."""
        user = _demo_user(f"leader-{province.code}", None)
        Membership.objects.create(
            user=user, role=Membership.Role.PROVINCIAL_LEADER, province=province
        )
        return user

    def reviewer_for(self, province: Province) -> User:
        if province.pk not in self.reviewers:
            user = _demo_user(f"reviewer-{province.code}", None)
            Membership.objects.create(
                user=user, role=Membership.Role.REVIEWER, province=province
            )
            self.reviewers[province.pk] = user
        return self.reviewers[province.pk]


def _create_accounts(
    password: str, units: dict[str, Ward], today: dt.date
) -> _Accounts:
    accounts = _Accounts()
    provinces = {p.code: p for p in Province.objects.valid_on(today)}
    for username, role, ward_code, province_code, body in DEMO_ACCOUNTS:
        user = _demo_user(username, password)
        if role == Membership.Role.ADMINISTRATOR:
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        ward = units[ward_code] if ward_code else None
        province = provinces[province_code] if province_code else None
        Membership.objects.create(
            user=user, role=role, ward=ward, province=province, body=body
        )
        if role in settings.SECOND_FACTOR_ROLES:
            TOTPDevice.objects.create(user=user, name=DEMO_DEVICE, confirmed=True)
        if ward is not None and role == Membership.Role.OFFICER:
            accounts.officers[ward.pk] = user
        elif province is not None and role == Membership.Role.REVIEWER:
            accounts.reviewers[province.pk] = user
    return accounts


def _demo_user(username: str, password: str | None) -> User:
    family, given = (
        DEMO_NAMES.get(username)
        or OTHER_NAMES[
            User.objects.exclude(username__startswith="demo-").count()
            % len(OTHER_NAMES)
        ]
    )
    user = User(
        username=username,
        email=f"{username}@kieumau.invalid",
        last_name=family,
        first_name=given,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


class _DemoWriter:
    """Collects rows and writes them in bulk."""

    def __init__(self, figures: Figures) -> None:
        self.figures = figures
        self.assessments: list[Assessment] = []
        self.evidence: list[tuple[int, Evidence]] = []
        self.events: list[tuple[int, ReviewEvent]] = []

    def add(self, enrolment, criterion, status, officer, reviewer, rng, year, late):
        """An assessment in `status`, with its evidence and the events behind it;
        `late`: sent in the last fortnight (and decided since, unless waiting)."""
        index = len(self.assessments)
        assessment = Assessment(enrolment=enrolment, criterion=criterion, status=status)
        self.assessments.append(assessment)
        if status == S.NOT_STARTED:
            return
        added = year.at(rng, 0.0, 0.45)
        evidence = self._evidence(enrolment, criterion, officer, added)
        self.evidence.append((index, evidence))
        self._event(index, officer, "add_evidence", S.NOT_STARTED, S.IN_PROGRESS, added)
        if status == S.IN_PROGRESS:
            return
        if status == S.SUBMITTED or late:
            # Still waiting: submitted in the last fortnight, so the review
            # queue shows real ages and only some items are overdue.
            after = (
                max(added, year.year_end_opens) if criterion.year_end_only else added
            )
            submitted = year.recent(rng, not_before=after)
        elif criterion.year_end_only:
            submitted = year.in_window(rng, not_before=added)
        else:
            submitted = max(year.at(rng, 0.3, 0.9), year.after(rng, added, days=(1, 3)))
        ready = self.figures.ready(enrolment.ward, enrolment.year, criterion.pk)
        if ready is not None:  # not before its figures were out
            submitted = max(submitted, year.after(rng, ready, days=(1, 3)))
        assessment.submitted_by, assessment.submitted_at = officer, submitted
        self.figures.add(
            assessment,
            ward=enrolment.ward,
            year=enrolment.year,
            between=(added, submitted),
            actor=officer,
            evidence=evidence,
        )
        self._event(index, officer, "submit", S.IN_PROGRESS, S.SUBMITTED, submitted)
        if status == S.SUBMITTED:
            return
        decided = year.after(rng, submitted, days=(2, 12))
        assessment.reviewer, assessment.decided_at = reviewer, decided
        if status == S.APPROVED:
            self._event(index, reviewer, "approve", S.SUBMITTED, S.APPROVED, decided)
        else:
            reason = RETURN_REASONS[index % len(RETURN_REASONS)]
            self._event(
                index, reviewer, "return", S.SUBMITTED, S.RETURNED, decided, reason
            )

    def _event(self, index, actor, action, from_status, to_status, when, comment=""):
        event = ReviewEvent(
            actor=actor,
            action=action,
            from_status=from_status,
            to_status=to_status,
            comment=comment,
            created_at=when,
        )
        self.events.append((index, event))

    def _evidence(self, enrolment, criterion, officer, when) -> Evidence:
        ward = enrolment.ward
        name = f"Báo cáo tiêu chí {criterion.number} – {ward.name}.pdf"
        content = demo_pdf(
            f"Kieu Mau demo: {ward.code} {enrolment.year} criterion {criterion.number}"
        )
        stored = default_storage.save(evidence_path(None, name), ContentFile(content))
        return Evidence(
            file=stored,
            original_name=name,
            content_type="application/pdf",
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            description=f"Hồ sơ minh chứng tiêu chí {criterion.number}",
            document_date=when.date(),
            uploaded_by=officer,
            uploaded_at=when,
        )

    def flush(self) -> None:
        """Write the assessments and their evidence."""
        Assessment.objects.bulk_create(self.assessments, batch_size=1000)
        for index, evidence in self.evidence:
            evidence.assessment = self.assessments[index]
        Evidence.objects.bulk_create([e for _i, e in self.evidence], batch_size=1000)

    def flush_events(self, figures: list[ReviewEvent]) -> None:
        """Write the events, with the figures' events (`Figures.flush`) after
        the first file of their assessment: in the order they happened, even
        at the same moment (early on New Year's Day)."""
        entered: dict[int, list[ReviewEvent]] = {}
        for event in figures:
            entered.setdefault(event.assessment.pk, []).append(event)
        events = []
        for index, event in self.events:
            event.assessment = self.assessments[index]
            events.append(event)
            if event.action == ReviewEvent.Action.ADD_EVIDENCE:
                events += entered.pop(event.assessment.pk, [])
        events += [event for rest in entered.values() for event in rest]
        ReviewEvent.objects.bulk_create(events, batch_size=1000)


def demo_pdf(text: str) -> bytes:
    """A small, valid one-page PDF showing `text` (non-ASCII shows as "?")."""
    safe = text.encode("ascii", "replace").translate(None, b"()\\")
    stream = b"BT /F1 14 Tf 72 760 Td (" + safe + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def demo_usernames() -> list[str]:
    names = [account[0] for account in DEMO_ACCOUNTS]
    names += [f"officer-{plan.code}" for plan in PLANS_NOW]
    names += [f"reviewer-{code}" for code in DEMO_PROVINCES]
    names += [f"leader-{THANH_HOA}"]
    return names


@transaction.atomic
def remove_demo() -> None:
    """Remove the demo enrolments, their evidence and files, and demo accounts."""
    in_provinces = Q(ward__province__code__in=DEMO_PROVINCES)
    enrolments = Enrolment.objects.filter(
        # 2023 on the units of then; later years on those formed since, which
        # are the only ones carrying these codes after 2023.
        Q(year=PAST_YEAR, ward__code__in=[p.code for p in PLANS_PAST])
        | Q(year__gt=PAST_YEAR, ward__code__in=[p.code for p in PLANS_NOW]),
        in_provinces,
    )
    assessments = Assessment.objects.filter(enrolment__in=enrolments)
    files = list(
        Evidence.objects.filter(assessment__in=assessments).values_list(
            "file", flat=True
        )
    )
    decisions = list(
        Decision.objects.filter(
            Q(enrolments__in=enrolments) | Q(proposals__enrolment__in=enrolments)
        ).distinct()
    )
    files += [decision.scan.name for decision in decisions if decision.scan]
    tally.removed(enrolments)
    RecognitionEvent.objects.filter(enrolment__in=enrolments).delete()
    proposals = Proposal.objects.filter(enrolment__in=enrolments)
    Decision.proposals.through.objects.filter(proposal__in=proposals).delete()
    enrolments.update(stage=Enrolment.Stage.OPEN, decision=None, keeps_title_of=None)
    Decision.objects.filter(pk__in=[decision.pk for decision in decisions]).delete()
    proposals.delete()
    Quota.objects.filter(
        province__code__in=DEMO_PROVINCES, set_by__username="demo-national"
    ).delete()
    ReviewEvent.objects.filter(assessment__in=assessments).delete()
    # Figures are kept per unit, not per year: all of the demo's units'.
    IndicatorValue.objects.filter(ward__in=enrolments.values("ward")).delete()
    comments = Comment.objects.filter(assessment__in=assessments)
    files += [name for name in comments.values_list("file", flat=True) if name]
    comments.delete()
    # Carried-over rows first: the rows they came from are protected.
    Evidence.objects.filter(assessment__in=assessments).exclude(
        carried_from=None
    ).delete()
    Evidence.objects.filter(assessment__in=assessments).delete()
    assessments.delete()
    enrolments.delete()
    Calendar.objects.filter(set_by__username__in=demo_usernames()).delete()
    ReuseAllowed.objects.filter(allowed_by__username__in=demo_usernames()).delete()
    User.objects.filter(username__in=demo_usernames()).delete()
    transaction.on_commit(lambda: [default_storage.delete(name) for name in files])
