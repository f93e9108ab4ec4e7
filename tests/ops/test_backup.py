import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from ops import backup
from ops.integrity import check


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip(tmp_path, settings):
    call_command("setup_demo", verbosity=0)
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
    # The restored demo still signs in and counts the same.
    from assessments.models import Enrolment

    assert Enrolment.objects.with_progress().get(ward__code="38001").progress == "18/22"


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_to_mix_into_existing_data(tmp_path):
    call_command("setup_demo", verbosity=0)
    archive = tmp_path / "kieumau.tar.gz"
    call_command("backup", str(archive), verbosity=0)
    with pytest.raises(CommandError, match="empty database"):
        call_command("restore", str(archive), verbosity=0)
