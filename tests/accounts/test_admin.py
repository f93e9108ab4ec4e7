"""The admin speaks Vietnamese, lists in Vietnamese order and says who people are."""

import re

import pytest
from django.core.management import call_command

from access.models import Membership
from tests.factories import ProvinceFactory, UserFactory, WardFactory, member

Role = Membership.Role


def texts(html: str) -> str:
    """The words a person reads (and hears): text, titles and labels."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    labels = re.findall(r'(?:aria-label|title|placeholder)="([^"]*)"', html)
    return " ".join([re.sub(r"<[^>]+>", " ", html), *labels])


@pytest.mark.django_db
def test_the_admin_index_is_in_vietnamese(admin_client):
    page = texts(admin_client.get("/admin/").text)
    for english in [
        "Access attempts",
        "TOTP devices",
        "Static devices",
        "Toggle theme",
        "Otp_Totp",
        "Axes",
        "Tasks Database Backend",
        "Model name",
        "Skip to main content",
    ]:
        assert english not in page, english
    for vietnamese in [
        "Quản trị hệ thống",
        "Theo dõi đăng nhập",
        "Lượt đăng nhập sai",
        "Ứng dụng xác thực",
        "Mã dự phòng",
        "Tác vụ chạy nền",
        "Nhật ký thay đổi",
        "Đổi giao diện sáng, tối",
    ]:
        assert vietnamese in page, vietnamese
    # Django's own catalogue says "Thêm vào" ("add into") and, for the change
    # log, "Mục đăng nhập" ("login entries").
    assert "Thêm vào" not in page and "Mục đăng nhập" not in page
    assert ">Thêm<" in admin_client.get("/admin/").text


@pytest.mark.django_db
def test_a_changelist_and_its_script_are_in_vietnamese(admin_client):
    ProvinceFactory()
    page = texts(admin_client.get("/admin/wards/province/").text)
    for english in ["Show counts", "Run", "Select all objects", "Search"]:
        assert english not in page, english
    assert "Thực hiện" in page and "Đã chọn 0 trên 1" in page
    page = texts(admin_client.get("/admin/otp_totp/totpdevice/").text)
    assert "Search by user" not in page and "Hiện số lượng" in page
    script = admin_client.get("/admin/jsi18n/").content.decode()
    assert "Ch\\u1ecdn t\\u1ea5t c\\u1ea3" in script or "Chọn tất cả" in script


@pytest.mark.django_db
def test_provinces_and_wards_are_listed_in_vietnamese_order(admin_client):
    names = ["Thanh Hóa", "Đà Nẵng", "Hà Nội", "Điện Biên", "Cao Bằng"]
    provinces = [ProvinceFactory(name=name) for name in names]
    for name in ["Trúc Bạch", "Ô Chợ Dừa", "Đống Đa", "Dịch Vọng", "Phúc Xá"]:
        WardFactory(name=name, province=provinces[2])

    page = admin_client.get("/admin/wards/province/").text
    listed = re.findall(r'class="field-name">.*?>([^<]+)</a>', page)
    assert listed == ["Cao Bằng", "Đà Nẵng", "Điện Biên", "Hà Nội", "Thanh Hóa"]

    page = admin_client.get("/admin/wards/ward/").text
    listed = re.findall(r'class="field-name">.*?>([^<]+)</a>', page)
    assert listed == ["Dịch Vọng", "Đống Đa", "Ô Chợ Dừa", "Phúc Xá", "Trúc Bạch"]
    # The province filter too.
    filter_names = re.findall(r"province__id__exact=\d+[^>]*>([^<]+)</a>", page)
    assert filter_names == ["Cao Bằng", "Đà Nẵng", "Điện Biên", "Hà Nội", "Thanh Hóa"]


@pytest.fixture
def staff(province, enrolment):
    """An officer, a reviewer and a national leader with Vietnamese names."""
    return [
        member(
            Role.OFFICER,
            ward=enrolment.ward,
            username="can-bo",
            last_name="Nguyễn Văn",
            first_name="An",
        ),
        member(
            Role.REVIEWER,
            province=province,
            username="tham-dinh",
            last_name="Lê Thị",
            first_name="Lan",
        ),
        member(
            Role.NATIONAL_LEADER,
            username="lanh-dao",
            last_name="Đỗ",
            first_name="Bình",
        ),
    ]


@pytest.mark.django_db
def test_the_user_list_says_who_each_user_is(admin_client, staff):
    page = admin_client.get("/admin/accounts/user/").text
    headers = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', page)
    assert headers == [
        "username",
        "full_name",
        "roles",
        "unit",
        "is_active",
        "last_login",
    ]
    words = texts(page)
    for header in ["Họ và tên", "Vai trò", "Đơn vị", "Lần đăng nhập cuối"]:
        assert header in words, header
    assert re.search(
        r"Nguyễn Văn An.*?Cán bộ Công an phường.*?Công an phường An Hưng", page, re.S
    )
    assert re.search(
        r"Lê Thị Lan.*?Cán bộ thẩm định cấp tỉnh.*?Công an tỉnh Thanh Hóa", page, re.S
    )
    # Listed by given name, as Vietnamese lists are: An, Bình, Lan.
    names = re.findall(r'class="field-full_name">([^<]+)<', page)
    assert names[-3:] == ["Nguyễn Văn An", "Đỗ Bình", "Lê Thị Lan"]


@pytest.mark.django_db
def test_users_are_found_by_name(admin_client, staff):
    for query, found in [
        ("Nguyễn Văn", "can-bo"),
        ("Lê Thị Lan", "tham-dinh"),
        ("bình", "lanh-dao"),
    ]:
        page = admin_client.get("/admin/accounts/user/", {"q": query}).text
        listed = re.findall(r'class="field-username"><a [^>]*>([^<]+)<', page)
        assert listed == [found], query


@pytest.mark.django_db
def test_the_user_list_costs_the_same_at_2_and_20_users(
    admin_client, province, django_assert_num_queries
):
    def queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get("/admin/accounts/user/").status_code == 200
        return len(captured)

    member(Role.REVIEWER, province=province)
    few = queries()
    for _ in range(18):
        member(Role.REVIEWER, province=province)
    UserFactory()
    assert queries() == few


@pytest.mark.django_db
def test_naming_the_apps_changes_no_migration():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_the_user_form_asks_for_the_family_name_first(admin_client, staff):
    page = admin_client.get(f"/admin/accounts/user/{staff[0].pk}/change/").text
    assert page.index('name="last_name"') < page.index('name="first_name"')
    assert "Họ và tên đệm" in page
    assert admin_client.get("/admin/accounts/user/add/").status_code == 200
