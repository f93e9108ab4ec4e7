"""Indicators: each rule, the figure that counts, entering figures, the
refusal to submit, and a contributor of another body working on its own
criteria only."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from access.models import Membership
from assessments import indicators, workflow
from assessments.models import Assessment, IndicatorValue, ReviewEvent
from criteria.models import Criterion, Indicator
from tests import files
from tests.factories import UserFactory, add_file, member

Rule = Indicator.Rule
Role = Membership.Role
pytestmark = pytest.mark.usefixtures("english")


def make_indicator(assessment, rule, target, code="cases", unit="vụ"):
    return Indicator.objects.create(
        criterion=assessment.criterion,
        code=code,
        name=f"Chỉ tiêu {code}",
        unit=unit,
        rule=rule,
        target=Decimal(target),
    )


def figure(ward, code, day, value, user):
    return IndicatorValue.objects.create(
        ward=ward,
        code=code,
        period_end=day,
        value=Decimal(value),
        source="Báo cáo",
        entered_by=user,
    )


@pytest.fixture(autouse=True)
def _pages_in_english(client):
    client.cookies["django_language"] = "en"


@pytest.fixture
def measured(assessment):
    """Criterion 1 of the ward's 2026 dossier, measured by one indicator."""
    return assessment


# The rules, one by one.


@pytest.mark.parametrize(
    ("rule", "target", "value", "met"),
    [
        (Rule.AT_LEAST, "90", "92.5", True),
        (Rule.AT_LEAST, "90", "90", True),
        (Rule.AT_LEAST, "90", "89.99", False),
        (Rule.AT_MOST, "0", "0", True),
        (Rule.AT_MOST, "0", "1", False),
        (Rule.EQUAL, "100", "100", True),
        (Rule.EQUAL, "100", "99.5", False),
    ],
)
@pytest.mark.django_db
def test_each_rule_on_the_year_figure(measured, officer, rule, target, value, met):
    indicator = make_indicator(measured, rule, target)
    figure(measured.enrolment.ward, "cases", dt.date(2026, 9, 30), value, officer)
    (reading,) = indicators.readings(measured)
    assert reading.met is met
    assert reading.value.value == Decimal(value)
    assert (reading.problem == "") is met
    if not met:
        assert indicator.name in reading.problem


@pytest.mark.parametrize(
    ("rule", "target", "previous", "value", "change", "met"),
    [
        # Phú La: down 8 % on the year before.
        (Rule.CHANGE_BELOW, "0", "50", "46", Decimal("-8.0"), True),
        (Rule.CHANGE_BELOW, "0", "50", "50", Decimal("0.0"), False),
        (Rule.CHANGE_AT_MOST, "0", "50", "50", Decimal("0.0"), True),
        (Rule.CHANGE_AT_MOST, "5", "40", "42", Decimal("5.0"), True),
        (Rule.CHANGE_AT_MOST, "5", "40", "43", Decimal("7.5"), False),
        # From nothing to something has no finite change: never "down".
        (Rule.CHANGE_AT_MOST, "100", "0", "3", None, False),
        (Rule.CHANGE_BELOW, "0", "0", "0", Decimal("0.0"), False),
    ],
)
@pytest.mark.django_db
def test_change_against_the_same_period_of_the_year_before(
    measured, officer, rule, target, previous, value, change, met
):
    make_indicator(measured, rule, target)
    ward = measured.enrolment.ward
    figure(ward, "cases", dt.date(2025, 12, 31), previous, officer)
    figure(ward, "cases", dt.date(2026, 12, 31), value, officer)
    (reading,) = indicators.readings(measured)
    assert reading.previous.value == Decimal(previous)
    assert reading.change == change
    assert reading.met is met


