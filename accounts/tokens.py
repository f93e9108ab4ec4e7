"""Personal access tokens to the read-only API: made, checked, revoked.

A token reads `km_<prefix>_<secret>`. The prefix is public (it finds the
row and tells a user's tokens apart); only the SHA-256 of the whole token is
stored, so a copy of the database gives no working token. The secret has
256 random bits, so a plain SHA-256 is enough: there is nothing to guess.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ApiToken, User

SCHEME = "km"
# A token lasts at most a year.
MAX_DAYS = 365
# "Last used" is written at most this often: a poller calling every few
# seconds does not write a row each time.
LAST_USED_PRECISION = dt.timedelta(minutes=5)


class TokenRefused(Exception):
    """A token that does not let anyone in; `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Issued:
    token: ApiToken
    secret: str  # the whole token: shown once, never stored


def digest_of(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(*, user: User, name: str, days: int) -> Issued:
    """Make a token for `user` that expires in `days` days (1 to MAX_DAYS)."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"a token lasts 1 to {MAX_DAYS} days, not {days}")
    now = timezone.now()
    for _attempt in range(5):
        prefix = secrets.token_hex(4)
        raw = f"{SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    user=user,
                    name=name,
                    prefix=prefix,
                    digest=digest_of(raw),
                    created_at=now,
                    expires_at=now + dt.timedelta(days=days),
                )
        except IntegrityError:  # the same prefix drawn twice: draw again
            continue
        return Issued(token=token, secret=raw)
    raise RuntimeError("no free token prefix")  # pragma: no cover


def user_of_token(raw: str) -> User:
    """The active user whose live token `raw` is; raises TokenRefused.

    Notes when it was used (to LAST_USED_PRECISION).
    """
    scheme, _sep, rest = raw.strip().partition("_")
    prefix, _sep, secret = rest.partition("_")
    token = None
    if scheme == SCHEME and prefix and secret:
        token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.digest, digest_of(raw.strip())):
        raise TokenRefused(_("This API token is not valid."))
    now = timezone.now()
    if token.revoked_at is not None:
        raise TokenRefused(_("This API token has been revoked."))
    if now >= token.expires_at:
        raise TokenRefused(_("This API token has expired."))
    if not token.user.is_active:
        raise TokenRefused(_("This API token is not valid."))
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def revoke_token(token: ApiToken) -> bool:
    """Revoke `token` for good; False if it was revoked already."""
    return bool(
        ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(
            revoked_at=timezone.now()
        )
    )
