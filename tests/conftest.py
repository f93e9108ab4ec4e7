import os

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.test import Client, override_settings
from django.utils import translation

from access.models import Membership
from assessments import workflow
from devdata.clients import pass_second_factor
from tests import s3
from tests.factories import (
    EnrolmentFactory,
    ProvinceFactory,
    WardFactory,
    add_file,
    member,
)

Role = Membership.Role


def pytest_runtest_setup(item):
    """Tests marked `postgres` skip elsewhere, unless PostgreSQL is required.

    CI sets KIEUMAU_REQUIRE_POSTGRES=1 for its PostgreSQL run, where such a
    skip would hide a missing database; it fails there instead.
    """
    if "postgres" not in item.keywords or connection.vendor == "postgresql":
        return
    if os.environ.get("KIEUMAU_REQUIRE_POSTGRES") == "1":
        pytest.fail(
            "KIEUMAU_REQUIRE_POSTGRES=1 but the tests run on "
            f"{connection.vendor}; set DATABASE_URL to a PostgreSQL server."
        )
    pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://...")


# TEST_S3=1: evidence goes to an S3-compatible server (moto's, started for
# the session) instead of the file system, in every test.
TEST_S3 = os.environ.get("TEST_S3") == "1"


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """moto's S3 server, a process of its own on a free local port, with a
    bucket; stopped when the session ends (each xdist worker runs its own).

    Skipped only where moto's server is not installed (a newcomer's partial
    install); it comes with the project's requirements, so CI, which allows
    no skip, always runs it.
    """
    reason = s3.unavailable()
    if reason:
        pytest.skip(f"needs moto's S3 server ({reason}): make install")
    with s3.running(tmp_path_factory.mktemp("moto") / "moto.log") as server:
        yield server


def _media_settings(root, server: s3.Server | None = None) -> dict:
    """A media folder of its own: `root` on the file system, or a folder of
    the bucket of `server`."""
    partial = root / "partial-uploads"
    partial.mkdir(parents=True, exist_ok=True)
    if server is not None:
        storage = server.storage(prefix=s3.new_prefix(root.name))
    else:
        storage = {
            **django_settings.STORAGES["default"],
            "OPTIONS": {"location": str(root)},
        }
    return {
        "PRIVATE_MEDIA_ROOT": str(root),
        "PARTIAL_UPLOAD_DIR": str(partial),
        "STORAGES": {**django_settings.STORAGES, "default": storage},
    }


@pytest.fixture(autouse=True)
def _private_media(request, settings, tmp_path):
    """Each test stores evidence in a folder of its own (with TEST_S3=1, a
    folder of the test bucket).

    Tests on data built once for their module share that module's folder.
    """
    if "module_db" in request.fixturenames:
        return
    server = request.getfixturevalue("s3_server") if TEST_S3 else None
    for name, value in _media_settings(tmp_path / "media", server).items():
        setattr(settings, name, value)


@pytest.fixture
def s3_media(request, settings, tmp_path):
    """This test stores evidence in a folder of its own of the test bucket,
    whatever TEST_S3 says: the Server, to look behind the storage's back."""
    server = request.getfixturevalue("s3_server")
    for name, value in _media_settings(tmp_path / "media", server).items():
        setattr(settings, name, value)
    return server


