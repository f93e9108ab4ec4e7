"""Pages, filters, ETags and the number of queries of the API's lists."""

import datetime as dt
import gzip
import json

import pytest

from access.models import Membership
from api.pagination import MAX_PAGE_SIZE, PAGE_SIZE
from assessments import workflow
from tests import files
from tests.factories import (
    EnrolmentFactory,
    ProvinceFactory,
    WardFactory,
    add_file,
    api_token,
    bearer,
    make_criteria_set,
    member,
    set_statuses,
)

Role = Membership.Role


@pytest.fixture(scope="module")
def world(module_db):
    """Five enrolments: three in Thanh Hóa (38), two in Hà Nội (01)."""
    thanh_hoa = ProvinceFactory(code="38", name="Thanh Hóa")
    ha_noi = ProvinceFactory(code="01", name="Hà Nội")
    criteria_set = make_criteria_set()
    rows = [
        (thanh_hoa, "38001", 2026, "ministry"),
        (thanh_hoa, "38002", 2026, "province"),
        (thanh_hoa, "38001", 2025, "ministry"),
        (ha_noi, "01001", 2026, "ministry"),
        (ha_noi, "01002", 2025, "province"),
    ]
    wards = {}
    for province, code, year, track in rows:
        if code not in wards:
            wards[code] = WardFactory(code=code, province=province)
        EnrolmentFactory(
            ward=wards[code], year=year, track=track, criteria_set=criteria_set
        )
    national = member(Role.NATIONAL_LEADER)
    return {"token": api_token(national), "national": national, "wards": wards}


def get(client, world, path, **headers):
    return client.get(path, headers=bearer(world["token"]) | headers)


def units(response):
    return [(row["unit_code"], row["year"]) for row in response.json()["items"]]


def test_pages(client, world):
    first = get(client, world, "/api/v1/enrolments?page_size=2")
    body = first.json()
    assert (body["count"], body["page"], body["page_size"]) == (5, 1, 2)
    assert units(first) == [("01001", 2026), ("38001", 2026)]
    second = get(client, world, "/api/v1/enrolments?page_size=2&page=2")
    assert units(second) == [("38002", 2026), ("01002", 2025)]
    third = get(client, world, "/api/v1/enrolments?page_size=2&page=3")
    assert units(third) == [("38001", 2025)]
    past = get(client, world, "/api/v1/enrolments?page_size=2&page=9")
    assert past.status_code == 200
    assert past.json()["items"] == [] and past.json()["count"] == 5


def test_the_default_page_size(client, world):
    body = get(client, world, "/api/v1/units").json()
    assert body["page_size"] == PAGE_SIZE and body["count"] == 4


@pytest.mark.parametrize(
    "query", [f"page_size={MAX_PAGE_SIZE + 1}", "page_size=0", "page=0", "page=x"]
)
def test_a_page_out_of_bounds_is_refused(client, world, query):
    response = get(client, world, f"/api/v1/enrolments?{query}")
    assert response.status_code == 422
    assert response.json()["detail"]


def test_the_largest_page(client, world):
    response = get(client, world, f"/api/v1/enrolments?page_size={MAX_PAGE_SIZE}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("province=38", [("38001", 2026), ("38002", 2026), ("38001", 2025)]),
        ("year=2025", [("01002", 2025), ("38001", 2025)]),
        ("province=01&year=2026", [("01001", 2026)]),
        ("track=province", [("38002", 2026), ("01002", 2025)]),
        ("stage=open&province=01", [("01001", 2026), ("01002", 2025)]),
        ("stage=recognised", []),
        ("province=99", []),
    ],
)
def test_enrolment_filters(client, world, query, expected):
    response = get(client, world, f"/api/v1/enrolments?{query}")
    assert units(response) == expected


@pytest.mark.parametrize(
    "query", ["year=abc", "year=1999", "track=district", "stage=done"]
)
def test_a_filter_that_does_not_validate_is_a_422(client, world, query):
    assert get(client, world, f"/api/v1/enrolments?{query}").status_code == 422


def test_units_by_province(client, world):
    body = get(client, world, "/api/v1/units?province=01").json()
    assert [u["code"] for u in body["items"]] == ["01001", "01002"]


def test_decisions_by_year(client, world):
    assert get(client, world, "/api/v1/decisions?year=2026").json()["count"] == 0


# Conditional GET


