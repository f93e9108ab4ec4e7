"""Backing up and restoring the database and the evidence files together.

A backup is one .tar.gz holding `data.json` (every table that matters, with
natural keys, times to the microsecond), `media/` (the evidence files the
rows point at) and `manifest.json` (the rows of every table, many-to-many
tables included, and the SHA-256 of every file).

The rows, their counts and the list of files are read in one transaction
that sees one moment of the database (REPEATABLE READ on PostgreSQL; a
read transaction is one snapshot on SQLite), so a backup taken while people
work is consistent. A restore checks the whole archive before it writes
anything, then writes the rows in one transaction: it brings back exactly
what was saved, or nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
import tarfile
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO

from django.apps import apps
from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Model

from assessments.models import fill_event_provinces, stored_files
from assessments.tally import recount
from core.collation import fold
from core.storage import open_stream
from wards.models import NATIONWIDE_MERGER, Province

from .integrity import sha256_of, stored_names

# Rebuilt by migrate, transient, or per-login: not part of a backup.
EXCLUDED = [
    "contenttypes",
    "auth.permission",
    "sessions",
    "axes",
    "accounts.usersession",
    # Which task workers are alive now.
    "ops.workerbeat",
    # Files still arriving: their bytes are not evidence and not kept.
    "evidence.partialupload",
    # Counted from the assessments when restored (`assessments.tally`).
    "evidence.tally",
    "evidence.criteriontally",
    "evidence.waitingtally",
]
# Format 6: indicators (`criteria.indicator`) and the wards' figures
# (`evidence.indicatorvalue`), contributors (`access.membership.body`);
# format 5 archives had none, and restore as they are. Format 5: the
# calendar (`deadlines.*`), the bell (`notifications.*`), the digests
# (`reminders.sentdigest`), evidence validity and carry-over, the comments
# on criteria (with their files under media/) and the files allowed in
# several wards; format 4 archives had none of them, and restore as they
# are. Format 4: recognition is decisions (`evidence.decision`, with their
# scans under media/) and proposals; format 3 archives carried a recognition
# number and date on each enrolment. Format 3: units have periods and
# lineage (`wards.unitchange`); format 2 archives marked a unit `active` or
# `merged_into` another. Format 2: enrolments are `evidence.enrolment` and
# memberships `access.membership`; format 1 archives named them `wards.*`.
# Restore translates older archives.
FORMAT = 6
MOVED_MODELS = {
    ("wards", "enrolment"): ("evidence", "enrolment"),
    ("wards", "membership"): ("access", "membership"),
}
SERIALIZATION = "json-exact"  # config/settings.py: SERIALIZATION_MODULES


class BackupError(Exception):
    pass


def _backed_up(model) -> bool:
    meta = model._meta
    return (
        meta.app_label not in EXCLUDED
        and meta.label_lower not in EXCLUDED
        and not meta.proxy
        and meta.managed
    )


def _tables() -> dict[str, type[Model]]:
    """Every table in a backup, many-to-many tables included, by label."""
    tables: dict[str, type[Model]] = {}
    for model in apps.get_models():
        if not _backed_up(model):
            continue
        tables[model._meta.label_lower] = model
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            if through._meta.auto_created:
                tables[f"{model._meta.label_lower}.{field.name}"] = through
    return dict(sorted(tables.items()))


def counts() -> dict[str, int]:
    """Rows of every table in a backup."""
    return {label: model._default_manager.count() for label, model in _tables().items()}


def _counts_in(rows: list[dict]) -> dict[str, int]:
    """What `counts()` will say once `rows` are loaded into an empty database."""
    tables: Counter[str] = Counter(dict.fromkeys(_tables(), 0))
    for row in rows:
        tables[row["model"]] += 1
        model = apps.get_model(row["model"])
        for field in model._meta.local_many_to_many:
            if field.remote_field.through._meta.auto_created:
                label = f"{row['model']}.{field.name}"
                tables[label] += len(row["fields"].get(field.name, []))
    return dict(sorted(tables.items()))


def file_hashes() -> dict[str, str]:
    return {
        name: sha256_of(default_storage, name) for name in stored_names(default_storage)
    }


@contextmanager
def _reading() -> Iterator[None]:
    """On SQLite, a read transaction: IMMEDIATE would stop every writer."""
    if connection.vendor == "sqlite" and not hasattr(connection, "transaction_mode"):
        connection.get_connection_params()  # sets transaction_mode
    mode = getattr(connection, "transaction_mode", None)
    if connection.vendor == "sqlite":
        connection.transaction_mode = "DEFERRED"
    try:
        yield
    finally:
        if connection.vendor == "sqlite":
            connection.transaction_mode = mode


def back_up(path: Path) -> dict:
    """Write a backup archive to `path`; returns its manifest."""
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "data.json"
        with _reading(), transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                    )
            call_command(
                "dumpdata",
                format=SERIALIZATION,
                natural_foreign=True,
                natural_primary=False,
                exclude=EXCLUDED,
                output=str(data),
                verbosity=0,
            )
            manifest = {"format": FORMAT, "counts": counts()}
            names = sorted({name for name, _sha256 in stored_files()})
        # Stored files never change once written, and the rows of this
        # snapshot were committed after their files: every name is there.
        # Each is read once, in pieces, and hashed as it goes into the
        # archive (from an object store, as it arrives); the manifest last.
        manifest["files"] = {}
        with tarfile.open(path, "w:gz") as archive:
            archive.add(data, arcname="data.json")
            for name in names:
                with open_stream(default_storage, name) as handle:
                    info = tarfile.TarInfo(f"media/{name}")
                    size = getattr(handle, "size", None)
                    info.size = default_storage.size(name) if size is None else size
                    hashing = _Hashing(handle)
                    archive.addfile(info, hashing)
                manifest["files"][name] = hashing.digest.hexdigest()
            body = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    return manifest


def upgrade(manifest: dict, rows: list[dict]) -> tuple[dict, list[dict]]:
    """An older archive's manifest and rows, in the labels of this version."""
    version = manifest.get("format", 1)
    if version < 2:
        manifest, rows = _from_format_1(manifest, rows)
    if version < 3:
        manifest, rows = _from_format_2(manifest, rows)
    if version < 4:
        manifest, rows = _from_format_3(manifest, rows)
    if version < 6:
        # Nothing to translate: the new tables start empty, the new columns
        # take their defaults. The manifest counts only the tables it knew.
        manifest = {**manifest, "format": 6, "partial_counts": True}
    return manifest, rows


