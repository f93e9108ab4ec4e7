"""Forgot password: a reset link by e-mail that tells nobody who has an account.

The request page answers the same, in the same time, for any address: it
only enqueues a task, and the task worker looks the address up and sends
the mail. Requests are throttled per client address and per e-mail address
(django-ratelimit). The new password is one factor: whoever must pass a
second factor still does at the next login.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from axes.utils import reset as reset_lockouts
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.timesince import timeuntil
from django_ratelimit.core import is_ratelimited

from core.mail import send_text_mail


class ResetRequestForm(PasswordResetForm):
    """An e-mail address; saving it enqueues the mail, whoever the address is."""

    def save(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        send_reset_link.enqueue(
            email=self.cleaned_data["email"], language=translation.get_language()
        )


@task
def send_reset_link(email: str, language: str) -> int:
    """Mail a reset link to each active account with this address; returns how many.

    Accounts without a usable password (set by an administrator only) and
    deactivated ones get nothing, as in Django's own reset.
    """
    field = get_user_model().get_email_field_name()
    now = timezone.now()
    sent = 0
    with translation.override(language):
        valid_for = timeuntil(
            now + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT), now
        )
        for user in ResetRequestForm().get_users(email):
            link = settings.SITE_URL + reverse(
                "password_reset_confirm",
                kwargs={
                    "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                    "token": default_token_generator.make_token(user),
                },
            )
            context = {
                "username": user.get_username(),
                "link": link,
                "valid_for": valid_for,
                "site_url": settings.SITE_URL,
            }
            subject = render_to_string("accounts/password_reset_subject.txt", context)
            body = render_to_string("accounts/password_reset_email.txt", context)
            sent += send_text_mail(
                " ".join(subject.split()), body, [getattr(user, field)]
            )
    return sent


def _email_key(group: str, request: HttpRequest) -> str:
    return request.POST.get("email", "").strip().casefold()


def throttled(request: HttpRequest) -> bool:
    """Count this request against its client address and its e-mail address.

    True when either has asked more than its limit in the hour: then nothing
    is sent, whether or not the address has an account.
    """
    by_address = is_ratelimited(
        request,
        group="password_reset:address",
        key="ip",
        rate=f"{settings.PASSWORD_RESETS_PER_ADDRESS}/h",
        method="POST",
        increment=True,
    )
    by_email = is_ratelimited(
        request,
        group="password_reset:email",
        key=_email_key,
        rate=f"{settings.PASSWORD_RESETS_PER_EMAIL}/h",
        method="POST",
        increment=True,
    )
    return by_address or by_email


class PasswordResetView(auth_views.PasswordResetView):
    form_class = ResetRequestForm

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if throttled(request):
            return render(
                request,
                self.template_name,
                {"form": self.get_form(), "throttled": True},
                status=429,
            )
        return super().post(request, *args, **kwargs)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Set the new password. It does not sign in (`post_reset_login` is off)."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = form.user
        # Whoever was signed in as this user, perhaps with the old password,
        # is signed out; a lock-out after forgotten passwords is lifted.
        user.end_sessions()
        reset_lockouts(username=user.get_username())
        return response
