"""Checks of a deployment's settings, run by `manage.py check --deploy`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


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


PUBLIC_ACLS = ("public-read", "public-read-write", "authenticated-read")


@register(Tags.security, deploy=True)
def evidence_store_is_private(
    app_configs: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    """Evidence in an object store stays private, and is reached over TLS."""
    storage = settings.STORAGES["default"]
    if not storage["BACKEND"].endswith(".S3Storage"):
        return []
    options = storage.get("OPTIONS", {})
    found: list[CheckMessage] = []
    if options.get("default_acl") in PUBLIC_ACLS or not options.get(
        "querystring_auth", True
    ):
        found.append(
            Error(
                "Evidence in the object store would be readable without the app.",
                hint="Leave S3_ACL at private (or empty) and URLs signed.",
                id="kieumau.E002",
            )
        )
    if str(options.get("endpoint_url") or "").startswith("http://"):
        found.append(
            Warning(
                "The object store is reached over plain HTTP: evidence and the "
                "app's key would cross the network unencrypted.",
                hint="Give S3_ENDPOINT_URL as https://... (S3_CA_BUNDLE for a "
                "certificate of an internal authority).",
                id="kieumau.W002",
            )
        )
    return found
