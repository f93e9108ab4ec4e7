"""The same file in several wards' dossiers: flagged to those above the ward
(a copied dossier), with the wards it is in, unless a reviewer of the
province allowed it as a province-wide document."""

import pytest
from django.db.models.query import QuerySet

from access.models import Membership
from access.scope import scope_of
from assessments import carryover, reuse, workflow
from assessments.models import Evidence, ReuseAllowed
from tests import files
from tests.factories import (
    EnrolmentFactory,
    ProvinceFactory,
    WardFactory,
    add_file,
    make_criteria_set,
    member,
    set_statuses,
)

Role = Membership.Role
pytestmark = pytest.mark.usefixtures("english")

FLAG = "same file in other wards"
ALLOWED = "allowed in several wards"
ALLOW_FORM = "Allow in several wards (a province-wide document)"


@pytest.fixture(autouse=True)
def _pages_in_english(client):
    client.cookies["django_language"] = "en"


@pytest.fixture(scope="module")
def world(module_db):
    """Built once. In 2026, on one criteria set (group A: criteria 1-11):

    - criterion 1: the same plan in An and Bình (Thanh Hóa) and Cầu (Hà Nội);
    - criterion 2: An's file of 2025, carried over into An's 2026 and into
      Đông's (a new unit keeping An's 2025 title);
    - criterion 3: the same file in An and Bình, withdrawn from Bình;
    - criterion 4: a file of An's, uploaded in 2025 and again in 2026;
    - criterion 5: a file of An's alone.
    """
    thanh_hoa = ProvinceFactory(code="38", name="Thanh Hóa")
    ha_noi = ProvinceFactory(code="01", name="Hà Nội")
    criteria_set = make_criteria_set(22)
    group_a, group_b = criteria_set.groups.order_by("position")

    def enrol(name, province, year=2026, **fields):
        ward = fields.pop("ward", None) or WardFactory(province=province, name=name)
        return EnrolmentFactory(
            ward=ward, criteria_set=criteria_set, year=year, **fields
        )

    an, binh = enrol("Phường An", thanh_hoa), enrol("Phường Bình", thanh_hoa)
    cau = enrol("Phường Cầu", ha_noi)
    an_2025 = enrol("", thanh_hoa, year=2025, ward=an.ward)
    dong = enrol("Phường Đông", thanh_hoa, keeps_title_of=an_2025)
    officers = {
        e.ward.name: member(Role.OFFICER, ward=e.ward) for e in (an, binh, cau, dong)
    }
    officer = officers["Phường An"]

    def crit(enrolment, number):
        return enrolment.assessments.get(criterion__number=number)

    plan = files.pdf("ke-hoach-tinh")
    items = {
        e.ward.name: add_file(crit(e, 1), officers[e.ward.name], "kh.pdf", plan)
        for e in (an, binh, cau)
    }
    add_file(crit(an_2025, 2), officer, "cu.pdf", files.pdf("2025"))
    add_file(crit(an_2025, 4), officer, "lai.pdf", files.pdf("lai"))
    set_statuses(an_2025, approved=4)
    carried = carryover.carry_over(crit(an, 2), actor=officer)[0]
    carryover.carry_over(crit(dong, 2), actor=officers["Phường Đông"])
    withdrawn = files.pdf("rut")
    kept = add_file(crit(an, 3), officer, "r.pdf", withdrawn)
    gone = add_file(crit(binh, 3), officers["Phường Bình"], "r.pdf", withdrawn)
    workflow.withdraw_evidence(gone, actor=officers["Phường Bình"])
    again = add_file(crit(an, 4), officer, "lai.pdf", files.pdf("lai"))
    alone = add_file(crit(an, 5), officer, "rieng.pdf", files.pdf("rieng"))
    return {
        "an": an,
        "items": items,
        "carried": carried,
        "kept": kept,
        "gone": gone,
        "again": again,
        "alone": alone,
        "officer": officer,
        "reviewer": member(Role.REVIEWER, province=thanh_hoa),
        "colleague": member(Role.REVIEWER, province=thanh_hoa),
        "reviewer_b": member(Role.REVIEWER, province=thanh_hoa, groups=[group_b]),
        "reviewer_a": member(Role.REVIEWER, province=thanh_hoa, groups=[group_a]),
        "reviewer_hn": member(Role.REVIEWER, province=ha_noi),
        "leader": member(Role.PROVINCIAL_LEADER, province=thanh_hoa),
        "national": member(Role.NATIONAL_LEADER),
    }