def _from_format_1(manifest: dict, rows: list[dict]) -> tuple[dict, list[dict]]:
    labels = {f"{a}.{m}": f"{b}.{n}" for (a, m), (b, n) in MOVED_MODELS.items()}
    manifest = {
        **manifest,
        "format": 2,
        "counts": {labels.get(k, k): v for k, v in manifest["counts"].items()},
        # Format 1 counted the main tables only.
        "partial_counts": True,
    }

    def moved(value):
        # Natural keys of content types ["wards", "enrolment"] and of
        # permissions ["add_enrolment", "wards", "enrolment"].
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            key = tuple(value[-2:])
            if len(value) in (2, 3) and key in MOVED_MODELS:
                return [*value[:-2], *MOVED_MODELS[key]]
            return value
        if isinstance(value, list):
            return [moved(v) for v in value]
        return value

    for row in rows:
        row["model"] = labels.get(row["model"], row["model"])
        row["fields"] = {name: moved(value) for name, value in row["fields"].items()}
    return manifest, rows


def _from_format_2(manifest: dict, rows: list[dict]) -> tuple[dict, list[dict]]:
    """Units in time: as migration wards.0004 does to a database, an inactive
    unit was closed the day before the 2025 merger and a merged one gave all
    its area to the unit it was merged into. Tables that format 2 did not have
    are not counted (they are empty, or follow from these rows)."""
    changes = []
    for row in rows:
        if row["model"] != "wards.ward":
            continue
        fields = row["fields"]
        active = fields.pop("active", True)
        merged_into = fields.pop("merged_into", None)
        if not active:
            fields["valid_to"] = (NATIONWIDE_MERGER - dt.timedelta(days=1)).isoformat()
        fields["folded_name"] = fold(fields.get("name", ""))
        if merged_into is not None:
            changes.append(
                {
                    "model": "wards.unitchange",
                    "pk": len(changes) + 1,
                    "fields": {
                        "predecessor": row["pk"],
                        "successor": merged_into,
                        "effective": NATIONWIDE_MERGER.isoformat(),
                        "partial": False,
                    },
                }
            )
    counts = {
        label: count
        for label, count in manifest["counts"].items()
        if label not in EXCLUDED
    }
    counts["wards.unitchange"] = len(changes)
    manifest = {**manifest, "format": 3, "counts": counts, "partial_counts": True}
    return manifest, rows + changes


def _from_format_3(manifest: dict, rows: list[dict]) -> tuple[dict, list[dict]]:
    """Recognition numbers typed on enrolments become decisions without a
    scan, one per number, date and level, as migration evidence.0004 does
    to a database; recorded by the first superuser of the archive."""
    users = [r["fields"] for r in rows if r["model"] == "accounts.user"]
    recorder = next((u for u in users if u.get("is_superuser")), None) or (
        users[0] if users else None
    )
    wards = {r["pk"]: r["fields"] for r in rows if r["model"] == "wards.ward"}
    decisions: dict[tuple, dict] = {}
    for row in rows:
        if row["model"] != "evidence.enrolment":
            continue
        fields = row["fields"]
        number = fields.pop("recognition_number", "")
        date = fields.pop("recognition_date", None)
        if not number or recorder is None:
            continue
        year, track = fields["year"], fields["track"]
        province = wards[fields["ward"]]["province"] if track == "province" else None
        date = date or dt.date(year, 12, 31).isoformat()
        key = (number, date, track, province, year)
        if key not in decisions:
            decisions[key] = {
                "model": "evidence.decision",
                "pk": len(decisions) + 1,
                "fields": {
                    "track": track,
                    "province": province,
                    "year": year,
                    "number": number,
                    "date": date,
                    "signer": "—",
                    "note": "Số quyết định ghi trước khi ứng dụng lưu quyết định.",
                    "recorded_by": [recorder["username"]],
                    "recorded_at": dt.datetime.now(dt.UTC).isoformat(),
                },
            }
        fields["stage"] = "recognised"
        fields["decision"] = decisions[key]["pk"]
    counts = {**manifest["counts"], "evidence.decision": len(decisions)}
    manifest = {**manifest, "format": 4, "counts": counts, "partial_counts": True}
    return manifest, rows + list(decisions.values())


