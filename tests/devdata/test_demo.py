import datetime as dt
from collections import Counter

import pytest
from django.contrib.auth import authenticate
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client, RequestFactory

from access.models import Membership
from accounts.models import User
from assessments import indicators, workflow
from assessments.comments import add_comment
from assessments.models import (
    Assessment,
    Decision,
    Enrolment,
    Evidence,
    IndicatorValue,
    Proposal,
    Quota,
    RecognitionEvent,
    ReviewEvent,
)
from criteria.models import CriteriaSet, Criterion
from devdata import demo
from devdata.demo_plans import PLANS_NOW, PLANS_PAST
from devdata.timeline import TZ
from ops.integrity import check, sha256_of
from tests.devdata.checks import (
    out_of_order,
    out_of_their_year,
    unmet_indicators,
    year_end_submitted_early,
)
from wards.models import Province, UnitChange, Ward

# The demo loaded as on the day its figures were checked: the current year is
# 2026, the finished one 2023. tests/devdata/test_demo_years.py loads it on
# other days.
NOW = dt.datetime(2026, 11, 30, 14, 0, tzinfo=TZ)
THIS_YEAR, PAST_YEAR = 2026, 2023
MERGER = dt.date(2025, 7, 1)


@pytest.fixture(scope="module")
def demo_loaded(module_db):
    demo.load_demo(now=NOW, only_demo_provinces=True)


@pytest.fixture
def loaded(demo_loaded, db):
    """The demo, loaded once for the module; each test's changes are undone."""


def progress_of(province_code: str, year: int) -> Counter:
    return Counter(
        e.progress
        for e in Enrolment.objects.with_progress().filter(
            ward__province__code=province_code, year=year
        )
    )


def enrolment_of(code: str, year: int) -> Enrolment:
    return Enrolment.objects.with_progress().get(ward__code=code, year=year)


def table_sizes() -> dict[str, int]:
    models = [Province, Ward, CriteriaSet, Criterion, Enrolment, Assessment]
    models += [Evidence, ReviewEvent, User, Membership, UnitChange, IndicatorValue]
    return {m.__name__: m.objects.count() for m in models}


def signed_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_only_the_official_units_of_hanoi_and_thanh_hoa_are_loaded(loaded):
    # Both lists: 526 + 547 units until 30 June 2025, 126 + 166 since.
    assert Ward.objects.filter(valid_to=dt.date(2025, 6, 30)).count() == 1073
    assert Ward.objects.filter(valid_from=MERGER).count() == 292
    assert set(Province.objects.values_list("code", flat=True)) == {"01", "38"}
    assert Province.objects.count() == 4  # each before and since the merger


def test_2023_runs_on_the_units_of_then_with_their_real_codes(loaded):
    an_hung = enrolment_of("16435", PAST_YEAR)
    assert an_hung.ward.name == "An Hưng" and an_hung.ward.kind == "phuong"
    assert an_hung.ward.province.name == "Thanh Hóa"
    assert an_hung.ward.province.valid_to == dt.date(2025, 6, 30)
    phu_la = enrolment_of("09552", PAST_YEAR).ward
    o_cho_dua = enrolment_of("00190", PAST_YEAR).ward
    assert (phu_la.name, o_cho_dua.name) == ("Phú La", "Ô Chợ Dừa")
    past = Enrolment.objects.filter(year=PAST_YEAR)
    assert past.count() == len(PLANS_PAST)
    assert not past.exclude(ward__valid_to=dt.date(2025, 6, 30)).exists()


