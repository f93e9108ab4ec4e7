"""Removing what failed uploads left behind: orphan files, temporary files
and resumable uploads abandoned before the end.

A stored evidence file whose row was never committed (a worker killed in the
middle, a commit whose outcome was unknown) and a temporary file of an upload
that never finished take disk space and nothing else. Both are removed once
they are older than a grace period, so an upload still in progress is never
touched.

Stored files are listed, dated and deleted through the storage API, so an
object store is swept like the file system (an object's date is the time
the store received it). Temporary and resumable uploads are the app
server's own, on its disk whatever the storage is (`FILE_UPLOAD_TEMP_DIR`,
`PARTIAL_UPLOAD_DIR`): the sweep clears those of the server it runs on.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.utils import timezone

from assessments import resumable
from assessments.models import stored_files

from .integrity import stored_names

logger = logging.getLogger(__name__)

# Django names a temporary upload "tmp<random>.upload<suffix>".
TEMPORARY_UPLOAD = "tmp*.upload*"
# Younger than this, a file may belong to an upload still in progress.
MIN_GRACE = dt.timedelta(hours=1)


@dataclass
class SweepReport:
    orphans: list[str] = field(default_factory=list)
    temporary: list[str] = field(default_factory=list)
    unfinished: list[str] = field(default_factory=list)  # resumable uploads
    freed: int = 0  # bytes


def sweep(
    *,
    grace: dt.timedelta,
    storage: Storage = default_storage,
    dry_run: bool = False,
) -> SweepReport:
    """Remove orphan evidence files and stale temporary uploads older than `grace`.

    A grace under MIN_GRACE is raised to it: a file stored a moment ago may
    have a row about to be committed. A file that disappears meanwhile (an
    upload that finished, a refused one cleaned up) is passed over.
    """
    grace = max(grace, MIN_GRACE)
    report = SweepReport()
    cutoff = timezone.now() - grace
    referenced = {name for name, _sha256 in stored_files()}
    for name in stored_names(storage):
        try:
            if name in referenced or storage.get_modified_time(name) > cutoff:
                continue
            size = storage.size(name)
        except FileNotFoundError:
            continue
        report.orphans.append(name)
        report.freed += size
        if not dry_run:
            storage.delete(name)
    folder = Path(settings.FILE_UPLOAD_TEMP_DIR or "")
    if settings.FILE_UPLOAD_TEMP_DIR and folder.is_dir():
        for path in sorted(folder.glob(TEMPORARY_UPLOAD)):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            if dt.datetime.fromtimestamp(stat.st_mtime, tz=dt.UTC) > cutoff:
                continue
            report.temporary.append(str(path))
            report.freed += stat.st_size
            if not dry_run:
                path.unlink(missing_ok=True)
    # A resumable upload is resumed within a day, or attached; otherwise
    # it was abandoned (never less than the grace).
    for path, size in resumable.sweep(
        older_than=max(grace, resumable.ABANDONED), dry_run=dry_run
    ):
        report.unfinished.append(path)
        report.freed += size
    if report.orphans or report.temporary or report.unfinished:
        logger.warning(
            "Sweep %s %d orphan file(s), %d temporary upload(s) and %d "
            "unfinished resumable upload(s), %d bytes.",
            "found" if dry_run else "removed",
            len(report.orphans),
            len(report.temporary),
            len(report.unfinished),
            report.freed,
        )
    return report
