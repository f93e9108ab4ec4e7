"""National-scale data for the benchmark: 34 provinces, 3,321 wards, two years.

Written with PostgreSQL's COPY (bulk_create elsewhere), in one transaction.
Every state it writes comes with the review events that would have led to
it, and every evidence row points at one shared stored file whose SHA-256
is right, so downloads and integrity checks work on this data too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from access.models import Membership
from accounts.models import User
from assessments.models import Assessment, Enrolment, Evidence, ReviewEvent
from assessments.services import import_criteria_file
from core.collation import fold
from wards.models import Province, Ward

from .demo import CRITERIA_FILE, demo_pdf

PROVINCES = [
    "Hà Nội", "Huế", "Lai Châu", "Điện Biên", "Sơn La", "Lạng Sơn", "Quảng Ninh",
    "Thanh Hóa", "Nghệ An", "Hà Tĩnh", "Cao Bằng", "Tuyên Quang", "Lào Cai",
    "Thái Nguyên", "Phú Thọ", "Bắc Ninh", "Hưng Yên", "Hải Phòng", "Ninh Bình",
    "Quảng Trị", "Đà Nẵng", "Quảng Ngãi", "Gia Lai", "Khánh Hòa", "Lâm Đồng",
    "Đắk Lắk", "Hồ Chí Minh", "Đồng Nai", "Tây Ninh", "Cần Thơ", "Vĩnh Long",
    "Đồng Tháp", "Cà Mau", "An Giang",
]  # fmt: skip
WARDS = 3321
BIGGEST = 240  # Hồ Chí Minh: a province of more than 200 wards
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
S = Assessment.Status
SAMPLE_NAME = "evidence/bench/sample.pdf"


def is_loaded(years: Sequence[int]) -> bool:
    return Enrolment.objects.filter(
        year__in=years, ward__code__startswith="N"
    ).count() == WARDS * len(years)


def ward_counts(total: int = WARDS, biggest: int = BIGGEST) -> list[int]:
    """Wards per province: one of 240, the rest spread to make 3,321."""
    rest = total - biggest
    base, extra = divmod(rest, len(PROVINCES) - 1)
    counts = [base + (1 if i < extra else 0) for i in range(len(PROVINCES) - 1)]
    counts.insert(PROVINCES.index("Hồ Chí Minh"), biggest)
    return counts


@transaction.atomic
def generate(
    *,
    years: Sequence[int],
    seed: int = 2026,
    total: int = WARDS,
    biggest: int = BIGGEST,
) -> dict[str, int]:
    """Create the national data set for `years`; returns the row counts."""
    rng = random.Random(seed)  # noqa: S311 - benchmark data
    criteria_set = import_criteria_file(CRITERIA_FILE).criteria_set
    criteria = list(criteria_set.criteria.order_by("number"))
    sample = demo_pdf("Kieu Mau national benchmark evidence")
    if not default_storage.exists(SAMPLE_NAME):
        default_storage.save(SAMPLE_NAME, ContentFile(sample))
    sample_hash = hashlib.sha256(sample).hexdigest()

    taken = Province.objects.filter(name__in=PROVINCES).values_list("name", flat=True)
    if taken:
        raise ValueError(
            f"Provinces {', '.join(taken)} exist already: generate the national "
            "data in a database of its own (make bench uses kieumau_bench)."
        )
    provinces = Province.objects.bulk_create(
        [Province(code=f"N{i + 1:02d}", name=name) for i, name in enumerate(PROVINCES)]
    )
    wards: list[Ward] = []
    for province, count in zip(provinces, ward_counts(total, biggest), strict=True):
        for _ in range(count):
            n = len(wards) + 1
            name = f"Phường {n:04d}"
            wards.append(
                Ward(
                    code=f"N{n:05d}",
                    name=name,
                    folded_name=fold(name),
                    province=province,
                )
            )
    Ward.objects.bulk_create(wards, batch_size=5000)
    password = make_password(None)
    officers = User.objects.bulk_create(
        [User(username=f"n-officer-{w.code}", password=password) for w in wards],
        batch_size=5000,
    )
    reviewers = User.objects.bulk_create(
        [User(username=f"n-reviewer-{p.code}", password=password) for p in provinces]
    )
    Membership.objects.bulk_create(
        [
            Membership(user=u, role="officer", ward=w)
            for u, w in zip(officers, wards, strict=True)
        ]
        + [
            Membership(user=u, role="reviewer", province=p)
            for u, p in zip(reviewers, provinces, strict=True)
        ],
        batch_size=5000,
    )
    reviewer_of = {p.pk: u.pk for p, u in zip(provinces, reviewers, strict=True)}

    enrolments = Enrolment.objects.bulk_create(
        [
            Enrolment(
                ward=ward,
                year=year,
                criteria_set=criteria_set,
                track="ministry" if rng.random() < 0.6 else "province",
            )
            for year in years
            for ward in wards
        ],
        batch_size=5000,
    )
    officer_of = {w.pk: u.pk for w, u in zip(wards, officers, strict=True)}
    latest = max(years)

    plans = []  # (enrolment, criterion, status, steps)
    for enrolment in enrolments:
        # Last year is further along than this year.
        mean = 20 if enrolment.year < latest else 15
        approved = max(0, min(len(criteria), round(rng.gauss(mean, 3))))
        order = criteria[:]
        rng.shuffle(order)
        for position, criterion in enumerate(order):
            if position < approved:
                status = S.APPROVED
            else:
                status = rng.choice(
                    [S.SUBMITTED, S.RETURNED, S.IN_PROGRESS, S.NOT_STARTED]
                )
            plans.append((enrolment, criterion, status))

    _copy(
        Assessment,
        ["enrolment_id", "criterion_id", "status", "submitted_by_id", "submitted_at",
         "reviewer_id", "decided_at", "updated_at"],
        (
            _assessment_row(
                e, c, status, officer_of[e.ward_id], reviewer_of[e.ward.province_id],
                rng,
            )
            for e, c, status in plans
        ),
    )  # fmt: skip
    ids = {
        (e, c): (pk, status, submitted_at)
        for pk, e, c, status, submitted_at in Assessment.objects.filter(
            enrolment__in=[e.pk for e in enrolments]
        ).values_list("pk", "enrolment_id", "criterion_id", "status", "submitted_at")
    }
    ward_of = {e.pk: e.ward for e in enrolments}
    evidence_rows, event_rows = [], []
    for (enrolment_id, _criterion_id), (pk, status, submitted_at) in ids.items():
        if status == S.NOT_STARTED:
            continue
        ward = ward_of[enrolment_id]
        officer, reviewer = officer_of[ward.pk], reviewer_of[ward.province_id]
        start = submitted_at or timezone.now()
        files = rng.randint(1, 4)
        added = start - dt.timedelta(days=rng.randint(10, 60))
        for i in range(files):
            when = added + dt.timedelta(hours=i)
            evidence_rows.append(
                (pk, SAMPLE_NAME, f"Minh chứng {i + 1}.pdf", "application/pdf",
                 len(sample), sample_hash, "", None, officer, when, None, None)
            )  # fmt: skip
            event_rows.append(
                (
                    pk,
                    officer,
                    "add_evidence",
                    "in_progress" if i else "not_started",
                    "in_progress",
                    f"Minh chứng {i + 1}.pdf",
                    when,
                )
            )  # noqa: E501
        if status == S.IN_PROGRESS:
            continue
        event_rows.append(
            (pk, officer, "submit", "in_progress", "submitted", "", start)
        )
        decided = start + dt.timedelta(days=3)
        if status == S.APPROVED:
            event_rows.append(
                (pk, reviewer, "approve", "submitted", "approved", "", decided)
            )  # noqa: E501
        elif status == S.RETURNED:
            event_rows.append(
                (
                    pk,
                    reviewer,
                    "return",
                    "submitted",
                    "returned",
                    "Cần bổ sung biên bản có chữ ký.",
                    decided,
                )
            )  # noqa: E501
    _copy(
        Evidence,
        ["assessment_id", "file", "original_name", "content_type", "size", "sha256",
         "description", "document_date", "uploaded_by_id", "uploaded_at",
         "withdrawn_at", "withdrawn_by_id"],
        evidence_rows,
    )  # fmt: skip
    _copy(
        ReviewEvent,
        ["assessment_id", "actor_id", "action", "from_status", "to_status", "comment",
         "created_at"],
        event_rows,
    )  # fmt: skip
    return {
        "provinces": len(provinces),
        "wards": len(wards),
        "enrolments": len(enrolments),
        "assessments": len(plans),
        "evidence": len(evidence_rows),
        "events": len(event_rows),
    }


def _assessment_row(enrolment, criterion, status, officer, reviewer, rng):
    now = timezone.now()
    year_end = dt.datetime(enrolment.year, 12, 1, tzinfo=TZ)
    moment = min(now, year_end) - dt.timedelta(days=rng.randint(1, 200))
    submitted = status in (S.SUBMITTED, S.APPROVED, S.RETURNED)
    decided = status in (S.APPROVED, S.RETURNED)
    return (
        enrolment.pk,
        criterion.pk,
        status,
        officer if submitted else None,
        moment if submitted else None,
        reviewer if decided else None,
        moment + dt.timedelta(days=3) if decided else None,
        now,
    )


def _copy(model, columns: list[str], rows: Iterable[tuple]) -> None:
    """Insert rows fast: COPY on PostgreSQL, bulk INSERTs elsewhere."""
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(
                f'COPY "{table}" ({", ".join(columns)}) FROM STDIN'  # noqa: S608
            ) as copy:
                for row in rows:
                    copy.write_row(row)
        return
    objects = [model(**dict(zip(columns, row, strict=True))) for row in rows]
    model.objects.bulk_create(objects, batch_size=2000)
