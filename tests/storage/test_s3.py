"""Evidence in an S3-compatible object store: moto's server, a real process
spoken to over HTTP (`s3_media` in tests/conftest.py), whatever TEST_S3 says."""

import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from io import StringIO

import pytest
from botocore.exceptions import EndpointConnectionError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from access.models import Membership
from assessments.models import Assessment, Evidence
from assessments.services import attach_evidence
from assessments.uploads import UploadRefused
from core.storage import open_stream
from ops import backup, sweep
from ops.integrity import check, stored_names
from tests import files
from tests.factories import add_file, member

Status = Assessment.Status
pytestmark = pytest.mark.usefixtures("english")
MB = 1024 * 1024


def key(name: str) -> str:
    """The object's key in the bucket: the storage's folder, then the name."""
    return f"{default_storage.location}/{name}"


def stored_object(server, name: str) -> bytes:
    answer = server.client().get_object(Bucket=server.bucket, Key=key(name))
    return answer["Body"].read()


def large_pdf(size: int) -> bytes:
    """A PDF as the upload checks see it (its first bytes), `size` long."""
    head = files.pdf("lớn")
    return head + os.urandom(size - len(head))


def test_the_settings_choose_the_store_by_the_environment():
    script = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.STORAGES['default'], default=str))"
    )
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("S3_", "TEST_S3"))
    } | {"DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "true"}

    def default_storage_with(**env: str) -> dict:
        out = subprocess.run(  # noqa: S603 - our interpreter, our script
            [sys.executable, "-c", script],
            env=base | env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return json.loads(out)

    assert default_storage_with()["BACKEND"].endswith("FileSystemStorage")
    s3 = default_storage_with(
        S3_BUCKET="kieumau",
        S3_ENDPOINT_URL="https://minio.internal:9000",
        S3_REGION="vn-hanoi-1",
        S3_ACCESS_KEY_ID="app",
        S3_SECRET_ACCESS_KEY="secret",
    )
    assert s3["BACKEND"] == "storages.backends.s3.S3Storage"
    options = s3["OPTIONS"]
    assert options["bucket_name"] == "kieumau"
    assert options["endpoint_url"] == "https://minio.internal:9000"
    assert options["region_name"] == "vn-hanoi-1"
    assert (options["access_key"], options["secret_key"]) == ("app", "secret")
    assert options["addressing_style"] == "path"
    assert options["default_acl"] == "private"
    assert options["querystring_auth"] is True
    assert options["file_overwrite"] is False
    virtual = default_storage_with(S3_BUCKET="kieumau", S3_PATH_STYLE="false")
    assert virtual["OPTIONS"]["addressing_style"] == "virtual"


@pytest.mark.django_db
def test_an_upload_is_hashed_stored_and_downloaded_after_the_check(
    s3_media, client, assessment, officer, other_enrolment
):
    # Larger than a part (8 MB): sent in parts, the hash still of every byte
    # once, and spooled to disk by Django on the way in (over 2.5 MB).
    content = large_pdf(9 * MB + 12345)
    client.force_login(officer)
    response = client.post(
        assessment.get_absolute_url() + "upload/",
        {"files": [files.upload("bien-ban.pdf", content)], "description": "Lớn"},
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert evidence.size == len(content)
    assert stored_object(s3_media, evidence.file.name) == content
    assert check().clean

    url = reverse("evidence_download", args=[evidence.pk])
    response = client.get(url)
    assert response.status_code == 200  # streamed by the app, no redirect
    assert b"".join(response.streaming_content) == content
    assert response["Content-Length"] == str(len(content))
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"

    outsider = member(Membership.Role.OFFICER, ward=other_enrolment.ward)
    client.force_login(outsider)
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_small_files_keep_their_hash_and_a_lost_object_is_a_404(
    s3_media, client, assessment, officer
):
    content = files.pdf("nhỏ")
    evidence = add_file(assessment, officer, content=content)
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert stored_object(s3_media, evidence.file.name) == content
    client.force_login(officer)
    url = reverse("evidence_download", args=[evidence.pk])
    assert b"".join(client.get(url).streaming_content) == content

    # Read as it arrives, not first copied whole as `storage.open` does.
    with open_stream(default_storage, evidence.file.name) as handle:
        assert not isinstance(handle, File)
        assert handle.size == len(content)

    s3_media.client().delete_object(Bucket=s3_media.bucket, Key=key(evidence.file.name))
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_names_are_never_reused_and_objects_are_private(s3_media, assessment, officer):
    first = add_file(assessment, officer, name="a.pdf")
    again = default_storage.save(first.file.name, ContentFile(b"%PDF-other"))
    assert again != first.file.name  # file_overwrite is off
    assert stored_object(s3_media, first.file.name) == files.pdf("a.pdf")
    grants = s3_media.client().get_object_acl(
        Bucket=s3_media.bucket, Key=key(first.file.name)
    )["Grants"]
    assert [g["Grantee"].get("URI") for g in grants if "URI" in g["Grantee"]] == []


@pytest.mark.django_db
def test_a_store_that_does_not_answer_is_said_and_leaves_nothing(
    s3_media, assessment, officer, monkeypatch
):
    def down(self, name, content):
        raise EndpointConnectionError(endpoint_url=s3_media.endpoint_url)

    monkeypatch.setattr("storages.backends.s3.S3Storage._save", down)
    with pytest.raises(UploadRefused, match="file store is not answering"):
        attach_evidence(
            assessment=assessment,
            uploads=[files.upload("a.pdf", files.pdf())],
            description="",
            document_date=None,
            actor=officer,
        )
    assert not Evidence.objects.exists()
    assert stored_names(default_storage) == []


@pytest.mark.django_db
def test_the_integrity_check_finds_missing_altered_and_orphan_objects(
    s3_media, assessment, officer
):
    kept = add_file(assessment, officer, name="kept.pdf")
    lost = add_file(assessment, officer, name="lost.pdf")
    changed = add_file(assessment, officer, name="changed.pdf")
    assert check().clean and check().checked == 3
    client = s3_media.client()
    client.delete_object(Bucket=s3_media.bucket, Key=key(lost.file.name))
    client.put_object(
        Bucket=s3_media.bucket, Key=key(changed.file.name), Body=b"%PDF-forged"
    )
    client.put_object(
        Bucket=s3_media.bucket, Key=key("evidence/2026/11/orphan.pdf"), Body=b"x"
    )

    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("check_evidence", stdout=out)
    assert exit_.value.code == 1
    assert "orphan file: evidence/2026/11/orphan.pdf" in out.getvalue()
    assert f"missing file: {lost.file.name}" in out.getvalue()
    assert f"SHA-256 mismatch: {changed.file.name}" in out.getvalue()
    assert kept.file.name not in out.getvalue()


@pytest.mark.django_db
def test_the_sweep_removes_old_orphan_objects_only(
    s3_media, assessment, officer, monkeypatch
):
    kept = add_file(assessment, officer)
    orphan = default_storage.save("evidence/2026/11/old.pdf", ContentFile(b"x" * 10))
    # Young: perhaps its row is about to be committed.
    assert sweep.sweep(grace=dt.timedelta(hours=1)).orphans == []
    assert default_storage.exists(orphan)

    # Two days on (an object's time is the store's: the clock moves instead).
    later = timezone.now() + dt.timedelta(days=2)
    monkeypatch.setattr("ops.sweep.timezone.now", lambda: later)
    report = sweep.sweep(grace=dt.timedelta(hours=24), dry_run=True)
    assert report.orphans == [orphan] and report.freed == 10
    assert default_storage.exists(orphan)
    report = sweep.sweep(grace=dt.timedelta(hours=24))
    assert report.orphans == [orphan]
    assert not default_storage.exists(orphan)
    assert default_storage.exists(kept.file.name)
    assert check().clean


@pytest.fixture
def dossier(s3_media, enrolment, reach, officer):
    first, second = enrolment.assessments.order_by("criterion__number")[:2]
    reach(first, Status.APPROVED)
    add_file(second, officer, "lớn.pdf", content=large_pdf(9 * MB))
    reach(second, Status.SUBMITTED)
    return enrolment


def switch_to_an_empty_folder(settings, server, label: str) -> None:
    from tests.s3 import new_prefix

    settings.STORAGES = {
        **settings.STORAGES,
        "default": server.storage(prefix=new_prefix(label)),
    }


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip_through_the_store(
    s3_media, settings, tmp_path, dossier
):
    counts = backup.counts()
    hashes = backup.file_hashes()
    assert counts["evidence.evidence"] == len(hashes) == 3
    archive = tmp_path / "kieumau.tar.gz"
    manifest = backup.back_up(archive)
    assert manifest["files"] == hashes
    with tarfile.open(archive, "r:gz") as opened:
        for name, sha256 in hashes.items():
            data = opened.extractfile(f"media/{name}").read()
            assert hashlib.sha256(data).hexdigest() == sha256

    call_command("flush", interactive=False, verbosity=0)
    switch_to_an_empty_folder(settings, s3_media, "restored")
    assert stored_names(default_storage) == []
    call_command("restore", str(archive), verbosity=0)

    assert backup.counts() == counts
    assert backup.file_hashes() == hashes
    for evidence in Evidence.objects.all():
        stored = stored_object(s3_media, evidence.file.name)
        assert hashlib.sha256(stored).hexdigest() == evidence.sha256
    assert check().clean


@pytest.mark.django_db(transaction=True)
def test_a_restore_leaves_nothing_when_it_fails(
    s3_media, settings, tmp_path, dossier, monkeypatch
):
    archive = tmp_path / "kieumau.tar.gz"
    backup.back_up(archive)
    # Into a bucket folder that holds files: refused.
    with pytest.raises(backup.BackupError, match="empty"):
        backup.restore(archive)

    call_command("flush", interactive=False, verbosity=0)
    switch_to_an_empty_folder(settings, s3_media, "failed")
    # A damaged archive: refused before anything is written.
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive, "r:gz") as source, tarfile.open(damaged, "w:gz") as out:
        for item in source.getmembers():
            data = source.extractfile(item).read()
            if item.name.startswith("media/"):
                data = data[:-1] + b"!"
            out.addfile(item, io.BytesIO(data))
    with pytest.raises(backup.BackupError, match="damaged"):
        backup.restore(damaged)
    assert stored_names(default_storage) == []

    # The rows fail once the files are in the bucket: the files go again.
    def fails() -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("ops.backup.fill_event_provinces", fails)
    with pytest.raises(RuntimeError):
        backup.restore(archive)
    assert stored_names(default_storage) == []
    assert not Evidence.objects.exists()


@pytest.mark.django_db
def test_a_file_sent_in_pieces_waits_on_disk_then_goes_to_the_store(
    s3_media, client, settings, assessment, officer
):
    from pathlib import Path

    from assessments.models import PartialUpload
    from tests.assessments.test_resumable import attach, create, patch, upload_id

    client.force_login(officer)
    content = large_pdf(9 * MB)
    location = create(client, assessment, "Biên bản.pdf", content)["Location"]
    for start in range(0, len(content), 4 * MB):
        piece = content[start : start + 4 * MB]
        assert patch(client, location, start, piece).status_code == 204
    # Whole and verified on the app server's disk; nothing in the bucket yet.
    assert PartialUpload.objects.get().verified
    assert stored_names(default_storage) == []
    attach(client, assessment, upload_id(location), description="Họp")
    evidence = Evidence.objects.get()
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert stored_object(s3_media, evidence.file.name) == content
    assert not any(Path(settings.PARTIAL_UPLOAD_DIR).iterdir())


@pytest.mark.django_db
def test_refused_files_and_twins_leave_no_object(s3_media, assessment, officer):
    content = files.pdf("một")
    attached = attach_evidence(
        assessment=assessment,
        uploads=[
            files.upload("../../../tmp/evil.pdf", content),
            files.upload("again.pdf", content),  # the same file twice
            files.upload("fake.pdf", b"not a pdf at all"),
        ],
        description="",
        document_date=None,
        actor=officer,
    )
    (evidence,) = attached.added
    assert len(attached.refused) == 2
    assert evidence.original_name == "evil.pdf"
    # A generated name, under the storage's folder: the user's never reaches it.
    assert evidence.file.name.startswith("evidence/")
    assert "evil" not in evidence.file.name
    assert stored_names(default_storage) == [evidence.file.name]
    listed = s3_media.client().list_objects_v2(Bucket=s3_media.bucket, Prefix=key(""))
    assert [o["Key"] for o in listed["Contents"]] == [key(evidence.file.name)]


@pytest.mark.django_db
def test_comment_files_and_decision_scans_stream_from_the_store(
    s3_media, client, monkeypatch, assessment, officer, national
):
    """They are read as they arrive (never through `storage.open`, which
    would first copy the whole object), with the download's headers; a lost
    object is a 404."""
    from assessments import comments
    from tests.ops.test_backup import record_decision_scan

    content = files.pdf("Ý kiến kèm tệp")
    comment = comments.add_comment(
        assessment,
        author=officer,
        text="Xem tệp kèm theo.",
        upload=files.upload("y-kien.pdf", content),
    )
    decision = record_decision_scan()
    assessment.enrolment.decision = decision  # it recognised the ward
    assessment.enrolment.stage = "recognised"
    assessment.enrolment.save(update_fields=["decision", "stage"])

    def whole_copy(self, name, mode="rb"):
        raise AssertionError("the object was copied whole before sending")

    from storages.backends.s3 import S3Storage

    monkeypatch.setattr(S3Storage, "open", whole_copy)
    for user, url, name, expected in [
        (officer, f"/comments/{comment.pk}/file/", comment.file.name, content),
        (national, f"/decisions/{decision.pk}/scan/", decision.scan.name, None),
    ]:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        body = b"".join(response.streaming_content)
        assert body == (expected or stored_object(s3_media, name))
        assert response["Content-Length"] == str(len(body))
        assert response["Cache-Control"] == "private, no-store"
        assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
        s3_media.client().delete_object(Bucket=s3_media.bucket, Key=key(name))
        assert client.get(url).status_code == 404
