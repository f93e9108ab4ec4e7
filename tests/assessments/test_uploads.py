import errno
import hashlib
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError, connection

from assessments import workflow
from assessments.models import Evidence, ReviewEvent
from assessments.services import attach_evidence
from assessments.uploads import UploadRefused, clean_name
from tests import files

pytestmark = pytest.mark.usefixtures("english")


def stored_files() -> set[Path]:
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return {p for p in root.rglob("*") if p.is_file()}


def attach(assessment, officer, *uploads):
    return attach_evidence(
        assessment=assessment,
        uploads=list(uploads),
        description="Biên bản kiểm tra",
        document_date=None,
        actor=officer,
    )


HOSTILE = [
    pytest.param("bao-cao.pdf", files.png(), "not a PDF file", id="png-named-pdf"),
    pytest.param("anh.png", files.pdf(), "not a PNG file", id="pdf-named-png"),
    pytest.param(
        "anh.jpg",
        b"<html><script>alert(1)</script></html>",
        "not a JPEG file",
        id="html-as-jpeg",
    ),
    pytest.param(
        "bao-cao.pdf",
        b"<!doctype html><html><body>%PDF-1.4</body></html>",
        "not a PDF file",
        id="html-as-pdf",
    ),
    pytest.param(
        "logo.png",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "not a PNG file",
        id="svg-as-png",
    ),
    pytest.param(
        "logo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"/>',
        "not an accepted kind",
        id="svg",
    ),
    pytest.param("trang.html", b"<html></html>", "not an accepted kind", id="html"),
    pytest.param("empty.pdf", b"", "is empty", id="empty"),
    pytest.param("noext", files.pdf(), "not an accepted kind", id="no-extension"),
    pytest.param("ke-hoach.docx", files.xlsx(), "not a DOCX file", id="xlsx-as-docx"),
    pytest.param(
        "ke-hoach.docx",
        b"PK\x03\x04 this is not really a zip archive",
        "not a DOCX file",
        id="broken-zip",
    ),
    pytest.param(
        "ke-hoach.docx",
        files.office("other/part.xml"),
        "not a DOCX file",
        id="zip-not-office",
    ),
    pytest.param(
        "chay.exe.pdf", b"MZ\x90\x00\x03 executable", "not a PDF file", id="exe"
    ),
]


@pytest.mark.parametrize(("name", "content", "message"), HOSTILE)
@pytest.mark.django_db
def test_hostile_uploads_are_refused_and_leave_nothing(
    assessment, officer, name, content, message
):
    before = stored_files()
    attached = attach(assessment, officer, files.upload(name, content, "image/png"))
    assert attached.added == []
    (reason,) = attached.refused
    assert message in reason
    assert stored_files() == before
    assert not Evidence.objects.exists()
    assert not ReviewEvent.objects.exists()
    assessment.refresh_from_db()
    assert assessment.status == "not_started"


@pytest.mark.django_db
def test_an_oversized_file_is_refused(assessment, officer, settings):
    settings.EVIDENCE_MAX_BYTES = 1024
    attached = attach(
        assessment, officer, files.upload("lon.pdf", b"%PDF-" + b"0" * 2000)
    )
    assert "larger than the limit" in attached.refused[0]
    assert not Evidence.objects.exists()


@pytest.mark.django_db
def test_a_zip_bomb_posing_as_docx_is_refused(assessment, officer, settings):
    settings.EVIDENCE_MAX_UNPACKED_BYTES = 1024 * 1024
    bomb = files.docx(extra={"word/media/zeros.bin": b"\0" * (8 * 1024 * 1024)})
    assert len(bomb) < 64 * 1024
    before = stored_files()
    attached = attach(assessment, officer, files.upload("bom.docx", bomb))
    assert "unpacks to more" in attached.refused[0]
    assert stored_files() == before


