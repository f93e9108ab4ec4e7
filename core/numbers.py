"""Whole numbers as people and forms send them."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.formats import get_format


def whole_number(value: object, digits: int = 9) -> int | None:
    """`value` if it is one to `digits` ASCII digits, as an int; else None.

    "²" and "７" pass `str.isdigit()` but are no numbers here, nor are "+7",
    " 7" or "7.0"; a limit on the digits keeps a value within what Python
    converts and a database column holds.
    """
    text = str(value)
    return int(text) if re.fullmatch(rf"[0-9]{{1,{digits}}}", text) else None


def grouped(value: Any) -> str:
    """A whole number with the language's thousands separator, as
    `intcomma` writes it ("3.321" in Vietnamese, "3,321" in English), at a
    fraction of its cost: dashboards write hundreds on a page. Anything but
    an int goes to `intcomma`."""
    if isinstance(value, bool) or not isinstance(value, int):
        return intcomma(value)
    return f"{value:,}".replace(",", get_format("THOUSAND_SEPARATOR"))
