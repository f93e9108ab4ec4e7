"""The dossier as the level above receives it: a ZIP of the approved files
with their manifest, and the printable dossier as a PDF."""

import hashlib
import io
import json
import re
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation
from pypdf import PdfReader

from access.models import Membership
from assessments import workflow
from assessments.archive import safe_name, verify_zip
from assessments.pdf import BASE_URL, RefusedURL, StaticFilesOnly
from devdata.clients import pass_second_factor
from tests import files
from tests.factories import (
    EnrolmentFactory,
    ProvinceFactory,
    WardFactory,
    add_file,
    member,
)

Role = Membership.Role
FOLDER_1 = "01 - Tiêu chí 1"
EVIDENCE = {
    f"{FOLDER_1}/Biên bản.pdf",
    f"{FOLDER_1}/biên bản (2).pdf",  # the same name to a case-blind disk
    f"{FOLDER_1}/Quyết định_ số 5_.pdf",  # ":" and "?" are refused by Windows
    "03 - Tiêu chí 3/Ảnh hiện trường.png",
}


@pytest.fixture(scope="module")
def ward(module_db):
    """Built once: criteria 1 and 3 approved, 2 submitted, 4 in progress;
    criterion 1 also has a file withdrawn before it was submitted."""
    province = ProvinceFactory(code="38", name="Thanh Hóa")
    enrolment = EnrolmentFactory(
        ward=WardFactory(province=province, name="An Hưng", code="16474")
    )
    officer = member(
        Role.OFFICER, ward=enrolment.ward, first_name="An", last_name="Nguyễn Văn"
    )
    reviewer = member(
        Role.REVIEWER, province=province, first_name="Bình", last_name="Trần Thị"
    )
    criteria = {a.criterion.number: a for a in enrolment.assessments.all()}
    add_file(criteria[1], officer, "Biên bản.pdf", files.pdf("one"))
    add_file(criteria[1], officer, "biên bản.pdf", files.pdf("two"))
    add_file(criteria[1], officer, "Quyết định: số 5?.pdf", files.pdf("five"))
    old = add_file(criteria[1], officer, "cu.pdf", files.pdf("old"))
    workflow.withdraw_evidence(old, actor=officer)
    add_file(criteria[3], officer, "Ảnh hiện trường.png", files.png())
    add_file(criteria[2], officer, "cho-duyet.pdf", files.pdf("waiting"))
    add_file(criteria[4], officer, "nhap.pdf", files.pdf("draft"))
    for number in (1, 2, 3):
        workflow.submit(criteria[number], actor=officer)
    for number in (1, 3):
        workflow.approve(criteria[number], actor=reviewer)
    national = member(Role.NATIONAL_LEADER)
    return enrolment, national


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    pass_second_factor(client, user, device_name="tests")
    return client


@pytest.fixture(scope="module")
def exported(ward, tmp_path_factory):
    """The ward's ZIP, downloaded once."""
    enrolment, national = ward
    response = signed_in(national).get(f"/wards/{enrolment.ward.code}/dossier.zip")
    assert response.status_code == 200
    path = tmp_path_factory.mktemp("export") / "ho-so.zip"
    path.write_bytes(b"".join(response.streaming_content))
    return response, path


def test_it_holds_exactly_the_approved_files_in_force(exported):
    response, path = exported
    assert response["Content-Type"] == "application/zip"
    assert 'filename="ho-so-16474-2026.zip"' in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment")
    with zipfile.ZipFile(path) as archive:
        entries = {info.filename: info for info in archive.infolist()}
    assert set(entries) == EVIDENCE | {"README.txt", "manifest.json", "dossier.pdf"}
    for name in EVIDENCE:
        assert entries[name].compress_type == zipfile.ZIP_STORED
        assert entries[name].flag_bits & 0x800  # the name is UTF-8
    assert entries["manifest.json"].compress_type == zipfile.ZIP_DEFLATED
    assert entries["README.txt"].compress_type == zipfile.ZIP_DEFLATED


