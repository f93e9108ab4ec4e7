"""The dossier as the level above receives it: one ZIP of the approved files.

A folder per approved criterion ("01 - Tiêu chí …/") holds its files in
force under their original names; `manifest.json` lists each file with its
size, SHA-256, criterion, uploader and approver; `README.txt` says how to
check them; `dossier.pdf` is the printable dossier. Each file is hashed
again as it is copied, and one that no longer matches its row stops the
export: the ZIP never carries a file that its manifest contradicts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import unicodedata
import zipfile
import zlib
from collections import Counter
from pathlib import PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from access import people
from core.storage import open_stream

from .dossier import render_pdf
from .models import Assessment, Enrolment, Evidence, ReviewEvent
from .uploads import clean_name, shorten_name

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
README = "README.txt"
SUMMARY = "dossier.pdf"
CHUNK = 1024 * 1024
# Short enough that the paths fit in Windows' 260 characters when unpacked.
FOLDER_TITLE_LENGTH = 60
FILE_NAME_LENGTH = 120
# What Windows refuses in a name, and the names it keeps for devices.
FORBIDDEN = frozenset('<>:"/\\|?*')
DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"{port}{n}" for port in ("COM", "LPT") for n in range(1, 10)]
)


class EvidenceMismatch(Exception):
    """A stored file is missing, or is not the file its row describes."""

    def __init__(self, evidence: Evidence):
        super().__init__(evidence.file.name)
        self.evidence = evidence

    @property
    def message(self) -> str:
        """Why the dossier was not exported, in the active language."""
        return _(
            "The stored file “%(name)s” of criterion %(number)d is missing or no "
            "longer matches the SHA-256 recorded when it was uploaded, so the "
            "dossier was not exported. Tell your administrator."
        ) % {
            "name": self.evidence.original_name,
            "number": self.evidence.assessment.criterion.number,
        }


def export_zip(enrolment: Enrolment) -> IO[bytes]:
    """The dossier ZIP of `enrolment`, in a temporary file read from its start
    and gone once closed. Raises EvidenceMismatch rather than ship a file
    that does not match its row.

    In the site's language (Vietnamese) whatever the user's: the ZIP is the
    dossier sent to the level above. `enrolment` must carry the annotations
    of `Enrolment.objects.with_progress()`.
    """
    # The caller closes it (a FileResponse does, once it has sent it).
    handle = tempfile.TemporaryFile(  # noqa: SIM115
        suffix=".zip", dir=settings.FILE_UPLOAD_TEMP_DIR
    )
    try:
        with translation.override(settings.LANGUAGE_CODE):
            write_zip(enrolment, handle)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return handle


def write_zip(enrolment: Enrolment, target: IO[bytes]) -> None:
    """Write the dossier ZIP of `enrolment` into `target`, a seekable file."""
    evidence = approved_evidence(enrolment)
    paths = zip_paths(evidence)
    manifest = build_manifest(enrolment, evidence, paths)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        # The files first: one that does not match ends the export before
        # the PDF is laid out.
        for item in evidence:
            copy_checked(item, archive, paths[item.pk])
        archive.writestr(SUMMARY, render_pdf(enrolment))
        archive.writestr(README, readme(manifest), compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr(
            MANIFEST,
            json.dumps(manifest, ensure_ascii=False, indent=2),
            compress_type=zipfile.ZIP_DEFLATED,
        )


def approved_evidence(enrolment: Enrolment) -> list[Evidence]:
    """The files in force of the enrolment's approved criteria, in order."""
    return list(
        Evidence.objects.filter(
            assessment__enrolment=enrolment,
            assessment__status=Assessment.Status.APPROVED,
            withdrawn_at=None,
        )
        .select_related("uploaded_by", "assessment__criterion", "assessment__reviewer")
        .order_by("assessment__criterion__number", "uploaded_at", "pk")
    )


def zip_paths(evidence: list[Evidence]) -> dict[int, str]:
    """Each file's path in the ZIP, by its pk: one folder per criterion, and
    no two names in a folder that a case-blind file system would confuse."""
    numbers = [item.assessment.criterion.number for item in evidence]
    width = max([2, *(len(str(n)) for n in numbers)])
    taken: dict[str, set[str]] = {}
    paths = {}
    for item in evidence:
        criterion = item.assessment.criterion
        title = safe_name(criterion.display_title, FOLDER_TITLE_LENGTH)
        folder = f"{criterion.number:0{width}d} - {title}"
        name = unique_name(
            safe_name(item.original_name, FILE_NAME_LENGTH),
            taken.setdefault(folder, set()),
        )
        paths[item.pk] = f"{folder}/{name}"
    return paths


