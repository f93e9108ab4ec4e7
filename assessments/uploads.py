"""Checking an uploaded file before it joins a dossier.

The kind of a file is read from its first bytes, never trusted from the
browser; it must be on the allow-list and agree with the file's extension.
"""

from __future__ import annotations

import hashlib
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO, cast

from django.conf import settings
from django.core.files import File
from django.utils.translation import gettext as _

# A DOCX or XLSX with more parts than this is a trap, not a document.
MAX_OFFICE_PARTS = 10_000


@dataclass(frozen=True)
class Kind:
    name: str
    content_type: str
    extensions: tuple[str, ...]
    inline: bool  # safe to show in the browser


KINDS = {
    kind.name: kind
    for kind in [
        Kind("pdf", "application/pdf", (".pdf",), True),
        Kind("jpeg", "image/jpeg", (".jpg", ".jpeg"), True),
        Kind("png", "image/png", (".png",), True),
        Kind(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",),
            False,
        ),
        Kind(
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            (".xlsx",),
            False,
        ),
    ]
}
INLINE_CONTENT_TYPES = {k.content_type for k in KINDS.values() if k.inline}
MAX_NAME_LENGTH = 255  # Evidence.original_name; what file systems allow
OFFICE_PARTS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}


class UploadRefused(ValueError):
    """A file that cannot be attached; the message says why."""


def allowed_kinds() -> list[Kind]:
    return [KINDS[name] for name in settings.EVIDENCE_ALLOWED_KINDS if name in KINDS]


def accept_attribute() -> str:
    """The `accept` attribute of the file input: the allowed extensions."""
    return ",".join(ext for kind in allowed_kinds() for ext in kind.extensions)


def clean_name(name: str) -> str:
    """The user's file name, made safe to keep and show; diacritics stay."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").split("/")[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    name = name.strip(". ")
    return shorten_name(name, MAX_NAME_LENGTH)


def shorten_name(name: str, limit: int) -> str:
    """`name` in at most `limit` characters: cut at a word, an ellipsis, and
    the extension kept ("Quyết định số 12 của Ban … .pdf" reads as a PDF)."""
    if len(name) <= limit:
        return name
    path = PurePosixPath(name)
    suffix = path.suffix if len(path.suffix) <= 16 else ""
    stem = name[: len(name) - len(suffix)] if suffix else name
    room = limit - len(suffix) - 1
    cut = stem[:room]
    if " " in cut[room // 2 :] and not stem[room : room + 1].isspace():
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" .,;:-_(") + "…" + suffix


def check_declared(name: str, size: int) -> Kind:
    """The kind a file's name and size allow, before any byte is read."""
    label = clean_name(name) or _("(no name)")
    if size <= 0:
        raise UploadRefused(_("“%(name)s” is empty.") % {"name": label})
    if size > settings.EVIDENCE_MAX_BYTES:
        raise UploadRefused(
            _("“%(name)s” is larger than the limit of %(limit)s MB.")
            % {"name": label, "limit": settings.EVIDENCE_MAX_BYTES // (1024 * 1024)}
        )
    extension = PurePosixPath(clean_name(name)).suffix.lower()
    allowed = allowed_kinds()
    kind = next((k for k in allowed if extension in k.extensions), None)
    if kind is None:
        raise UploadRefused(
            _("“%(name)s” is not an accepted kind of file. Accepted: %(kinds)s.")
            % {"name": label, "kinds": ", ".join(k.name.upper() for k in allowed)}
        )
    return kind


def check_upload(upload: File) -> Kind:
    """The kind of an uploaded file, or UploadRefused saying what is wrong."""
    kind = check_declared(upload.name or "", upload.size or 0)
    if sniff(upload) != kind.name:
        raise UploadRefused(
            _(
                "The content of “%(name)s” is not a %(kind)s file, whatever its "
                "name says."
            )
            % {"name": clean_name(upload.name or ""), "kind": kind.name.upper()}
        )
    return kind


def sniff(upload: File) -> str | None:
    """The kind that the file's content shows, or None."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"PK\x03\x04"):
        return _sniff_office(upload)
    return None


def _sniff_office(upload: File) -> str | None:
    """DOCX or XLSX, judged from the archive's directory without unpacking it."""
    try:
        archive = zipfile.ZipFile(cast(IO[bytes], upload.file or upload))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        upload.seek(0)
    names = {entry.filename for entry in entries}
    if "[Content_Types].xml" not in names:
        return None
    unpacked = sum(entry.file_size for entry in entries)
    if len(entries) > MAX_OFFICE_PARTS:
        raise UploadRefused(
            _(
                "“%(name)s” holds more than %(limit)s parts, which no ordinary "
                "document does; it was not accepted."
            )
            % {"name": clean_name(upload.name or ""), "limit": MAX_OFFICE_PARTS}
        )
    if unpacked > settings.EVIDENCE_MAX_UNPACKED_BYTES:
        raise UploadRefused(
            _("“%(name)s” unpacks to more than the allowed size.")
            % {"name": clean_name(upload.name or "")}
        )
    for kind, part in OFFICE_PARTS.items():
        if part in names:
            return kind
    return None


class HashingFile(File):
    """A file whose SHA-256 and size are computed as storage reads it.

    Each byte is hashed once, in order, whatever the storage does: an object
    store's client may read a part twice (a checksum or a signature before
    sending it, a retried request) or seek to the end to learn the size.
    Bytes read again are not hashed again, and what the storage did not read
    is read when the size or hash is asked for (nothing, when it reads the
    file from start to end): the file is read once, in pieces, never held
    whole in memory.
    """

    def __init__(self, file: IO[bytes], name: str):
        super().__init__(file, name)
        self._source = file
        self._digest = hashlib.sha256()
        self._hashed = 0  # the first bytes of the file, in the digest
        self._position = 0
        self._finished = False
        file.seek(0)

    def seek(self, offset: int, whence: int = 0) -> int:
        position = self._source.seek(offset, whence)
        self._position = self._source.tell() if position is None else position
        return self._position

    def tell(self) -> int:
        return self._position

    def read(self, size: int | None = -1) -> bytes:
        data = self._source.read(-1 if size is None else size)
        start, self._position = self._position, self._position + len(data)
        if start <= self._hashed < self._position:
            self._digest.update(memoryview(data)[self._hashed - start :])
            self._hashed = self._position
        return data

    def readinto(self, buffer) -> int:  # never around the hash
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def chunks(self, chunk_size: int | None = None):
        self.seek(0)
        while True:
            data = self.read(chunk_size or self.DEFAULT_CHUNK_SIZE)
            if not data:
                break
            yield data

    def _finish(self) -> None:
        """Hash the rest of the file, if the storage left some unread."""
        if not self._finished:
            self.seek(self._hashed)
            while self.read(self.DEFAULT_CHUNK_SIZE):
                pass
            self._finished = True

    @property
    def bytes_read(self) -> int:
        """The file's size, once stored."""
        self._finish()
        return self._hashed

    @property
    def sha256(self) -> str:
        """The file's SHA-256, once stored."""
        self._finish()
        return self._digest.hexdigest()
