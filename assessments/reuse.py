"""The same file in several wards' dossiers: a copied dossier, flagged.

A file is known by its SHA-256. When the current (not withdrawn) evidence of
one ward holds a file that the current evidence of another ward holds too,
the people who read above the ward (reviewers, leaders, the Ministry,
national users) see it on the criterion page and in the review queue. The
ward's own officers do not.

What is not reuse: the same ward's files in several years or criteria, and
rows carried over from last year (`carried_from`), which point at the very
same stored file, not at a second upload of it (this covers a unit carrying
over the files of the one whose title it keeps). What is allowed: a file a
reviewer of the province marked as province-wide (`ReuseAllowed`); it is no
longer flagged in that province's wards, and says who allowed it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db.models import (
    BooleanField,
    Case,
    Q,
    QuerySet,
    Value,
    When,
)
from django.urls import reverse
from django.utils.translation import gettext as _

from access.people import with_units
from access.scope import scope_of
from core.collation import vi_key

from .models import Assessment, Evidence, ReuseAllowed
from .workflow import NotAllowed, WorkflowError

# Wards named in a flag; any more are counted with those out of scope.
NAMED_AT_MOST = 5


@dataclass(frozen=True)
class OtherWard:
    """A ward in the viewer's scope whose dossier holds the same file."""

    name: str
    code: str
    year: int
    url: str


@dataclass(frozen=True)
class Reuse:
    """Where else the file of one evidence item stands, for one viewer.

    `wards` are the other wards the viewer's scope covers (by name; for each
    its latest year), `unnamed` how many other wards it does not cover.
    `allowed` is the province's allowance for the file, if a reviewer gave
    one: then nothing is flagged.
    """

    wards: tuple[OtherWard, ...]
    unnamed: int
    allowed: ReuseAllowed | None = None

    @property
    def flagged(self) -> bool:
        return self.allowed is None and bool(self.wards or self.unnamed)

    @property
    def named(self) -> tuple[OtherWard, ...]:
        """The wards a flag names: the first NAMED_AT_MOST."""
        return self.wards[:NAMED_AT_MOST]

    @property
    def more(self) -> int:
        """The other wards a flag only counts ("and 2 other wards")."""
        return self.unnamed + max(len(self.wards) - NAMED_AT_MOST, 0)


class _Row(NamedTuple):
    sha256: str
    file: str
    ward_id: int
    name: str
    code: str
    year: int
    number: int
    in_scope: bool


def shows_reuse(user: Any, province_id: int) -> bool:
    """Whether `user` is told about reuse in a ward of this province: anyone
    who reads the province (above the ward), not the ward's officers."""
    return scope_of(user).sees_province(province_id)


def may_allow(user: Any, assessment: Assessment) -> bool:
    """Whether `user` may allow the files of `assessment` in several wards of
    its province: a reviewer of the whole province. An allowance holds for
    the file in every criterion of the province, so a reviewer of some
    groups only may not lift the flag from the others'.

    Needs the assessment's enrolment and ward.
    """
    reviews = scope_of(user).reviews
    province_id = assessment.enrolment.ward.province_id
    return province_id in reviews and reviews[province_id] is None


def _elsewhere(sha256: Any, ward_id: Any, file: Any) -> QuerySet[Evidence]:
    """Current evidence of other wards with this content, uploaded there.

    "Another stored file" is written as two ranges (before it, after it),
    which the index on (sha256, file) finds at once, however many rows
    point at this very file (a file carried over year after year)."""
    return (
        Evidence.objects.filter(sha256=sha256, withdrawn_at=None)
        .filter(Q(file__lt=file) | Q(file__gt=file))
        .exclude(assessment__enrolment__ward_id=ward_id)
    )


def _other_files(pairs: Iterable[tuple[str, str]]) -> Q:
    """Current evidence with one of these contents in another stored file,
    for (sha256, file) pairs: each as two ranges of the index on
    (sha256, file), with the values written out, so that the database plans
    each by its own figures (a file shared by many rows is then no cost)."""
    found = Q(pk__in=[])
    for sha256, file in pairs:
        found |= Q(sha256=sha256, file__lt=file) | Q(sha256=sha256, file__gt=file)
    return found & Q(withdrawn_at=None)


