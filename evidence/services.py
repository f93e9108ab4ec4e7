"""Attaching evidence files: store, hash, record and log, or leave nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from . import workflow
from .models import Assessment, Evidence, evidence_path
from .uploads import HashingFile, UploadRefused, check_upload, clean_name


@dataclass(frozen=True)
class Duplicate:
    name: str
    existing: Evidence


def attach_evidence(
    *,
    assessment: Assessment,
    uploads: list[File],
    description: str,
    document_date: dt.date | None,
    actor: Any,
) -> list[Evidence]:
    """Check every file, then store and attach them all, or none.

    Raises UploadRefused (bad file, or the same file already in the dossier)
    or workflow.WorkflowError (the criterion is locked, the user may not add).
    On any refusal no row is written and no stored file is left behind.
    """
    if not workflow.may(actor, workflow.Action.ADD_EVIDENCE, assessment):
        raise workflow.NotAllowed(_("You are not allowed to do this."))
    if not uploads:
        raise UploadRefused(_("Choose at least one file."))
    kinds = [check_upload(upload) for upload in uploads]
    stored: list[str] = []
    try:
        rows = []
        for upload, kind in zip(uploads, kinds, strict=True):
            original = clean_name(upload.name) or _("file")
            hashing = HashingFile(upload, original)
            name = default_storage.save(evidence_path(None, original), hashing)
            stored.append(name)
            rows.append(
                Evidence(
                    file=name,
                    original_name=original,
                    content_type=kind.content_type,
                    size=hashing.bytes_read,
                    sha256=hashing.sha256,
                    description=description.strip(),
                    document_date=document_date,
                    uploaded_by=actor,
                )
            )
        _refuse_duplicates(assessment, rows)
        with transaction.atomic():
            for row in rows:
                row.assessment = assessment
                workflow.record_evidence(row, actor=actor)
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return rows


def _refuse_duplicates(assessment: Assessment, rows: list[Evidence]) -> None:
    seen: dict[str, str] = {}
    for row in rows:
        if row.sha256 in seen:
            raise UploadRefused(
                _("“%(name)s” and “%(other)s” are the same file.")
                % {"name": row.original_name, "other": seen[row.sha256]}
            )
        seen[row.sha256] = row.original_name
    existing = (
        assessment.evidence.filter(withdrawn_at=None, sha256__in=seen)
        .only("original_name", "uploaded_at", "sha256")
        .first()
    )
    if existing is not None:
        raise UploadRefused(
            _(
                "“%(name)s” is already in this dossier as “%(existing)s”; "
                "it was not added again."
            )
            % {"name": seen[existing.sha256], "existing": existing.original_name}
        )
