"""A province's dashboard reads the years of the provinces it was formed from."""

import pytest

from access.models import Membership
from tests.factories import EnrolmentFactory, ProvinceFactory, WardFactory, member
from wards.models import ProvinceChange

pytestmark = pytest.mark.django_db


def test_the_dashboard_of_a_code_is_the_province_in_force_with_its_past(client):
    old = ProvinceFactory(code="01", name="Hà Nội", valid_to="2025-06-30")
    new = ProvinceFactory(code="01", name="Hà Nội", valid_from="2025-07-01")
    ProvinceChange.objects.create(
        predecessor=old, successor=new, effective="2025-07-01"
    )
    old_ward = WardFactory(province=old, name="Phú La", valid_to="2025-06-30")
    new_ward = WardFactory(province=new, name="Kiến Hưng", valid_from="2025-07-01")
    EnrolmentFactory(ward=old_ward, year=2023)
    EnrolmentFactory(ward=new_ward, year=2026)
    client.force_login(member(Membership.Role.PROVINCIAL_LEADER, province=new))
    then = client.get("/dashboard/01/?year=2023")
    # 2023's Hà Nội is the province in force then (a code names the province
    # of the year chosen: in 2023 Tuyên Quang, 08, was not yet Hà Giang too).
    assert then.context["province"] == old
    assert [w.ward.name for w in then.context["wards"]] == ["Phú La"]
    now = client.get("/dashboard/01/?year=2026")
    assert now.context["province"] == new
    assert [w.ward.name for w in now.context["wards"]] == ["Kiến Hưng"]