@pytest.mark.django_db
def test_nine_months_compare_with_the_same_nine_months(measured, officer):
    """An Hưng: 5 cases in nine months, 6 fewer than the same nine months."""
    make_indicator(measured, Rule.CHANGE_BELOW, "0")
    ward = measured.enrolment.ward
    figure(ward, "cases", dt.date(2025, 9, 30), "11", officer)
    figure(ward, "cases", dt.date(2025, 12, 31), "3", officer)  # another period
    figure(ward, "cases", dt.date(2026, 6, 30), "4", officer)
    figure(ward, "cases", dt.date(2026, 9, 30), "5", officer)
    (reading,) = indicators.readings(measured)
    assert reading.value.period_end == dt.date(2026, 9, 30)  # the latest counts
    assert reading.previous.period_end == dt.date(2025, 9, 30)
    assert reading.change == Decimal("-54.5")
    assert reading.met
    # The trend: the latest figure of each year.
    assert [(v.period_end, v.value) for v in reading.history] == [
        (dt.date(2025, 12, 31), Decimal(3)),
        (dt.date(2026, 9, 30), Decimal(5)),
    ]


@pytest.mark.django_db
def test_a_missing_previous_figure_is_not_met_and_says_so(measured, officer):
    make_indicator(measured, Rule.CHANGE_BELOW, "0")
    figure(measured.enrolment.ward, "cases", dt.date(2026, 9, 30), "5", officer)
    (reading,) = indicators.readings(measured)
    assert reading.previous is None and reading.change is None
    assert not reading.met
    assert "no figure for the same period of 2025" in reading.problem
    assert "30/09/2025" in reading.problem


@pytest.mark.django_db
def test_no_figure_this_year_is_not_met(measured, officer):
    make_indicator(measured, Rule.AT_MOST, "0")
    figure(measured.enrolment.ward, "cases", dt.date(2025, 12, 31), "0", officer)
    (reading,) = indicators.readings(measured)
    assert reading.value is None and not reading.met
    assert "no figure entered for 2026" in reading.problem


@pytest.mark.django_db
def test_another_wards_figures_do_not_count(measured, officer, other_enrolment):
    make_indicator(measured, Rule.AT_LEAST, "1")
    figure(other_enrolment.ward, "cases", dt.date(2026, 9, 30), "5", officer)
    (reading,) = indicators.readings(measured)
    assert reading.value is None


# Entering figures.


@pytest.mark.django_db
def test_entering_a_figure_starts_the_work_and_a_correction_keeps_the_old_one(
    measured, officer
):
    indicator = make_indicator(measured, Rule.AT_LEAST, "90", unit="%")
    day = dt.date(2026, 9, 30)
    workflow.enter_value(
        measured,
        indicator=indicator,
        period_end=day,
        value=Decimal("85"),
        source="Báo cáo 9 tháng",
        actor=officer,
    )
    measured.refresh_from_db()
    assert measured.status == Assessment.Status.IN_PROGRESS
    workflow.enter_value(
        measured,
        indicator=indicator,
        period_end=day,
        value=Decimal("92.5"),
        source="Báo cáo 9 tháng (đính chính)",
        actor=officer,
    )
    (row,) = IndicatorValue.objects.all()
    assert (row.value, row.source) == (Decimal("92.5"), "Báo cáo 9 tháng (đính chính)")
    events = list(
        measured.events.filter(action=ReviewEvent.Action.ENTER_VALUE).order_by("pk")
    )
    assert len(events) == 2
    assert "85 %" in events[0].comment
    assert "85 % → 92.5 %" in events[1].comment


@pytest.mark.django_db
def test_last_years_figure_is_entered_once_and_the_period_must_be_over(
    measured, officer
):
    indicator = make_indicator(measured, Rule.CHANGE_BELOW, "0")

    def enter(day, value="3"):
        return workflow.enter_value(
            measured,
            indicator=indicator,
            period_end=day,
            value=Decimal(value),
            source="Báo cáo",
            actor=officer,
        )

    enter(dt.date(2025, 9, 30))
    # Once last year has a figure, last year is closed: the same period or
    # another (the year's latest figure, which its dossier was decided on).
    for day in (dt.date(2025, 9, 30), dt.date(2025, 12, 31)):
        with pytest.raises(workflow.WorkflowError, match="no longer changed"):
            enter(day, "1")
    with pytest.raises(workflow.WorkflowError, match="must end in 2026"):
        enter(dt.date(2024, 12, 31))
    with pytest.raises(workflow.WorkflowError, match="has not ended"):
        enter(dt.date.today() + dt.timedelta(days=1))
    assert IndicatorValue.objects.get().value == Decimal(3)


