import sys

from django.conf import settings
from django.contrib.sessions.exceptions import SessionInterrupted
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 when it does not (for probes)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": False}, status=503)
    return JsonResponse({"status": "ok", "database": True})


def server_error(request: HttpRequest) -> HttpResponse:
    """500 handler: a database outage is a 503 that says so, not a crash page.

    Renders without touching the database (no user, no session), so it works
    while the database is away; the next request reconnects by itself.
    """
    error = sys.exc_info()[1]
    if isinstance(error, DatabaseError):
        html = loader.render_to_string("503.html", request=None)
        response = HttpResponse(html, status=503)
        response["Retry-After"] = "30"
        return response
    return HttpResponse(loader.render_to_string("500.html", request=None), status=500)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400 handler: say, in the user's language, what could not be read."""
    saved_maybe = isinstance(exception, SessionInterrupted)
    if saved_maybe:
        # Raised once the view has run: what was sent may have been saved.
        reason = _(
            "Your session ended while this was being sent (you signed out in "
            "another tab, or an administrator ended it). Sign in again and check "
            "whether it was saved before you send it again."
        )
    elif isinstance(exception, TooManyFilesSent):
        reason = _(
            "Too many files were sent at once. Send at most %(count)d files at a time."
        ) % {"count": settings.EVIDENCE_MAX_FILES_PER_UPLOAD}
    elif isinstance(exception, RequestDataTooBig):
        reason = _("What was sent is larger than the server accepts.")
    else:
        reason = _("The request could not be read.")
    html = loader.render_to_string(
        "400.html", {"reason": reason, "saved_maybe": saved_maybe}, request=None
    )
    return HttpResponse(html, status=400)