def test_2023_keeps_the_published_figures(loaded):
    assert progress_of("01", PAST_YEAR) == {
        "19/22": 3,
        "18/22": 11,
        "16/22": 6,
        "15/22": 6,
    }
    hanoi = Enrolment.objects.filter(ward__province__code="01", year=PAST_YEAR)
    assert hanoi.filter(track="ministry").count() == 15
    assert hanoi.filter(track="province").count() == 11
    an_hung = enrolment_of("16435", PAST_YEAR)
    assert an_hung.progress == "18/22"
    # Its other four were sent in the year's last fortnight and returned.
    others = an_hung.assessments.exclude(status="approved")
    assert list(others.values_list("status", flat=True)) == ["returned"] * 4
    for criterion in others:
        assert dt.datetime(2023, 12, 6, tzinfo=TZ) <= criterion.submitted_at
        assert criterion.decided_at <= dt.datetime(2023, 12, 31, tzinfo=TZ)


def test_nothing_of_2023_waits_and_its_complete_wards_were_recognised(loaded):
    assert not Assessment.objects.filter(
        enrolment__year=PAST_YEAR, status="submitted"
    ).exists()
    past = Enrolment.objects.with_progress().filter(year=PAST_YEAR)
    complete = [e for e in past if e.is_complete]
    assert [e.ward.name for e in complete] == ["Điện Biên"]
    [decision] = Decision.objects.all()
    assert complete[0].stage == "recognised" and complete[0].decision == decision
    assert decision.year == PAST_YEAR and decision.date.year == PAST_YEAR
    assert decision.track == "ministry"
    # Its signed scan is stored with its hash, like evidence.
    assert check().clean
    assert decision.scan_sha256 == sha256_of(default_storage, decision.scan.name)
    steps = RecognitionEvent.objects.filter(enrolment=complete[0])
    assert list(steps.values_list("action", flat=True)) == [
        "propose",
        "accept",
        "decide",
    ]
    assert all(s.created_at.year == PAST_YEAR for s in steps)


def test_the_seeds_quotas_and_the_proposals_of_the_current_year(loaded):
    quotas = dict(
        Quota.objects.filter(year=PAST_YEAR).values_list("province__code", "wards")
    )
    assert quotas["01"] == 13
    now = Enrolment.objects.with_progress().filter(year=THIS_YEAR)
    stages = {e.ward.name: (e.progress, e.stage) for e in now if e.is_complete}
    assert stages == {
        "Ô Chợ Dừa": ("22/22", "proposed"),
        "Kiến Hưng": ("22/22", "open"),
    }
    proposal = Proposal.objects.get(enrolment__year=THIS_YEAR)
    assert proposal.status == "pending"
    assert proposal.proposed_by.username == "demo-leader"
    assert proposal.proposed_at <= NOW
    ministry = User.objects.get(username="demo-ministry")
    assert list(Proposal.objects.decided_by(ministry).filter(status="pending")) == [
        proposal
    ]


def test_the_current_year_runs_on_the_units_that_took_the_2023_wards(loaded):
    now = Enrolment.objects.filter(year=THIS_YEAR).select_related("ward")
    assert now.count() == len(PLANS_NOW)
    assert {e.ward.valid_from for e in now} == {MERGER}
    took = set(
        UnitChange.objects.filter(
            predecessor__enrolments__year=PAST_YEAR,
            predecessor__province__code="01",
        ).values_list("successor__code", "successor__name")
    )
    hanoi_now = now.filter(ward__province__code="01")
    assert set(hanoi_now.values_list("ward__code", "ward__name")) == took
    for old, new in [
        ("16435", {("14797", "Hạc Thành"), ("16417", "Đông Quang")}),
        ("09552", {("09552", "Kiến Hưng"), ("09886", "Dương Nội")}),
        ("00190", {("00190", "Ô Chợ Dừa"), ("00235", "Đống Đa")}),
    ]:
        assert (
            set(
                UnitChange.objects.filter(predecessor__code=old).values_list(
                    "successor__code", "successor__name"
                )
            )
            == new
        )
        assert {code for code, _name in new} <= set(
            now.values_list("ward__code", flat=True)
        )


