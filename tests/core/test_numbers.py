from core.numbers import whole_number


def test_only_plain_ascii_digits_within_the_limit_are_numbers():
    assert whole_number("2026") == 2026
    assert whole_number(7) == 7
    for text in ["²", "７", "+7", " 7", "7.0", "", "-1", "1e3"]:
        assert whole_number(text) is None, text
    assert whole_number("9" * 9) == 999_999_999
    assert whole_number("9" * 10) is None
    assert whole_number("9" * 18, 18) == int("9" * 18)


def test_grouped_writes_what_intcomma_writes():
    from decimal import Decimal

    from django.contrib.humanize.templatetags.humanize import intcomma
    from django.utils import translation

    from core.numbers import grouped

    values = [0, 7, 999, 1000, 3321, -13284, 1234567890, True, 12.5, Decimal("1234.5")]
    values += [None, "3321", "abc"]
    for language in ("vi", "en"):
        with translation.override(language):
            for value in values:
                assert grouped(value) == intcomma(value), (language, value)
    with translation.override("vi"):
        assert grouped(13284) == "13.284"
