"""Checking that stored evidence files and their rows agree.

Through the storage API only (list, open, size), so the same check runs on
the file system and on an object store.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.core.files.storage import Storage, default_storage

from assessments.models import stored_files
from core.storage import open_stream

ROOT = "evidence"


@dataclass
class Report:
    orphans: list[str] = field(default_factory=list)  # files without a row
    missing: list[str] = field(default_factory=list)  # rows without their file
    mismatched: list[str] = field(default_factory=list)  # content changed
    checked: int = 0

    @property
    def clean(self) -> bool:
        return not (self.orphans or self.missing or self.mismatched)


def stored_names(storage: Storage, folder: str = ROOT) -> list[str]:
    """Every file under `folder` in the storage, recursively (in an object
    store, every key under the prefix `folder/`: one listing per level)."""
    try:
        folders, names = storage.listdir(folder)
    except FileNotFoundError:
        return []
    found = [f"{folder}/{name}" for name in names]
    for sub in folders:
        found += stored_names(storage, f"{folder}/{sub}")
    return found


def sha256_of(storage: Storage, name: str) -> str:
    """The SHA-256 of a stored file, read once in pieces (from an object
    store as it arrives, with no temporary copy)."""
    digest = hashlib.sha256()
    with open_stream(storage, name) as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check(storage: Storage = default_storage) -> Report:
    """Compare every row's file (evidence, decision scans) with the storage,
    hashing each file once."""
    report = Report()
    expected: dict[str, set[str]] = {}
    for name, sha256 in stored_files():
        expected.setdefault(name, set()).add(sha256)
    stored = set(stored_names(storage))
    report.orphans = sorted(stored - expected.keys())
    for name, hashes in sorted(expected.items()):
        report.checked += 1
        if name not in stored:
            report.missing.append(name)
        elif {sha256_of(storage, name)} != hashes:
            report.mismatched.append(name)
    return report
