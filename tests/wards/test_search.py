"""Finding a unit by name, former name or code, within one's scope."""

import pytest

from access.models import Membership
from tests.factories import EnrolmentFactory, member
from tests.wards.test_import_units import CHANGES, NEW, OLD, load
from wards.models import Ward

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def merged(tmp_path):
    load(tmp_path, OLD)
    load(tmp_path, NEW, CHANGES)
    EnrolmentFactory(ward=Ward.objects.get(code="16435"), year=2023)
    EnrolmentFactory(ward=Ward.objects.get(code="14797"), year=2026)


def search(client, query):
    client.cookies["django_language"] = "en"
    return client.get("/wards/search/", {"q": query})


@pytest.mark.parametrize(
    "query", ["An Hưng", "an hung", "AN HƯNG", "Phường An Hưng", "16435"]
)
def test_a_former_unit_is_found_and_says_what_it_became(
    client, national, merged, query
):
    client.force_login(national)
    page = search(client, query).text
    assert "Phường An Hưng" in page
    now = page[page.index("Now part of") :]
    assert "Phường Hạc Thành (14797)" in now and "Phường Đông Quang (16417)" in now
    assert "until 30/06/2025" in page
    assert "/wards/16435/?year=2023" in page  # its 2023 records


def test_a_current_unit_says_what_it_was(client, national, merged):
    client.force_login(national)
    page = search(client, "hac thanh").text
    formerly = page[page.index("Formerly") :]
    for name in ("Phường An Hưng (16435)", "Quảng Thắng (14800)", "Đông Hương (14801)"):
        assert name in formerly


def test_the_unit_page_shows_its_lineage(client, national, merged):
    client.force_login(national)
    client.cookies["django_language"] = "en"
    old = client.get("/wards/16435/?year=2023").text
    assert "Since 01/07/2025 part of" in old and "Phường Hạc Thành (14797)" in old
    new = client.get("/wards/14797/?year=2026").text
    assert "Formed on 01/07/2025 from" in new and "Phường An Hưng (16435)" in new


def test_a_code_finds_both_units_that_carried_it(client, national, merged):
    client.force_login(national)
    page = search(client, "09552").text
    assert page.index("Kiến Hưng") < page.index("Phú La")  # the unit in force first


def test_search_stays_within_scope(client, merged):
    thanh_hoa = Ward.objects.get(code="16435").province
    reviewer = member(Membership.Role.REVIEWER, province=thanh_hoa)
    client.force_login(reviewer)
    assert "Kiến Hưng" not in search(client, "09552").text
    assert "An Hưng" in search(client, "an hung").text
    # Hạc Thành's officer finds what it was formed from, and nothing else.
    officer = member(Membership.Role.OFFICER, ward=Ward.objects.get(code="14797"))
    client.force_login(officer)
    assert "Phường An Hưng" in search(client, "an hung").text
    assert "No unit you can see matches" in search(client, "09552").text


def test_an_empty_or_odd_query_finds_nothing_calmly(client, national, merged):
    client.force_login(national)
    for query in ["", "   ", "x" * 500, "%", "_"]:
        response = search(client, query)
        assert response.status_code == 200
        assert "Phường An Hưng" not in response.text


def test_the_name_itself_comes_first_and_words_must_begin_with_it(
    client, national, merged
):
    from wards.models import Province

    other = Province.objects.get(code="01")
    Ward.objects.create(code="99001", name="Chấn Hưng", province=other)
    Ward.objects.create(code="99002", name="Tân An Hưng", province=other)
    client.force_login(national)
    page = search(client, "an hung").text
    assert "Chấn Hưng" not in page  # "an hung" is inside a word there
    assert page.index("Phường An Hưng") < page.index("Tân An Hưng")
