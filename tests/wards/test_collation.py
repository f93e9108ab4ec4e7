from wards.collation import vi_key


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
