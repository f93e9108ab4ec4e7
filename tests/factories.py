"""Test data builders, in one place."""

import datetime as dt

import factory
from django.utils import timezone

from access.models import Membership
from accounts.models import User
from assessments import tally
from assessments.models import Assessment, Enrolment
from assessments.services import attach_evidence, create_missing_assessments
from criteria.models import CriteriaSet, Criterion, CriterionGroup
from tests import files
from wards.models import Province, Ward


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.invalid")
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-123")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ProvinceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Province

    code = factory.Sequence(lambda n: f"P{n:03d}")
    name = factory.Sequence(lambda n: f"Tỉnh {n}")


class WardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ward

    code = factory.Sequence(lambda n: f"W{n:05d}")
    name = factory.Sequence(lambda n: f"Phường {n}")
    province = factory.SubFactory(ProvinceFactory)


class CriteriaSetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CriteriaSet

    code = factory.Sequence(lambda n: f"set-{n}")
    name = factory.Sequence(lambda n: f"Bộ tiêu chí {n}")
    year = 2021


def make_criteria_set(size: int = 22, groups: int = 2, year_end=()) -> CriteriaSet:
    """A criteria set of `size` criteria spread over `groups` groups."""
    criteria_set = CriteriaSetFactory()
    group_rows = [
        CriterionGroup.objects.create(
            criteria_set=criteria_set, code=chr(65 + i), title=f"Nhóm {i}", position=i
        )
        for i in range(groups)
    ]
    for number in range(1, size + 1):
        Criterion.objects.create(
            criteria_set=criteria_set,
            group=group_rows[(number - 1) * groups // size],
            number=number,
            title=f"Tiêu chí {number}",
            title_en=f"Criterion {number}",
            assessed="year_end" if number in year_end else "anytime",
        )
    return criteria_set


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment
        skip_postgeneration_save = True

    ward = factory.SubFactory(WardFactory)
    year = 2026
    criteria_set = factory.LazyFunction(make_criteria_set)
    track = Enrolment.Track.MINISTRY

    @factory.post_generation
    def assessments(obj, create, extracted, **kwargs):
        if create:
            create_missing_assessments(enrolment=obj)
            obj.refresh_from_db()


def member(
    role: str, *, ward=None, province=None, groups=(), body="", **user_fields
) -> User:
    """A user with one membership (a contributor's names its `body`)."""
    user = UserFactory(**user_fields)
    membership = Membership.objects.create(
        user=user, role=role, ward=ward, province=province, body=body
    )
    if groups:
        membership.criterion_groups.set(groups)
    return user


def add_file(assessment, actor, name="bien-ban.pdf", content=None):
    """Attach one PDF (or `content`) to `assessment` as `actor`."""
    attached = attach_evidence(
        assessment=assessment,
        uploads=[files.upload(name, content or files.pdf(name))],
        description="",
        document_date=None,
        actor=actor,
    )
    assert not attached.refused, attached.refused
    return attached.added[0]


def set_statuses(enrolment, approved=0, submitted=0, returned=0, days_ago=0):
    """Approve the first criteria, submit the next, return the next."""
    ids = list(
        enrolment.assessments.order_by("criterion__number").values_list("pk", flat=True)
    )
    now = timezone.now() - dt.timedelta(days=days_ago)
    Assessment.objects.filter(pk__in=ids[:approved]).update(status="approved")
    tally.recount()
    Assessment.objects.filter(pk__in=ids[approved : approved + submitted]).update(
        status="submitted", submitted_at=now
    )
    tally.recount()
    start = approved + submitted
    Assessment.objects.filter(pk__in=ids[start : start + returned]).update(
        status="returned"
    )
    tally.recount()


def api_token(user, *, days: int = 30) -> str:
    """A new API token of `user`: the secret to send as a Bearer token."""
    from accounts.tokens import issue_token

    return issue_token(user=user, name="tests", days=days).secret


def bearer(token: str) -> dict:
    """Headers that send `token` to the API."""
    return {"Authorization": f"Bearer {token}"}