def test_the_current_year_has_progress_and_work_for_every_role(loaded):
    assert progress_of("01", THIS_YEAR) == {
        "22/22": 2,
        "17/22": 1,
        "16/22": 3,
        "15/22": 3,
        "14/22": 2,
        "13/22": 4,
        "12/22": 4,
        "11/22": 3,
        "10/22": 3,
        "9/22": 3,
        "8/22": 2,
        "7/22": 2,
        "6/22": 1,
    }
    hac_thanh = enrolment_of("14797", THIS_YEAR)
    assert hac_thanh.progress == "15/22"
    statuses = Counter(hac_thanh.assessments.values_list("status", flat=True))
    assert statuses["submitted"] == 2 and statuses["returned"] == 1
    assert hac_thanh.assessments.get(criterion__number=10).status == "submitted"
    # The year-end window is open on NOW's day: year-end criteria move too.
    thanh_hoa = Assessment.objects.filter(
        enrolment__ward__province__code="38", enrolment__year=THIS_YEAR
    )
    assert thanh_hoa.filter(status="submitted").count() >= 8
    assert thanh_hoa.filter(status="returned").exists()


def test_every_role_sees_its_own_and_the_units_it_took(loaded):
    officer = Membership.objects.get(user__username="demo-officer")
    assert officer.role == "officer"
    assert (officer.ward.code, officer.ward.name) == ("14797", "Hạc Thành")
    reviewer = Membership.objects.get(user__username="demo-reviewer")
    assert reviewer.role == "reviewer"
    assert (reviewer.province.code, reviewer.province.valid_from) == ("38", MERGER)
    leader = Membership.objects.get(user__username="demo-leader")
    assert leader.role == "provincial_leader"
    assert (leader.province.code, leader.province.valid_from) == ("01", MERGER)

    client = signed_in("demo-officer")
    page = client.get("/wards/16435/")  # An Hưng, through Hạc Thành's lineage
    assert page.status_code == 200 and page.context["enrolment"].year == PAST_YEAR
    assert client.get("/wards/16417/").status_code == 404  # Đông Quang's own
    assert client.get("/wards/09552/?year=2023").status_code == 404  # Phú La

    queue = signed_in("demo-reviewer").get("/review/")
    waiting = {
        (a.enrolment.ward.code, a.criterion.number) for a in queue.context["page"]
    }
    assert ("14797", 10) in waiting
    leader_client = signed_in("demo-leader")
    assert leader_client.get("/dashboard/01/").status_code == 200
    assert leader_client.get("/wards/09552/?year=2023").status_code == 200
    assert leader_client.get("/dashboard/38/").status_code == 404


def test_the_officer_lands_on_their_unit(loaded):
    assert signed_in("demo-officer").get("/").url == "/wards/14797/"


def test_2023_was_done_by_the_people_of_the_units_that_took_it(loaded):
    """Each 2023 event's officer is now an officer of a unit that took the ward,
    and each reviewer reviews for the province that took its province."""
    for event in ReviewEvent.objects.filter(
        assessment__enrolment__year=PAST_YEAR
    ).select_related("assessment__enrolment__ward"):
        membership = event.actor.memberships.get()
        ward = event.assessment.enrolment.ward
        if event.action in ("add_evidence", "enter_value", "submit"):
            assert membership.ward.origins.filter(predecessor=ward).exists()
        else:
            assert membership.province.origins.filter(
                predecessor=ward.province
            ).exists()
    officers = Membership.objects.filter(role="officer")
    assert not officers.exclude(ward__valid_from=MERGER).exists()
    # Of the units that took a ward: the one with its code, else its name,
    # else the first by code.
    assert officer_of_2023("09552") == "officer-09552"  # Phú La: Kiến Hưng
    assert officer_of_2023("00073") == "officer-00082"  # Cửa Nam: Cửa Nam
    assert officer_of_2023("16435") == "demo-officer"  # An Hưng: Hạc Thành


