"""A reviewer allowing a file in several wards of a province: a
province-wide document, no longer flagged as a copied dossier."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access.people import person

from .. import reuse
from ..models import ReuseAllowed
from .criterion import evidence_or_404
from .steps import take_step

NOTE_MAX = 2000


@require_POST
@login_required
def allow_reuse(request: HttpRequest, pk: int) -> HttpResponse:
    """Allow the file of evidence `pk` in several wards of its province."""
    evidence = evidence_or_404(request, pk)
    # A note too long is cut, not refused: the allowance is what matters.
    note = request.POST.get("note", "").strip()[:NOTE_MAX]

    def done(result: tuple[ReuseAllowed, bool]) -> str:
        allowed, created = result
        if created:
            return _(
                "“%(name)s” is allowed in several wards of the province; "
                "it is no longer flagged there."
            ) % {"name": evidence.original_name}
        return _("“%(name)s” was already allowed by %(person)s.") % {
            "name": evidence.original_name,
            "person": person(allowed.allowed_by),
        }

    take_step(
        request,
        lambda: reuse.allow(evidence, actor=request.user, note=note),
        done,
    )
    return redirect(evidence.assessment)
