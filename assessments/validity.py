"""How long evidence holds: a certificate or an inspection record is valid
until a date, and a criterion it supports is flagged before and after it.

Plain values only (no models), so that the models, querysets, views and
templates all read the same rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

# Expiring evidence matters while it holds a criterion up: approved, or
# under review (the values of `Assessment.Status`).
FLAGGED_STATUSES = ("approved", "submitted")


def warning_days() -> int:
    """How many days ahead an expiry is flagged (EVIDENCE_EXPIRY_WARNING_DAYS)."""
    return int(getattr(settings, "EVIDENCE_EXPIRY_WARNING_DAYS", 30))


def horizon(today: dt.date | None = None, within_days: int | None = None) -> dt.date:
    """The last validity date that is flagged on `today`."""
    today = today or timezone.localdate()
    return today + dt.timedelta(
        days=warning_days() if within_days is None else within_days
    )


@dataclass(frozen=True)
class Expiry:
    """A validity date that has passed (`expired`) or comes soon."""

    date: dt.date
    expired: bool

    def __str__(self) -> str:
        day = date_format(self.date, "SHORT_DATE_FORMAT")
        if self.expired:
            return _("expired on %(date)s") % {"date": day}
        return _("expires on %(date)s") % {"date": day}

    @property
    def evidence_label(self) -> str:
        """The flag on its own, where it could be read as the criterion's:
        "evidence expired on …"."""
        day = date_format(self.date, "SHORT_DATE_FORMAT")
        if self.expired:
            return _("evidence expired on %(date)s") % {"date": day}
        return _("evidence expires on %(date)s") % {"date": day}


def expiry_of(
    valid_until: dt.date | None, today: dt.date | None = None
) -> Expiry | None:
    """The flag of a validity date on `today`, or None when it is far off
    (or there is none). The evidence is valid through its date."""
    if valid_until is None:
        return None
    today = today or timezone.localdate()
    if valid_until > horizon(today):
        return None
    return Expiry(valid_until, expired=valid_until < today)