def officer_of_2023(code: str) -> str:
    return (
        ReviewEvent.objects.filter(
            assessment__enrolment__ward__code=code,
            assessment__enrolment__year=PAST_YEAR,
            action="add_evidence",
        )
        .select_related("actor")
        .first()
        .actor.username
    )


def test_evidence_files_and_returns_are_there(loaded):
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
    for username in [
        "demo-officer",
        "demo-contributor",
        "demo-reviewer",
        "demo-leader",
        "demo-national",
        "demo-admin",
    ]:
        assert (
            authenticate(
                RequestFactory().post("/"), username=username, password="kieumau-demo"
            )
            is not None
        )
    assert Membership.objects.get(user__username="demo-national").role == (
        "national_leader"
    )
    assert User.objects.get(username="demo-admin").is_superuser


def test_setting_up_twice_changes_nothing(loaded):
    before = table_sizes()
    call_command("setup_demo", only_demo_provinces=True, verbosity=0)
    assert table_sizes() == before


def test_reset_reloads_the_same_data(loaded):
    # What people did with the demo goes with it: a figure, a message.
    first = Assessment.objects.get(
        enrolment__ward__code="14797", enrolment__year=THIS_YEAR, criterion__number=1
    )
    workflow.enter_value(
        first,
        indicator=first.criterion.indicators.get(),
        period_end=dt.date(THIS_YEAR, 1, 31),
        value=1,
        source="Nghị quyết chuyên đề",
        actor=User.objects.get(username="demo-contributor"),
    )
    add_comment(first, author=User.objects.get(username="demo-reviewer"), text="?")
    # Now, not on NOW's day.
    call_command("setup_demo", reset=True, only_demo_provinces=True, verbosity=0)
    before = table_sizes()
    call_command("setup_demo", reset=True, only_demo_provinces=True, verbosity=0)
    assert table_sizes() == before


def test_demo_codes_are_for_demo_accounts_only(loaded):
    from io import StringIO

    from django.core.management.base import CommandError

    out = StringIO()
    call_command("demo_code", "demo-reviewer", stdout=out)
    assert out.getvalue().strip().isdigit() and len(out.getvalue().strip()) == 6
    with pytest.raises(CommandError):
        call_command("demo_code", "officer-16417")


def test_every_event_happens_within_its_year_and_in_order(loaded):
    assert out_of_their_year(NOW) == []
    assert out_of_order() == []
    assert year_end_submitted_early() == []


def test_approvals_spread_over_the_months_of_each_year(loaded):
    for year in (PAST_YEAR, THIS_YEAR):
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


def test_the_demo_shows_expiring_evidence_and_offers_to_carry_over(loaded):
    from assessments import carryover

    hac_thanh = enrolment_of("14797", THIS_YEAR)
    flagged = Assessment.objects.filter(enrolment=hac_thanh).expiring(NOW.date())
    expiries = [a.expiry for a in flagged]
    assert sum(not e.expired for e in expiries) == 2
    assert sum(e.expired for e in expiries) == 1
    # Last year's still-valid files are offered; the expired one is not.
    offers = carryover.offers(hac_thanh, today=NOW.date())
    assert len(offers) >= 1
    last_year = Evidence.objects.filter(
        assessment__enrolment__ward__code="14797",
        assessment__enrolment__year=THIS_YEAR - 1,
    )
    offered = {item.pk for offer in offers for item in offer.items}
    assert last_year.filter(valid_until__lt=NOW.date()).exists()
    assert not offered & set(
        last_year.filter(valid_until__lt=NOW.date()).values_list("pk", flat=True)
    )


def test_the_demo_fills_the_bells_of_reviewers_leaders_and_officers(loaded):
    from notifications.models import Kind, Notification

    def kinds(username):
        return set(
            Notification.objects.filter(user__username=username).values_list(
                "kind", flat=True
            )
        )

    assert Kind.REVIEW in kinds("demo-reviewer")
    assert Kind.ESCALATION in kinds("demo-leader")
    # Hạc Thành's expiring files and its evidence due in a week.
    assert {Kind.EXPIRY, Kind.REMINDER} <= kinds("demo-officer")
    assert not Notification.objects.exclude(mailed_at=None).exists()  # no mail


