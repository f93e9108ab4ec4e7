"""Backing up and restoring the database and the evidence files together.

A backup is one .tar.gz holding `data.json` (every table that matters, from
Django's dumpdata with natural keys), `media/` (the evidence files) and
`manifest.json` (row counts per model and the SHA-256 of every file), so a
restore can prove it brought back exactly what was saved.
"""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
from pathlib import Path

from django.apps import apps
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import transaction

from wards.models import Province

from .integrity import sha256_of, stored_names

# Rebuilt by migrate, transient, or per-login: not part of a backup.
EXCLUDED = [
    "contenttypes",
    "auth.permission",
    "sessions",
    "axes",
    "accounts.usersession",
]
COUNTED = [
    "wards.province",
    "wards.ward",
    "evidence.enrolment",
    "access.membership",
    "criteria.criteriaset",
    "criteria.criterion",
    "evidence.assessment",
    "evidence.evidence",
    "evidence.reviewevent",
    "accounts.user",
    "admin.logentry",
]


# Format 2: enrolments are `evidence.enrolment` and memberships
# `access.membership`. Format 1 archives named them `wards.*`; restore
# translates them.
FORMAT = 2
MOVED_MODELS = {
    ("wards", "enrolment"): ("evidence", "enrolment"),
    ("wards", "membership"): ("access", "membership"),
}


class BackupError(Exception):
    pass


def upgrade(manifest: dict, rows: list[dict]) -> tuple[dict, list[dict]]:
    """An older archive's manifest and rows, in the labels of this version."""
    if manifest.get("format", 1) >= FORMAT:
        return manifest, rows
    labels = {f"{a}.{m}": f"{b}.{n}" for (a, m), (b, n) in MOVED_MODELS.items()}
    manifest = {
        **manifest,
        "format": FORMAT,
        "counts": {labels.get(k, k): v for k, v in manifest["counts"].items()},
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


def counts() -> dict[str, int]:
    return {label: apps.get_model(label).objects.count() for label in COUNTED}


def file_hashes() -> dict[str, str]:
    return {
        name: sha256_of(default_storage, name) for name in stored_names(default_storage)
    }


def back_up(path: Path) -> dict:
    """Write a backup archive to `path`; returns its manifest."""
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "data.json"
        with transaction.atomic():  # one consistent snapshot of the rows
            call_command(
                "dumpdata",
                natural_foreign=True,
                natural_primary=False,
                exclude=EXCLUDED,
                output=str(data),
                verbosity=0,
            )
            manifest = {"format": FORMAT, "counts": counts()}
        manifest["files"] = file_hashes()
        with tarfile.open(path, "w:gz") as archive:
            archive.add(data, arcname="data.json")
            for name in manifest["files"]:
                with default_storage.open(name, "rb") as handle:
                    info = tarfile.TarInfo(f"media/{name}")
                    info.size = default_storage.size(name)
                    archive.addfile(info, handle)
            body = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    return manifest


def restore(path: Path) -> dict:
    """Load a backup into an empty, migrated database and an empty media folder.

    Refuses to mix a backup into existing data. Afterwards checks the row
    counts and every file's SHA-256 against the manifest.
    """
    if Province.objects.exists() or stored_names(default_storage):
        raise BackupError(
            "Restore into an empty database (migrated) and an empty media folder."
        )
    with tarfile.open(path, "r:gz") as archive:
        manifest, rows = upgrade(
            json.load(archive.extractfile("manifest.json")),
            json.load(archive.extractfile("data.json")),
        )
        for member in archive.getmembers():
            if member.name.startswith("media/") and member.isfile():
                name = member.name.removeprefix("media/")
                if ".." in Path(name).parts or name.startswith("/"):
                    raise BackupError(f"Unsafe path in the archive: {member.name}")
                saved = default_storage.save(name, File(archive.extractfile(member)))
                if saved != name:
                    raise BackupError(f"{name} could not be restored under its name.")
        with tempfile.TemporaryDirectory() as scratch:
            data = Path(scratch) / "data.json"
            data.write_text(json.dumps(rows), encoding="utf-8")
            with transaction.atomic():
                call_command("loaddata", str(data), verbosity=0)
    if counts() != manifest["counts"]:
        raise BackupError(
            f"Row counts differ after restore: {counts()} != {manifest['counts']}"
        )
    if file_hashes() != manifest["files"]:
        raise BackupError("Evidence files differ from the backup after restore.")
    return manifest
