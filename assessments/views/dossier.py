"""The dossier to download: the printable page as a PDF, and the ZIP of every
approved file with its manifest, as the level above receives them."""

from __future__ import annotations

import io
from typing import IO

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_ratelimit.core import is_ratelimited

from ..archive import EvidenceMismatch, export_zip
from ..dossier import render_pdf
from ..models import Enrolment
from .wards import _enrolment_or_404


def _too_many(request: HttpRequest, enrolment: Enrolment) -> HttpResponseBase | None:
    """A dossier takes seconds of the server and a copy of every file: each
    person may ask for DOSSIER_EXPORTS_PER_HOUR of them an hour."""
    if not is_ratelimited(
        request,
        group="dossier_export",
        key="user",
        rate=f"{settings.DOSSIER_EXPORTS_PER_HOUR}/h",
        increment=True,
    ):
        return None
    return render(
        request,
        "assessments/dossier_refused.html",
        {
            "reason": _(
                "You have downloaded %(count)d dossiers in the last hour; "
                "try again later."
            )
            % {"count": settings.DOSSIER_EXPORTS_PER_HOUR},
            "back": reverse("ward_dossier", args=[enrolment.ward.code])
            + f"?year={enrolment.year}",
        },
        status=429,
    )


@require_GET
@login_required
def ward_dossier_pdf(request: HttpRequest, code: str) -> HttpResponseBase:
    """The printable dossier as a PDF, in the user's language."""
    enrolment, _years = _enrolment_or_404(request, code)
    if refused := _too_many(request, enrolment):
        return refused
    pdf = render_pdf(enrolment, request=request)
    return _download(io.BytesIO(pdf), enrolment, "pdf", "application/pdf")


@require_GET
@login_required
def ward_dossier_zip(request: HttpRequest, code: str) -> HttpResponseBase:
    """Every approved file in force, a folder per criterion, with the manifest,
    README and PDF; 409 if a stored file no longer matches its row."""
    enrolment, _years = _enrolment_or_404(request, code)
    if refused := _too_many(request, enrolment):
        return refused
    try:
        archive = export_zip(enrolment)
    except EvidenceMismatch as exc:
        context = {
            "reason": exc.message,
            "back": reverse("ward_dossier", args=[code]) + f"?year={enrolment.year}",
        }
        return render(request, "assessments/dossier_refused.html", context, status=409)
    return _download(archive, enrolment, "zip", "application/zip")


def _download(
    content: IO[bytes], enrolment: Enrolment, extension: str, content_type: str
) -> FileResponse:
    response = FileResponse(
        content,
        as_attachment=True,
        filename=f"ho-so-{enrolment.ward.code}-{enrolment.year}.{extension}",
        content_type=content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response
