"""The second factor (TOTP, with one-time recovery codes)."""

from __future__ import annotations

import segno
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODES = 10
# Paths a signed-in user may reach before the second factor.
OPEN_PREFIXES = (
    "/accounts/2fa/",
    "/accounts/logout/",
    "/i18n/",
    "/static/",
    "/healthz",
)


def has_second_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user) -> TOTPDevice:
    """The unconfirmed authenticator being set up, created on first call."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name="Authenticator", confirmed=False
        )
    return device


def qr_svg(device: TOTPDevice) -> str:
    """The enrolment QR code as an inline SVG, drawn on the server."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, dark="#1d2433", light="#ffffff"
    )


@transaction.atomic
def confirm(request, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the authenticator with its first code; returns recovery codes."""
    if not device.verify_token(code.strip().replace(" ", "")):
        return None
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save()
    otp_login(request, device)
    return new_recovery_codes(device.user)


def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes; each works once."""
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="Recovery codes")
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=c) for c in codes)
    return codes


def verify(request, code: str) -> bool:
    """Accept a current TOTP code or an unused recovery code, once.

    The user's devices are locked while the code is checked, so the same
    code sent twice at once is accepted only once.
    """
    code = code.strip().replace(" ", "")
    with transaction.atomic():
        for device in devices_for_user(request.user, for_verify=True):
            if device.verify_token(code):
                otp_login(request, device)
                return True
    return False


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
