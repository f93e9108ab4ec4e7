import datetime as dt
import hashlib
import io
import json
import tarfile
import threading

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from access.models import Membership
from assessments import tally
from assessments.models import (
    Assessment,
    CriterionTally,
    Decision,
    Enrolment,
    Evidence,
    ReviewEvent,
    Tally,
)
from core.collation import fold
from deadlines.models import Calendar
from notifications.models import Notification
from notifications.services import notify
from ops import backup
from ops.integrity import check, stored_names
from tests import files
from tests.factories import UserFactory, add_file
from wards.models import Province, UnitChange, Ward

Status = Assessment.Status


@pytest.fixture
def dossiers(enrolment, other_enrolment, reach):
    """Two wards' dossiers: approved, returned and submitted criteria, with files."""
    first, second, third = enrolment.assessments.order_by("criterion__number")[:3]
    reach(first, Status.APPROVED)
    reach(second, Status.RETURNED)
    reach(third, Status.SUBMITTED)
    return enrolment


def record_decision_scan() -> Decision:
    """A decision whose signed scan is stored beside the evidence."""
    content = files.pdf("Quyết định 4023/QĐ-BCA")
    name = default_storage.save("evidence/decisions/2026/qd.pdf", ContentFile(content))
    return Decision.objects.create(
        track="ministry",
        year=2026,
        number="4023/QĐ-BCA",
        date=dt.date(2026, 12, 28),
        signer="Bộ trưởng",
        scan=name,
        scan_name="qd.pdf",
        scan_size=len(content),
        scan_sha256=hashlib.sha256(content).hexdigest(),
        recorded_by=UserFactory(),
    )


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip(tmp_path, settings, dossiers):
    decision = record_decision_scan()
    counts = backup.counts()
    hashes = backup.file_hashes()
    tallies = stored_tallies()
    assert tallies["levels"] and tallies["criteria"]
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
    assert decision.scan.name in hashes
    assert default_storage.location == str(fresh)
    assert check().clean
    # The restored dossiers count the same, and so do the dashboards' tallies.
    restored = Enrolment.objects.with_progress().get(ward__code=dossiers.ward.code)
    assert restored.progress == "1/22"
    assert stored_tallies() == tallies
    assert tally.recount(fix=False).differences == 0
    assert restored.assessments.get(criterion__number=3).status == Status.SUBMITTED


def stored_tallies() -> dict:
    """The stored progress, by natural keys (ids change in a restore)."""
    return {
        "enrolments": sorted(
            Enrolment.objects.values_list(
                "ward__code", "year", *tally.COUNTERS
            )
        ),
        "levels": sorted(
            Tally.objects.filter(wards__gt=0).values_list(
                "year", "province__code", "track", "stage", "size", "approved",
                "wards", "submitted", "returned",
            )
        ),
        "criteria": sorted(
            CriterionTally.objects.filter(wards__gt=0).values_list(
                "year", "province__code", "track", "criterion__number", "wards",
                "approved", "submitted",
            )
        ),
    }  # fmt: skip


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
        "wards.unitchange": 0,
        "evidence.decision": 0,
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


def read_archive(path):
    """An archive's manifest, rows and stored files, to rewrite it as an
    older version would have written it."""
    with tarfile.open(path, "r:gz") as archive:
        manifest = json.load(archive.extractfile("manifest.json"))
        rows = json.load(archive.extractfile("data.json"))
        members = [
            (m, archive.extractfile(m).read())
            for m in archive.getmembers()
            if m.name.startswith("media/")
        ]
    return manifest, rows, members


