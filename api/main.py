"""The read-only JSON API, version 1: authentication, errors and conditional GET.

Only a personal access token opens it (`Authorization: Bearer <token>`); a
session cookie does not, so no request of a browser's can read it on a user's
behalf and there is no CSRF to think about. A token reads with its user's
memberships of the moment, through the same access layer as the pages.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from accounts.tokens import TokenRefused, user_of_token

from . import endpoints

DESCRIPTION = """\
Read-only access to what the token's user can see in Kiểu Mẫu: provinces,
units and their lineage, criteria sets, enrolments with their progress,
recognition decisions and each unit's criteria. Out of scope is a 404, as on
the pages. Lists are paged (`page`, `page_size`). Every answer carries an
ETag: send it back in `If-None-Match` to get `304 Not Modified` when nothing
changed. See docs/api.md.
"""


class TokenAuth(HttpBearer):
    """A personal access token (`accounts.tokens`); nothing else."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        try:
            return user_of_token(token)
        except TokenRefused as refused:
            raise AuthenticationError(message=refused.message) from None


class ReadOnlyApi(NinjaAPI):
    """Answers of 200 carry an ETag (the SHA-256 of the body); a request
    whose If-None-Match holds it gets 304 and no body."""

    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        # A private answer, but one a poller may keep and ask about again.
        response["Cache-Control"] = "private, no-cache"
        patch_vary_headers(response, ["Authorization"])
        if request.method != "GET" or response.status_code != 200:
            return response
        response["ETag"] = f'"{hashlib.sha256(response.content).hexdigest()}"'
        return get_conditional_response(
            request, etag=response["ETag"], response=response
        )


api = ReadOnlyApi(
    title="Kiểu Mẫu API",
    version="1",
    description=DESCRIPTION,
    auth=TokenAuth(),
    urls_namespace="api",
    # The schema is in docs/api/openapi.json; no page here loads the
    # documentation viewer's files from the internet.
    openapi_url=None,
    docs_url=None,
)
api.add_router("", endpoints.router)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(
        request, {"detail": _("Not found, or not yours to see.")}, status=404
    )


@api.exception_handler(AuthenticationError)
def unauthorised(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = exc.message
    if message == AuthenticationError().message:  # no token was sent
        message = _("An API token is required: send “Authorization: Bearer <token>”.")
    response = api.create_response(request, {"detail": message}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response
