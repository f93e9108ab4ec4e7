"""The tus endpoints of resumable uploads (see `assessments.resumable`).

Creation answers with the upload's address; HEAD says how much arrived;
PATCH adds a piece; DELETE cancels. Errors are short plain-text sentences
in the user's language, which the page's script shows as they are.
"""

from __future__ import annotations

import base64
from typing import cast

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User

from .. import resumable, workflow
from ..models import PartialUpload
from ..uploads import UploadRefused
from .criterion import assessment_or_404

TUS_VERSION = "1.0.0"


def _answer(status: int, text: str = "", **headers: str) -> HttpResponse:
    response = HttpResponse(
        text, status=status, content_type="text/plain; charset=utf-8"
    )
    response["Tus-Resumable"] = TUS_VERSION
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _signed_in(view):
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return _answer(403, _("Your session has ended. Sign in again."))
        return view(request, *args, **kwargs)

    return wrapper


def _metadata(header: str) -> dict[str, str]:
    """tus Upload-Metadata: "key base64value,key base64value"."""
    pairs = {}
    for item in header.split(","):
        key, _sep, value = item.strip().partition(" ")
        try:
            pairs[key] = base64.b64decode(value, validate=True).decode()
        except ValueError:  # not base64, or not UTF-8 once decoded
            pairs[key] = ""
    return pairs


def _number(value: str | None) -> int | None:
    """A whole number of bytes; anything else (or absurdly long) is None."""
    if value and len(value) <= 18 and value.isascii() and value.isdigit():
        return int(value)
    return None


@require_POST
@_signed_in
def create(request: HttpRequest, code: str, year: int, number: int):
    assessment = assessment_or_404(request, code, year, number)
    size = _number(request.headers.get("Upload-Length"))
    if size is None:
        return _answer(400, _("The size of the file is missing."))
    meta = _metadata(request.headers.get("Upload-Metadata", ""))
    try:
        upload = resumable.start(
            assessment,
            request.user,
            name=meta.get("filename", ""),
            size=size,
            sha256=meta.get("sha256", "").lower(),
        )
    except workflow.NotAllowed:
        raise Http404 from None
    except workflow.WorkflowError as exc:
        return _answer(403, exc.message)
    except UploadRefused as exc:
        return _answer(413 if size > 0 else 400, str(exc))
    location = reverse("resumable_upload", args=[upload.pk])
    return _answer(201, Location=location, Upload_Offset="0")


@require_http_methods(["HEAD", "PATCH", "DELETE"])
@_signed_in
def upload(request: HttpRequest, pk):
    try:
        partial = PartialUpload.objects.select_related(
            "assessment__enrolment__ward", "assessment__criterion"
        ).get(pk=pk, user=cast(User, request.user))
    except PartialUpload.DoesNotExist:
        return _answer(404, _("This upload is no longer on the server."))
    if request.method == "HEAD":
        return _answer(
            200, Upload_Offset=str(partial.received), Upload_Length=str(partial.size)
        )
    if request.method == "DELETE":
        resumable.discard(partial)
        return _answer(204)
    if not resumable.open_to_files(partial.assessment, request.user):
        # Submitted meanwhile, or no longer the user's ward: the bytes are of
        # no use.
        resumable.discard(partial)
        return _answer(403, resumable.closed_to_files())
    if request.content_type != "application/offset+octet-stream":
        return _answer(415, _("Pieces of a file are sent as raw bytes."))
    offset = _number(request.headers.get("Upload-Offset"))
    length = _number(request.headers.get("Content-Length"))
    if offset is None or length is None:
        return _answer(400, _("The position of this piece is missing."))
    try:
        resumable.append(partial, offset=offset, body=request, length=length)
    except PartialUpload.DoesNotExist:
        return _answer(404, _("This upload is no longer on the server."))
    except resumable.Busy:
        return _answer(423, _("Another piece of this file is arriving; wait."))
    except resumable.Conflict as exc:
        return _answer(409, str(exc), Upload_Offset=str(partial.received))
    except resumable.ChecksumMismatch as exc:
        return _answer(460, str(exc))
    except UploadRefused as exc:
        return _answer(413, str(exc))
    return _answer(204, Upload_Offset=str(partial.received))
