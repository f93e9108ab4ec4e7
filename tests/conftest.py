import os

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.test import Client, override_settings
from django.utils import translation

from access.models import Membership
from assessments import workflow
from devdata.clients import pass_second_factor
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


def _media_settings(root) -> dict:
    partial = root / "partial-uploads"
    partial.mkdir(parents=True, exist_ok=True)
    return {
        "PRIVATE_MEDIA_ROOT": str(root),
        "PARTIAL_UPLOAD_DIR": str(partial),
        "STORAGES": {
            **django_settings.STORAGES,
            "default": {
                **django_settings.STORAGES["default"],
                "OPTIONS": {"location": str(root)},
            },
        },
    }


@pytest.fixture(autouse=True)
def _private_media(request, settings, tmp_path):
    """Each test stores evidence in a folder of its own.

    Tests on data built once for their module share that module's folder.
    """
    if "module_db" in request.fixturenames:
        return
    for name, value in _media_settings(tmp_path / "media").items():
        setattr(settings, name, value)


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker, tmp_path_factory):
    """A transaction and a media folder that last for a whole test module.

    A module-scoped fixture that depends on this one builds its data once,
    for every test of the module, as `TestCase.setUpTestData` does; each test
    still runs in a savepoint of its own, so what it changes is undone, and
    everything is rolled back at the end of the module.
    """
    name = str(connection.settings_dict["NAME"])
    assert "test" in name or "memorydb" in name, f"not a test database: {name}"
    root = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(**_media_settings(root)),
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


def pytest_collection_modifyitems(config, items):
    """Browser journeys first: they are the longest, and spread over the cores
    (`make test`) the suite ends sooner when the longest tests start first.

    A test that reads data built by `module_db` is a database test, so that
    pytest-django sets up the test database even when it runs alone; without
    the mark, such a module run by itself read the development database."""
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
