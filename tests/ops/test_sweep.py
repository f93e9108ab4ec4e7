import os
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from ops.integrity import check
from tests.factories import add_file
from tests.ops.test_backup import record_decision_scan

DAY = 24 * 3600


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.mark.django_db
def test_the_sweep_removes_old_orphans_and_stale_temporary_uploads(
    assessment, officer, settings, tmp_path
):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    os.makedirs(settings.FILE_UPLOAD_TEMP_DIR)
    kept = add_file(assessment, officer)
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    age(root / kept.file.name, 3 * DAY)  # old, but its row refers to it
    scan = record_decision_scan()  # a decision's signed scan, as old
    age(root / scan.scan.name, 3 * DAY)
    old_orphan = default_storage.save("evidence/2026/11/old.pdf", ContentFile(b"x"))
    age(root / old_orphan, 2 * DAY)
    # Perhaps an upload in progress, its row not committed yet: left alone.
    new_orphan = default_storage.save("evidence/2026/11/new.pdf", ContentFile(b"y"))
    stale = Path(settings.FILE_UPLOAD_TEMP_DIR, "tmpab12.upload.pdf")
    stale.write_bytes(b"z" * 1000)
    age(stale, 2 * DAY)
    fresh = Path(settings.FILE_UPLOAD_TEMP_DIR, "tmpcd34.upload.pdf")
    fresh.write_bytes(b"w")
    assert check().orphans == sorted([old_orphan, new_orphan])

    out = StringIO()
    call_command("sweep", "--dry-run", stdout=out)
    assert "would remove orphan file: evidence/2026/11/old.pdf" in out.getvalue()
    assert default_storage.exists(old_orphan) and stale.exists()

    out = StringIO()
    call_command("sweep", stdout=out)
    assert (
        "1 orphan file(s), 1 temporary upload(s) and 0 unfinished resumable "
        "upload(s), 1,001 bytes removed." in out.getvalue()
    )
    assert not default_storage.exists(old_orphan) and not stale.exists()
    assert default_storage.exists(new_orphan) and fresh.exists()
    assert default_storage.exists(kept.file.name)
    assert default_storage.exists(scan.scan.name)
    assert check().orphans == [new_orphan] and not check().missing


@pytest.mark.django_db(transaction=True)
def test_the_worker_sweeps_on_a_schedule(assessment, officer, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.SWEEP_GRACE_HOURS = 1
    orphan = default_storage.save("evidence/2026/11/old.pdf", ContentFile(b"x"))
    age(Path(settings.PRIVATE_MEDIA_ROOT) / orphan, 2 * 3600)
    call_command("worker", "--batch", verbosity=0)
    assert not default_storage.exists(orphan)
    # The next sweep waits for its time; starting the worker again adds none.
    # (The calendar's job, also on WORKER_SCHEDULE, ran and waits likewise.)
    for task_path in settings.WORKER_SCHEDULE:
        (done, following) = DBTaskResult.objects.filter(task_path=task_path).order_by(
            "enqueued_at"
        )
        assert done.status == "SUCCESSFUL" and following.status == "READY"
        assert following.run_after > done.finished_at
    call_command("worker", "--batch", verbosity=0)
    assert DBTaskResult.objects.count() == 2 * len(settings.WORKER_SCHEDULE)


@pytest.mark.django_db
def test_the_sweep_never_takes_a_file_younger_than_an_hour(settings):
    recent = default_storage.save("evidence/2026/11/recent.pdf", ContentFile(b"x"))
    age(Path(settings.PRIVATE_MEDIA_ROOT) / recent, 50 * 60)  # its row may be coming
    call_command("sweep", "--grace-hours", "0", stdout=StringIO())
    assert default_storage.exists(recent)
