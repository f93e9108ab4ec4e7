"""Test clients signed in as a person would be, for benchmarks and tests."""

from __future__ import annotations

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User


def pass_second_factor(client: Client, user: User, *, device_name: str) -> None:
    """Mark `client`'s session (signed in as `user`) as past the second factor.

    Users whose role needs no second factor are left as they are.
    """
    if not user.needs_second_factor:
        return
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, name=device_name, defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
