import datetime as dt
from collections import Counter

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from access.models import Membership
from accounts.models import User
from assessments.models import Assessment, Enrolment, Evidence, ReviewEvent
from criteria.models import CriteriaSet, Criterion
from devdata import demo
from devdata.timeline import TZ
from tests.devdata.checks import (
    out_of_order,
    out_of_their_year,
    year_end_submitted_early,
)
from wards.models import Province, Ward

# The demo loaded as on the day its figures were checked: the current year is
# 2026, the finished one 2025. tests/devdata/test_demo_years.py loads it on
# other days.
NOW = dt.datetime(2026, 11, 30, 14, 0, tzinfo=TZ)
THIS_YEAR, LAST_YEAR = 2026, 2025


@pytest.fixture(scope="module")
def demo_loaded(module_db):
    demo.load_demo(now=NOW)


@pytest.fixture
def loaded(demo_loaded, db):
    """The demo, loaded once for the module; each test's changes are undone."""


def progress_of(province_name: str) -> Counter:
    return Counter(
        e.progress
        for e in Enrolment.objects.with_progress().filter(
            ward__province__name=province_name, year=THIS_YEAR
        )
    )


def table_sizes() -> dict[str, int]:
    models = [Province, Ward, CriteriaSet, Criterion, Enrolment, Assessment]
    models += [Evidence, ReviewEvent, User, Membership]
    return {m.__name__: m.objects.count() for m in models}


def test_hanoi_has_26_wards_at_the_published_figures(loaded):
    assert progress_of("Hà Nội") == {"19/22": 3, "18/22": 11, "16/22": 6, "15/22": 6}
    hanoi = Enrolment.objects.filter(ward__province__name="Hà Nội", year=THIS_YEAR)
    assert hanoi.filter(track="ministry").count() == 15
    assert hanoi.filter(track="province").count() == 11
    assert set(hanoi.values_list("ward__name", flat=True)) >= {"Phú La", "Ô Chợ Dừa"}


def test_hanoi_year_end_criteria_are_still_open(loaded):
    open_year_end = Assessment.objects.filter(
        enrolment__ward__province__name="Hà Nội",
        enrolment__year=THIS_YEAR,
        criterion__assessed="year_end",
    )
    assert open_year_end.count() == 26 * 3
    assert not open_year_end.filter(status="approved").exists()


def test_an_hung_is_at_18_of_22_with_4_criteria_submitted(loaded):
    enrolment = Enrolment.objects.with_progress().get(
        ward__name="An Hưng", year=THIS_YEAR
    )
    assert enrolment.ward.province.name == "Thanh Hóa"
    assert enrolment.progress == "18/22"
    assert enrolment.assessments.filter(status="submitted").count() == 4


def test_more_provinces_and_evidence_files_are_there(loaded):
    assert Enrolment.objects.values("ward__province").distinct().count() >= 4
    evidence = Evidence.objects.first()
    with evidence.file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    # Every assessment past "not started" has a file and an event that put it there.
    started = Assessment.objects.exclude(status="not_started")
    assert not started.filter(evidence=None).exists()
    assert not started.filter(events=None).exists()
    returned = ReviewEvent.objects.filter(action="return")
    assert returned.exists()
    assert not returned.filter(comment="").exists()


def test_the_demo_accounts_sign_in_with_the_demo_password(loaded):
    for username in ["demo-officer", "demo-reviewer", "demo-leader"]:
        assert (
            authenticate(
                RequestFactory().post("/"), username=username, password="kieumau-demo"
            )
            is not None
        )
    for username in ["demo-national", "demo-admin"]:
        assert (
            authenticate(
                RequestFactory().post("/"), username=username, password="kieumau-demo"
            )
            is not None
        )
    officer = Membership.objects.get(user__username="demo-officer")
    assert officer.role == "officer" and officer.ward.name == "An Hưng"
    reviewer = Membership.objects.get(user__username="demo-reviewer")
    assert reviewer.role == "reviewer" and reviewer.province.name == "Thanh Hóa"
    leader = Membership.objects.get(user__username="demo-leader")
    assert leader.role == "provincial_leader" and leader.province.name == "Hà Nội"
    assert Membership.objects.get(user__username="demo-national").role == (
        "national_leader"
    )
    assert User.objects.get(username="demo-admin").is_superuser


def test_setting_up_twice_changes_nothing(loaded):
    before = table_sizes()
    call_command("setup_demo", verbosity=0)
    assert table_sizes() == before


def test_reset_reloads_the_same_data(loaded):
    call_command("setup_demo", reset=True, verbosity=0)  # now, not on NOW's day
    before = table_sizes()
    call_command("setup_demo", reset=True, verbosity=0)
    assert table_sizes() == before


def test_demo_codes_are_for_demo_accounts_only(loaded):
    from io import StringIO

    from django.core.management.base import CommandError

    out = StringIO()
    call_command("demo_code", "demo-reviewer", stdout=out)
    assert out.getvalue().strip().isdigit() and len(out.getvalue().strip()) == 6
    with pytest.raises(CommandError):
        call_command("demo_code", "officer-38002")


def test_there_is_a_finished_year_and_the_current_one(loaded):
    by_year = Counter(Enrolment.objects.values_list("year", flat=True))
    assert by_year == {LAST_YEAR: len(demo.PLANS), THIS_YEAR: len(demo.PLANS)}
    last = Enrolment.objects.with_progress().filter(year=LAST_YEAR)
    # Nothing of a finished year still waits for review.
    assert not Assessment.objects.filter(
        enrolment__year=LAST_YEAR, status="submitted"
    ).exists()
    now = {
        e.ward_id: e.approved_count
        for e in Enrolment.objects.with_progress().filter(year=THIS_YEAR)
    }
    assert all(e.approved_count >= now[e.ward_id] for e in last)
    complete = [e for e in last if e.is_complete]
    assert len(complete) == 8
    assert all(
        e.recognition_number and e.recognition_date.year == LAST_YEAR for e in complete
    )
    assert (
        not last.exclude(pk__in=[e.pk for e in complete])
        .exclude(recognition_number="")
        .exists()
    )
    assert (
        not Enrolment.objects.filter(year=THIS_YEAR)
        .exclude(recognition_number="")
        .exists()
    )


def test_every_event_happens_within_its_year_and_in_order(loaded):
    assert out_of_their_year(NOW) == []
    assert out_of_order() == []
    assert year_end_submitted_early() == []


def test_approvals_spread_over_the_months_of_each_year(loaded):
    for year in (LAST_YEAR, THIS_YEAR):
        months = {
            when.astimezone(TZ).month
            for when in ReviewEvent.objects.filter(
                action="approve", assessment__enrolment__year=year
            ).values_list("created_at", flat=True)
        }
        assert len(months) >= 6, (year, sorted(months))


def test_what_waits_for_review_was_submitted_in_the_last_fortnight(loaded):
    waiting = Assessment.objects.filter(status="submitted")
    assert waiting.exists()
    assert not waiting.exclude(enrolment__year=THIS_YEAR).exists()
    for when in waiting.values_list("submitted_at", flat=True):
        assert NOW - dt.timedelta(days=14) <= when <= NOW


def test_recent_activity_is_of_the_current_year(loaded):
    national = User.objects.get(username="demo-national")
    recent = ReviewEvent.objects.recent_for(national)
    assert len(recent) == 8
    assert {e.assessment.enrolment.year for e in recent} == {THIS_YEAR}