def write_archive(path, manifest, rows, members) -> None:
    with tarfile.open(path, "w:gz") as archive:
        for name, body in (
            ("data.json", json.dumps(rows).encode()),
            ("manifest.json", json.dumps(manifest).encode()),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
        for member, body in members:
            archive.addfile(member, io.BytesIO(body))


def as_format_2(archive_path, out_path) -> None:
    """The archive the version before units in time would have written."""
    manifest, rows, members = read_archive(archive_path)
    new_tables = {"wards.unitchange", "wards.provincechange"}
    old_rows = []
    for row in rows:
        if row["model"] in new_tables:
            continue
        if row["model"] == "wards.ward":
            fields = row["fields"]
            for name in ("valid_from", "valid_to", "latitude", "longitude"):
                fields.pop(name)
            fields.pop("folded_name")
            fields["active"] = True
            fields["merged_into"] = None
        old_rows.append(row)
    wards = [row for row in old_rows if row["model"] == "wards.ward"]
    wards[0]["fields"]["active"] = False
    wards[0]["fields"]["merged_into"] = wards[1]["pk"]
    manifest["format"] = 2
    manifest["counts"] = {
        label: count
        for label, count in manifest["counts"].items()
        if label not in new_tables and label != "wards.provincechange"
    }
    write_archive(out_path, manifest, old_rows, members)


@pytest.mark.django_db(transaction=True)
def test_an_archive_of_the_version_before_units_in_time_restores(
    tmp_path, settings, dossiers
):
    """The backups a deployment took before this version still restore: an
    inactive unit is closed, a merged one has its lineage, names are searchable."""
    archive = tmp_path / "kieumau.tar.gz"
    call_command("backup", str(archive), verbosity=0)
    old = tmp_path / "format-2.tar.gz"
    as_format_2(archive, old)
    gone, kept = Ward.objects.order_by("pk")[:2]
    call_command("flush", interactive=False, verbosity=0)
    fresh_media(settings, tmp_path / "fresh-media")
    call_command("restore", str(old), verbosity=0)
    gone, kept = Ward.objects.get(pk=gone.pk), Ward.objects.get(pk=kept.pk)
    assert gone.valid_to == dt.date(2025, 6, 30) and kept.valid_to is None
    assert list(UnitChange.objects.values_list("predecessor", "successor")) == [
        (gone.pk, kept.pk)
    ]
    assert kept.folded_name == fold(kept.name) != ""
    assert check().clean
    restored = Enrolment.objects.with_progress().get(ward__code=dossiers.ward.code)
    assert restored.progress == "1/22"


def fresh_media(settings, folder) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {"location": str(folder)},
        },
    }


def archived(path, name: str) -> bytes:
    with tarfile.open(path, "r:gz") as archive:
        return archive.extractfile(name).read()


@pytest.mark.django_db(transaction=True)
def test_backup_restore_backup_gives_the_same_dump(tmp_path, settings, dossiers):
    """Every row comes back as it was: times to the microsecond, many-to-many
    tables, criterion groups."""
    reviewer = Membership.objects.filter(role="reviewer").first()
    reviewer.criterion_groups.set(dossiers.criteria_set.groups.all()[:1])
    event = ReviewEvent.objects.first()
    event.created_at = event.created_at.replace(microsecond=123456)
    event.save()
    first = tmp_path / "first.tar.gz"
    backup.back_up(first)
    manifest = json.loads(archived(first, "manifest.json"))
    assert manifest["counts"]["access.membership.criterion_groups"] == 1
    assert manifest["counts"]["criteria.criteriongroup"] > 0

    call_command("flush", interactive=False, verbosity=0)
    fresh_media(settings, tmp_path / "fresh")
    backup.restore(first)
    restored = ReviewEvent.objects.get(pk=event.pk)
    assert restored.created_at == event.created_at  # not cut to milliseconds
    second = tmp_path / "second.tar.gz"
    backup.back_up(second)
    assert archived(second, "data.json") == archived(first, "data.json")
    assert archived(second, "manifest.json") == archived(first, "manifest.json")


