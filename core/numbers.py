"""Whole numbers as people and forms send them."""

from __future__ import annotations

import re


def whole_number(value: object, digits: int = 9) -> int | None:
    """`value` if it is one to `digits` ASCII digits, as an int; else None.

    "²" and "７" pass `str.isdigit()` but are no numbers here, nor are "+7",
    " 7" or "7.0"; a limit on the digits keeps a value within what Python
    converts and a database column holds.
    """
    text = str(value)
    return int(text) if re.fullmatch(rf"[0-9]{{1,{digits}}}", text) else None
