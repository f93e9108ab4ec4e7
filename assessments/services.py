"""Steps that are more than one model's business.

Enrolling a ward (its assessments follow its criteria set), loading a
criteria set into the wards assessed against it, and attaching evidence
files: store, hash, record and log, or leave nothing.
"""

from __future__ import annotations

import datetime as dt
import errno
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from core.storage import is_store_failure
from criteria import fileformat
from criteria.models import CriteriaSet, Criterion
from criteria.services import ImportResult, import_criteria_set
from wards.models import Ward

from . import tally, workflow
from .models import (
    Assessment,
    Enrolment,
    Evidence,
    closed_unit_refusal,
    evidence_path,
)
from .uploads import HashingFile, Kind, UploadRefused, check_upload, clean_name

logger = logging.getLogger(__name__)


@transaction.atomic
def create_missing_assessments(
    *, criteria_set: CriteriaSet | None = None, enrolment: Enrolment | None = None
) -> int:
    """Give every enrolment one assessment per criterion of its set.

    Idempotent: existing assessments are left as they are.
    """
    enrolments = Enrolment.objects.all()
    if criteria_set is not None:
        enrolments = enrolments.filter(criteria_set=criteria_set)
    if enrolment is not None:
        enrolments = enrolments.filter(pk=enrolment.pk)
    # Locked, so that what is missing is counted once (`tally.added`).
    list(enrolments.select_for_update().order_by("pk").values_list("pk", flat=True))
    criteria_by_set: dict[int, list[int]] = {}
    for criterion_id, set_id in Criterion.objects.filter(
        criteria_set__in=enrolments.values("criteria_set")
    ).values_list("pk", "criteria_set_id"):
        criteria_by_set.setdefault(set_id, []).append(criterion_id)
    existing = set(
        Assessment.objects.filter(enrolment__in=enrolments).values_list(
            "enrolment_id", "criterion_id"
        )
    )
    missing = [
        Assessment(enrolment_id=enrolment_id, criterion_id=criterion_id)
        for enrolment_id, set_id in enrolments.values_list("pk", "criteria_set_id")
        for criterion_id in criteria_by_set.get(set_id, [])
        if (enrolment_id, criterion_id) not in existing
    ]
    Assessment.objects.bulk_create(missing, batch_size=2000)
    tally.added(missing)
    return len(missing)


@transaction.atomic
def enrol_ward(
    *, ward: Ward, year: int, criteria_set: CriteriaSet, track: str
) -> Enrolment:
    """Enrol a ward for a year, with one not-started assessment per criterion.

    Only a unit in force that year can be enrolled (ValidationError).
    """
    refusal = closed_unit_refusal(ward, year)
    if refusal:
        raise ValidationError({"ward": refusal})
    enrolment, _created = Enrolment.objects.get_or_create(
        ward=ward,
        year=year,
        defaults={"criteria_set": criteria_set, "track": track},
    )
    create_missing_assessments(enrolment=enrolment)
    return enrolment


def import_criteria_file(path: Path | str) -> ImportResult:
    """Load a criteria file, and give enrolled wards its new criteria.

    Nothing is written if the file has a fault.
    """
    parsed = fileformat.read(path)
    with transaction.atomic():
        result = import_criteria_set(parsed=parsed)
        create_missing_assessments(criteria_set=result.criteria_set)
    return result


@dataclass
class Attached:
    """What an upload did: the files now in the dossier, and, file by file,
    why the others were refused (in the user's language)."""

    added: list[Evidence] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def attach_evidence(
    *,
    assessment: Assessment,
    uploads: list[File],
    description: str,
    document_date: dt.date | None,
    actor: Any,
    valid_until: dt.date | None = None,
) -> Attached:
    """Check every file, then store and attach those that pass.

    A file that is not acceptable (wrong kind, content not matching its
    name, too large, twice in the batch, already in the dossier) is refused
    on its own, with its reason, and the others are attached. What concerns
    the whole batch raises, and then nothing is attached: UploadRefused (no
    file, the disk full) or workflow.WorkflowError (the criterion is locked,
    the user may not add). No stored file is left behind for a refused one.
    `valid_until`: how long the documents hold (a certificate), if they end.

    A stored file is deleted only when its row certainly was not committed.
    If the database fails while committing, the outcome is unknown: the files
    stay, and `manage.py sweep` removes those that no row came to point at.
    """
    if not workflow.may(actor, workflow.Action.ADD_EVIDENCE, assessment):
        raise workflow.NotAllowed(_("You are not allowed to do this."))
    if not uploads:
        raise UploadRefused(_("Choose at least one file."))
    result = Attached()
    accepted: list[tuple[File, Kind]] = []
    for upload in uploads:
        try:
            accepted.append((upload, check_upload(upload)))
        except UploadRefused as exc:
            result.refused.append(str(exc))
    stored: list[str] = []
    committing = False
    try:
        rows = [
            _store(upload, kind, stored, description, document_date, actor)
            for upload, kind in accepted
        ]
        for row in rows:
            row.valid_until = valid_until
        rows = _without_twins(rows, result)
        with transaction.atomic():
            for row in rows:
                row.assessment = assessment
                try:
                    workflow.record_evidence(row, actor=actor)
                except workflow.DuplicateEvidence as exc:
                    result.refused.append(exc.message)
                else:
                    result.added.append(row)
            committing = True
    except BaseException:
        if committing:
            logger.warning(
                "Commit of %d evidence file(s) failed with an unknown outcome; "
                "their files are kept for the sweep: %s",
                len(stored),
                ", ".join(stored),
            )
        else:
            for name in stored:
                _forget(name)
        raise
    kept = {row.file.name for row in result.added}
    for name in stored:
        if name not in kept:  # refused: its savepoint was rolled back
            _forget(name)
    return result


