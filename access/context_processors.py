from django.http import HttpRequest

from .scope import Scope, scope_of


def scope(request: HttpRequest) -> dict[str, Scope | None]:
    """`scope`: what the signed-in user's memberships cover, for navigation."""
    user = getattr(request, "user", None)
    return {"scope": scope_of(user) if user is not None else None}
