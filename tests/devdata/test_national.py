import csv
import datetime as dt
import hashlib
import json
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from assessments.models import Assessment, Enrolment, Evidence, ReviewEvent
from devdata import national
from wards.models import Province, Ward
from wards.units import DATA

PER_PROVINCE = 2


def official_counts(name: str) -> Counter:
    """Units per province short name in a shipped list, read from the CSV."""
    with open(DATA / f"provinces-{name}.csv", encoding="utf-8") as handle:
        province = {row["code"]: row["short_name"] for row in csv.DictReader(handle)}
    with open(DATA / f"units-{name}.csv", encoding="utf-8") as handle:
        return Counter(province[row["province_code"]] for row in csv.DictReader(handle))


@pytest.fixture(scope="module")
def generated(module_db):
    """The real units with a few enrolled per province, generated once."""
    return national.generate(years=[2024, 2025], per_province=PER_PROVINCE)


def test_the_national_generator_loads_the_real_units(db, generated):
    current = Ward.objects.valid_on(dt.date(2025, 12, 31))
    assert Province.objects.valid_on(dt.date(2025, 12, 31)).count() == 34
    assert current.count() == 3321
    assert not current.filter(code__startswith="N").exists()
    shipped = official_counts("2025")
    assert shipped["Hồ Chí Minh"] == 168 and shipped["Hà Nội"] == 126
    for name in ("Hồ Chí Minh", "Hà Nội"):
        assert current.filter(province__name=name).count() == shipped[name]
    # The list before 1 July 2025 and the lineage come too.
    before = Ward.objects.valid_on(dt.date(2024, 12, 31))
    assert Province.objects.valid_on(dt.date(2024, 12, 31)).count() == 63
    assert before.count() == 10040 == sum(official_counts("legacy").values())
    assert generated["units"] == 3321 + 10040 == Ward.objects.count()
    assert generated["unit changes"] > 10000
    assert not Ward.objects.filter(folded_name="").exists()


def test_each_year_enrols_the_units_in_force_at_its_end(db, generated):
    for year, provinces in [(2024, 63), (2025, 34)]:
        enrolments = Enrolment.objects.filter(year=year).select_related("ward")
        assert enrolments.count() == provinces * PER_PROVINCE
        assert all(e.ward.valid_on(dt.date(year, 12, 31)) for e in enrolments)
    assert generated["enrolments"] == (63 + 34) * PER_PROVINCE
    # 2025 enrols the units in force since 1 July 2025, 2024 those before.
    assert not Enrolment.objects.filter(year=2025, ward__valid_to__isnull=False)
    assert not Enrolment.objects.filter(year=2024, ward__valid_to__isnull=True)


def test_the_national_generator_writes_consistent_data(db, generated):
    counts = generated
    assert counts["assessments"] == counts["enrolments"] * 22
    assert counts["assessments"] == Assessment.objects.count()
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


def test_the_check_tells_when_the_data_is_not_the_national_data(db, generated):
    # A sample of the units enrolled: not what make bench can build on.
    assert not national.is_loaded([2024, 2025])
    with pytest.raises(CommandError, match="other data") as caught:
        call_command("generate_national", "--check", years=[2024, 2025])
    assert caught.value.returncode == 3
    # Every unit enrolled: it is.
    criteria_set = Enrolment.objects.first().criteria_set
    for year in (2024, 2025):
        missing = national.units_of(year).exclude(enrolments__year=year)
        Enrolment.objects.bulk_create(
            Enrolment(ward=w, year=year, criteria_set=criteria_set, track="ministry")
            for w in missing
        )
    assert national.is_loaded([2024, 2025])
    assert not national.is_loaded([2025, 2026])
    call_command("generate_national", "--check", years=[2024, 2025], stdout=StringIO())


def test_the_page_benchmark_runs_on_the_largest_province(
    db, generated, settings, tmp_path
):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    out = StringIO()
    path = tmp_path / "bench" / "x1.json"
    call_command("bench_pages", requests=2, year=2025, json_path=path, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Scale 1, year 2025")
    assert lines[3].split()[:2] == ["page", "queries"]
    labels = [line.split("  ")[0] for line in lines[4:-1]]
    assert labels[:2] == ["minimal view (/healthz)", "signed-in minimal page (/help/)"]
    assert "province dashboard (Hồ Chí Minh, 168 units)" in labels
    assert len(labels) == 9
    assert lines[-1] == f"Wrote {path}."

    report = json.loads(path.read_text(encoding="utf-8"))
    assert report["scale"] == 1 and report["year"] == 2025
    assert report["requests"] == 2
    assert report["machine"]["cpu_count"] >= 1
    assert report["rows"]["enrolments"] == generated["enrolments"]
    assert report["rows"]["assessments"] == generated["assessments"]
    assert report["rows"]["units"] == 3321 + 10040
    pages = {page["page"]: page for page in report["pages"]}
    healthz = pages["minimal view (/healthz)"]
    assert healthz["queries"] == 1 and healthz["per_healthz"] == 1
    assert pages["signed-in minimal page (/help/)"]["per_signed_in"] == 1
    for page in report["pages"]:
        assert page["median_ms"] <= page["p95_ms"]
        assert 0 < page["sql_median_ms"] < page["median_ms"]
        assert page["page_per_sql"] > 1
        assert page["queries_min"] <= page["queries"] <= page["queries_max"]
        assert page["bytes"] > 0 and page["gzip_bytes"] > 0
    dashboard = pages["national dashboard"]
    assert dashboard["gzip_bytes"] < dashboard["bytes"]
