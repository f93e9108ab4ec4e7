from core.numbers import whole_number


def test_only_plain_ascii_digits_within_the_limit_are_numbers():
    assert whole_number("2026") == 2026
    assert whole_number(7) == 7
    for text in ["²", "７", "+7", " 7", "7.0", "", "-1", "1e3"]:
        assert whole_number(text) is None, text
    assert whole_number("9" * 9) == 999_999_999
    assert whole_number("9" * 10) is None
    assert whole_number("9" * 18, 18) == int("9" * 18)