def safe_name(name: str, limit: int) -> str:
    """`name` as one file or folder name that Windows, macOS and Linux all
    accept, in at most `limit` characters; Vietnamese letters stay."""
    name = unicodedata.normalize("NFC", name)
    name = clean_name("".join("_" if c in FORBIDDEN else c for c in name))
    name = shorten_name(name, limit) or _("file")
    if name.split(".")[0].strip().upper() in DEVICES:
        name = f"_{name}"
    return name


def unique_name(name: str, taken: set[str]) -> str:
    """`name`, or "name (2).pdf", "name (3).pdf"… if the folder has it."""
    path = PurePosixPath(name)
    candidate, n = name, 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{path.stem} ({n}){path.suffix}"
    taken.add(candidate.casefold())
    return candidate


def build_manifest(
    enrolment: Enrolment, evidence: list[Evidence], paths: dict[int, str]
) -> dict[str, Any]:
    """What the ZIP holds and who vouched for each file, from the rows."""
    approvals = last_approvals([item.assessment_id for item in evidence])
    approvers = {}
    for item in evidence:
        event = approvals.get(item.assessment_id)
        assessment = item.assessment
        approvers[item.pk] = (
            (event.actor, event.created_at)
            if event is not None
            else (assessment.reviewer, assessment.decided_at)
        )
    people.load_units(
        [item.uploaded_by for item in evidence] + [a for a, _at in approvers.values()]
    )
    ward = enrolment.ward
    return {
        "unit_code": ward.code,
        "unit_name": ward.full_name,
        "province": ward.province.name,
        "year": enrolment.year,
        "criteria_set": enrolment.criteria_set.name,
        "progress": enrolment.progress,
        "generated_at": _iso(timezone.now()),
        "files": [
            {
                "path": paths[item.pk],
                "size": item.size,
                "sha256": item.sha256,
                "criterion_number": item.assessment.criterion.number,
                "criterion_title": item.assessment.criterion.display_title,
                "original_name": item.original_name,
                "uploaded_by": people.person(item.uploaded_by),
                "uploaded_at": _iso(item.uploaded_at),
                "approved_by": people.person(approvers[item.pk][0]),
                "approved_at": _iso(approvers[item.pk][1]),
            }
            for item in evidence
        ],
    }


def last_approvals(assessment_ids: list[int]) -> dict[int, ReviewEvent]:
    """The latest approval of each assessment, from the history."""
    events = (
        ReviewEvent.objects.filter(
            assessment_id__in=set(assessment_ids), action=ReviewEvent.Action.APPROVE
        )
        .select_related("actor")
        .order_by("created_at", "pk")
    )
    return {event.assessment_id: event for event in events}


def _iso(moment: Any) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def copy_checked(evidence: Evidence, archive: zipfile.ZipFile, path: str) -> None:
    """Copy a stored file into the ZIP in chunks, hashing it on the way;
    EvidenceMismatch if it is missing or not what its row says."""
    entry = zipfile.ZipInfo(path, date_time=_zip_time(evidence))
    entry.compress_type = zipfile.ZIP_STORED  # PDFs and images: compressed already
    entry.file_size = evidence.size
    digest = hashlib.sha256()
    size = 0
    try:
        source = open_stream(evidence.file.storage, evidence.file.name or "")
    except FileNotFoundError:
        logger.error("Evidence %s: %s is missing.", evidence.pk, evidence.file.name)
        raise EvidenceMismatch(evidence) from None
    with source, archive.open(entry, "w") as copy:
        # Past the recorded size it is the wrong file: no need to read on.
        while size <= evidence.size and (chunk := source.read(CHUNK)):
            digest.update(chunk)
            size += len(chunk)
            copy.write(chunk)
    if size != evidence.size or digest.hexdigest() != evidence.sha256:
        logger.error(
            "Evidence %s: %s does not match its row (SHA-256 %s, expected %s).",
            evidence.pk,
            evidence.file.name,
            digest.hexdigest(),
            evidence.sha256,
        )
        raise EvidenceMismatch(evidence)


def _zip_time(evidence: Evidence) -> tuple[int, int, int, int, int, int]:
    at = timezone.localtime(evidence.uploaded_at)
    return (max(at.year, 1980), at.month, at.day, at.hour, at.minute, at.second)


