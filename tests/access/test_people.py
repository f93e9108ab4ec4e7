"""People are named with their full name and police unit, on every page."""

import pytest
from django.core import mail
from django.utils import translation

from access import people
from access.models import Membership
from assessments import workflow
from tests.factories import UserFactory, WardFactory, add_file, member

Role = Membership.Role

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def lan(province):
    return member(
        Role.REVIEWER, province=province, last_name="Lê Thị", first_name="Lan"
    )


@pytest.fixture
def an(enrolment):
    return member(
        Role.OFFICER, ward=enrolment.ward, last_name="Nguyễn Văn", first_name="An"
    )


def test_the_full_name_puts_the_family_name_first(db):
    assert UserFactory(last_name="Nguyễn Văn", first_name="An").get_full_name() == (
        "Nguyễn Văn An"
    )
    assert UserFactory(last_name="", first_name="An").get_full_name() == "An"


def test_each_role_belongs_to_its_unit(an, lan, other_province, db):
    city_leader = member(Role.PROVINCIAL_LEADER, province=other_province)
    national = member(Role.NATIONAL_LEADER, username="lanh-dao")
    commune = WardFactory(name="Tân Lập", kind="xa", province=other_province)
    with translation.override("vi"):
        assert people.person(an) == "Nguyễn Văn An (Công an phường An Hưng)"
        assert people.person(lan) == "Lê Thị Lan (Công an tỉnh Thanh Hóa)"
        assert people.unit_of(city_leader) == "Công an thành phố Hà Nội"
        assert people.person(national) == "lanh-dao (Bộ Công an)"
        assert people.ward_police(commune) == "Công an xã Tân Lập"
        assert people.ward_police_head(commune) == "Trưởng Công an xã"
    with translation.override("en"):
        assert people.person(an) == "Nguyễn Văn An (An Hưng Ward Police)"
        assert people.unit_of(lan) == "Thanh Hóa Provincial Police"


def test_a_contributor_belongs_to_its_body(enrolment, db):
    party = member(
        Role.CONTRIBUTOR,
        ward=enrolment.ward,
        body="party_committee",
        last_name="Trần Văn",
        first_name="Bình",
    )
    commune = WardFactory(name="Tân Lập", kind="xa", province=enrolment.ward.province)
    with translation.override("vi"):
        assert people.person(party) == "Trần Văn Bình (Đảng ủy phường An Hưng)"
        assert people.ward_body(commune, "peoples_committee") == (
            "Ủy ban nhân dân xã Tân Lập"
        )
    with translation.override("en"):
        assert people.unit_of(party) == "An Hưng Ward Party Committee"


def test_someone_without_a_membership_is_named_alone(db):
    assert people.person(UserFactory(username="khach")) == "khach"
    assert people.person(None) == ""


def test_several_memberships_name_every_unit(lan, other_province, province):
    Membership.objects.create(user=lan, role=Role.REVIEWER, province=other_province)
    with translation.override("vi"):
        assert people.unit_of(lan) == (
            "Công an thành phố Hà Nội, Công an tỉnh Thanh Hóa"
        )


def test_prefetched_memberships_cost_no_query(an, lan, django_assert_num_queries, db):
    from accounts.models import User

    with django_assert_num_queries(2):
        users = list(
            User.objects.filter(pk__in=[an.pk, lan.pk]).prefetch_related(
                people.with_units("")
            )
        )
    with django_assert_num_queries(0):
        assert all(people.unit_of(user) for user in users)
    fresh = [User.objects.get(pk=an.pk), User.objects.get(pk=lan.pk)]
    with django_assert_num_queries(1):
        people.load_units([*fresh, None])
        assert all(people.unit_of(user) for user in fresh)


def test_pages_name_people_with_their_unit(client, enrolment, an, lan, national):
    assessment = enrolment.assessments.get(criterion__number=1)
    add_file(assessment, an, "bien-ban.pdf")
    workflow.submit(assessment, actor=an)
    workflow.claim(assessment, actor=lan)
    officer_named = "Nguyễn Văn An (Công an phường An Hưng)"
    reviewer_named = "Lê Thị Lan (Công an tỉnh Thanh Hóa)"

    client.force_login(lan)
    queue = client.get("/review/").text
    assert reviewer_named in queue  # who claimed it
    criterion = client.get(assessment.get_absolute_url()).text
    assert officer_named in criterion  # who added the file, and the history
    assert reviewer_named in criterion  # who claimed it

    workflow.return_for_rework(assessment, actor=lan, reason="Thiếu chữ ký")
    client.force_login(an)
    ward_page = client.get(f"/wards/{enrolment.ward.code}/").text
    assert reviewer_named in ward_page  # recent events and the ward's history
    criterion = client.get(assessment.get_absolute_url()).text
    assert reviewer_named in criterion  # "returned by"
    client.force_login(national)
    assert reviewer_named in client.get(f"/wards/{enrolment.ward.code}/dossier/").text


def test_the_mail_names_the_reviewer_with_their_unit(
    enrolment, an, lan, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    assessment = enrolment.assessments.get(criterion__number=1)
    add_file(assessment, an, "bien-ban.pdf")
    workflow.submit(assessment, actor=an)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.return_for_rework(assessment, actor=lan, reason="Thiếu chữ ký")
    (message,) = mail.outbox
    assert "Lê Thị Lan (Công an tỉnh Thanh Hóa)" in message.body


@pytest.mark.parametrize(
    ("kind", "name", "police", "head"),
    [
        (
            "thi_tran",
            "Đoan Hùng",
            "Công an thị trấn Đoan Hùng",
            "Trưởng Công an thị trấn",
        ),
        ("phuong", "Phường 1", "Công an phường 1", "Trưởng Công an phường"),
        ("xa", "Tân Lập", "Công an xã Tân Lập", "Trưởng Công an xã"),
    ],
)
def test_each_kind_of_unit_has_its_police(db, kind, name, police, head):
    from django.utils import translation

    from access.people import ward_police, ward_police_head
    from tests.factories import WardFactory

    ward = WardFactory(kind=kind, name=name)
    with translation.override("vi"):
        assert (ward_police(ward), ward_police_head(ward)) == (police, head)