def test_a_poller_gets_304_until_something_changes(client, world):
    first = get(client, world, "/api/v1/enrolments")
    etag = first["ETag"]
    assert etag.startswith('"') and len(etag) == 66
    assert first["Cache-Control"] == "private, no-cache"
    assert "Authorization" in first["Vary"]
    again = get(client, world, "/api/v1/enrolments", **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    # Something changes: the answer and its ETag too.
    enrolment = world["wards"]["38001"].enrolments.get(year=2026)
    assessment = enrolment.assessments.get(criterion__number=1)
    officer = member(Role.OFFICER, ward=enrolment.ward)
    add_file(assessment, officer)
    workflow.submit(assessment, actor=officer)
    changed = get(client, world, "/api/v1/enrolments", **{"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_another_etag_gets_the_body(client, world):
    response = get(client, world, "/api/v1/units", **{"If-None-Match": '"other"'})
    assert response.status_code == 200 and response.json()["count"] == 4


def test_a_compressed_answer_keeps_its_etag_usable(client, world):
    """Compressed, the ETag is weak (W/"…"); sent back, it still matches."""
    path = f"/api/v1/units?page_size={MAX_PAGE_SIZE}"
    zipped = get(client, world, path, **{"Accept-Encoding": "gzip"})
    assert zipped["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.content))["count"] == 4
    etag = zipped["ETag"]
    assert etag.startswith('W/"')
    again = get(
        client, world, path, **{"Accept-Encoding": "gzip", "If-None-Match": etag}
    )
    assert again.status_code == 304


def test_errors_carry_no_etag(client, world):
    assert "ETag" not in get(client, world, "/api/v1/units/nothing")
    assert "ETag" not in client.get("/api/v1/units")


# Queries: the same number at 2 rows and at 20.


@pytest.mark.parametrize("rows", [2, 20])
def test_enrolments_take_a_fixed_number_of_queries(
    client, db, django_assert_num_queries, rows
):
    criteria_set = make_criteria_set(size=3)
    province = ProvinceFactory()
    for _ in range(rows):
        EnrolmentFactory(ward=WardFactory(province=province), criteria_set=criteria_set)
    headers = bearer(api_token(member(Role.PROVINCIAL_LEADER, province=province)))
    client.get("/api/v1/enrolments", headers=headers)  # notes "last used"
    # The token and its user, the memberships, the lineage of the province,
    # the count, the page.
    with django_assert_num_queries(5):
        response = client.get("/api/v1/enrolments", headers=headers)
    assert response.json()["count"] == rows


@pytest.mark.parametrize("rows", [2, 20])
def test_units_take_a_fixed_number_of_queries(
    client, db, django_assert_num_queries, rows
):
    province = ProvinceFactory()
    for _ in range(rows):
        WardFactory(province=province)
    headers = bearer(api_token(member(Role.NATIONAL_LEADER)))
    client.get("/api/v1/units", headers=headers)
    # The token and its user, the memberships, the count, the page.
    with django_assert_num_queries(4):
        response = client.get("/api/v1/units", headers=headers)
    assert response.json()["count"] == rows


@pytest.mark.parametrize("rows", [2, 20])
def test_decisions_take_a_fixed_number_of_queries(
    client, db, django_assert_num_queries, rows
):
    criteria_set = make_criteria_set(size=3)
    province = ProvinceFactory()
    leader = member(Role.PROVINCIAL_LEADER, province=province)
    ministry = member(Role.MINISTRY_REVIEWER)
    for number in range(rows):
        enrolment = EnrolmentFactory(
            ward=WardFactory(province=province), criteria_set=criteria_set
        )
        set_statuses(enrolment, approved=3)
        proposal = workflow.propose(enrolment, actor=leader)
        workflow.accept(proposal, actor=ministry)
        workflow.record_decision(
            track="ministry",
            year=enrolment.year,
            text=workflow.DecisionText(f"{number}/QĐ", dt.date(2026, 12, 1), "BT"),
            scan=files.upload("qd.pdf", files.pdf(str(number))),
            proposals=[proposal],
            actor=ministry,
        )
    headers = bearer(api_token(leader))
    client.get("/api/v1/decisions", headers=headers)
    # The token and its user, the memberships, the lineage of the province,
    # the count, the page, the units each decision recognises.
    with django_assert_num_queries(6):
        response = client.get("/api/v1/decisions", headers=headers)
    body = response.json()
    assert body["count"] == rows
    assert all(len(decision["units"]) == 1 for decision in body["items"])
