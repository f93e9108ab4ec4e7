"""`grouped`: whole numbers with thousands separators, cheaply."""

from typing import Any

from django import template

from core.numbers import grouped as _grouped

register = template.Library()


@register.filter
def grouped(value: Any) -> str:
    return _grouped(value)
