"""The help page: what the statuses mean, what each role does next, whom to ask."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from access.models import Role
from access.scope import scope_of

# The sections for the roles, in the order shown to someone signed out:
# (anchor and template name, title, the roles it is for).
SECTIONS = [
    ("officer", _("For ward officers"), {Role.OFFICER}),
    (
        "contributor",
        _("For the ward's Party committee, People's Committee and other bodies"),
        {Role.CONTRIBUTOR},
    ),
    ("reviewer", _("For provincial reviewers"), {Role.REVIEWER}),
    ("leader", _("For provincial leaders"), {Role.PROVINCIAL_LEADER}),
    ("ministry", _("For Ministry reviewers"), {Role.MINISTRY_REVIEWER}),
    (
        "national",
        _("For national leaders and administrators"),
        {Role.NATIONAL_LEADER, Role.ADMINISTRATOR},
    ),
]


@require_GET
def help_page(request: HttpRequest) -> HttpResponse:
    """One page for everyone, signed in or not; a user's own roles come first."""
    roles = set(scope_of(request.user).roles)
    if getattr(request.user, "is_superuser", False):
        roles.add(Role.ADMINISTRATOR)
    sections = [
        {"name": name, "title": title, "mine": bool(covers & roles)}
        for name, title, covers in SECTIONS
    ]
    sections.sort(key=lambda section: not section["mine"])  # stable: yours first
    month, day = (int(part) for part in settings.YEAR_END_WINDOW_OPENS.split("-"))
    return render(
        request,
        "accounts/help.html",
        {
            "sections": sections,
            "support_contact": settings.SUPPORT_CONTACT,
            "year_end_opens": dt.date(timezone.localdate().year, month, day),
            "overdue_days": settings.REVIEW_OVERDUE_DAYS,
            "max_bytes": settings.EVIDENCE_MAX_BYTES,
            "kinds": ", ".join(
                kind.upper() for kind in settings.EVIDENCE_ALLOWED_KINDS
            ),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "lockout_hours": f"{settings.AXES_COOLOFF_TIME:g}",
            "idle_minutes": settings.SESSION_COOKIE_AGE // 60,
        },
    )
