"""`{{ user|person }}`: a person's full name and police unit, on every page."""

from typing import Any

from django import template

from .. import people

register = template.Library()


@register.filter
def person(user: Any) -> str:
    """ "Nguyễn Văn An (Công an phường An Hưng)"; see `access.people`."""
    return people.person(user)