@pytest.mark.django_db(transaction=True)
def test_a_damaged_archive_is_refused_before_anything_is_written(
    tmp_path, settings, dossiers
):
    good = tmp_path / "good.tar.gz"
    backup.back_up(good)
    manifest = json.loads(archived(good, "manifest.json"))
    rows = json.loads(archived(good, "data.json"))

    def damaged(name, *, rows=rows, manifest=manifest, damage_file=False):
        path = tmp_path / name
        with (
            tarfile.open(good, "r:gz") as source,
            tarfile.open(path, "w:gz") as target,
        ):
            for member in source.getmembers():
                content = source.extractfile(member).read()
                if member.name == "data.json":
                    content = json.dumps(rows).encode()
                elif member.name == "manifest.json":
                    content = json.dumps(manifest).encode()
                elif damage_file and member.name.startswith("media/"):
                    content, damage_file = content + b"!", False
                member.size = len(content)
                target.addfile(member, io.BytesIO(content))
        return path

    cases = {
        "a changed file": damaged("file.tar.gz", damage_file=True),
        "a row too few": damaged("rows.tar.gz", rows=rows[:-1]),
        "a count that differs": damaged(
            "counts.tar.gz",
            manifest={
                **manifest,
                "counts": {**manifest["counts"], "wards.ward": 99},
            },
        ),
    }
    call_command("flush", interactive=False, verbosity=0)
    fresh_media(settings, tmp_path / "fresh")
    for case, path in cases.items():
        with pytest.raises(backup.BackupError):
            backup.restore(path)
        assert not Province.objects.exists(), case
        assert not stored_names(default_storage), case
    backup.restore(good)  # the good one still restores
    assert Province.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_backup_taken_while_people_work_restores(
    tmp_path, settings, dossiers, officer, monkeypatch
):
    """Rows committed by others during the backup are in none of its parts."""
    dump = backup.call_command

    def dump_while_an_officer_works(*args, **kwargs):
        dump(*args, **kwargs)
        if args[0] != "dumpdata":
            return
        assessment = dossiers.assessments.get(criterion__number=5)

        def work():
            try:
                add_file(assessment, officer, "moi.pdf", files.pdf("during"))
            finally:
                connection.close()

        worker = threading.Thread(target=work)
        worker.start()
        worker.join()

    monkeypatch.setattr(backup, "call_command", dump_while_an_officer_works)
    archive = tmp_path / "under-load.tar.gz"
    manifest = backup.back_up(archive)
    monkeypatch.undo()
    assert Evidence.objects.count() == manifest["counts"]["evidence.evidence"] + 1
    call_command("flush", interactive=False, verbosity=0)
    fresh_media(settings, tmp_path / "fresh")
    backup.restore(archive)
    assert backup.counts() == manifest["counts"]


def test_recognition_numbers_of_format_3_become_decisions():
    manifest = {"format": 3, "counts": {"evidence.enrolment": 3}}
    rows = [
        {"model": "accounts.user", "pk": 1, "fields": {"username": "an"}},
        {
            "model": "accounts.user",
            "pk": 2,
            "fields": {"username": "admin", "is_superuser": True},
        },
        {"model": "wards.ward", "pk": 7, "fields": {"province": 3}},
        *(
            {
                "model": "evidence.enrolment",
                "pk": pk,
                "fields": {
                    "ward": 7,
                    "year": 2023,
                    "track": "province",
                    "recognition_number": number,
                    "recognition_date": "2023-12-28" if number else None,
                },
            }
            for pk, number in ((1, "12/QĐ-UBND"), (2, "12/QĐ-UBND"), (3, ""))
        ),
    ]
    manifest, rows = backup.upgrade(manifest, rows)
    decisions = [r for r in rows if r["model"] == "evidence.decision"]
    assert len(decisions) == 1
    assert manifest["counts"]["evidence.decision"] == 1
    fields = decisions[0]["fields"]
    assert (fields["number"], fields["date"], fields["province"]) == (
        "12/QĐ-UBND",
        "2023-12-28",
        3,
    )
    assert fields["recorded_by"] == ["admin"]
    enrolments = [r["fields"] for r in rows if r["model"] == "evidence.enrolment"]
    assert [e.get("stage", "open") for e in enrolments] == [
        "recognised",
        "recognised",
        "open",
    ]
    assert all("recognition_number" not in e for e in enrolments)


def as_format_4(archive_path, out_path) -> None:
    """The archive the version before the calendar would have written: no
    calendar, bell or digest tables, no validity or carry-over columns."""
    manifest, rows, members = read_archive(archive_path)
    new_apps = ("deadlines.", "notifications.", "reminders.")
    old_rows = [row for row in rows if not row["model"].startswith(new_apps)]
    for row in old_rows:
        if row["model"] == "evidence.evidence":
            for name in ("valid_until", "carried_from", "confirmed_by", "confirmed_at"):
                row["fields"].pop(name)
        if row["model"] == "accounts.user":
            row["fields"].pop("unread_notifications")
    manifest["format"] = 4
    manifest["counts"] = {
        label: count
        for label, count in manifest["counts"].items()
        if not label.startswith(new_apps)
    }
    write_archive(out_path, manifest, old_rows, members)