@pytest.mark.django_db
def test_a_bad_file_in_a_batch_is_refused_alone(assessment, officer):
    before = stored_files()
    attached = attach(
        assessment,
        officer,
        files.upload("tot.pdf", files.pdf()),
        files.upload("xau.pdf", b"GIF89a"),
    )
    assert [e.original_name for e in attached.added] == ["tot.pdf"]
    (reason,) = attached.refused
    assert "“xau.pdf”" in reason and "not a PDF file" in reason
    assert len(stored_files() - before) == 1
    assert list(Evidence.objects.values_list("original_name", flat=True)) == ["tot.pdf"]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Biên bản họp Đảng ủy phường.pdf", "application/pdf"),
        ("ảnh camera.JPG", "image/jpeg"),
        ("sơ đồ.png", "image/png"),
        ("Kế hoạch.docx", "wordprocessingml"),
        ("Số liệu tội phạm.xlsx", "spreadsheetml"),
    ],
)
@pytest.mark.django_db
def test_good_files_are_stored_with_their_hash_and_name(
    assessment, officer, name, kind
):
    content = {
        "pdf": files.pdf(),
        "jpg": files.jpeg(),
        "png": files.png(),
        "docx": files.docx(),
        "xlsx": files.xlsx(),
    }[name.rsplit(".", 1)[1].lower()]
    (evidence,) = attach(assessment, officer, files.upload(name, content)).added
    evidence.refresh_from_db()
    assert evidence.original_name == name
    assert kind in evidence.content_type
    assert evidence.size == len(content)
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert name not in evidence.file.name  # the stored path is generated
    with evidence.file.open("rb") as handle:
        assert handle.read() == content


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\system.ini.pdf", "system.ini.pdf"),
        ("/abs/path/báo cáo.pdf", "báo cáo.pdf"),
        ("tên\x00độc\x1f.pdf", "tênđộc.pdf"),
        ("x" * 400 + ".pdf", "x" * 250 + "….pdf"),
        ("Quyết định " * 30 + ".pdf", "Quyết định " * 22 + "Quyết….pdf"),
    ],
)
def test_names_are_cleaned_but_keep_their_diacritics(given, kept):
    assert clean_name(given) == kept


@pytest.mark.django_db
def test_path_traversal_names_never_reach_the_disk(assessment, officer):
    (evidence,) = attach(
        assessment, officer, files.upload("../../../tmp/evil.pdf", files.pdf())
    ).added
    path = Path(evidence.file.path).resolve()
    assert path.is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT).resolve())
    assert evidence.original_name == "evil.pdf"


@pytest.mark.django_db
def test_a_long_name_is_kept_whole(assessment, officer):
    name = "Nghị quyết của Ban Thường vụ Đảng ủy phường về công tác " * 4 + ".pdf"
    assert 200 < len(name) <= 255
    (evidence,) = attach(assessment, officer, files.upload(name, files.pdf())).added
    evidence.refresh_from_db()
    assert evidence.original_name == name


@pytest.mark.django_db
def test_the_same_file_twice_is_pointed_out(assessment, officer):
    content = files.pdf("same")
    attach(assessment, officer, files.upload("lan-1.pdf", content))
    before = stored_files()
    again = attach(assessment, officer, files.upload("lan-2.pdf", content))
    assert again.added == []
    assert "already in this dossier as “lan-1.pdf”" in again.refused[0]
    assert stored_files() == before
    twins = attach(
        assessment,
        officer,
        files.upload("a.pdf", files.pdf("x")),
        files.upload("b.pdf", files.pdf("x")),
    )
    assert [e.original_name for e in twins.added] == ["a.pdf"]
    assert twins.refused == ["“b.pdf” is the same file as “a.pdf”; it was added once."]
    assert Evidence.objects.count() == 2
    assert len(stored_files()) == len(before) + 1


@pytest.mark.django_db
def test_a_duplicate_in_a_batch_keeps_the_other_files(assessment, officer):
    """A PDF already in the dossier and a new PNG: the PNG gets in."""
    attach(assessment, officer, files.upload("bao-cao.pdf", files.pdf("once")))
    attached = attach(
        assessment,
        officer,
        files.upload("bao-cao (1).pdf", files.pdf("once")),
        files.upload("anh.png", files.png()),
    )
    assert [e.original_name for e in attached.added] == ["anh.png"]
    assert "“bao-cao (1).pdf” is already in this dossier" in attached.refused[0]
    assert assessment.evidence.count() == 2
    assert assessment.events.filter(action="add_evidence").count() == 2


@pytest.mark.django_db
def test_uploads_to_a_submitted_criterion_are_refused(assessment, reach, officer):
    reach(assessment, "submitted")
    before = stored_files()
    count = Evidence.objects.count()
    with pytest.raises(workflow.WorkflowError):
        attach(assessment, officer, files.upload("muon.pdf", files.pdf("late")))
    assert stored_files() == before
    assert Evidence.objects.count() == count


