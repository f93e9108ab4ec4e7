"""National-scale data for the benchmark on the real map: the official lists
of provinces and units (wards/data/) with their lineage, every unit enrolled.

A year's enrolments are of the units in force on its last day, the day the
year's results are decided: for 2025 and later the 34 provinces and 3,321
units in force since 1 July 2025, for earlier years the 63 provinces and
10,040 units before them. Both lists are always loaded, lineage included,
so ward pages, scopes and searches meet the former units as they would in
production.

At a scale of N (`make bench SCALE=4`) every unit, former ones too, comes
N-1 more times as a copy in its province, with its own code, so the largest
province and the country are N times as large; the copies have no lineage.

Written with PostgreSQL's COPY (bulk_create elsewhere), in one transaction.
Every state it writes comes with the review events that would have led to
it, and every evidence row points at one shared stored file whose SHA-256
is right, so downloads and integrity checks work on this data too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import Length
from django.utils import timezone

from access.models import Membership
from accounts.models import User
from assessments.models import Assessment, Enrolment, Evidence, ReviewEvent
from assessments.services import import_criteria_file
from assessments.tally import recount
from core.collation import fold
from criteria.fileformat import ILLUSTRATIVE_SET
from wards.models import Province, UnitChange, Ward

from .demo import demo_pdf
from .demo_units import load_units

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
S = Assessment.Status
SAMPLE_NAME = "evidence/bench/sample.pdf"
# Copies of units have codes of 8 digits, which no official code has (3 to 5
# digits, wards/data/): copy number, length of the original code, the
# original code padded to 5 digits. Ward.code holds 8 at most.
COPY_CODE_LENGTH = 8
MAX_SCALE = 99


def units_of(year: int):
    """The units a year enrols: those in force on its last day."""
    return Ward.objects.at_year_end(year)


def invented_data() -> bool:
    """Whether the database holds the invented provinces ("N01"…) and units
    ("N00001"…) of the generator before the real map."""
    return Province.objects.filter(code__startswith="N").exists()


def copy_code(code: str, number: int) -> str:
    """The code of copy `number` (2, 3, …) of the unit with official `code`."""
    if not 2 <= number <= MAX_SCALE or not 1 <= len(code) <= 5:
        raise ValueError(f"No copy {number} of unit {code!r}.")
    return f"{number:02d}{len(code)}{code:0>5}"


def originals(wards):
    """The official units of a Ward queryset, without the copies."""
    return wards.alias(code_length=Length("code")).filter(
        code_length__lt=COPY_CODE_LENGTH
    )


def loaded_scale() -> int:
    """How many times over the units are there: 1 for the official lists
    alone, N with N-1 copies of each; 0 when there are none."""
    official = originals(Ward.objects.all()).count()
    return round(Ward.objects.count() / official) if official else 0


def is_loaded(years: Sequence[int], *, scale: int = 1) -> bool:
    """Whether the national data for `years` at `scale`, and nothing else, is
    there: every unit `scale` times, and every unit in force at the end of
    each year enrolled for it, once."""
    if invented_data():
        return False
    if Ward.objects.count() != scale * originals(Ward.objects.all()).count():
        return False
    expected = {}
    for year in years:
        units = units_of(year)
        expected[year] = units.count()
        if expected[year] != scale * originals(units).count():
            return False
    enrolled = dict(
        Enrolment.objects.order_by().values_list("year").annotate(n=Count("pk"))
    )
    return all(expected.values()) and enrolled == expected


def _account(prefix: str, thing: Province | Ward) -> str:
    """A user name per unit or province; codes repeat across the two lists."""
    if thing.valid_to is None:
        return f"{prefix}-{thing.code}"
    return f"{prefix}-{thing.code}-until-{thing.valid_to:%Y}"


def _chosen(wards: Iterable[Ward], per_province: int | None) -> list[Ward]:
    if per_province is None:
        return list(wards)
    taken: dict[int, int] = defaultdict(int)
    chosen = []
    for ward in wards:
        if taken[ward.province_id] < per_province:
            taken[ward.province_id] += 1
            chosen.append(ward)
    return chosen


def _copy_units(
    wards: Sequence[Ward], scale: int, rng: random.Random
) -> dict[int, list[Ward]]:
    """Write `scale` - 1 copies of each of `wards`: same province, kind and
    period, coordinates a little apart, named "An Hưng (2)". Returns the
    copies of each unit, by its pk."""
    copies = []
    for number in range(2, scale + 1):
        for ward in wards:
            name = f"{ward.name} ({number})"
            copies.append(
                Ward(
                    code=copy_code(ward.code, number),
                    name=name,
                    folded_name=fold(name),
                    kind=ward.kind,
                    province=ward.province,
                    latitude=_jittered(ward.latitude, rng),
                    longitude=_jittered(ward.longitude, rng),
                    valid_from=ward.valid_from,
                    valid_to=ward.valid_to,
                )
            )
    Ward.objects.bulk_create(copies, batch_size=5000)
    copies_of: dict[int, list[Ward]] = defaultdict(list)
    for original, copy in zip(list(wards) * (scale - 1), copies, strict=True):
        copies_of[original.pk].append(copy)
    return copies_of


def _jittered(degrees: Decimal | None, rng: random.Random) -> Decimal | None:
    """A coordinate moved by up to about a kilometre."""
    if degrees is None:
        return None
    return (degrees + Decimal(rng.uniform(-0.01, 0.01))).quantize(Decimal("0.00001"))


@transaction.atomic
def generate(
    *,
    years: Sequence[int],
    seed: int = 2026,
    per_province: int | None = None,
    scale: int = 1,
) -> dict[str, int]:
    """Load the official lists, enrol the units of `years` and fill their
    assessments, evidence and events; returns the row counts.

    `per_province` enrols only that many units of each province (tests).
    `scale` N adds N-1 copies of every unit (with `per_province`, of every
    unit enrolled), enrolled like it.
    Refuses a database that has provinces already.
    """
    if not 1 <= scale <= MAX_SCALE:
        raise ValueError(f"The scale is a whole number from 1 to {MAX_SCALE}.")
    if Province.objects.exists():
        raise ValueError(
            "The database has provinces already: generate the national data in a "
            "database of its own (make bench uses kieumau_bench)."
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Writing a million rows (at scale 4, five) takes longer than the
            # statement timeout meant for web requests (DB_STATEMENT_TIMEOUT).
            cursor.execute("SET LOCAL statement_timeout = 0")
    rng = random.Random(seed)  # noqa: S311 - benchmark data
    criteria_set = import_criteria_file(ILLUSTRATIVE_SET).criteria_set
    criteria = list(criteria_set.criteria.order_by("number"))
    sample = demo_pdf("Kieu Mau national benchmark evidence")
    if not default_storage.exists(SAMPLE_NAME):
        default_storage.save(SAMPLE_NAME, ContentFile(sample))
    sample_hash = hashlib.sha256(sample).hexdigest()

    load_units()
    wards_of = {
        year: _chosen(
            units_of(year)
            .select_related("province")
            .order_by("province__code", "code"),
            per_province,
        )
        for year in years
    }
    wards = list({w.pk: w for year in years for w in wards_of[year]}.values())
    if scale > 1:
        copied = (
            wards
            if per_province is not None
            else list(Ward.objects.select_related("province").order_by("pk"))
        )
        copies_of = _copy_units(copied, scale, rng)
        wards_of = {
            year: [c for w in chosen for c in (w, *copies_of[w.pk])]
            for year, chosen in wards_of.items()
        }
        wards = [c for w in wards for c in (w, *copies_of[w.pk])]
    provinces = list({w.province_id: w.province for w in wards}.values())
    password = make_password(None)
    officers = User.objects.bulk_create(
        [User(username=_account("n-officer", w), password=password) for w in wards],
        batch_size=5000,
    )
    reviewers = User.objects.bulk_create(
        [User(username=_account("n-reviewer", p), password=password) for p in provinces]
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
            for ward in wards_of[year]
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
            status: str
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
    province_of = {
        pk: ward_of[enrolment_id].province_id
        for (enrolment_id, _criterion_id), (pk, _status, _at) in ids.items()
    }
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
         "created_at", "province_id"],
        ((*row, province_of[row[0]]) for row in event_rows),
    )  # fmt: skip
    # The stored progress counts and dashboard tallies, which bulk writes skip.
    recount()
    return {
        "provinces": Province.objects.count(),
        "units": Ward.objects.count(),
        "unit changes": UnitChange.objects.count(),
        "enrolled units": len(wards),
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
