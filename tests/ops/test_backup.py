import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from assessments.models import Assessment, Enrolment
from ops import backup
from ops.integrity import check

Status = Assessment.Status


@pytest.fixture
def dossiers(enrolment, other_enrolment, reach):
    """Two wards' dossiers: approved, returned and submitted criteria, with files."""
    first, second, third = enrolment.assessments.order_by("criterion__number")[:3]
    reach(first, Status.APPROVED)
    reach(second, Status.RETURNED)
    reach(third, Status.SUBMITTED)
    return enrolment


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip(tmp_path, settings, dossiers):
    counts = backup.counts()
    hashes = backup.file_hashes()
    assert counts["evidence.evidence"] > 0 and len(hashes) > 0
    archive = tmp_path / "kieumau.tar.gz"
    call_command("backup", str(archive), verbosity=0)

    # A fresh database and media folder.
    call_command("flush", interactive=False, verbosity=0)
    fresh = tmp_path / "fresh-media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {"location": str(fresh)},
        },
    }
    assert backup.counts()["evidence.evidence"] == 0
    call_command("restore", str(archive), verbosity=0)

    assert backup.counts() == counts
    assert backup.file_hashes() == hashes
    assert default_storage.location == str(fresh)
    assert check().clean
    # The restored dossiers count the same.
    restored = Enrolment.objects.with_progress().get(ward__code=dossiers.ward.code)
    assert restored.progress == "1/22"
    assert restored.assessments.get(criterion__number=3).status == Status.SUBMITTED


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_to_mix_into_existing_data(tmp_path, dossiers):
    archive = tmp_path / "kieumau.tar.gz"
    call_command("backup", str(archive), verbosity=0)
    with pytest.raises(CommandError, match="empty database"):
        call_command("restore", str(archive), verbosity=0)


def test_an_archive_of_the_first_version_speaks_the_new_labels():
    """Enrolments and memberships were `wards.*` before the apps were layered."""
    manifest = {
        "format": 1,
        "counts": {"wards.ward": 3, "wards.enrolment": 2, "wards.membership": 1},
    }
    rows = [
        {"model": "wards.ward", "pk": 1, "fields": {"code": "38001"}},
        {"model": "wards.enrolment", "pk": 1, "fields": {"ward": 1, "year": 2023}},
        {"model": "wards.membership", "pk": 1, "fields": {"ward": 1}},
        {
            "model": "admin.logentry",
            "pk": 1,
            "fields": {"content_type": ["wards", "enrolment"]},
        },
        {
            "model": "accounts.user",
            "pk": 1,
            "fields": {
                "user_permissions": [
                    ["view_membership", "wards", "membership"],
                    ["view_ward", "wards", "ward"],
                ],
                "groups": [],
            },
        },
    ]
    manifest, rows = backup.upgrade(manifest, rows)
    assert manifest["format"] == backup.FORMAT
    assert manifest["counts"] == {
        "wards.ward": 3,
        "evidence.enrolment": 2,
        "access.membership": 1,
    }
    assert [row["model"] for row in rows] == [
        "wards.ward",
        "evidence.enrolment",
        "access.membership",
        "admin.logentry",
        "accounts.user",
    ]
    assert rows[3]["fields"]["content_type"] == ["evidence", "enrolment"]
    assert rows[4]["fields"]["user_permissions"] == [
        ["view_membership", "access", "membership"],
        ["view_ward", "wards", "ward"],
    ]
    # An archive of this version is left as it is.
    assert backup.upgrade(manifest, rows) == (manifest, rows)
