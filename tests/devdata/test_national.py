import hashlib

import pytest

from assessments.models import Assessment, Enrolment, Evidence, ReviewEvent
from devdata import national
from wards.models import Province


@pytest.fixture(scope="module")
def generated(module_db):
    """National-scale data in miniature, generated once for the module."""
    return national.generate(years=[2025, 2026], total=70, biggest=4)


def test_the_national_generator_writes_consistent_data(db, generated):
    counts = generated
    assert counts["provinces"] == 34 == Province.objects.count()
    assert Enrolment.objects.filter(year=2026).count() == 70
    assert counts["assessments"] == 70 * 2 * 22 == Assessment.objects.count()
    assert national.ward_counts(national.WARDS, national.BIGGEST)[26] == 240
    assert sum(national.ward_counts()) == 3321
    # Every assessment past "not started" has evidence and the events to match.
    started = Assessment.objects.exclude(status="not_started")
    assert not started.filter(evidence=None).exists()
    assert not Assessment.objects.filter(status="not_started", events__isnull=False)
    for status, action in [("approved", "approve"), ("returned", "return")]:
        assert (
            not Assessment.objects.filter(status=status)
            .exclude(events__action=action)
            .exists()
        )
    submitted = Assessment.objects.filter(status="submitted")
    assert not submitted.filter(submitted_at=None).exists()
    assert ReviewEvent.objects.count() == counts["events"]
    # The evidence rows point at one real file whose hash they carry.
    evidence = Evidence.objects.first()
    with evidence.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == evidence.sha256
    assert Evidence.objects.count() == counts["evidence"]


def test_the_page_benchmark_runs_and_prints_its_table(db, generated, settings):
    from io import StringIO

    settings.ALLOWED_HOSTS = ["127.0.0.1"]

    from django.core.management import call_command

    out = StringIO()
    call_command("bench_pages", requests=2, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[1].split()[:2] == ["page", "queries"]
    labels = [line.split("  ")[0] for line in lines[2:]]
    assert labels[0] == "minimal view (/healthz)"
    assert any(label.startswith("province dashboard (Hồ Chí Minh") for label in labels)
    assert len(labels) == 8