@pytest.mark.django_db(transaction=True)
def test_an_archive_of_the_version_before_the_calendar_restores(
    tmp_path, settings, dossiers
):
    """Backups taken before the calendar restore: its tables start empty and
    evidence has no validity date."""
    Calendar.objects.create(year=2026, evidence_due=dt.date(2026, 12, 1))
    notify([UserFactory()], kind="review", key="k", title="Phường")
    told = Notification.objects.count()
    archive = tmp_path / "kieumau.tar.gz"
    call_command("backup", str(archive), verbosity=0)
    old = tmp_path / "format-4.tar.gz"
    as_format_4(archive, old)
    evidence = Evidence.objects.count()
    call_command("flush", interactive=False, verbosity=0)
    fresh_media(settings, tmp_path / "fresh-media")
    call_command("restore", str(old), verbosity=0)
    assert Evidence.objects.count() == evidence > 0
    assert not Evidence.objects.exclude(valid_until=None).exists()
    assert not Calendar.objects.exists() and not Notification.objects.exists()
    assert check().clean
    # The same archive as this version writes it restores whole.
    call_command("flush", interactive=False, verbosity=0)
    fresh_media(settings, tmp_path / "fresh-media-2")
    call_command("restore", str(archive), verbosity=0)
    assert Calendar.objects.count() == 1 and Notification.objects.count() == told


def as_format_5(archive_path, out_path) -> None:
    """The archive the version before indicators would have written: no
    indicator or figure tables, no body on memberships."""
    manifest, rows, members = read_archive(archive_path)
    new_tables = ("criteria.indicator", "evidence.indicatorvalue")
    old_rows = [row for row in rows if row["model"] not in new_tables]
    for row in old_rows:
        if row["model"] == "access.membership":
            row["fields"].pop("body")
        if row["model"] == "evidence.enrolment":
            for name in tally.COUNTERS:
                row["fields"].pop(name)
        if row["model"] == "evidence.reviewevent":
            row["fields"].pop("province")
    manifest["format"] = 5
    manifest["counts"] = {
        label: count
        for label, count in manifest["counts"].items()
        if label not in new_tables
    }
    write_archive(out_path, manifest, old_rows, members)


@pytest.mark.django_db(transaction=True)
def test_an_archive_of_the_version_before_indicators_restores(
    tmp_path, settings, dossiers, officer
):
    """Backups taken before indicators restore without them; this version's
    archives carry the definitions and the wards' figures."""
    from decimal import Decimal

    from access.models import Membership
    from assessments import workflow
    from assessments.models import IndicatorValue
    from criteria.models import Indicator

    assessment = dossiers.assessments.get(criterion__number=5)
    indicator = Indicator.objects.create(
        criterion=assessment.criterion,
        code="clearance_rate",
        name="Tỷ lệ khám phá án",
        rule="at_least",
        target=90,
    )
    workflow.enter_value(
        assessment,
        indicator=indicator,
        period_end=dt.date(2026, 9, 30),
        value=Decimal("92.5"),
        source="Báo cáo",
        actor=officer,
    )
    archive = tmp_path / "kieumau.tar.gz"
    call_command("backup", str(archive), verbosity=0)
    old = tmp_path / "format-5.tar.gz"
    as_format_5(archive, old)
    call_command("flush", interactive=False, verbosity=0)
    fresh_media(settings, tmp_path / "fresh-media")
    call_command("restore", str(old), verbosity=0)
    assert not Indicator.objects.exists() and not IndicatorValue.objects.exists()
    assert set(Membership.objects.values_list("body", flat=True)) == {""}
    # Nor had they stored progress: it is counted when they are restored.
    assert tally.recount(fix=False).differences == 0
    assert Enrolment.objects.get(ward=dossiers.ward).submitted_criteria == 1
    # Nor a province on each event: it is filled in, for the feeds.
    assert not ReviewEvent.objects.filter(province=None).exists()
    assert set(ReviewEvent.objects.values_list("province__code", flat=True)) == {
        dossiers.ward.province.code
    }
    call_command("flush", interactive=False, verbosity=0)
    fresh_media(settings, tmp_path / "fresh-media-2")
    call_command("restore", str(archive), verbosity=0)
    (figure,) = IndicatorValue.objects.all()
    assert (figure.code, figure.value) == ("clearance_rate", Decimal("92.5"))
    assert Indicator.objects.get().target == 90