@pytest.mark.django_db
def test_a_figure_needs_its_source_and_a_file_of_this_dossier(
    measured, officer, enrolment
):
    indicator = make_indicator(measured, Rule.AT_LEAST, "1")
    elsewhere = add_file(enrolment.assessments.get(criterion__number=2), officer)
    with pytest.raises(workflow.WorkflowError, match="which document"):
        workflow.enter_value(
            measured,
            indicator=indicator,
            period_end=dt.date(2026, 3, 31),
            value=Decimal(1),
            source="  ",
            actor=officer,
        )
    with pytest.raises(workflow.WorkflowError, match="this criterion's dossier"):
        workflow.enter_value(
            measured,
            indicator=indicator,
            period_end=dt.date(2026, 3, 31),
            value=Decimal(1),
            source="Nghị quyết",
            evidence=elsewhere,
            actor=officer,
        )
    other = make_indicator(
        enrolment.assessments.get(criterion__number=2), Rule.AT_LEAST, "1", "x"
    )
    with pytest.raises(workflow.NotAllowed):
        workflow.enter_value(
            measured,
            indicator=other,
            period_end=dt.date(2026, 3, 31),
            value=Decimal(1),
            source="Nghị quyết",
            actor=officer,
        )
    assert not IndicatorValue.objects.exists()


# Submission.


@pytest.mark.django_db
def test_unmet_indicators_refuse_submission_and_say_why(measured, officer):
    indicator = make_indicator(measured, Rule.AT_LEAST, "90", unit="%")
    add_file(measured, officer)
    with pytest.raises(workflow.WorkflowError) as refused:
        workflow.submit(measured, actor=officer)
    assert "indicators are not met" in refused.value.message
    assert "no figure entered for 2026" in refused.value.message
    workflow.enter_value(
        measured,
        indicator=indicator,
        period_end=dt.date(2026, 9, 30),
        value=Decimal("85"),
        source="Báo cáo",
        actor=officer,
    )
    with pytest.raises(workflow.WorkflowError, match=r"85 %; must be at least 90 %"):
        workflow.submit(measured, actor=officer)
    measured.refresh_from_db()
    assert measured.status == Assessment.Status.IN_PROGRESS
    workflow.enter_value(
        measured,
        indicator=indicator,
        period_end=dt.date(2026, 9, 30),
        value=Decimal("91"),
        source="Báo cáo",
        actor=officer,
    )
    workflow.submit(measured, actor=officer)
    measured.refresh_from_db()
    assert measured.status == Assessment.Status.SUBMITTED


@pytest.mark.django_db
def test_the_officer_sees_the_refusal_on_the_page(client, measured, officer):
    make_indicator(measured, Rule.EQUAL, "0")
    add_file(measured, officer)
    client.force_login(officer)
    url = measured.get_absolute_url()
    response = client.post(url + "submit/", follow=True)
    assert "indicators are not met" in response.content.decode()
    measured.refresh_from_db()
    assert measured.status == Assessment.Status.IN_PROGRESS


# The form on the criterion's page.


