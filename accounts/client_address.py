"""The address a request comes from, behind the proxies the deployment trusts."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """The client's address, for lock-outs after failed logins.

    Behind TRUSTED_PROXIES proxies, each appending the address it received
    from to X-Forwarded-For, the client is the entry the outermost of them
    appended: the TRUSTED_PROXIES-th from the right. Whatever stands to its
    left is what the client wrote itself, and is never read. The header is
    split on commas only: a quote a client puts in it changes nothing. A
    header too short or an entry that is no address gives REMOTE_ADDR.
    """
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXIES
    if not proxies:
        return remote
    entries = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    if len(entries) < proxies:
        return remote
    try:
        return str(ipaddress.ip_address(entries[-proxies].strip()))
    except ValueError:
        return remote
