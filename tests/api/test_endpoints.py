"""Every endpoint of the API for every role: what each one reads, and what is
a 404, through the same access layer as the pages."""

import datetime as dt

import pytest

from access.models import Membership
from assessments import workflow
from criteria.models import Criterion
from tests import files
from tests.factories import (
    EnrolmentFactory,
    ProvinceFactory,
    UserFactory,
    WardFactory,
    api_token,
    bearer,
    member,
    set_statuses,
)
from wards.models import UnitChange

Role = Membership.Role
ROLES = ["officer", "contributor", "reviewer", "leader_other", "national", "nobody"]


@pytest.fixture(scope="module")
def world(module_db):
    """Thanh Hóa (38) with Hạc Thành (14797), formed on 1 July 2025 from An
    Hưng (16435), and a recognised ward; Hà Nội (01) with a recognised ward."""
    thanh_hoa = ProvinceFactory(code="38", name="Thanh Hóa")
    ha_noi = ProvinceFactory(code="01", name="Hà Nội")
    an_hung = WardFactory(
        code="16435",
        name="An Hưng",
        province=thanh_hoa,
        valid_to=dt.date(2025, 6, 30),
    )
    hac_thanh = WardFactory(
        code="14797",
        name="Hạc Thành",
        province=thanh_hoa,
        valid_from=dt.date(2025, 7, 1),
    )
    UnitChange.objects.create(
        predecessor=an_hung, successor=hac_thanh, effective=dt.date(2025, 7, 1)
    )
    own = EnrolmentFactory(ward=hac_thanh, year=2026)
    criteria_set = own.criteria_set
    set_statuses(own, approved=3, submitted=2, returned=1)
    EnrolmentFactory(ward=an_hung, year=2024, criteria_set=criteria_set)
    recognised_a = EnrolmentFactory(
        ward=WardFactory(code="16000", province=thanh_hoa),
        criteria_set=criteria_set,
        year=2026,
    )
    recognised_b = EnrolmentFactory(
        ward=WardFactory(code="00001", province=ha_noi),
        criteria_set=criteria_set,
        year=2026,
    )
    Criterion.objects.filter(criteria_set=criteria_set, number=5).update(
        responsible_body="party_committee"
    )
    users = {
        "officer": member(Role.OFFICER, ward=hac_thanh),
        "contributor": member(Role.CONTRIBUTOR, ward=hac_thanh, body="party_committee"),
        "reviewer": member(Role.REVIEWER, province=thanh_hoa),
        "leader": member(Role.PROVINCIAL_LEADER, province=thanh_hoa),
        "leader_other": member(Role.PROVINCIAL_LEADER, province=ha_noi),
        "national": member(Role.NATIONAL_LEADER),
        "nobody": UserFactory(),
    }
    ministry = member(Role.MINISTRY_REVIEWER)
    decisions = {}
    for enrolment, leader, number in (
        (recognised_a, users["leader"], "1/QĐ-BCA"),
        (recognised_b, users["leader_other"], "2/QĐ-BCA"),
    ):
        set_statuses(enrolment, approved=22)
        proposal = workflow.propose(enrolment, actor=leader)
        workflow.accept(proposal, actor=ministry)
        decisions[number] = workflow.record_decision(
            track="ministry",
            year=2026,
            text=workflow.DecisionText(number, dt.date(2026, 12, 28), "Bộ trưởng"),
            scan=files.upload("qd.pdf", files.pdf(number)),
            proposals=[proposal],
            actor=ministry,
        )
    tokens = {role: api_token(user) for role, user in users.items()}
    return {
        "users": users,
        "tokens": tokens,
        "set": criteria_set.code,
        "decisions": decisions,
    }


def get(client, world, role, path, **headers):
    if role in world["tokens"]:
        headers |= bearer(world["tokens"][role])
    return client.get(path, headers=headers)


def codes(response, key="code"):
    return [item[key] for item in response.json()["items"]]