def test_its_manifest_matches_the_bytes_and_says_who_vouched(exported):
    _response, path = exported
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        contents = {name: archive.read(name) for name in EVIDENCE}
        readme = archive.read("README.txt").decode("utf-8-sig")
    assert {
        key: manifest[key]
        for key in ("unit_code", "unit_name", "province", "year", "progress")
    } == {
        "unit_code": "16474",
        "unit_name": "Phường An Hưng",
        "province": "Thanh Hóa",
        "year": 2026,
        "progress": "2/22",
    }
    assert manifest["criteria_set"] and manifest["generated_at"]
    assert {entry["path"] for entry in manifest["files"]} == EVIDENCE
    for entry in manifest["files"]:
        data = contents[entry["path"]]
        assert entry["size"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["uploaded_by"] == "Nguyễn Văn An (Công an phường An Hưng)"
        assert entry["approved_by"] == "Trần Thị Bình (Công an tỉnh Thanh Hóa)"
        assert entry["uploaded_at"] and entry["approved_at"]
    first = next(e for e in manifest["files"] if e["path"].endswith("(2).pdf"))
    assert (first["criterion_number"], first["criterion_title"]) == (1, "Tiêu chí 1")
    assert first["original_name"] == "biên bản.pdf"
    assert "sha256sum" in readme and "Phường An Hưng (Thanh Hóa), năm 2026" in readme


def test_it_is_in_vietnamese_whatever_the_users_language(ward, settings):
    enrolment, national = ward
    client = signed_in(national)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override(None):  # the language the request sets ends with it
        response = client.get(f"/wards/{enrolment.ward.code}/dossier.zip")
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        assert set(archive.namelist()) >= EVIDENCE


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "_.._etc_passwd"),
        ("a\\b\x00c\x1f.pdf", "a_bc.pdf"),
        ("CON.pdf", "_CON.pdf"),
        ("lpt1", "_lpt1"),
        ("...", "tệp"),
        ("Ho\u0323c.pdf", "Học.pdf"),  # decomposed, as macOS writes it
        ("Tờ trình " * 20 + ".pdf", "Tờ trình Tờ trình….pdf"),
    ],
)
def test_names_are_safe_on_every_system(name, safe):
    with translation.override("vi"):
        assert safe_name(name, 22) == safe


