"""A province's wards come a page at a time, best first; the summary above
them counts every ward."""

import re

import pytest

from access.models import Membership
from dashboards import views
from tests.factories import (
    EnrolmentFactory,
    ProvinceFactory,
    WardFactory,
    member,
    set_statuses,
)


@pytest.fixture
def province(db):
    province = ProvinceFactory(code="38", name="Thanh Hóa")
    for name, approved, submitted in [
        ("An Hưng", 5, 1),
        ("Ba Đình", 20, 2),
        ("Đông Sơn", 12, 0),
        ("Hạc Thành", 22, 0),
        ("Quảng Phú", 12, 3),
    ]:
        enrolment = EnrolmentFactory(ward=WardFactory(province=province, name=name))
        set_statuses(enrolment, approved=approved, submitted=submitted)
    return province


def test_the_wards_come_a_page_at_a_time(client, province, monkeypatch):
    monkeypatch.setattr(views, "WARDS_PER_PAGE", 2)
    client.force_login(member(Membership.Role.PROVINCIAL_LEADER, province=province))
    client.cookies["django_language"] = "en"
    pages = [client.get("/dashboard/38/", {"year": 2026, "page": n}) for n in (1, 2, 3)]
    shown = [[e.ward.name for e in page.context["wards"]] for page in pages]
    # Best first; at the same level, in Vietnamese alphabetical order.
    assert shown == [
        ["Hạc Thành", "Ba Đình"],
        ["Đông Sơn", "Quảng Phú"],
        ["An Hưng"],
    ]
    second = pages[1]
    assert second.context["enrolled"] == 5 and second.context["pending_total"] == 6
    assert "Wards 3–4 of 5" in second.text
    ranks = re.findall(
        r'<td class="num">(\d+)</td>\s*<td><a class="place"', second.text
    )
    assert ranks == ["3", "4"]
    # The heat map shows the same page of wards, the map every ward.
    assert second.text.count('<th scope="row" class="place"') == 2
    assert second.context["map"].enrolled == 5
