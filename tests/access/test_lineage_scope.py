"""A unit's people read the records of what it was formed from; they act
only on their own unit."""

import pytest

from access.models import Membership
from access.scope import scope_of
from assessments import workflow
from tests import files
from tests.factories import EnrolmentFactory, add_file, member
from tests.wards.test_import_units import CHANGES, NEW, OLD, load
from wards.models import Province, ProvinceChange, Ward

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.fixture
def after_the_merger(tmp_path):
    load(tmp_path, OLD)
    load(tmp_path, NEW, CHANGES)
    an_hung = Ward.objects.get(code="16435")
    old_year = EnrolmentFactory(ward=an_hung, year=2023)
    hac_thanh = Ward.objects.get(code="14797")
    EnrolmentFactory(ward=hac_thanh, year=2026, criteria_set=old_year.criteria_set)
    return an_hung, hac_thanh, old_year


def test_an_officer_reads_the_former_unit_and_acts_only_on_their_own(
    client, after_the_merger
):
    an_hung, hac_thanh, old_year = after_the_merger
    officer = member(Role.OFFICER, ward=hac_thanh)
    scope = scope_of(officer)
    assert scope.ward_ids == {
        hac_thanh.pk,
        *hac_thanh.origins.values_list("predecessor_id", flat=True),
    }
    assert scope.officer_ward_ids == {hac_thanh.pk}
    client.force_login(officer)
    assert client.get("/wards/16435/?year=2023").status_code == 200
    assert client.get("/wards/09552/").status_code == 404  # not a predecessor
    old_criterion = old_year.assessments.get(criterion__number=1)
    assert not workflow.may(officer, workflow.Action.ADD_EVIDENCE, old_criterion)
    response = client.post(
        old_criterion.get_absolute_url() + "upload/",
        {"files": [files.upload("a.pdf", files.pdf())]},
    )
    assert response.status_code == 404
    assert not old_criterion.evidence.exists()


def test_a_leader_of_a_province_reads_its_former_province(client, tmp_path):
    load(tmp_path, OLD)
    old_hanoi = Province.objects.get(code="01")
    phu_la = Ward.objects.get(code="09552")
    enrolment = EnrolmentFactory(ward=phu_la, year=2023)
    officer = member(Role.OFFICER, ward=phu_la)
    add_file(enrolment.assessments.get(criterion__number=1), officer)
    # The province is re-formed on 1 July 2025, as every province was.
    Province.objects.filter(pk=old_hanoi.pk).update(valid_to="2025-06-30")
    new_hanoi = Province.objects.create(
        code="01", name="Hà Nội", valid_from="2025-07-01"
    )
    ProvinceChange.objects.create(
        predecessor=old_hanoi, successor=new_hanoi, effective="2025-07-01"
    )
    leader = member(Role.PROVINCIAL_LEADER, province=new_hanoi)
    assert scope_of(leader).province_ids == {new_hanoi.pk, old_hanoi.pk}
    client.force_login(leader)
    assert client.get("/wards/09552/?year=2023").status_code == 200
    assert client.get("/wards/16435/").status_code == 404  # Thanh Hóa's