def reuse_of(items: Sequence[Evidence], viewer: Any) -> dict[int, Reuse]:
    """For each evidence item whose file also stands in another ward's
    current evidence, where, as `viewer` may be told it; keyed by the item's
    pk. Items whose ward the viewer reads as an officer only, and items found
    nowhere else, are left out.

    One query for the other wards' rows; only when some were found, one for
    the allowances, and one for the units of who allowed them if any did.
    The items need their assessment, enrolment and ward loaded (as on the
    criterion page).
    """
    mine = [
        item
        for item in items
        if shows_reuse(viewer, item.assessment.enrolment.ward.province_id)
    ]
    if not mine:
        return {}
    scope = scope_of(viewer)
    in_scope = (
        Value(True)
        if scope.nationwide
        else Case(
            When(scope.ward_filter("assessment__enrolment__ward__"), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )
    rows = [
        _Row(*values)
        for values in Evidence.objects.filter(
            _other_files({(item.sha256, item.file.name or "") for item in mine})
        )
        .order_by()
        .annotate(in_scope=in_scope)
        .values_list(
            "sha256",
            "file",
            "assessment__enrolment__ward_id",
            "assessment__enrolment__ward__name",
            "assessment__enrolment__ward__code",
            "assessment__enrolment__year",
            "assessment__criterion__number",
            "in_scope",
        )
    ]
    found: dict[int, tuple[list[OtherWard], int]] = {}
    for item in mine:
        own_ward = item.assessment.enrolment.ward_id
        # Each other ward once: its latest year, then its first criterion.
        latest: dict[int, _Row] = {}
        for row in rows:
            if (
                row.sha256 != item.sha256
                or row.ward_id == own_ward
                or row.file == item.file.name
            ):
                continue
            known = latest.get(row.ward_id)
            if known is None or (-row.year, row.number) < (-known.year, known.number):
                latest[row.ward_id] = row
        if not latest:
            continue
        named = sorted(
            (
                OtherWard(
                    name=row.name,
                    code=row.code,
                    year=row.year,
                    url=reverse(
                        "criterion_detail",
                        kwargs={
                            "code": row.code,
                            "year": row.year,
                            "number": row.number,
                        },
                    ),
                )
                for row in latest.values()
                if row.in_scope
            ),
            key=lambda ward: (vi_key(ward.name), ward.code),
        )
        found[item.pk] = (named, len(latest) - len(named))
    if not found:
        return {}
    flagged = [item for item in mine if item.pk in found]
    allowances = {
        (allowed.province_id, allowed.sha256): allowed
        for allowed in ReuseAllowed.objects.filter(
            sha256__in={item.sha256 for item in flagged},
            province_id__in={
                item.assessment.enrolment.ward.province_id for item in flagged
            },
        )
        .select_related("allowed_by")
        .prefetch_related(with_units("allowed_by"))
    }
    return {
        item.pk: Reuse(
            wards=tuple(found[item.pk][0]),
            unnamed=found[item.pk][1],
            allowed=allowances.get(
                (item.assessment.enrolment.ward.province_id, item.sha256)
            ),
        )
        for item in flagged
    }


def reused_assessments(assessment_ids: Iterable[int]) -> set[int]:
    """Of these assessments, those with a current file that also stands in
    another ward's current evidence and is not allowed in their province:
    the review queue's flag. Two queries whatever the number of rows (a
    third for the allowances when a file is found elsewhere)."""
    items = list(
        Evidence.objects.filter(
            assessment_id__in=list(assessment_ids), withdrawn_at=None
        ).values_list(
            "assessment_id",
            "sha256",
            "file",
            "assessment__enrolment__ward_id",
            "assessment__enrolment__ward__province_id",
        )
    )
    if not items:
        return set()
    elsewhere: dict[str, list[tuple[str, int]]] = {}
    for sha256, file, ward_id in Evidence.objects.filter(
        _other_files({(sha256, file) for _a, sha256, file, _w, _p in items})
    ).values_list("sha256", "file", "assessment__enrolment__ward_id"):
        elsewhere.setdefault(sha256, []).append((file, ward_id))
    if not elsewhere:
        return set()
    allowed = set(
        ReuseAllowed.objects.filter(sha256__in=list(elsewhere)).values_list(
            "province_id", "sha256"
        )
    )
    return {
        assessment_id
        for assessment_id, sha256, file, ward_id, province_id in items
        if (province_id, sha256) not in allowed
        and any(
            other_file != file and other_ward != ward_id
            for other_file, other_ward in elsewhere.get(sha256, [])
        )
    }


def allow(
    evidence: Evidence, *, actor: Any, note: str = ""
) -> tuple[ReuseAllowed, bool]:
    """Allow the file of `evidence` in several wards of its province (a
    province-wide document), as `actor` says; (the allowance, whether it is
    new). Allowing it again, or at the same moment as a colleague, changes
    nothing and returns the allowance already there.

    Raises `NotAllowed` unless `actor` reviews the criterion's group in the
    province and the file is current; `WorkflowError` when no other ward's
    dossier holds it.
    """
    if evidence.withdrawn_at is not None or not may_allow(actor, evidence.assessment):
        raise NotAllowed(_("You may not allow this file in several wards."))
    ward = evidence.assessment.enrolment.ward
    if not _elsewhere(evidence.sha256, ward.pk, evidence.file.name).exists():
        raise WorkflowError(
            _("“%(name)s” is in no other ward's dossier; there is nothing to allow.")
            % {"name": evidence.original_name}
        )
    return ReuseAllowed.objects.select_related("allowed_by").get_or_create(
        province_id=ward.province_id,
        sha256=evidence.sha256,
        defaults={"note": note, "allowed_by": actor},
    )
