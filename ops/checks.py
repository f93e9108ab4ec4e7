"""Checks of a deployment's settings, run by `manage.py check --deploy`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register


@register(Tags.compatibility, deploy=True)
def mail_has_a_server(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Mail over SMTP needs EMAIL_HOST: never silently try a server on localhost."""
    mailer = settings.MAILERS["default"]
    if not mailer["BACKEND"].endswith("smtp.EmailBackend"):
        return []
    if mailer.get("OPTIONS", {}).get("host"):
        return []
    return [
        Error(
            "E-mail is sent over SMTP but EMAIL_HOST is not set.",
            hint="Set EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, ...) to the "
            "mail server, or EMAIL_BACKEND to another backend.",
            id="kieumau.E001",
        )
    ]
