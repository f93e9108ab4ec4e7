"""Who may read and act on a ward's criteria: role and scope, page by page."""

from types import SimpleNamespace

import pytest

from access.models import Membership
from assessments import workflow
from assessments.models import Evidence
from tests import files
from tests.factories import (
    EnrolmentFactory,
    ProvinceFactory,
    WardFactory,
    add_file,
    member,
)

Role = Membership.Role


@pytest.fixture(scope="module")
def scene(module_db):
    """Built once: An Hưng (Thanh Hóa) with a file on criterion 1 and criterion
    2 waiting for review, a ward in Hà Nội, and the people around them."""
    province = ProvinceFactory(name="Thanh Hóa", code="38")
    other_province = ProvinceFactory(name="Hà Nội", code="01")
    enrolment = EnrolmentFactory(ward=WardFactory(province=province, name="An Hưng"))
    other = EnrolmentFactory(
        ward=WardFactory(province=other_province, name="Phú La"),
        criteria_set=enrolment.criteria_set,
    )
    people = {
        "officer": member(Role.OFFICER, ward=enrolment.ward),
        "other_officer": member(Role.OFFICER, ward=other.ward),
        "reviewer": member(Role.REVIEWER, province=province),
        "other_reviewer": member(Role.REVIEWER, province=other_province),
        "leader": member(Role.PROVINCIAL_LEADER, province=province),
        "other_leader": member(Role.PROVINCIAL_LEADER, province=other_province),
        "national": member(Role.NATIONAL_LEADER),
    }
    officer = people["officer"]
    working = enrolment.assessments.get(criterion__number=1)
    evidence = add_file(working, officer)
    pending = enrolment.assessments.get(criterion__number=2)
    add_file(pending, officer, name="2.pdf", content=files.pdf("two"))
    workflow.submit(pending, actor=officer)
    return SimpleNamespace(
        enrolment=enrolment,
        people=people,
        working=working,
        pending=pending,
        evidence=evidence,
    )


def page(assessment) -> str:
    return assessment.get_absolute_url()


# Who may read a ward's pages and files: its own officer, its province, the nation.
READERS = {"officer", "reviewer", "leader", "national"}


@pytest.mark.parametrize(
    "who",
    [
        "officer",
        "other_officer",
        "reviewer",
        "other_reviewer",
        "leader",
        "other_leader",
        "national",
    ],
)
def test_reading_pages_and_files_follows_scope(db, client, scene, who):
    enrolment, assessment, evidence = scene.enrolment, scene.working, scene.evidence
    client.force_login(scene.people[who])
    expected = 200 if who in READERS else 404
    urls = [
        f"/wards/{enrolment.ward.code}/",
        page(assessment),
        f"/evidence/{evidence.pk}/",
        f"/evidence/{evidence.pk}/view/",
    ]
    for url in urls:
        assert client.get(url).status_code == expected, url


# (action, who may do it on their own ward)
POSTS = [
    ("upload", "officer"),
    ("submit", "officer"),
    ("withdraw", "officer"),
    ("claim", "reviewer"),
    ("approve", "reviewer"),
    ("return", "reviewer"),
]


@pytest.mark.parametrize(("action", "allowed"), POSTS)
@pytest.mark.parametrize(
    "who",
    ["officer", "other_officer", "reviewer", "other_reviewer", "leader", "national"],
)
def test_actions_follow_role_and_scope(db, client, scene, action, allowed, who):
    people, evidence = scene.people, scene.evidence
    target = scene.pending if allowed == "reviewer" else scene.working
    before = (
        target.__class__.objects.get(pk=target.pk).status,
        Evidence.objects.count(),
    )

    client.force_login(people[who])
    if action == "upload":
        response = client.post(
            page(target) + "upload/",
            {"files": [files.upload("moi.pdf", files.pdf("new"))]},
        )
    elif action == "withdraw":
        response = client.post(f"/evidence/{evidence.pk}/withdraw/")
    else:
        response = client.post(page(target) + f"{action}/", {"reason": "Thiếu dấu"})

    target.refresh_from_db()
    evidence.refresh_from_db()
    after = (target.status, Evidence.objects.count())
    if who == allowed:
        assert response.status_code == 302
        done = {
            "upload": after == (before[0], before[1] + 1),
            "submit": target.status == "submitted",
            "withdraw": evidence.withdrawn_at is not None,
            "claim": target.reviewer_id == people[who].pk,
            "approve": target.status == "approved",
            "return": target.status == "returned",
        }
        assert done[action], f"{who} could not {action}"
    else:
        assert response.status_code == 404
        assert after == before
        assert target.reviewer_id is None
        assert evidence.withdrawn_at is None
