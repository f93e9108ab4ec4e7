"""The help page: open to anyone, linked from every page, for each role."""

import re

import pytest
from django.utils import translation

from access.models import Membership
from assessments.models import Assessment
from tests.factories import member

Role = Membership.Role


def section_order(page: str) -> list[str]:
    return re.findall(
        r'<section id="(officer|contributor|reviewer|leader|ministry|national)"', page
    )


def test_signed_out_the_help_page_explains_every_status(client, db):
    page = client.get("/help/")
    assert page.status_code == 200
    assert "<h1>Trợ giúp</h1>" in page.text
    with translation.override("vi"):
        for status, label in Assessment.Status.choices:
            assert f'<span class="badge status-{status}">{label}</span>' in page.text
    assert section_order(page.text) == [
        "officer",
        "contributor",
        "reviewer",
        "leader",
        "ministry",
        "national",
    ]
    assert "vai trò của bạn" not in page.text
    assert 'href="/accounts/password-reset/"' in page.text


def test_in_english_too(client, db):
    client.cookies["django_language"] = "en"
    page = client.get("/help/")
    for _status, label in Assessment.Status.choices:
        assert f">{label}</span>" in page.text
    assert "For provincial reviewers" in page.text


def test_every_page_links_to_it(client, officer):
    assert 'href="/help/">Trợ giúp</a>' in client.get("/accounts/login/").text
    client.force_login(officer)
    assert 'href="/help/">Trợ giúp</a>' in client.get("/", follow=True).text


@pytest.mark.parametrize(
    ("role", "first"),
    [
        (Role.OFFICER, "officer"),
        (Role.CONTRIBUTOR, "contributor"),
        (Role.REVIEWER, "reviewer"),
        (Role.PROVINCIAL_LEADER, "leader"),
        (Role.MINISTRY_REVIEWER, "ministry"),
        (Role.NATIONAL_LEADER, "national"),
    ],
)
def test_your_own_role_comes_first(client, enrolment, role, first):
    scope = {"ward": enrolment.ward} if role == Role.OFFICER else {}
    if role == Role.CONTRIBUTOR:
        scope = {"ward": enrolment.ward, "body": "party_committee"}
    if role in (Role.REVIEWER, Role.PROVINCIAL_LEADER):
        scope = {"province": enrolment.ward.province}
    client.force_login(member(role, **scope))
    page = client.get("/help/").text
    assert section_order(page)[0] == first
    assert page.count("(vai trò của bạn)") == 2  # in the contents and the section


def test_the_support_contact_is_shown(client, db, settings):
    settings.SUPPORT_CONTACT = "Phòng Tham mưu Công an tỉnh Thanh Hóa, 0237 3 852 xxx"
    page = client.get("/help/").text
    assert "Phòng Tham mưu Công an tỉnh Thanh Hóa, 0237 3 852 xxx" in page
    settings.SUPPORT_CONTACT = ""
    page = client.get("/help/").text
    assert "cán bộ thẩm định của Công an tỉnh" in page


def test_it_is_there_before_the_second_factor(client, reviewer):
    client.unverified_login(reviewer)
    assert client.get("/review/").status_code == 302  # the second factor first
    assert client.get("/help/").status_code == 200
