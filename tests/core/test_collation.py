import pytest

from core.collation import spelling_key, vi_key


def test_vietnamese_dictionary_order():
    names = [
        "Thanh Hóa",
        "Đà Nẵng",
        "Hải Phòng",
        "Hà Nội",
        "Hồ Chí Minh",
        "Điện Biên",
        "Cà Mau",
        "Ô Chợ Dừa",
        "Trúc Bạch",
        "Vĩnh Tuy",
        "Định Công",
        "Ba Đình",
    ]
    assert sorted(names, key=vi_key) == [
        "Ba Đình",
        "Cà Mau",
        "Đà Nẵng",
        "Điện Biên",
        "Định Công",
        "Hà Nội",
        "Hải Phòng",
        "Hồ Chí Minh",
        "Ô Chợ Dừa",
        "Thanh Hóa",
        "Trúc Bạch",
        "Vĩnh Tuy",
    ]


def test_tones_only_break_ties():
    assert sorted(["Má", "Ma", "Mà", "Mạ"], key=vi_key) == ["Ma", "Mà", "Má", "Mạ"]
    assert sorted(["Phường 10", "Phường 2"], key=vi_key)[0] == "Phường 10"


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_ward_list_is_in_vietnamese_order_on_postgresql(client):
    from access.models import Membership
    from tests.factories import (
        EnrolmentFactory,
        ProvinceFactory,
        WardFactory,
        make_criteria_set,
        member,
    )

    criteria_set = make_criteria_set(22)
    province = ProvinceFactory()
    for name in ["Trúc Bạch", "Đống Đa", "Ô Chợ Dừa", "Dịch Vọng"]:
        EnrolmentFactory(
            ward=WardFactory(name=name, province=province), criteria_set=criteria_set
        )
    client.force_login(member(Membership.Role.NATIONAL_LEADER))
    names = [e.ward.name for e in client.get("/wards/").context["page"]]
    assert names.index("Đống Đa") < names.index("Ô Chợ Dừa") < names.index("Trúc Bạch")


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Hoà Bình", "Hòa Bình", True),
        ("Thuỷ Nguyên", "Thủy Nguyên", True),
        ("xã Bắc Sơn", "Xã Bắc Sơn", True),
        ("Hòa Bình", "Hoà Bính", False),
        ("Hòa Bình", "Hóa Bình", False),
        ("Quảng Thắng", "Quảng Thành", False),
    ],
)
def test_spellings_of_one_name_are_one_name(a, b, same):
    assert (spelling_key(a) == spelling_key(b)) is same