@pytest.mark.django_db
def test_the_page_takes_a_figure_written_with_a_comma(client, measured, officer):
    indicator = make_indicator(measured, Rule.AT_LEAST, "90", unit="%")
    client.force_login(officer)
    url = measured.get_absolute_url()
    page = client.get(url).content.decode()
    assert "Enter a figure" in page and "at least 90 %" in page
    response = client.post(
        url + "figures/",
        {
            "indicator": indicator.pk,
            "period_end": "30/09/2026",
            "value": "92,5",
            "source": "Báo cáo số 12/BC-CAP",
        },
    )
    assert response.status_code == 302
    assert IndicatorValue.objects.get().value == Decimal("92.5")
    page = client.get(url).content.decode()
    assert "Báo cáo số 12/BC-CAP" in page
    assert 'class="tag ok">met<' in page


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("value", "1.234,5", "without separators between thousands"),
        ("value", "1.234", "without separators between thousands"),
        ("value", "1 234", "without separators between thousands"),
        ("value", "92,555", "without separators between thousands"),
        ("value", "", "Write the figure"),
        ("value", "nhiều", "Write a number"),
        ("period_end", "31/02/2026", "check that the day exists"),
        ("source", "", "which document the figure comes from"),
    ],
)
@pytest.mark.django_db
def test_bad_input_is_said_in_the_form_and_kept(
    client, measured, officer, field, value, error
):
    indicator = make_indicator(measured, Rule.AT_LEAST, "90")
    client.force_login(officer)
    data = {
        "indicator": indicator.pk,
        "period_end": "30/09/2026",
        "value": "91",
        "source": "Báo cáo quý",
    }
    data[field] = value
    response = client.post(measured.get_absolute_url() + "figures/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert error in page
    assert "Báo cáo quý" in page or field == "source"
    assert not IndicatorValue.objects.exists()


# Contributors: another body of the ward, on its own criteria only.


@pytest.fixture
def party_criterion(enrolment):
    """Criterion 2 is carried out by the ward's Party committee."""
    Criterion.objects.filter(criteria_set=enrolment.criteria_set, number=2).update(
        responsible_body="party_committee"
    )
    return enrolment.assessments.select_related("criterion", "enrolment__ward").get(
        criterion__number=2
    )


@pytest.fixture
def contributor(enrolment):
    return member(Role.CONTRIBUTOR, ward=enrolment.ward, body="party_committee")


@pytest.mark.django_db
def test_a_contributor_uploads_and_enters_figures_for_its_bodys_criteria(
    party_criterion, contributor
):
    indicator = make_indicator(party_criterion, Rule.AT_LEAST, "1", "resolutions")
    add_file(party_criterion, contributor)
    workflow.enter_value(
        party_criterion,
        indicator=indicator,
        period_end=dt.date(2026, 3, 31),
        value=Decimal(2),
        source="Nghị quyết 01-NQ/ĐU",
        actor=contributor,
    )
    party_criterion.refresh_from_db()
    assert party_criterion.status == Assessment.Status.IN_PROGRESS
    assert workflow.available_actions(contributor, party_criterion) == {
        "add_evidence",
        "withdraw_evidence",
        "set_validity",
        "replace_evidence",
        "enter_value",
    }
    # Submitting stays with the ward's officers.
    with pytest.raises(workflow.NotAllowed):
        workflow.submit(party_criterion, actor=contributor)


@pytest.mark.django_db
def test_a_contributor_sees_nothing_else_of_the_ward(
    client, party_criterion, contributor, assessment, officer, other_enrolment
):
    police_file = add_file(assessment, officer)
    with pytest.raises(workflow.NotAllowed):
        add_file(assessment, contributor, name="x.pdf", content=files.pdf("x"))
    assert list(Assessment.objects.visible_to(contributor)) == [party_criterion]
    client.force_login(contributor)
    ward = party_criterion.enrolment.ward
    assert client.get(party_criterion.get_absolute_url()).status_code == 200
    for url in (
        assessment.get_absolute_url(),
        reverse("ward_detail", args=[ward.code]),
        reverse("ward_dossier", args=[ward.code]),
        reverse("evidence_download", args=[police_file.pk]),
        other_enrolment.assessments.get(criterion__number=2).get_absolute_url(),
    ):
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
def test_a_contributor_of_another_body_does_not_work_on_it(party_criterion, enrolment):
    peoples = member(Role.CONTRIBUTOR, ward=enrolment.ward, body="peoples_committee")
    assert workflow.available_actions(peoples, party_criterion) == set()
    assert not Assessment.objects.visible_to(peoples).exists()


@pytest.mark.django_db
def test_a_contributor_membership_needs_a_body_and_only_it_has_one(enrolment):
    from django.db import IntegrityError, transaction

    user = UserFactory()
    for role, body in (
        (Role.CONTRIBUTOR, ""),
        (Role.CONTRIBUTOR, "police"),
        (Role.OFFICER, "party_committee"),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Membership.objects.create(
                user=user, role=role, ward=enrolment.ward, body=body
            )


@pytest.mark.django_db
def test_a_contributor_takes_part_in_its_criterions_conversation(
    party_criterion, contributor, officer, reviewer, enrolment
):
    from assessments.comments import add_comment, may_comment
    from notifications.models import Notification

    peoples = member(Role.CONTRIBUTOR, ward=enrolment.ward, body="peoples_committee")
    assert may_comment(contributor, party_criterion)
    assert not may_comment(peoples, party_criterion)
    add_comment(party_criterion, author=reviewer, text="Nghị quyết ban hành ngày nào?")
    told = set(Notification.objects.values_list("user", flat=True))
    assert told == {officer.pk, contributor.pk}
    add_comment(party_criterion, author=contributor, text="Ngày 15/01.")
    assert Notification.objects.filter(user=reviewer).count() == 1
    party_criterion.refresh_from_db()
    assert party_criterion.status == Assessment.Status.NOT_STARTED


@pytest.mark.django_db
def test_a_national_user_who_also_contributes_still_reads_everything(
    party_criterion, enrolment, other_enrolment
):
    national = member(Role.NATIONAL_LEADER)
    Membership.objects.create(
        user=national, role=Role.CONTRIBUTOR, ward=enrolment.ward, body="other"
    )
    every = Assessment.objects.count()
    assert Assessment.objects.visible_to(national).count() == every


@pytest.mark.parametrize(("unit", "value"), [("vụ", "-3"), ("%", "100.5")])
@pytest.mark.django_db
def test_a_negative_figure_or_a_percentage_over_100_is_refused(
    measured, officer, unit, value
):
    indicator = make_indicator(measured, Rule.AT_MOST, "0", unit=unit)
    with pytest.raises(workflow.WorkflowError, match="not negative"):
        workflow.enter_value(
            measured,
            indicator=indicator,
            period_end=dt.date(2026, 9, 30),
            value=Decimal(value),
            source="Báo cáo",
            actor=officer,
        )
    assert not IndicatorValue.objects.exists()


@pytest.mark.django_db
def test_a_figure_next_years_dossier_compares_with_is_not_changed(
    measured, officer, enrolment
):
    from tests.factories import EnrolmentFactory

    indicator = make_indicator(measured, Rule.CHANGE_BELOW, "0")

    def enter(value):
        workflow.enter_value(
            measured,
            indicator=indicator,
            period_end=dt.date(2026, 9, 30),
            value=Decimal(value),
            source="Báo cáo",
            actor=officer,
        )

    enter("11")
    enter("12")  # a correction while no later dossier exists
    EnrolmentFactory(
        ward=enrolment.ward, criteria_set=enrolment.criteria_set, year=2027
    )
    with pytest.raises(workflow.WorkflowError, match="next year's dossier"):
        enter("100")
    assert IndicatorValue.objects.get().value == Decimal(12)


@pytest.mark.django_db
def test_one_code_names_one_criterions_figure_in_a_set(
    measured, party_criterion, contributor
):
    from django.core.exceptions import ValidationError

    make_indicator(measured, Rule.AT_LEAST, "90", code="rate")
    twin = Indicator(
        criterion=party_criterion.criterion,
        code="rate",
        name="Tỷ lệ",
        rule=Rule.AT_LEAST,
        target=Decimal(1),
    )
    with pytest.raises(ValidationError):
        twin.full_clean()
    # Even if one slipped in, the contributor cannot write the police's figure.
    twin.save()
    with pytest.raises(workflow.NotAllowed):
        workflow.enter_value(
            party_criterion,
            indicator=twin,
            period_end=dt.date(2026, 9, 30),
            value=Decimal(95),
            source="Đảng ủy",
            actor=contributor,
        )
    assert not IndicatorValue.objects.exists()


@pytest.mark.django_db
def test_a_return_is_told_to_the_contributors_of_its_body(
    party_criterion, contributor, officer, reviewer
):
    from assessments.notifications import review_message

    add_file(party_criterion, contributor)
    workflow.submit(party_criterion, actor=officer)
    outcome = workflow.return_for_rework(
        party_criterion, actor=reviewer, reason="Thiếu"
    )
    told = review_message(outcome.event).told
    assert set(told) == {officer, contributor}