@pytest.fixture(scope="module")
def module_db(request, django_db_setup, django_db_blocker, tmp_path_factory):
    """A transaction and a media folder that last for a whole test module.

    A module-scoped fixture that depends on this one builds its data once,
    for every test of the module, as `TestCase.setUpTestData` does; each test
    still runs in a savepoint of its own, so what it changes is undone, and
    everything is rolled back at the end of the module.
    """
    name = str(connection.settings_dict["NAME"])
    assert "test" in name or "memorydb" in name, f"not a test database: {name}"
    root = tmp_path_factory.mktemp("media")
    server = request.getfixturevalue("s3_server") if TEST_S3 else None
    with (
        django_db_blocker.unblock(),
        override_settings(**_media_settings(root, server)),
        transaction.atomic(),
    ):
        yield root
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (the official list's counts)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _logins_pass_the_second_factor(monkeypatch):
    """`client.force_login` signs in as someone who also passed the second factor.

    Tests of the second factor itself log in with `unverified_login`.
    """
    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        pass_second_factor(self, user, device_name="tests")

    monkeypatch.setattr(Client, "force_login", force_login)
    monkeypatch.setattr(Client, "unverified_login", original, raising=False)


@pytest.fixture
def province(db):
    return ProvinceFactory(name="Thanh Hóa", code="38")


@pytest.fixture
def other_province(db):
    return ProvinceFactory(name="Hà Nội", code="01")


@pytest.fixture
def enrolment(province):
    return EnrolmentFactory(ward=WardFactory(province=province, name="An Hưng"))


@pytest.fixture
def other_enrolment(other_province, enrolment):
    return EnrolmentFactory(
        ward=WardFactory(province=other_province, name="Phú La"),
        criteria_set=enrolment.criteria_set,
    )


@pytest.fixture
def officer(enrolment):
    return member(Role.OFFICER, ward=enrolment.ward)


@pytest.fixture
def reviewer(province):
    return member(Role.REVIEWER, province=province)


@pytest.fixture
def leader(province):
    return member(Role.PROVINCIAL_LEADER, province=province)


@pytest.fixture
def national(db):
    return member(Role.NATIONAL_LEADER)


# Tests of the file system itself, left out with TEST_S3=1 (deselected, not
# skipped): they look into PRIVATE_MEDIA_ROOT, age files with os.utime, fill
# the disk through os.fdopen or swap the media folder by its path. What they
# check of the storage is checked on the object store in tests/storage/.
FILE_SYSTEM_ONLY = {
    "tests/assessments/test_uploads.py::" + name
    for name in [
        "test_a_bad_file_in_a_batch_is_refused_alone",
        "test_the_same_file_twice_is_pointed_out",
        "test_a_full_disk_is_said_and_leaves_nothing",
        "test_a_full_disk_is_said_on_the_page",
        "test_path_traversal_names_never_reach_the_disk",
        "test_a_lost_reply_to_commit_keeps_the_file_of_the_committed_row",
    ]
} | {
    "tests/ops/test_integrity.py::test_each_test_has_its_own_media_folder",
    "tests/ops/test_sweep.py::test_the_sweep_removes_old_orphans_and_stale_"
    "temporary_uploads",
    "tests/ops/test_sweep.py::test_the_sweep_never_takes_a_file_younger_than_an_hour",
    "tests/ops/test_sweep.py::test_the_worker_sweeps_on_a_schedule",
    "tests/assessments/test_carryover.py::"
    "test_a_shared_file_is_backed_up_once_and_restored",
    "tests/ops/test_backup.py::test_backup_and_restore_round_trip",
    "tests/ops/test_backup.py::test_backup_restore_backup_gives_the_same_dump",
    "tests/ops/test_backup.py::test_a_damaged_archive_is_refused_before_anything_"
    "is_written",
    "tests/ops/test_backup.py::test_an_archive_of_the_version_before_units_in_"
    "time_restores",
    "tests/ops/test_backup.py::test_an_archive_of_the_version_before_the_calendar_"
    "restores",
    "tests/ops/test_backup.py::test_an_archive_of_the_version_before_indicators_"
    "restores",
}


def pytest_collection_modifyitems(config, items):
    """Browser journeys first: they are the longest, and spread over the cores
    (`make test`) the suite ends sooner when the longest tests start first.

    A test that reads data built by `module_db` is a database test, so that
    pytest-django sets up the test database even when it runs alone; without
    the mark, such a module run by itself read the development database.

    With TEST_S3=1, the tests of the file system itself are deselected."""
    if TEST_S3:
        left_out = [i for i in items if i.nodeid.split("[")[0] in FILE_SYSTEM_ONLY]
        if left_out:
            config.hook.pytest_deselected(items=left_out)
            items[:] = [i for i in items if i not in left_out]
    for item in items:
        if "module_db" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.django_db)
    items.sort(key=lambda item: "e2e" not in item.keywords)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With KIEUMAU_NO_SKIPS=1 (CI), a skipped test is a failed test."""
    outcome = yield
    report = outcome.get_result()
    no_skips = os.environ.get("KIEUMAU_NO_SKIPS") == "1"
    if report.skipped and no_skips and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which allows no skip: {report.longrepr}"


@pytest.fixture
def english():
    """Messages in English, for tests that match their wording."""
    with translation.override("en"):
        yield


Status = workflow.Status


@pytest.fixture
def assessment(enrolment):
    return enrolment.assessments.select_related("criterion", "enrolment__ward").get(
        criterion__number=1
    )


@pytest.fixture
def reach(officer, reviewer):
    """Bring an assessment to a status the way people would."""

    def reach(assessment, status):
        if status == Status.NOT_STARTED:
            return assessment
        add_file(assessment, officer, name=f"{assessment.pk}.pdf")
        if status == Status.IN_PROGRESS:
            return assessment
        workflow.submit(assessment, actor=officer)
        if status == Status.SUBMITTED:
            return assessment
        if status == Status.APPROVED:
            workflow.approve(assessment, actor=reviewer)
        else:
            workflow.return_for_rework(assessment, actor=reviewer, reason="Thiếu dấu")
        assessment.refresh_from_db()
        return assessment

    return reach
