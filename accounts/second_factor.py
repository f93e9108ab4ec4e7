"""The second factor (TOTP, with one-time recovery codes)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import segno
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .sessions import cycle_session_key

RECOVERY_CODES = 10
# The session's own authenticator while it is being set up.
PENDING_DEVICE = "kieumau_pending_device"
# Paths a signed-in user may reach before the second factor.
OPEN_PREFIXES = (
    "/accounts/2fa/",
    "/accounts/logout/",
    "/i18n/",
    "/static/",
    "/healthz",
    "/help/",  # whom to ask when the phone is lost
    "/api/",  # reads no session: a token, made behind the second factor
)


def has_second_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@dataclass(frozen=True)
class Check:
    """The outcome of a code: passed, wrong, or not checked until `wait` is over."""

    passed: bool
    wait: int = 0  # seconds before another code will be checked


def pending_device(request) -> TOTPDevice:
    """The authenticator this session is setting up, with a key of its own.

    The key is bound to the session that asked for it: another session of
    the same user (someone else who knows the password) gets another key,
    and only this session can confirm this one.
    """
    device = TOTPDevice.objects.filter(
        pk=request.session.get(PENDING_DEVICE),
        user=request.user,
        confirmed=False,
    ).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=request.user, name="Authenticator", confirmed=False
        )
        request.session[PENDING_DEVICE] = device.pk
    return device


def qr_svg(device: TOTPDevice) -> str:
    """The enrolment QR code as an inline SVG, drawn on the server."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, dark="#1d2433", light="#ffffff"
    )


@transaction.atomic
def confirm(request, code: str) -> tuple[Check, list[str]]:
    """Confirm this session's authenticator with its first code.

    Returns the check and, when it passed, the new recovery codes. Every
    other authenticator of the user, pending in other sessions, is removed.
    The user's row is locked first, so two sessions confirming at once are
    taken one after the other; the second finds the first one's done.
    """
    user = get_user_model().objects.select_for_update().get(pk=request.user.pk)
    if has_second_factor(user):
        return Check(passed=False), []
    device = pending_device(request)
    check = _check(device, code)
    if not check.passed:
        return check, []
    TOTPDevice.objects.filter(user=user, confirmed=False).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save()
    request.session.pop(PENDING_DEVICE, None)
    _passed(request, device)
    return check, new_recovery_codes(device.user)


def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes; each works once."""
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="Recovery codes")
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=c) for c in codes)
    return codes


@transaction.atomic
def verify(request, code: str) -> Check:
    """Accept a current TOTP code or an unused recovery code, once.

    The user's devices are locked while the code is checked, so the same
    code sent twice at once is accepted only once. After wrong codes each
    device makes the user wait longer (django-otp's throttling); a code sent
    during the wait is not checked, and the check says how long is left.
    """
    wait = 0
    for device in devices_for_user(request.user, for_verify=True):
        check = _check(device, code)
        if check.passed:
            _passed(request, device)
            return check
        wait = max(wait, check.wait)
    return Check(passed=False, wait=wait)


def _check(device, code: str) -> Check:
    allowed, why = device.verify_is_allowed()
    if not allowed:
        until = (why or {}).get("locked_until")
        left = (until - timezone.now()).total_seconds() if until else 1
        return Check(passed=False, wait=max(1, math.ceil(left)))
    return Check(passed=bool(device.verify_token(code.strip().replace(" ", ""))))


def _passed(request, device) -> None:
    """Mark the session verified, under a new session key."""
    otp_login(request, device)
    cycle_session_key(request)


def current_code(device: TOTPDevice) -> str:
    """The code `device`'s authenticator shows now: for demo accounts and tests."""
    clock = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{clock.token():0{device.digits}d}"


def reset(user) -> None:
    """An administrator's reset: the user enrols again at the next login."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    user.end_sessions()


class SecondFactorMiddleware:
    """Reviewers, leaders and administrators pass a second factor first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(OPEN_PREFIXES)
            and not user.is_verified()
            and user.needs_second_factor
        ):
            if request.path.startswith("/admin/") and not user.is_staff:
                return redirect_to_login(request.get_full_path())
            return redirect(f"{reverse('two_factor')}?next={_safe(request)}")
        return self.get_response(request)


def _safe(request) -> str:
    from urllib.parse import quote

    return quote(request.get_full_path())
