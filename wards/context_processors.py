from django.http import HttpRequest

from .querysets import scope_of


def scope(request: HttpRequest) -> dict:
    """`scope`: what the signed-in user's memberships cover, for navigation."""
    user = getattr(request, "user", None)
    return {"scope": scope_of(user) if user is not None else None}
