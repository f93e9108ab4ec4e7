"""Resumable uploads: a file sent in pieces counts only when whole and verified."""

import base64
import datetime as dt
import hashlib
import io
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.http import UnreadablePostError
from django.utils import timezone

from assessments import resumable
from assessments.models import Evidence, PartialUpload
from ops.sweep import sweep
from tests import files
from tests.factories import member

pytestmark = pytest.mark.django_db


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def create(client, assessment, name: str, content: bytes, *, sha256=None):
    digest = sha256 or hashlib.sha256(content).hexdigest()
    return client.post(
        assessment.get_absolute_url() + "upload/resumable/",
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Length": str(len(content)),
            "Upload-Metadata": f"filename {b64(name)},sha256 {b64(digest)}",
        },
    )


def patch(client, location: str, offset: int, piece: bytes):
    return client.generic(
        "PATCH",
        location,
        piece,
        content_type="application/offset+octet-stream",
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Offset": str(offset),
        },
    )


def offset_of(client, location: str) -> int:
    response = client.head(location)
    assert response.status_code == 200
    return int(response["Upload-Offset"])


def attach(client, assessment, *ids, **fields):
    return client.post(
        assessment.get_absolute_url() + "upload/",
        {"resumable": [str(i) for i in ids], **fields},
        follow=True,
    )


class Dropping(io.BytesIO):
    """A request body whose connection drops after `data`."""

    def read(self, size=-1):
        data = super().read(size)
        if not data:
            raise UnreadablePostError("connection reset by peer")
        return data


def upload_id(location: str) -> str:
    return location.rstrip("/").rsplit("/", 1)[1]


@pytest.fixture
def signed_in(client, officer):
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    return client


def test_a_file_sent_in_pieces_with_a_break_arrives_whole(signed_in, assessment):
    content = files.pdf("scan " * 50_000)  # about 250 KB
    created = create(signed_in, assessment, "Biên bản họp.pdf", content)
    assert created.status_code == 201
    location = created["Location"]
    first = patch(signed_in, location, 0, content[:100_000])
    assert first.status_code == 204
    assert first["Upload-Offset"] == "100000"
    # The connection drops in the middle of the next piece: 50 KB of the
    # announced 120 KB arrive, and they are kept.
    partial = PartialUpload.objects.get()
    resumable.append(
        partial, offset=100_000, body=Dropping(content[100_000:150_000]), length=120_000
    )
    assert offset_of(signed_in, location) == 150_000  # where to go on
    assert not Evidence.objects.exists()  # nothing counts yet
    rest = patch(signed_in, location, 150_000, content[150_000:])
    assert rest.status_code == 204
    partial = PartialUpload.objects.get()
    assert partial.verified
    page = attach(signed_in, assessment, upload_id(location), description="Họp")
    assert "1 file added to the dossier." in page.text
    evidence = Evidence.objects.get()
    assert evidence.original_name == "Biên bản họp.pdf"
    assert evidence.description == "Họp"
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    with evidence.file.open("rb") as handle:
        assert handle.read() == content
    assert not PartialUpload.objects.exists()  # used, and its bytes gone
    assert not any(Path(settings.PARTIAL_UPLOAD_DIR).iterdir())


def test_a_piece_at_the_wrong_offset_is_refused_and_writes_nothing(
    signed_in, assessment
):
    content = files.pdf("x" * 10_000)
    location = create(signed_in, assessment, "a.pdf", content)["Location"]
    patch(signed_in, location, 0, content[:4000])
    twice = patch(signed_in, location, 0, content[:4000])  # sent again
    assert twice.status_code == 409
    assert twice["Upload-Offset"] == "4000"
    ahead = patch(signed_in, location, 6000, content[6000:])
    assert ahead.status_code == 409
    assert offset_of(signed_in, location) == 4000
    too_long = patch(signed_in, location, 4000, content[4000:] + b"extra")
    assert too_long.status_code == 413
    assert offset_of(signed_in, location) == 4000