@pytest.mark.django_db
def test_a_failure_after_storing_leaves_no_file(assessment, officer, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(workflow, "record_evidence", explode)
    before = stored_files()
    with pytest.raises(RuntimeError):
        attach(assessment, officer, files.upload("a.pdf", files.pdf()))
    assert stored_files() == before
    assert not Evidence.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_lost_reply_to_commit_keeps_the_file_of_the_committed_row(
    assessment, officer, monkeypatch
):
    """The database committed, but the app never heard so: keep the file."""
    commit = connection.commit

    def commit_then_lose_the_reply():
        commit()
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(connection, "commit", commit_then_lose_the_reply)
    with pytest.raises(OperationalError):
        attach(assessment, officer, files.upload("bien-ban.pdf", files.pdf("kept")))
    monkeypatch.undo()
    evidence = Evidence.objects.get()  # committed after all
    assert Path(settings.PRIVATE_MEDIA_ROOT, evidence.file.name).is_file()


def fill_the_disk(monkeypatch, *, times: int = 1_000_000) -> None:
    """The next `times` files stored: half a chunk fits, then the disk is full."""
    real_fdopen = os.fdopen
    left = {"times": times}

    class FullDisk:
        def __init__(self, handle):
            self.handle = handle

        def write(self, data):
            self.handle.write(data[: len(data) // 2])
            self.handle.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self):
            self.handle.close()

    def fdopen(fd, *args, **kwargs):
        handle = real_fdopen(fd, *args, **kwargs)
        if left["times"] <= 0:
            return handle
        left["times"] -= 1
        return FullDisk(handle)

    monkeypatch.setattr(os, "fdopen", fdopen)


@pytest.mark.django_db
def test_a_full_disk_is_said_and_leaves_nothing(assessment, officer, monkeypatch):
    fill_the_disk(monkeypatch, times=1)
    before = stored_files()
    with pytest.raises(UploadRefused, match="no space left"):
        attach(assessment, officer, files.upload("a.pdf", files.pdf("big")))
    assert stored_files() == before  # no partial file
    assert not Evidence.objects.exists()
    # Space is back: the next upload works.
    attach(assessment, officer, files.upload("a.pdf", files.pdf("big")))
    assert Evidence.objects.count() == 1


@pytest.mark.django_db
def test_a_full_disk_is_said_on_the_page(client, assessment, officer, monkeypatch):
    fill_the_disk(monkeypatch)
    client.force_login(officer)
    response = client.post(
        assessment.get_absolute_url() + "upload/",
        {"files": [files.upload("a.pdf", files.pdf())]},
        follow=True,
    )
    assert response.redirect_chain == [(assessment.get_absolute_url(), 302)]
    assert "chưa có gì được lưu" in response.text


@pytest.mark.django_db
def test_a_docx_of_too_many_parts_is_refused_for_that(assessment, officer, monkeypatch):
    monkeypatch.setattr("assessments.uploads.MAX_OFFICE_PARTS", 5)
    parts = files.docx(extra={f"word/media/{i}.bin": b"x" for i in range(10)})
    attached = attach(assessment, officer, files.upload("nhieu-phan.docx", parts))
    assert "holds more than 5 parts" in attached.refused[0]
    assert not Evidence.objects.exists()


def multipart(name: bytes, content: bytes) -> tuple[bytes, str]:
    """A multipart body with one file, its name given as raw bytes."""
    body = (
        b'------b\r\nContent-Disposition: form-data; name="files"; filename="'
        + name
        + b'"\r\nContent-Type: application/pdf\r\n\r\n'
        + content
        + b"\r\n------b--\r\n"
    )
    return body, "multipart/form-data; boundary=----b"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("Biên bản 12/2023 họp chi bộ.pdf", "Biên bản 12-2023 họp chi bộ.pdf"),
        ("Quyết định 5\\QĐ.pdf", "Quyết định 5-QĐ.pdf"),
    ],
)
def test_a_slash_in_a_file_name_keeps_the_name_readable(
    client, assessment, officer, sent, kept
):
    client.force_login(officer)
    body, content_type = multipart(sent.encode(), files.pdf(sent))
    response = client.generic(
        "POST", assessment.get_absolute_url() + "upload/", body, content_type
    )
    assert response.status_code == 302
    assert Evidence.objects.get().original_name == kept


@pytest.mark.django_db
def test_a_file_name_that_is_not_utf8_does_not_make_the_file_vanish(
    client, assessment, officer
):
    client.force_login(officer)
    # Windows-1258 writes "ả" as "a" and a combining hook.
    name = "Biên ba\u0309n.pdf".encode("cp1258")
    body, content_type = multipart(name, files.pdf("windows"))
    response = client.generic(
        "POST", assessment.get_absolute_url() + "upload/", body, content_type
    )
    assert response.status_code == 302
    assert Evidence.objects.get().original_name == "Biên bản.pdf"
