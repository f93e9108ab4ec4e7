"""Demo data: two yearly cycles that follow the public figures of DESIGN.md.

The current year (the year the demo is loaded in) stands where the public
record left Hà Nội late in 2023: of its 26 wards (15 assigned by the
Ministry, 11 added by the city) 3 at 19/22, 11 at 18/22 and 12 at 15–16/22,
with the three year-end criteria still open; Phường An Hưng (Thanh Hóa) at
18/22 with the dossiers of its 4 other criteria waiting for review. The year
before is finished: each ward got further, those that met every criterion
were recognised, and nothing is left waiting for review.

Every event of a year happens within that year (`timeline.DemoYear`): from
January to mid-December for the finished year, to the moment of loading for
the current one, and year-end criteria only once their window has opened.

The loader writes final states in bulk, with the events that would have led
to them, because replaying a year of clicks through the workflow would make
`make run` slow; the states it writes are ones the workflow allows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from access.models import Membership
from accounts.models import User
from assessments.models import (
    Assessment,
    Enrolment,
    Evidence,
    ReviewEvent,
    evidence_path,
)
from assessments.services import import_criteria_file
from criteria.fileformat import ILLUSTRATIVE_SET
from criteria.models import CriteriaSet, Criterion
from wards.models import Province, Ward
from wards.units import import_units_file

from .timeline import DemoYear

DATA = Path(__file__).resolve().parent / "data"
CRITERIA_FILE = ILLUSTRATIVE_SET
WARDS_FILE = DATA / "demo-wards.csv"
DEFAULT_PASSWORD = "kieumau-demo"  # noqa: S105 - documented demo password
# Demo accounts that need a second factor get an authenticator with a random
# key under this name; `manage.py demo_code USER` prints its current code.
DEMO_DEVICE = "Demo authenticator"
# Criteria a ward had met more at the end of last year than it has now.
LAST_YEAR_AHEAD_BY = 3
# The Minister's decision (an illustrative number) that recognised last year's
# complete wards.
RECOGNITION_NUMBER = "%d/QĐ-BCA-V05"

MINISTRY, PROVINCE = Enrolment.Track.MINISTRY, Enrolment.Track.PROVINCE
S = Assessment.Status


@dataclass(frozen=True)
class Plan:
    """How far one demo ward has got: its approved count and how the rest stand."""

    ward_code: str
    track: str
    approved: int
    rest_submitted: bool = False

    def status_now(self, position: int, criterion: Criterion, year: DemoYear) -> str:
        """Where the criterion at `position` stands in the current year."""
        if position < self.approved:
            status = S.APPROVED
        elif self.rest_submitted:
            status = S.SUBMITTED
        elif criterion.year_end_only:
            status = S.IN_PROGRESS if position % 2 else S.NOT_STARTED
        else:
            status = (S.SUBMITTED, S.RETURNED, S.IN_PROGRESS)[position % 3]
        if (
            criterion.year_end_only
            and not year.year_end_open
            and status != S.NOT_STARTED
        ):
            return S.IN_PROGRESS  # its window has not opened yet this year
        return status

    def status_last_year(self, position: int, size: int) -> str:
        """Where the criterion at `position` ended last year: decided, or never sent."""
        if position < self.approved_last_year(size):
            return S.APPROVED
        return (S.RETURNED, S.IN_PROGRESS)[position % 2]

    def approved_last_year(self, size: int) -> int:
        return min(size, self.approved + LAST_YEAR_AHEAD_BY)


def _hanoi() -> list[Plan]:
    plans = []
    for i in range(26):
        if i < 3:
            approved = 19
        elif i < 14:
            approved = 18
        else:
            approved = 16 if i % 2 == 0 else 15
        track = MINISTRY if i < 15 else PROVINCE
        plans.append(Plan(f"01{i + 1:03d}", track, approved))
    return plans


PLANS: list[Plan] = [
    *_hanoi(),
    Plan("38001", MINISTRY, 18, rest_submitted=True),  # Phường An Hưng
    Plan("38002", MINISTRY, 20),
    Plan("38003", PROVINCE, 14),
    Plan("38004", PROVINCE, 11),
    Plan("38005", PROVINCE, 17),
    Plan("48001", MINISTRY, 21),
    Plan("48002", MINISTRY, 17),
    Plan("48003", PROVINCE, 12),
    Plan("48004", PROVINCE, 9),
    Plan("79001", MINISTRY, 22),
    Plan("79002", MINISTRY, 20),
    Plan("79003", MINISTRY, 16),
    Plan("79004", PROVINCE, 13),
    Plan("79005", PROVINCE, 10),
    Plan("31001", MINISTRY, 19),
    Plan("31002", PROVINCE, 14),
    Plan("31003", PROVINCE, 8),
]

DEMO_ACCOUNTS = [
    # user name, role, ward code, province code, what they see
    ("demo-officer", Membership.Role.OFFICER, "38001", None),
    ("demo-reviewer", Membership.Role.REVIEWER, None, "38"),
    ("demo-leader", Membership.Role.PROVINCIAL_LEADER, None, "01"),
    ("demo-national", Membership.Role.NATIONAL_LEADER, None, None),
    ("demo-admin", Membership.Role.ADMINISTRATOR, None, None),
]
# Made-up people: family and middle name (last_name), given name (first_name).
DEMO_NAMES = {
    "demo-officer": ("Nguyễn Văn", "An"),
    "demo-reviewer": ("Lê Thị", "Lan"),
    "demo-leader": ("Trần Quốc", "Bảo"),
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
        Enrolment.objects.filter(ward__code=PLANS[0].ward_code).exists()
        and User.objects.filter(username="demo-officer").exists()
    )


def load_reference_data() -> CriteriaSet:
    """The shipped criteria set and the demo wards; safe to run again."""
    result = import_criteria_file(CRITERIA_FILE)
    import_units_file(WARDS_FILE)
    return result.criteria_set


@transaction.atomic
def load_demo(*, password: str | None = None, now: dt.datetime | None = None) -> None:
    """Load the demo enrolments, evidence, events and accounts, once.

    Two cycles: the year of `now` (by default, now), in progress, and the
    year before it, finished.
    """
    criteria_set = load_reference_data()
    if is_loaded():
        return
    password = password or settings.DEMO_PASSWORD
    wards = {w.code: w for w in Ward.objects.select_related("province")}
    provinces = {p.code: p for p in Province.objects.all()}
    accounts = _create_accounts(password, wards, provinces)
    criteria = list(criteria_set.criteria.order_by("number"))
    anytime = [c for c in criteria if not c.year_end_only]
    year_end = [c for c in criteria if c.year_end_only]

    this_year = DemoYear.current(now or timezone.now())
    last_year = DemoYear.finished(this_year.year - 1)
    writer = _DemoWriter()
    for year in (last_year, this_year):
        for index, plan in enumerate(PLANS):
            ward = wards[plan.ward_code]
            enrolment = Enrolment(
                ward=ward, year=year.year, criteria_set=criteria_set, track=plan.track
            )
            complete = plan.approved_last_year(len(criteria)) == len(criteria)
            if year is last_year and complete:
                enrolment.recognition_number = RECOGNITION_NUMBER % (4000 + year.year)
                enrolment.recognition_date = dt.date(year.year, 12, 28)
            enrolment.save()
            officer = accounts.officer_for(ward)
            reviewer = accounts.reviewer_for(ward.province)
            rotation = index % len(anytime)
            ordered = anytime[rotation:] + anytime[:rotation] + year_end
            rng = random.Random(f"{plan.ward_code}/{year.year}")  # noqa: S311 - demo
            for position, criterion in enumerate(ordered):
                if year is last_year:
                    status = plan.status_last_year(position, len(criteria))
                else:
                    status = plan.status_now(position, criterion, year)
                writer.add(enrolment, criterion, status, officer, reviewer, rng, year)
    writer.flush()


class _Accounts:
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

    def reviewer_for(self, province: Province) -> User:
        if province.pk not in self.reviewers:
            user = _demo_user(f"reviewer-{province.code}", None)
            Membership.objects.create(
                user=user, role=Membership.Role.REVIEWER, province=province
            )
            self.reviewers[province.pk] = user
        return self.reviewers[province.pk]


def _create_accounts(password, wards, provinces) -> _Accounts:
    accounts = _Accounts()
    for username, role, ward_code, province_code in DEMO_ACCOUNTS:
        user = _demo_user(username, password)
        if role == Membership.Role.ADMINISTRATOR:
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        ward = wards.get(ward_code) if ward_code else None
        province = provinces.get(province_code) if province_code else None
        Membership.objects.create(user=user, role=role, ward=ward, province=province)
        if role in settings.SECOND_FACTOR_ROLES:
            TOTPDevice.objects.create(user=user, name=DEMO_DEVICE, confirmed=True)
        if role == Membership.Role.OFFICER:
            accounts.officers[ward.pk] = user
        elif role == Membership.Role.REVIEWER:
            accounts.reviewers[province.pk] = user
    return accounts


def _demo_user(username: str, password: str | None) -> User:
    others = User.objects.exclude(username__startswith="demo-").count()
    family, given = DEMO_NAMES.get(username) or OTHER_NAMES[others % len(OTHER_NAMES)]
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

    def __init__(self) -> None:
        self.assessments: list[Assessment] = []
        self.evidence: list[tuple[int, Evidence]] = []
        self.events: list[tuple[int, ReviewEvent]] = []

    def add(self, enrolment, criterion, status, officer, reviewer, rng, year):
        """An assessment in `status`, with its evidence and the events behind it."""
        index = len(self.assessments)
        assessment = Assessment(enrolment=enrolment, criterion=criterion, status=status)
        self.assessments.append(assessment)
        if status == S.NOT_STARTED:
            return
        added = year.at(rng, 0.0, 0.45)
        self.evidence.append(
            (index, self._evidence(enrolment, criterion, officer, added))
        )
        self._event(index, officer, "add_evidence", S.NOT_STARTED, S.IN_PROGRESS, added)
        if status == S.IN_PROGRESS:
            return
        if status == S.SUBMITTED:
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
        assessment.submitted_by, assessment.submitted_at = officer, submitted
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
        content = demo_pdf(f"Kieu Mau demo: {ward.code} criterion {criterion.number}")
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
        Assessment.objects.bulk_create(self.assessments, batch_size=1000)
        for index, evidence in self.evidence:
            evidence.assessment = self.assessments[index]
        Evidence.objects.bulk_create([e for _i, e in self.evidence], batch_size=1000)
        for index, event in self.events:
            event.assessment = self.assessments[index]
        ReviewEvent.objects.bulk_create([e for _i, e in self.events], batch_size=1000)


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
    names += [f"officer-{plan.ward_code}" for plan in PLANS]
    names += [f"reviewer-{code}" for code in {p.ward_code[:2] for p in PLANS}]
    return names


@transaction.atomic
def remove_demo() -> None:
    """Remove the demo enrolments, their evidence and files, and demo accounts."""
    enrolments = Enrolment.objects.filter(ward__code__in=[p.ward_code for p in PLANS])
    assessments = Assessment.objects.filter(enrolment__in=enrolments)
    files = list(
        Evidence.objects.filter(assessment__in=assessments).values_list(
            "file", flat=True
        )
    )
    ReviewEvent.objects.filter(assessment__in=assessments).delete()
    Evidence.objects.filter(assessment__in=assessments).delete()
    assessments.delete()
    enrolments.delete()
    User.objects.filter(username__in=demo_usernames()).delete()
    transaction.on_commit(lambda: [default_storage.delete(name) for name in files])
