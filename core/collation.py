"""Vietnamese alphabetical order: in Python (`vi_key`) and in SQL (`vi_order`).

Databases sort "Đà Nẵng" after "Thanh Hóa" and "Ô Chợ Dừa" after "Trúc
Bạch"; Vietnamese readers expect Đ right after D and Ô among the O's. Letters
compare first (a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y),
then tone marks break ties.
"""

import functools
import unicodedata
from typing import Any

from django.db.backends.signals import connection_created

ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
RANK = {letter: index for index, letter in enumerate(ALPHABET)}
TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}  # breve, circumflex, horn


@functools.lru_cache(maxsize=16384)
def vi_key(text: str) -> tuple:
    """A sort key that puts Vietnamese words in dictionary order.

    Kept for the names seen last: pages sort the same few hundred names
    (units, provinces, people's units) on every request."""
    letters, tones = [], []
    for char in unicodedata.normalize("NFC", text.casefold()):
        parts = unicodedata.normalize("NFD", char)
        base = parts[0] + "".join(m for m in parts[1:] if m in LETTER_MARKS)
        base = unicodedata.normalize("NFC", base)
        if base in RANK:
            letters.append((1, RANK[base]))
        else:
            letters.append((0 if not base.isalnum() else 2, ord(base[0])))
        tones.append(max((TONES.get(m, 0) for m in parts[1:]), default=0))
    return (tuple(letters), tuple(tones))


def fold(text: str) -> str:
    """`text` without case or diacritics, for searching: "Đông Hưng" → "dong hung"."""
    text = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())


def spelling_key(text: str) -> tuple:
    """What makes two spellings of a name the same name: the letters and the
    tone of each word, wherever the tone mark sits ("Hoà" and "Hòa", "Thuỷ"
    and "Thủy"), whatever the case."""
    words = []
    for word in unicodedata.normalize("NFD", text.casefold()).split():
        tone = max((TONES.get(c, 0) for c in word), default=0)
        letters = unicodedata.normalize(
            "NFC", "".join(c for c in word if c not in TONES)
        )
        words.append((letters, tone))
    return tuple(words)


def vi_order(field: str):
    """An ORDER BY term in Vietnamese order.

    PostgreSQL has ICU's Vietnamese collation; SQLite has none of its own, so
    each SQLite connection gets one ("vi") that compares as `vi_key` does.
    """
    from django.db import connection
    from django.db.models import F
    from django.db.models.functions import Collate

    if connection.vendor == "postgresql":
        return Collate(field, "vi-x-icu")
    if connection.vendor == "sqlite":
        return Collate(field, SQLITE_COLLATION)
    return F(field)


SQLITE_COLLATION = "vi"


def _compare(a: str, b: str) -> int:
    key_a, key_b = vi_key(a), vi_key(b)
    return (key_a > key_b) - (key_a < key_b)


def _add_sqlite_collation(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_collation(SQLITE_COLLATION, _compare)


# Every connection opened after the apps are loaded (this module is imported
# with the models) has the collation.
connection_created.connect(_add_sqlite_collation, dispatch_uid="kieumau-vi-collation")