def rewrite(source, target, *, change=None, extra=None, leave_out=()):
    """Copy a ZIP, changing, adding or leaving out files, with true CRCs."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            if info.filename not in leave_out:
                data = old.read(info)
                new.writestr(info, change(info.filename, data) if change else data)
        for name, data in (extra or {}).items():
            new.writestr(name, data)
    return target


def one_byte_changed(name: str, data: bytes) -> bytes:
    if not name.endswith("(2).pdf"):
        return data
    return data[:20] + bytes([data[20] ^ 1]) + data[21:]


def test_verify_zip_passes_the_export_and_reports_changes(exported, tmp_path, english):
    _response, path = exported
    assert verify_zip(path) == []
    changed = rewrite(path, tmp_path / "changed.zip", change=one_byte_changed)
    assert verify_zip(changed) == [
        f"“{FOLDER_1}/biên bản (2).pdf” does not match its SHA-256 in the manifest."
    ]
    extra = rewrite(path, tmp_path / "extra.zip", extra={f"{FOLDER_1}/x.pdf": b"%"})
    assert verify_zip(extra) == [
        f"“{FOLDER_1}/x.pdf” is in the ZIP but not in the manifest."
    ]
    missing = rewrite(path, tmp_path / "missing.zip", leave_out=EVIDENCE)
    problems = verify_zip(missing)
    assert len(problems) == len(EVIDENCE)
    assert all(p.endswith("is in the manifest but not in the ZIP.") for p in problems)


def test_verify_zip_reports_bytes_changed_in_place(exported, tmp_path):
    """A byte changed inside the archive itself (its CRC no longer agrees)."""
    _response, path = exported
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("03 - Tiêu chí 3/Ảnh hiện trường.png")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + 10] ^= 1
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(data))
    problems = verify_zip(damaged)
    assert len(problems) == 1 and "Ảnh hiện trường.png" in problems[0]


def test_the_command_says_ok_or_lists_the_problems(exported, tmp_path):
    _response, path = exported
    out = io.StringIO()
    call_command("verify_dossier", str(path), stdout=out)
    assert out.getvalue().startswith("OK")
    changed = rewrite(path, tmp_path / "changed.zip", change=one_byte_changed)
    out = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("verify_dossier", str(changed), stdout=out)
    assert error.value.returncode == 1
    assert "(2).pdf" in out.getvalue()


def test_the_command_exits_1_on_problems_and_0_otherwise(exported, tmp_path):
    """The exit code is the CommandError's `returncode` (what manage.py
    exits with); ManagementUtility itself would close the test's database
    connection."""
    _response, path = exported
    call_command("verify_dossier", str(path), stdout=io.StringIO())
    changed = rewrite(path, tmp_path / "changed.zip", change=one_byte_changed)
    not_a_zip = tmp_path / "not.zip"
    not_a_zip.write_bytes(b"%PDF-")
    for bad in (changed, not_a_zip):
        with pytest.raises(CommandError) as refused:
            call_command("verify_dossier", str(bad), stdout=io.StringIO())
        assert refused.value.returncode == 1


def test_the_pdf_is_the_printed_dossier_with_its_diacritics(ward):
    enrolment, national = ward
    response = signed_in(national).get(f"/wards/{enrolment.ward.code}/dossier.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="ho-so-16474-2026.pdf"' in response["Content-Disposition"]
    pdf = PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    text = re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in pdf.pages))
    for part in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "CÔNG AN PHƯỜNG AN HƯNG",
        "Ảnh hiện trường.png",
    ]:
        assert part in text, part
    assert "←" not in text  # the toolbar is not printed
    fonts = {
        str(font["/BaseFont"])
        for page in pdf.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert any("Tinos" in font for font in fonts), fonts


def test_the_pdf_reads_only_the_apps_static_files():
    fetcher = StaticFilesOnly()
    for url in [
        "http://example.com/style.css",
        "file:///etc/passwd",
        f"{BASE_URL}static/%2e%2e/manage.py",
        f"{BASE_URL}media/evidence.pdf",
    ]:
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)
    stylesheet = fetcher.fetch(f"{BASE_URL}static/css/print.css")
    assert stylesheet.content_type == "text/css"
    assert b"@page" in stylesheet.read()
    stylesheet.close()


@pytest.mark.django_db
def test_a_stored_file_that_changed_is_not_shipped(
    client, national, enrolment, reach, caplog
):
    assessment = reach(enrolment.assessments.get(criterion__number=1), "approved")
    evidence = assessment.evidence.get()
    with default_storage.open(evidence.file.name) as stored:
        forged = one_byte_changed("(2).pdf", stored.read())  # the same size
    default_storage.delete(evidence.file.name)
    default_storage.save(evidence.file.name, ContentFile(forged))
    client.force_login(national)
    response = client.get(f"/wards/{enrolment.ward.code}/dossier.zip")
    assert response.status_code == 409
    assert "Content-Disposition" not in response
    assert evidence.original_name in response.text and "SHA-256" in response.text
    assert evidence.file.name in caplog.text
    default_storage.delete(evidence.file.name)
    assert client.get(f"/wards/{enrolment.ward.code}/dossier.zip").status_code == 409


def test_dossier_downloads_are_limited_per_person(ward, settings, monkeypatch):
    from tests.access.test_authorization_matrix import fake_pdf

    monkeypatch.setattr("assessments.views.dossier.render_pdf", fake_pdf)
    settings.DOSSIER_EXPORTS_PER_HOUR = 2
    enrolment, national = ward
    client = signed_in(national)
    url = f"/wards/{enrolment.ward.code}/dossier.pdf"
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]