def reading_of(code: str, year: int, number: int) -> indicators.Reading:
    assessment = Assessment.objects.get(
        enrolment__ward__code=code, enrolment__year=year, criterion__number=number
    )
    [reading] = indicators.readings(assessment)
    return reading


def test_phu_la_and_an_hung_show_the_crime_figures_of_the_public_record(loaded):
    # Phú La: criminal cases down 8 % on 2022, in its report on the year.
    phu_la = reading_of("09552", PAST_YEAR, 17)
    assert phu_la.met and phu_la.change == -8
    assert phu_la.value.ward.name == "Phú La"
    assert phu_la.value.period_end == dt.date(2023, 11, 30)
    assert phu_la.previous.period_end == dt.date(2022, 11, 30)
    assert "tổng kết công tác năm 2023" in phu_la.value.source
    # An Hưng: 5 cases in nine months, 6 fewer than in the same nine months.
    an_hung = reading_of("16435", PAST_YEAR, 17)
    assert an_hung.met and an_hung.value.ward.name == "An Hưng"
    assert (an_hung.value.value, an_hung.previous.value) == (5, 11)
    assert an_hung.value.period_end == dt.date(2023, 9, 30)
    assert "9 tháng đầu năm 2023" in an_hung.value.source
    # Their other figures come from the same reports, and each criterion was
    # submitted once its figures were entered, after the report was out.
    for code, number in [("09552", 16), ("09552", 18), ("16435", 19)]:
        reading = reading_of(code, PAST_YEAR, number)
        assert reading.met and reading.value.evidence is not None
        events = ReviewEvent.objects.filter(
            assessment__enrolment__ward__code=code,
            assessment__enrolment__year=PAST_YEAR,
            assessment__criterion__number=number,
        )
        entered = events.get(action="enter_value")
        assert entered.created_at.astimezone(TZ).date() > reading.value.period_end
        assert entered.created_at < events.get(action="submit").created_at
        assert reading.value.source in entered.comment


def test_criteria_sent_for_review_meet_their_indicators(loaded):
    sent = Assessment.objects.filter(
        status__in=["approved", "submitted"], criterion__indicators__isnull=False
    )
    assert sent.filter(enrolment__year=PAST_YEAR).count() >= 100
    assert sent.filter(enrolment__year=THIS_YEAR).count() >= 100
    assert unmet_indicators() == []
    # The check sees a figure that would not have passed.
    IndicatorValue.objects.filter(
        ward__code="16435", code="social_order_crimes", period_end__year=2023
    ).update(value=12)
    [problem] = unmet_indicators()
    assert problem.startswith("16435 2023 criterion 17: ")


def test_the_party_committee_contributor_has_criterion_1_to_fill_in(loaded):
    membership = Membership.objects.get(user__username="demo-contributor")
    assert (membership.role, membership.body) == ("contributor", "party_committee")
    assert (membership.ward.code, membership.ward.name) == ("14797", "Hạc Thành")
    contributor = membership.user
    hac_thanh = Assessment.objects.filter(
        enrolment__ward__code="14797", enrolment__year=THIS_YEAR
    )
    first = hac_thanh.get(criterion__number=1)
    assert first.status == "in_progress"
    enter = workflow.Action.ENTER_VALUE
    assert enter in workflow.available_actions(contributor, first)
    assert not workflow.may(contributor, enter, hac_thanh.get(criterion__number=17))
    # This year's figure is still to be entered; last year's shows the trend.
    reading = reading_of("14797", THIS_YEAR, 1)
    assert reading.value is None and not reading.met
    assert [v.period_end.year for v in reading.history] == [THIS_YEAR - 1]