def test_an_altered_file_is_discarded_and_cannot_be_attached(signed_in, assessment):
    content = files.pdf("original")
    altered = content.replace(b"original", b"0riginal")
    location = create(signed_in, assessment, "a.pdf", content)["Location"]
    response = patch(signed_in, location, 0, altered)
    assert response.status_code == 460
    assert "arrived altered" in response.text
    assert not PartialUpload.objects.exists()
    assert not any(Path(settings.PARTIAL_UPLOAD_DIR).iterdir())
    page = attach(signed_in, assessment, upload_id(location))
    assert "Choose at least one file." in page.text
    assert not Evidence.objects.exists()


def test_an_arrived_file_still_passes_the_content_checks(signed_in, assessment):
    content = files.png()  # named as a PDF
    location = create(signed_in, assessment, "bao-cao.pdf", content)["Location"]
    assert patch(signed_in, location, 0, content).status_code == 204
    page = attach(signed_in, assessment, upload_id(location))
    assert "The content of “bao-cao.pdf” is not a PDF file" in page.text
    assert not Evidence.objects.exists()


@pytest.mark.parametrize(
    ("name", "size", "sha256", "said"),
    [
        ("a.exe", 10, "0" * 64, "not an accepted kind"),
        ("a.pdf", 100 * 1024 * 1024, "0" * 64, "larger than the limit"),
        ("a.pdf", 0, "0" * 64, "is empty"),
        ("a.pdf", 10, "not-a-digest", "checksum is missing or malformed"),
    ],
)
def test_a_file_that_cannot_be_taken_is_refused_before_it_is_sent(
    signed_in, assessment, name, size, sha256, said
):
    response = signed_in.post(
        assessment.get_absolute_url() + "upload/resumable/",
        headers={
            "Upload-Length": str(size),
            "Upload-Metadata": f"filename {b64(name)},sha256 {b64(sha256)}",
        },
    )
    assert response.status_code in (400, 413)
    assert said in response.text
    assert not PartialUpload.objects.exists()


def test_someone_elses_upload_is_not_there(client, signed_in, assessment, enrolment):
    content = files.pdf("mine")
    location = create(signed_in, assessment, "a.pdf", content)["Location"]
    assert patch(signed_in, location, 0, content).status_code == 204
    colleague = member("officer", ward=enrolment.ward)
    client.force_login(colleague)
    assert client.head(location).status_code == 404
    assert patch(client, location, 0, content).status_code == 404
    attach(client, assessment, upload_id(location))
    assert not Evidence.objects.exists()
    assert PartialUpload.objects.filter(verified=True).count() == 1


def test_cancelling_removes_the_bytes(signed_in, assessment):
    content = files.pdf("cancel")
    location = create(signed_in, assessment, "a.pdf", content)["Location"]
    patch(signed_in, location, 0, content[:10])
    assert signed_in.delete(location).status_code == 204
    assert not PartialUpload.objects.exists()
    assert not any(Path(settings.PARTIAL_UPLOAD_DIR).iterdir())
    assert signed_in.head(location).status_code == 404


def test_one_user_cannot_hold_unlimited_unfinished_uploads(
    signed_in, assessment, settings
):
    settings.PARTIAL_UPLOAD_MAX_OPEN = 2
    for number in range(2):
        assert (
            create(signed_in, assessment, f"{number}.pdf", b"%PDF-1").status_code == 201
        )
    refused = create(signed_in, assessment, "3.pdf", b"%PDF-1")
    assert refused.status_code == 413
    assert "too many files on their way" in refused.text


def test_abandoned_uploads_are_swept_after_a_day(signed_in, assessment):
    content = files.pdf("abandoned")
    old = create(signed_in, assessment, "old.pdf", content)["Location"]
    patch(signed_in, old, 0, content[:10])
    fresh = create(signed_in, assessment, "fresh.pdf", content)["Location"]
    PartialUpload.objects.filter(pk=upload_id(old)).update(
        updated_at=timezone.now() - dt.timedelta(hours=25)
    )
    stray = Path(settings.PARTIAL_UPLOAD_DIR, "f" * 32)
    stray.write_bytes(b"no row")
    two_days_ago = (timezone.now() - dt.timedelta(days=2)).timestamp()
    os.utime(stray, (two_days_ago, two_days_ago))
    report = sweep(grace=dt.timedelta(hours=1))
    assert len(report.unfinished) == 2
    assert list(PartialUpload.objects.values_list("name", flat=True)) == ["fresh.pdf"]
    assert not stray.exists()
    assert offset_of(signed_in, fresh) == 0  # the fresh one goes on