def _media(archive: tarfile.TarFile):
    """The evidence files of an archive: (name, member), paths checked."""
    for member in archive.getmembers():
        if not member.name.startswith("media/"):
            continue
        name = member.name.removeprefix("media/")
        if not member.isfile() or ".." in PurePosixPath(name).parts or name[:1] == "/":
            raise BackupError(f"Unsafe path in the archive: {member.name}")
        yield name, member


def _read(archive: tarfile.TarFile) -> tuple[dict, list[dict]]:
    """The manifest and the rows of an archive, checked against each other
    and against every file (hashed as it is read), before anything is written."""
    try:
        manifest, rows = upgrade(
            json.load(archive.extractfile("manifest.json")),
            json.load(archive.extractfile("data.json")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BackupError(f"Not a Kiểu Mẫu backup archive: {exc}") from None
    seen = set()
    for name, member in _media(archive):
        handle = archive.extractfile(member)
        digest = hashlib.file_digest(handle, "sha256")
        if digest.hexdigest() != manifest["files"].get(name):
            raise BackupError(f"{name} is damaged or unlisted: its SHA-256 differs.")
        seen.add(name)
    if seen != set(manifest["files"]):
        raise BackupError("Files listed in the manifest are missing from the archive.")
    try:
        in_rows = _counts_in(rows)
    except (KeyError, LookupError) as exc:
        raise BackupError(
            f"The archive holds rows of an unknown table: {exc}"
        ) from None
    if not _agree(manifest, in_rows):
        raise BackupError("The archive's rows differ from its manifest.")
    return manifest, rows


def _agree(manifest: dict, found: dict[str, int]) -> bool:
    if manifest.get("partial_counts"):
        found = {label: found.get(label) for label in manifest["counts"]}
    return found == manifest["counts"]


class _Hashing:
    """A file read through, its SHA-256 computed on the way."""

    def __init__(self, handle: IO[bytes]):
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


@contextmanager
def _copied(
    archive: tarfile.TarFile, member: tarfile.TarInfo, sha256: str
) -> Iterator[IO[bytes]]:
    """A file of the archive, copied to a temporary file and checked again.

    The storage then reads a plain local file: an object store's client
    seeks back in what it sends, which in a compressed archive means
    unpacking it again from its start, file after file.
    """
    with tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR) as copy:
        source = archive.extractfile(member)
        if source is None:  # _media gives files only
            raise BackupError(f"{member.name} is not a file.")
        hashing = _Hashing(source)
        shutil.copyfileobj(hashing, copy, 1024 * 1024)
        if hashing.digest.hexdigest() != sha256:
            raise BackupError(f"{member.name} changed while it was restored.")
        copy.seek(0)
        yield copy


def restore(path: Path) -> dict:
    """Load a backup into an empty, migrated database and an empty media folder.

    Refuses to mix a backup into existing data. The whole archive is checked
    first; then the files are written (on the file system or into the
    object store, whichever STORAGES names) and the rows loaded in one
    transaction, counted again before it commits. On any fault nothing stays.
    """
    if Province.objects.exists() or stored_names(default_storage):
        raise BackupError(
            "Restore into an empty database (migrated) and an empty media folder "
            "or bucket."
        )
    with tarfile.open(path, "r:gz") as archive:
        manifest, rows = _read(archive)
    written: list[str] = []
    committing = False
    try:
        with tarfile.open(path, "r:gz") as archive:
            for name, member in _media(archive):
                with _copied(archive, member, manifest["files"][name]) as copy:
                    saved = default_storage.save(name, File(copy, name))
                written.append(saved)
                if saved != name:
                    raise BackupError(f"{name} could not be restored under its name.")
        with tempfile.TemporaryDirectory() as scratch:
            data = Path(scratch) / "data.json"
            data.write_text(json.dumps(rows), encoding="utf-8")
            with transaction.atomic():
                call_command("loaddata", str(data), verbosity=0)
                # The dashboards' tallies are not in the archive; an archive
                # from before they were stored has no counts on its enrolments.
                recount()
                fill_event_provinces()  # archives from before events had one
                restored = counts()
                if not _agree(manifest, restored):
                    raise BackupError(
                        f"Row counts differ after restore: {restored} != "
                        f"{manifest['counts']}"
                    )
                committing = True
    except BaseException:
        # Files go only if the rows certainly did not commit.
        if not committing:
            for name in written:
                default_storage.delete(name)
        raise
    return manifest
