import pytest

from assessments import tally
from assessments.models import Assessment, Enrolment
from tests.factories import EnrolmentFactory, WardFactory, make_criteria_set


def approve(enrolment, count: int) -> None:
    ids = enrolment.assessments.order_by("criterion__number").values_list(
        "pk", flat=True
    )[:count]
    Assessment.objects.filter(pk__in=list(ids)).update(status="approved")
    tally.recount()


@pytest.mark.django_db
def test_progress_counts_approved_over_the_size_of_the_set():
    big = EnrolmentFactory(criteria_set=make_criteria_set(22))
    small = EnrolmentFactory(criteria_set=make_criteria_set(20))
    approve(big, 18)
    approve(small, 20)
    # Other statuses do not count.
    big.assessments.filter(status="not_started").update(status="returned")
    tally.recount()

    rows = {e.pk: e for e in Enrolment.objects.with_progress()}
    assert rows[big.pk].progress == "18/22"
    assert not rows[big.pk].is_complete
    assert rows[small.pk].progress == "20/20"
    assert rows[small.pk].is_complete
    assert rows[small.pk].progress_percent == 100


@pytest.mark.django_db
def test_an_enrolment_with_nothing_approved_reads_zero():
    enrolment = EnrolmentFactory(criteria_set=make_criteria_set(22))
    assert Enrolment.objects.with_progress().get(pk=enrolment.pk).progress == "0/22"


@pytest.mark.django_db
def test_with_progress_is_one_query_however_many_wards(django_assert_num_queries):
    criteria_set = make_criteria_set(22)
    for _ in range(20):
        EnrolmentFactory(criteria_set=criteria_set, ward=WardFactory())
    with django_assert_num_queries(1):
        figures = [e.progress for e in Enrolment.objects.with_progress()]
    assert figures == ["0/22"] * 20