def test_the_sweep_command_lists_unfinished_uploads(signed_in, assessment, capsys):
    location = create(signed_in, assessment, "old.pdf", b"%PDF-1")["Location"]
    PartialUpload.objects.update(updated_at=timezone.now() - dt.timedelta(days=2))
    call_command("sweep", "--dry-run")
    out = capsys.readouterr().out
    assert "would remove unfinished resumable upload: " in out
    assert upload_id(location).replace("-", "") in out
    assert PartialUpload.objects.count() == 1  # a dry run


def test_arrived_files_count_against_what_one_user_may_hold(
    signed_in, assessment, settings
):
    """Arrived and never added, a file still holds disk space until swept."""
    settings.PARTIAL_UPLOAD_MAX_OPEN = 2
    for number in range(2):
        content = files.pdf(f"held {number}")
        location = create(signed_in, assessment, f"{number}.pdf", content)["Location"]
        assert patch(signed_in, location, 0, content).status_code == 204
    assert create(signed_in, assessment, "3.pdf", b"%PDF-1").status_code == 413
    settings.PARTIAL_UPLOAD_MAX_OPEN = 20
    settings.PARTIAL_UPLOAD_MAX_BYTES = 1000
    refused = create(signed_in, assessment, "big.pdf", b"%PDF-" + b"0" * 1000)
    assert refused.status_code == 413
    assert "too many files on their way" in refused.text


@pytest.mark.parametrize(
    "headers",
    [
        {"Upload-Length": "1" * 5000},
        {"Upload-Length": "10", "Upload-Metadata": "filename é,sha256 ???"},
        {"Upload-Length": "10", "Upload-Metadata": f"sha256 {b64('0' * 64 + chr(10))}"},
        {"Upload-Length": "-5"},
    ],
    ids=["huge-number", "not-base64", "digest-and-newline", "negative"],
)
def test_malformed_requests_are_refused_with_a_reason(signed_in, assessment, headers):
    response = signed_in.post(
        assessment.get_absolute_url() + "upload/resumable/", headers=headers
    )
    assert response.status_code in (400, 413)
    assert response.text
    assert not PartialUpload.objects.exists()


def test_malformed_offsets_and_ids_are_refused(signed_in, assessment):
    content = files.pdf("x")
    location = create(signed_in, assessment, "a.pdf", content)["Location"]
    response = signed_in.generic(
        "PATCH",
        location,
        content,
        content_type="application/offset+octet-stream",
        headers={"Upload-Offset": "9" * 5000},
    )
    assert response.status_code == 400
    page = attach(signed_in, assessment, "-" * 36, "not-an-id")
    assert page.status_code == 200
    assert "Choose at least one file." in page.text


def test_bytes_a_killed_worker_wrote_but_never_noted_are_counted(signed_in, assessment):
    content = files.pdf("y" * 10_000)
    location = create(signed_in, assessment, "a.pdf", content)["Location"]
    partial = PartialUpload.objects.get()
    partial.path.write_bytes(content[:5000])  # written; the row still says 0
    stale = patch(signed_in, location, 0, content)
    assert stale.status_code == 409
    assert stale["Upload-Offset"] == "5000"  # where to go on, truthfully
    assert offset_of(signed_in, location) == 5000
    assert patch(signed_in, location, 5000, content[5000:]).status_code == 204
    assert PartialUpload.objects.get().verified


def test_pieces_stop_when_the_user_may_no_longer_add(
    signed_in, assessment, officer, reach
):
    content = files.pdf("z" * 1000)
    location = create(signed_in, assessment, "a.pdf", content)["Location"]
    patch(signed_in, location, 0, content[:100])
    reach(assessment, "submitted")  # from another tab, with an earlier file
    refused = patch(signed_in, location, 100, content[100:])
    assert refused.status_code == 403
    assert "takes no files now" in refused.text
    assert not PartialUpload.objects.exists()
    again = create(signed_in, assessment, "b.pdf", files.pdf("later"))
    assert again.status_code == 403
    assert "takes no files now" in again.text
