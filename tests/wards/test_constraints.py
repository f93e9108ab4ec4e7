import pytest
from django.db import IntegrityError, transaction

from access.models import Membership
from assessments.models import Assessment, Enrolment, Evidence
from tests.factories import UserFactory, WardFactory

Role = Membership.Role


def refused(**fields) -> bool:
    try:
        with transaction.atomic():
            Membership.objects.create(user=UserFactory(), **fields)
    except IntegrityError:
        return True
    return False


@pytest.mark.django_db
def test_membership_scope_must_match_the_role(province):
    ward = WardFactory(province=province)
    assert refused(role=Role.OFFICER)
    assert refused(role=Role.OFFICER, province=province)
    assert refused(role=Role.OFFICER, ward=ward, province=province)
    assert refused(role=Role.REVIEWER, ward=ward)
    assert refused(role=Role.PROVINCIAL_LEADER)
    assert refused(role=Role.NATIONAL_LEADER, province=province)
    assert refused(role="janitor")
    assert not refused(role=Role.OFFICER, ward=ward)
    assert not refused(role=Role.REVIEWER, province=province)
    assert not refused(role=Role.NATIONAL_LEADER)


@pytest.mark.django_db
def test_the_same_membership_cannot_be_given_twice(province):
    user = UserFactory()
    Membership.objects.create(user=user, role=Role.NATIONAL_LEADER)
    Membership.objects.create(user=user, role=Role.REVIEWER, province=province)
    for fields in (
        {"role": Role.NATIONAL_LEADER},
        {"role": Role.REVIEWER, "province": province},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Membership.objects.create(user=user, **fields)


@pytest.mark.django_db
def test_one_enrolment_per_ward_per_year(enrolment):
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrolment.objects.create(
            ward=enrolment.ward,
            year=enrolment.year,
            criteria_set=enrolment.criteria_set,
            track=Enrolment.Track.PROVINCE,
        )
    Enrolment.objects.create(
        ward=enrolment.ward,
        year=enrolment.year + 1,
        criteria_set=enrolment.criteria_set,
        track=Enrolment.Track.PROVINCE,
    )


@pytest.mark.django_db
def test_enrolment_track_and_year_are_checked(enrolment):
    for fields in ({"track": "elsewhere"}, {"year": 1900}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Enrolment.objects.filter(pk=enrolment.pk).update(**fields)


@pytest.mark.django_db
def test_one_assessment_per_criterion_and_a_known_status(enrolment):
    assessment = enrolment.assessments.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.create(enrolment=enrolment, criterion=assessment.criterion)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.filter(pk=assessment.pk).update(status="done")
    with pytest.raises(IntegrityError), transaction.atomic():
        # Submitted without a submission time.
        Assessment.objects.filter(pk=assessment.pk).update(status="submitted")


@pytest.mark.django_db
def test_evidence_needs_a_real_sha256(enrolment):
    with pytest.raises(IntegrityError), transaction.atomic():
        Evidence.objects.create(
            assessment=enrolment.assessments.first(),
            file="evidence/x.pdf",
            original_name="x.pdf",
            content_type="application/pdf",
            size=1,
            sha256="not-a-hash",
            uploaded_by=UserFactory(),
        )