# Lists: what each role reads.
LISTS = {
    "/api/v1/provinces": (
        "code",
        {
            "officer": [],
            "contributor": [],
            "reviewer": ["38"],
            "leader_other": ["01"],
            "national": ["01", "38"],
            "nobody": [],
        },
    ),
    "/api/v1/units": (
        "code",
        {
            "officer": ["14797", "16435"],
            "contributor": [],
            "reviewer": ["14797", "16000", "16435"],
            "leader_other": ["00001"],
            "national": ["00001", "14797", "16000", "16435"],
            "nobody": [],
        },
    ),
    "/api/v1/enrolments": (
        "unit_code",
        {
            "officer": ["14797", "16435"],
            "contributor": [],
            "reviewer": ["14797", "16000", "16435"],
            "leader_other": ["00001"],
            "national": ["00001", "14797", "16000", "16435"],
            "nobody": [],
        },
    ),
    "/api/v1/decisions": (
        "number",
        {
            "officer": [],
            "contributor": [],
            "reviewer": ["1/QĐ-BCA"],
            "leader_other": ["2/QĐ-BCA"],
            "national": ["1/QĐ-BCA", "2/QĐ-BCA"],
            "nobody": [],
        },
    ),
}
LIST_CASES = [(path, role) for path in LISTS for role in ROLES]


@pytest.mark.parametrize(("path", "role"), LIST_CASES)
def test_lists_hold_what_the_role_sees(client, world, path, role):
    key, expected = LISTS[path]
    response = get(client, world, role, path)
    assert response.status_code == 200
    assert sorted(codes(response, key)) == expected[role]
    assert response.json()["count"] == len(expected[role])


def test_criteria_sets_are_those_of_the_enrolments_seen(client, world):
    for role in ROLES:
        response = get(client, world, role, "/api/v1/criteria-sets")
        seen = [] if role in ("contributor", "nobody") else [world["set"]]
        assert codes(response) == seen, role
        if seen:
            assert response.json()["items"][0]["size"] == 22


# One object: 200 for whom it is in scope, 404 for everyone else.
READERS = {"officer", "reviewer", "national"}
DETAILS = {
    "/api/v1/provinces/38": {"reviewer", "national"},
    "/api/v1/units/14797": READERS,
    "/api/v1/units/16435": READERS,
    "/api/v1/units/14797/assessments?year=2026": READERS | {"contributor"},
    "/api/v1/criteria-sets/{set}": READERS | {"leader_other"},
    # Unknown things are 404 for everyone.
    "/api/v1/units/99999": set(),
    "/api/v1/provinces/99": set(),
    "/api/v1/criteria-sets/unknown": set(),
    "/api/v1/units/14797/assessments?year=2025": set(),
}
DETAIL_CASES = [(path, role) for path in DETAILS for role in ROLES]


@pytest.mark.parametrize(("path", "role"), DETAIL_CASES)
def test_one_object_is_a_404_out_of_scope(client, world, path, role):
    response = get(client, world, role, path.format(set=world["set"]))
    assert response.status_code == (200 if role in DETAILS[path] else 404)
    if response.status_code == 404:
        assert set(response.json()) == {"detail"}