def loaded(item):
    return Evidence.objects.select_related(
        "assessment__enrolment__ward", "assessment__criterion"
    ).get(pk=item.pk)


def found(world, name, viewer):
    item = loaded(world["items"][name])
    return reuse.reuse_of([item], world[viewer]).get(item.pk)


def page(client, user, item):
    client.force_login(user)
    response = client.get(loaded(item).assessment.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def allow(client, user, item, note=""):
    client.force_login(user)
    return client.post(f"/evidence/{item.pk}/allow-reuse/", {"note": note})


def test_the_same_file_in_two_wards_is_flagged_both_ways(client, world):
    an = found(world, "Phường An", "national")
    assert an.flagged
    assert [(w.name, w.year) for w in an.wards] == [
        ("Phường Bình", 2026),
        ("Phường Cầu", 2026),
    ]
    assert an.unnamed == 0
    binh = found(world, "Phường Bình", "national")
    assert [w.name for w in binh.wards] == ["Phường An", "Phường Cầu"]
    text = page(client, world["national"], world["items"]["Phường Bình"])
    assert FLAG in text
    assert "Also in:" in text
    url = world["an"].criterion_url(1)
    assert f'<a href="{url}">Phường An (2026)</a>' in text


def test_a_ward_outside_the_scope_is_counted_not_named(client, world):
    seen = found(world, "Phường An", "reviewer")
    assert [w.name for w in seen.wards] == ["Phường Bình"]
    assert seen.unnamed == 1
    text = page(client, world["reviewer"], world["items"]["Phường An"])
    assert "Phường Bình (2026)</a> and 1 other ward." in text
    assert "Phường Cầu" not in text


def test_only_other_wards_count(client, world):
    """Carried over from last year (also into a unit keeping the title),
    uploaded again by the same ward, or alone: no flag."""
    items = [loaded(world[key]) for key in ("carried", "again", "alone")]
    assert reuse.reuse_of(items, world["national"]) == {}
    assert FLAG not in page(client, world["national"], world["carried"])
    assert FLAG not in page(client, world["national"], world["again"])


def test_withdrawn_evidence_elsewhere_is_not_reuse(client, world):
    assert reuse.reuse_of([loaded(world["kept"])], world["national"]) == {}
    assert FLAG not in page(client, world["national"], world["kept"])


def test_the_wards_officers_are_not_told(client, world):
    assert found(world, "Phường An", "officer") is None
    text = page(client, world["officer"], world["items"]["Phường An"])
    assert FLAG not in text
    assert "Phường Bình" not in text


def test_leaders_read_the_flag_without_the_form(client, world):
    text = page(client, world["leader"], world["items"]["Phường An"])
    assert FLAG in text
    assert ALLOW_FORM not in text
    text = page(client, world["reviewer"], world["items"]["Phường An"])
    assert ALLOW_FORM in text


def test_an_allowed_file_is_no_longer_flagged_in_that_province_only(client, world):
    item = world["items"]["Phường An"]
    response = allow(client, world["reviewer"], item, note="Kế hoạch của tỉnh")
    assert response.status_code == 302
    allowed = ReuseAllowed.objects.get()
    assert (allowed.province_id, allowed.sha256, allowed.note) == (
        item.assessment.enrolment.ward.province_id,
        item.sha256,
        "Kế hoạch của tỉnh",
    )
    assert allowed.allowed_by == world["reviewer"]
    for name in ("Phường An", "Phường Bình"):  # Thanh Hóa
        shown = found(world, name, "national")
        assert not shown.flagged and shown.allowed == allowed
        text = page(client, world["national"], world["items"][name])
        assert FLAG not in text and ALLOWED in text
        assert "Kế hoạch của tỉnh" in text
    assert found(world, "Phường Cầu", "national").flagged  # Hà Nội
    assert FLAG in page(client, world["national"], world["items"]["Phường Cầu"])

    # Again, or by a colleague at the same moment: the same allowance.
    response = allow(client, world["colleague"], item, note="khác")
    assert ReuseAllowed.objects.get() == allowed
    assert ReuseAllowed.objects.get().note == "Kế hoạch của tỉnh"
    again = client.get(response["Location"]).content.decode()
    assert "was already allowed by" in again


def test_who_may_allow_a_file(client, world):
    item = world["items"]["Phường An"]
    # Not a reviewer of the whole province: the allowance would lift the flag
    # from every group's criteria, so a reviewer of some groups may not, even
    # of the criterion's own (group A).
    for who in (
        "reviewer_a",
        "reviewer_b",
        "reviewer_hn",
        "leader",
        "officer",
        "national",
    ):
        assert allow(client, world[who], item).status_code == 404, who
    assert not ReuseAllowed.objects.exists()
    assert ALLOW_FORM not in page(client, world["reviewer_b"], item)
    # Withdrawn, or in no other ward's dossier: nothing to allow.
    assert allow(client, world["reviewer"], world["gone"]).status_code == 404
    response = allow(client, world["reviewer"], world["alone"])
    assert response.status_code == 302
    assert "is in no other ward" in (client.get(response["Location"]).content.decode())
    assert not ReuseAllowed.objects.exists()
    # A reviewer of the whole province may.
    assert allow(client, world["reviewer"], item).status_code == 302
    assert ReuseAllowed.objects.get().allowed_by == world["reviewer"]


def test_the_allowance_is_taken_once_when_two_allow_at_once(world, monkeypatch):
    """The second of two at once finds the first's row when it inserts."""
    item = loaded(world["items"]["Phường An"])
    first, created = reuse.allow(item, actor=world["reviewer"], note="một")
    assert created
    real_get = QuerySet.get
    calls = []

    def missed_once(self, *args, **kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise ReuseAllowed.DoesNotExist
        return real_get(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "get", missed_once)
    second, created = reuse.allow(item, actor=world["colleague"], note="hai")
    assert (second, created) == (first, False)
    assert ReuseAllowed.objects.count() == 1


def test_the_queue_flags_items_with_a_file_in_other_wards(client, world):
    officer = world["officer"]
    for number in (1, 5):
        workflow.submit(
            world["an"].assessments.get(criterion__number=number), actor=officer
        )
    client.force_login(world["reviewer"])
    rows = {
        item.criterion.number: item.reused
        for item in client.get("/review/").context["page"]
    }
    assert rows == {1: True, 5: False}
    assert "a file also in other wards" in client.get("/review/").content.decode()

    reuse.allow(loaded(world["items"]["Phường An"]), actor=world["reviewer"])
    rows = {
        item.criterion.number: item.reused
        for item in client.get("/review/").context["page"]
    }
    assert rows == {1: False, 5: False}


def test_the_flags_cost_a_fixed_number_of_queries(world, django_assert_num_queries):
    """The other wards' rows, then the allowances, then the units of who
    allowed: as many queries for three items as for one."""
    items = [loaded(world["items"][name]) for name in world["items"]]
    scope_of(world["national"])  # read once per request, before
    with django_assert_num_queries(2):
        assert len(reuse.reuse_of(items, world["national"])) == 3
    reuse.allow(items[0], actor=world["reviewer"])
    with django_assert_num_queries(3):
        shown = reuse.reuse_of(items, world["national"])
    assert [r.flagged for r in shown.values()] == [False, False, True]