def save_file(upload: File, path_for: Any) -> tuple[str, str, HashingFile]:
    """Write an uploaded file to storage under a generated name, hashing it
    on the way: (stored name, clean original name, the hashing reader, for
    its size and SHA-256). The file is read once, in pieces, on the file
    system as into an object store. A full disk or an object store that does
    not answer is UploadRefused, and leaves nothing."""
    original = clean_name(upload.name or "") or _("file")
    hashing = HashingFile(upload, original)
    name = path_for(None, original)
    try:
        name = default_storage.save(name, hashing)
    except Exception as exc:
        _forget(name)  # what part of it was written
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            logger.error("Evidence storage is full: %s", exc)
            raise UploadRefused(
                _(
                    "The server has no space left for files; nothing was saved. "
                    "Try again later, and tell the administrator."
                )
            ) from exc
        if is_store_failure(exc):
            logger.error("The object store failed to take a file: %s", exc)
            raise UploadRefused(
                _(
                    "The file store is not answering; nothing was saved. "
                    "Try again later, and tell the administrator."
                )
            ) from exc
        raise
    return name, original, hashing


def _forget(name: str) -> None:
    """Delete what was stored under `name`, if anything; a store that is
    down leaves it to the sweep."""
    try:
        if default_storage.exists(name):
            default_storage.delete(name)
    except Exception as exc:
        if not is_store_failure(exc):
            raise
        logger.warning("Could not delete %s; the sweep will: %s", name, exc)


def _store(
    upload: File,
    kind: Kind,
    stored: list[str],
    description: str,
    document_date: dt.date | None,
    actor: Any,
) -> Evidence:
    """Write one file to storage (noting its name in `stored`) and its row."""
    name, original, hashing = save_file(upload, evidence_path)
    stored.append(name)
    return Evidence(
        file=name,
        original_name=original,
        content_type=kind.content_type,
        size=hashing.bytes_read,
        sha256=hashing.sha256,
        description=description.strip(),
        document_date=document_date,
        uploaded_by=actor,
    )


def _without_twins(rows: list[Evidence], result: Attached) -> list[Evidence]:
    """The same content twice in one batch is kept once; the dossier itself
    is checked under lock, in `workflow.record_evidence`."""
    first: dict[str, str] = {}
    kept = []
    for row in rows:
        if row.sha256 in first:
            result.refused.append(
                _("“%(name)s” is the same file as “%(other)s”; it was added once.")
                % {"name": row.original_name, "other": first[row.sha256]}
            )
            continue
        first[row.sha256] = row.original_name
        kept.append(row)
    return kept


def replace_evidence(*, evidence: Evidence, upload: File, actor: Any) -> Evidence:
    """Store `upload` as the next version of `evidence` (which is withdrawn
    and kept, with its hash, as the earlier revision). Its description and
    dates carry on. Raises as `attach_evidence` does, and DuplicateEvidence
    for the same content; nothing is stored then.
    """
    assessment = evidence.assessment
    if not workflow.may(actor, workflow.Action.REPLACE_EVIDENCE, assessment):
        raise workflow.NotAllowed(_("You are not allowed to do this."))
    kind = check_upload(upload)
    stored: list[str] = []
    committing = False
    try:
        row = _store(
            upload, kind, stored, evidence.description, evidence.document_date, actor
        )
        row.valid_until = evidence.valid_until
        with transaction.atomic():
            workflow.replace_evidence(row, evidence, actor=actor)
            committing = True
    except BaseException:
        if committing:
            logger.warning(
                "Commit of a new version failed with an unknown outcome; its file "
                "is kept for the sweep: %s",
                ", ".join(stored),
            )
        else:
            for name in stored:
                _forget(name)
        raise
    return row
