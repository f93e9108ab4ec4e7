"""Session limits: an idle timeout, an absolute lifetime, one record per login."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.utils.translation import gettext as _

LOGIN_AT = "kieumau_login_at"
RENEWED_AT = "kieumau_renewed_at"


def remember_session(sender, request, user, **kwargs) -> None:
    """At login (the key is new by then): note when, and whose session it is."""
    from .models import UserSession

    request.session[LOGIN_AT] = int(time.time())
    if not request.session.session_key:
        request.session.save()
    UserSession.objects.get_or_create(
        session_key=request.session.session_key, defaults={"user": user}
    )


def cycle_session_key(request) -> None:
    """Give the session a new key (after the second factor), keeping its record.

    A key that someone saw before the user proved who they are is worth
    nothing afterwards.
    """
    from .models import UserSession

    old = request.session.session_key
    request.session.cycle_key()
    if old:
        UserSession.objects.filter(session_key=old).update(
            session_key=request.session.session_key
        )


class SessionLimitsMiddleware:
    """End a session older than SESSION_ABSOLUTE_SECONDS, however active, and
    keep an active one alive.

    The idle timeout is Django's own expiry, SESSION_COOKIE_AGE from the
    last save. Saving on every request would write the session row on every
    page; it is renewed instead once SESSION_RENEW_SECONDS have passed since
    the last renewal. A session then ends after SESSION_COOKIE_AGE without a
    request (at most a minute sooner), and most pages write nothing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            started = request.session.get(LOGIN_AT)
            age = time.time() - started if started else None
            if age is None or age > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                messages.info(
                    request, _("Your session has ended. Please log in again.")
                )
                return redirect_to_login(request.get_full_path())
            renewed = request.session.get(RENEWED_AT, started)
            now = int(time.time())
            if now - renewed >= settings.SESSION_RENEW_SECONDS:
                request.session[RENEWED_AT] = now  # saved, expiry moved on
        return self.get_response(request)