@pytest.mark.parametrize(
    "path", [*LISTS, *(p.format(set="x") for p in DETAILS)], ids=str
)
def test_without_a_token_it_is_a_401(client, world, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_session_does_not_open_the_api(client, world):
    """Signed in to the site, with no token: still 401 (no CSRF to consider)."""
    client.force_login(world["users"]["national"])
    assert client.get("/api/v1/enrolments").status_code == 401
    assert client.get("/wards/").status_code == 200  # the session itself works


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_api_is_read_only(client, world, method):
    headers = bearer(world["tokens"]["national"])
    for path in ("/api/v1/enrolments", "/api/v1/units/14797"):
        response = getattr(client, method)(path, headers=headers)
        assert response.status_code == 405, (method, path)


def test_a_unit_with_its_lineage(client, world):
    unit = get(client, world, "officer", "/api/v1/units/14797").json()
    assert unit["name"] == "Hạc Thành"
    assert unit["province_code"] == "38"
    assert unit["valid_from"] == "2025-07-01"
    assert [p["code"] for p in unit["predecessors"]] == ["16435"]
    assert unit["predecessors"][0]["effective"] == "2025-07-01"
    assert unit["successors"] == []
    former = get(client, world, "officer", "/api/v1/units/16435").json()
    assert [s["code"] for s in former["successors"]] == ["14797"]
    assert former["valid_to"] == "2025-06-30"


def test_a_criteria_set_with_its_groups(client, world):
    found = get(client, world, "reviewer", f"/api/v1/criteria-sets/{world['set']}")
    body = found.json()
    assert body["size"] == 22
    assert [g["code"] for g in body["groups"]] == ["A", "B"]
    numbers = [c["number"] for g in body["groups"] for c in g["criteria"]]
    assert numbers == list(range(1, 23))


def test_enrolments_carry_their_stored_progress(client, world):
    response = get(client, world, "officer", "/api/v1/enrolments?year=2026")
    (row,) = response.json()["items"]
    assert row == {
        "unit_code": "14797",
        "unit_name": "Hạc Thành",
        "province_code": "38",
        "year": 2026,
        "track": "ministry",
        "stage": "open",
        "criteria_set": world["set"],
        "approved_criteria": 3,
        "submitted_criteria": 2,
        "returned_criteria": 1,
        "set_size": 22,
    }


def test_a_units_assessments(client, world):
    path = "/api/v1/units/14797/assessments"
    body = get(client, world, "officer", path).json()  # the latest year
    assert (body["unit_code"], body["year"]) == ("14797", 2026)
    statuses = [a["status"] for a in body["assessments"]]
    assert statuses[:6] == ["approved"] * 3 + ["submitted"] * 2 + ["returned"]
    assert body["assessments"][0]["number"] == 1
    assert body["assessments"][0]["title_en"] == "Criterion 1"
    assert body["assessments"][0]["updated_at"]
    approved = get(client, world, "officer", f"{path}?status=approved").json()
    assert [a["number"] for a in approved["assessments"]] == [1, 2, 3]
    # The Party committee reads its own criterion only.
    mine = get(client, world, "contributor", path).json()
    assert [a["number"] for a in mine["assessments"]] == [5]
    # The former unit's year, read by the people of the unit that took it.
    former = get(client, world, "officer", "/api/v1/units/16435/assessments")
    assert former.json()["year"] == 2024


def test_decisions_name_the_units_seen(client, world):
    body = get(client, world, "national", "/api/v1/decisions?province=01").json()
    (decision,) = body["items"]
    assert decision["number"] == "2/QĐ-BCA"
    assert decision["units"] == [
        {"code": "00001", "name": decision["units"][0]["name"], "province_code": "01"}
    ]
    assert decision["in_force"] is True
    assert decision["track"] == "ministry"
    assert decision["province_code"] is None
    assert decision["date"] == "2026-12-28"


def test_a_province_by_code(client, world):
    body = get(client, world, "reviewer", "/api/v1/provinces/38").json()
    assert body == {
        "code": "38",
        "name": "Thanh Hóa",
        "valid_from": None,
        "valid_to": None,
    }


def test_a_token_reads_with_the_memberships_of_the_moment(client, world):
    """A user who loses their role loses the data, with the same token."""
    officer = world["users"]["officer"]
    assert codes(get(client, world, "officer", "/api/v1/enrolments"), "unit_code")
    Membership.objects.filter(user=officer).delete()
    after = get(client, world, "officer", "/api/v1/enrolments")
    assert after.status_code == 200
    assert after.json()["items"] == []
    assert get(client, world, "officer", "/api/v1/units/14797").status_code == 404


def test_the_second_factor_asks_nothing_of_a_token(client, world):
    """A reviewer's session that has not passed the second factor is sent to
    it on the pages; the API reads no session and answers the token."""
    client.unverified_login(world["users"]["reviewer"])
    assert client.get("/wards/").status_code == 302
    response = get(client, world, "reviewer", "/api/v1/enrolments")
    assert response.status_code == 200


def test_the_root_is_not_an_endpoint(client, world):
    assert get(client, world, "national", "/api/v1/").status_code == 404