def readme(manifest: dict[str, Any]) -> bytes:
    """How to check the files, in Vietnamese for whoever receives the ZIP.

    With a byte order mark and CRLF, so that the Notepad of older Windows
    shows the diacritics.
    """
    example = manifest["files"][0]["path"] if manifest["files"] else "01 - …/tep.pdf"
    text = README_TEXT.format(
        unit=manifest["unit_name"],
        province=manifest["province"],
        year=manifest["year"],
        criteria_set=manifest["criteria_set"],
        progress=manifest["progress"],
        count=len(manifest["files"]),
        generated_at=manifest["generated_at"],
        example=example,
        example_windows=example.replace("/", "\\"),
    )
    return text.replace("\n", "\r\n").encode("utf-8-sig")


README_TEXT = """\
HỒ SƠ TIÊU CHÍ CÔNG AN PHƯỜNG ĐIỂN HÌNH, KIỂU MẪU
{unit} ({province}), năm {year}
Bộ tiêu chí: {criteria_set}. Tiêu chí đã phê duyệt: {progress}.
Tạo từ Kiểu Mẫu lúc {generated_at}.

NỘI DUNG
- dossier.pdf: báo cáo in được, tóm tắt toàn bộ hồ sơ.
- Mỗi thư mục "số - tên tiêu chí" chứa các tệp minh chứng của một tiêu chí
  đã phê duyệt ({count} tệp trong cả hồ sơ).
- manifest.json: danh sách các tệp minh chứng, mỗi tệp với đường dẫn, kích
  thước (byte), mã SHA-256, người tải lên, người phê duyệt và thời điểm.

CÁCH KIỂM TRA MỘT TỆP KHÔNG BỊ THAY ĐỔI
Tính mã SHA-256 của tệp, rồi so với giá trị "sha256" của tệp đó trong
manifest.json: hai mã phải giống hệt nhau. Sau khi giải nén:
- Linux:   sha256sum "{example}"
- macOS:   shasum -a 256 "{example}"
- Windows: certutil -hashfile "{example_windows}" SHA256
Nơi có cài Kiểu Mẫu, một lệnh kiểm tra cả tệp ZIP:
  python manage.py verify_dossier <tệp ZIP>
"""


def verify_zip(path: Any) -> list[str]:
    """What is wrong with the dossier ZIP at `path`, one sentence a problem:
    [] when every file its manifest lists is there with that size and
    SHA-256, and no file is there that the manifest does not list."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return [_("This is not a readable ZIP file (%(error)s).") % {"error": exc}]
    with archive:
        try:
            listed = {
                entry["path"]: entry
                for entry in json.loads(archive.read(MANIFEST))["files"]
            }
        except (KeyError, TypeError, ValueError, zipfile.BadZipFile):
            return [_("The ZIP has no readable manifest.json.")]
        names = [info.filename for info in archive.infolist() if not info.is_dir()]
        problems = [
            _("“%(name)s” is in the ZIP more than once.") % {"name": name}
            for name, count in Counter(names).items()
            if count > 1
        ]
        present = set(names)
        for name, entry in listed.items():
            if name not in present:
                problems.append(
                    _("“%(name)s” is in the manifest but not in the ZIP.")
                    % {"name": name}
                )
            elif problem := _check_entry(archive, name, entry):
                problems.append(problem)
        problems += [
            _("“%(name)s” is in the ZIP but not in the manifest.") % {"name": name}
            for name in sorted(present - listed.keys() - {MANIFEST, README, SUMMARY})
        ]
    return problems


def _check_entry(
    archive: zipfile.ZipFile, name: str, entry: dict[str, Any]
) -> str | None:
    """What is wrong with one listed file of the ZIP, or None."""
    size = archive.getinfo(name).file_size
    if size != entry.get("size"):
        return _("“%(name)s” has %(size)s bytes; the manifest says %(expected)s.") % {
            "name": name,
            "size": size,
            "expected": entry.get("size"),
        }
    digest = hashlib.sha256()
    try:
        with archive.open(name) as handle:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                digest.update(chunk)
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        return _("“%(name)s” is damaged in the ZIP (%(error)s).") % {
            "name": name,
            "error": exc,
        }
    if digest.hexdigest() != entry.get("sha256"):
        return _("“%(name)s” does not match its SHA-256 in the manifest.") % {
            "name": name
        }
    return None
