"""Files sent in pieces, so that a dropped connection loses only a piece.

The browser speaks the tus protocol (core, creation and termination,
https://tus.io/protocols/resumable-upload): it declares the file's name,
size and SHA-256, sends it in pieces, asks after a break how much arrived,
and goes on from there. The bytes wait beside the evidence storage. Once
the last byte is in, the whole file is hashed again: the same SHA-256, and
it is verified; another, and it is thrown away. A verified file still counts
for nothing until the upload form attaches it, through the same checks as
any other file (`services.attach_evidence`).

Two pieces of one file never write at once: each holds an exclusive lock on
the file while it writes, and a piece whose offset is not the end of what
arrived is refused, so a resumed file is byte-identical or refused.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import logging
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any, Protocol

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from . import workflow
from .models import Assessment, PartialUpload
from .uploads import UploadRefused, check_declared, clean_name

logger = logging.getLogger(__name__)

SHA256 = re.compile(r"[0-9a-f]{64}")
# Untouched this long, an upload was abandoned: its bytes are swept.
ABANDONED = dt.timedelta(hours=24)
PIECE = 64 * 1024


class Readable(Protocol):
    """A request body, or any stream of bytes."""

    def read(self, size: int = -1, /) -> bytes: ...


class Conflict(Exception):
    """A piece that does not continue where the file stands (HTTP 409)."""


class ChecksumMismatch(UploadRefused):
    """Every byte arrived, but not the bytes the browser hashed (HTTP 460)."""


class Busy(Exception):
    """Another piece of this file is being written (HTTP 423)."""


def start(
    assessment: Assessment, actor: Any, *, name: str, size: int, sha256: str
) -> PartialUpload:
    """Open a resumable upload of one declared file, or say why not."""
    if not workflow.may(actor, workflow.Action.ADD_EVIDENCE, assessment):
        raise workflow.NotAllowed(_("You are not allowed to do this."))
    if not open_to_files(assessment, actor):
        raise workflow.WorkflowError(closed_to_files())
    check_declared(name, size)
    if not SHA256.fullmatch(sha256):
        raise UploadRefused(_("The file's checksum is missing or malformed."))
    upload = PartialUpload(
        assessment=assessment,
        user=actor,
        name=clean_name(name),
        size=size,
        sha256=sha256,
    )
    with transaction.atomic():
        # One user's uploads are counted one at a time (the user's row is
        # locked), arrived ones included: they hold disk space until attached
        # or swept.
        get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
        held = PartialUpload.objects.filter(user=actor).aggregate(
            count=Count("pk"), size=Sum("size")
        )
        if (
            held["count"] >= settings.PARTIAL_UPLOAD_MAX_OPEN
            or (held["size"] or 0) + size > settings.PARTIAL_UPLOAD_MAX_BYTES
        ):
            raise UploadRefused(
                _(
                    "You have too many files on their way (unfinished, or arrived "
                    "and not yet added). Finish or cancel them, or wait a day "
                    "until they are cleared."
                )
            )
        with open(upload.path, "xb"):
            pass
        try:
            upload.save()
        except BaseException:
            upload.path.unlink(missing_ok=True)
            raise
    return upload


def open_to_files(assessment: Assessment, actor: Any) -> bool:
    """Whether `actor` may add files to `assessment` as it stands now."""
    return workflow.Action.ADD_EVIDENCE in workflow.available_actions(actor, assessment)


def closed_to_files() -> str:
    """Why a criterion takes no more files (said when it happens)."""
    return _(
        "This criterion takes no files now (it was submitted or decided "
        "meanwhile). Reload the page to see where it stands."
    )


def append(upload: PartialUpload, *, offset: int, body: Readable, length: int):
    """Write one piece at `offset`; verify the file when it is complete.

    What arrives is kept even if the connection drops in the middle of the
    piece: the next attempt asks for the offset and sends the rest.
    """
    if upload.verified:
        raise Conflict(_("This file has arrived already."))
    if length > settings.PARTIAL_UPLOAD_MAX_CHUNK:
        raise UploadRefused(_("This piece is larger than the server accepts."))
    with _locked(upload) as handle:
        received = os.fstat(handle.fileno()).st_size
        if received != upload.received:  # a worker died before noting a piece
            _note(upload, received)
        if offset != received:
            raise Conflict(
                _("The server has %(received)d bytes of this file, not %(offset)d.")
                % {"received": received, "offset": offset}
            )
        if offset + length > upload.size:
            raise UploadRefused(_("More bytes were sent than the file has."))
        handle.seek(offset)
        remaining = length
        try:
            while remaining:
                try:
                    data = body.read(min(PIECE, remaining))
                except OSError:  # the connection dropped: keep what arrived
                    break
                if not data:
                    break
                handle.write(data)
                remaining -= len(data)
        finally:
            handle.flush()
            os.fsync(handle.fileno())
            received = handle.tell()
            _note(upload, received)
        if received == upload.size:
            _verify(upload, handle)
    return upload


def _note(upload: PartialUpload, received: int) -> None:
    upload.received = received
    upload.updated_at = timezone.now()
    PartialUpload.objects.filter(pk=upload.pk).update(
        received=received, updated_at=upload.updated_at
    )


def _verify(upload: PartialUpload, handle: IO[bytes]) -> None:
    handle.seek(0)
    digest = hashlib.sha256()
    while data := handle.read(1024 * 1024):
        digest.update(data)
    if digest.hexdigest() != upload.sha256:
        logger.warning("Resumable upload %s arrived altered; discarded.", upload.pk)
        discard(upload)
        raise ChecksumMismatch(
            _(
                "“%(name)s” arrived altered (its checksum differs); it was "
                "discarded. Send it again."
            )
            % {"name": upload.name}
        )
    upload.verified = True
    PartialUpload.objects.filter(pk=upload.pk).update(verified=True)


@contextmanager
def _locked(upload: PartialUpload) -> Iterator[IO[bytes]]:
    try:
        handle = upload.path.open("r+b")  # closed below
    except FileNotFoundError:
        raise PartialUpload.DoesNotExist from None
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy from None
        yield handle


def discard(upload: PartialUpload) -> None:
    """Forget an upload and its bytes."""
    with transaction.atomic():
        PartialUpload.objects.filter(pk=upload.pk).delete()
    upload.path.unlink(missing_ok=True)


def verified_for(
    assessment: Assessment, actor: Any, ids: list[str]
) -> list[PartialUpload]:
    """The user's complete, verified uploads for this criterion among `ids`."""
    valid = []
    for value in ids[: settings.EVIDENCE_MAX_FILES_PER_UPLOAD]:
        try:
            valid.append(uuid.UUID(value))
        except ValueError:
            continue
    return list(
        PartialUpload.objects.filter(
            pk__in=valid, user=actor, assessment=assessment, verified=True
        ).order_by("created_at")
    )


def sweep(*, older_than: dt.timedelta, dry_run: bool = False) -> list[tuple[str, int]]:
    """Remove uploads untouched for `older_than` (unfinished, or arrived and
    never attached), and bytes that no upload row points at.

    Returns the files removed, with their sizes.
    """
    cutoff = timezone.now() - older_than
    removed = []
    for upload in PartialUpload.objects.filter(updated_at__lt=cutoff):
        removed.append((str(upload.path), _size(upload.path)))
        if not dry_run:
            discard(upload)
    folder = settings.PARTIAL_UPLOAD_DIR
    known = {u.hex for u in PartialUpload.objects.values_list("pk", flat=True)}
    for entry in os.scandir(folder) if os.path.isdir(folder) else []:
        if entry.name in known or not entry.is_file():
            continue
        stat = entry.stat()
        if dt.datetime.fromtimestamp(stat.st_mtime, tz=dt.UTC) < cutoff:
            removed.append((entry.path, stat.st_size))
            if not dry_run:
                os.unlink(entry.path)
    return removed


def _size(path) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0
