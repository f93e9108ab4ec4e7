import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from tests import files
from tests.factories import add_file


def run_check():
    from io import StringIO

    out = StringIO()
    try:
        call_command("check_evidence", stdout=out)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


@pytest.mark.django_db
def test_a_clean_store_passes(assessment, officer):
    add_file(assessment, officer)
    code, out = run_check()
    assert code == 0
    assert "0 orphan, 0 missing, 0 mismatched" in out


@pytest.mark.django_db
def test_orphans_missing_files_and_changed_files_are_reported(
    assessment, officer, enrolment
):
    kept = add_file(assessment, officer, name="kept.pdf")
    lost = add_file(assessment, officer, name="lost.pdf", content=files.pdf("lost"))
    changed = add_file(assessment, officer, name="sua.pdf", content=files.pdf("sua"))
    orphan = default_storage.save("evidence/2026/01/orphan.pdf", ContentFile(b"%PDF-x"))
    default_storage.delete(lost.file.name)
    with default_storage.open(changed.file.name, "wb") as handle:
        handle.write(b"%PDF-tampered")
    code, out = run_check()
    assert code == 1
    assert f"orphan file: {orphan}" in out
    assert f"missing file: {lost.file.name}" in out
    assert f"SHA-256 mismatch: {changed.file.name}" in out
    assert kept.file.name not in out
    default_storage.delete(orphan)


@pytest.mark.django_db
def test_each_test_has_its_own_media_folder(settings):
    assert default_storage.location == settings.PRIVATE_MEDIA_ROOT
    assert not default_storage.exists("evidence")
