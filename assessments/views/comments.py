"""The conversation on a criterion: adding a comment, and its file."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.storage import stored_file_response

from .. import comments
from ..forms import CommentThreadForm
from ..models import Assessment, Comment
from ..uploads import UploadRefused
from ..workflow import NotAllowed, WorkflowError
from . import criterion
from .criterion import assessment_or_404


@require_POST
@login_required
def add(request: HttpRequest, code: str, year: int, number: int):
    """Add a comment to a criterion's conversation; its status stays."""
    assessment = assessment_or_404(request, code, year, number)
    if not comments.may_comment(request.user, assessment):
        raise Http404
    form = CommentThreadForm(request.POST, request.FILES)
    if not form.is_valid():
        # Said in the form, beside what was typed, which stays.
        return criterion._render_criterion(request, assessment, thread_form=form)
    try:
        comment = comments.add_comment(
            assessment,
            author=request.user,
            text=form.cleaned_data["text"],
            upload=form.cleaned_data.get("file"),
        )
    except NotAllowed:
        raise Http404 from None
    except (WorkflowError, UploadRefused) as exc:
        form.add_error(None, getattr(exc, "message", None) or str(exc))
        return criterion._render_criterion(request, assessment, thread_form=form)
    messages.success(request, _("Your message is added; the status is unchanged."))
    if comment.not_told:
        messages.warning(
            request,
            _("Not told, as they do not take part in this criterion: %(names)s.")
            % {"names": ", ".join(f"@{name}" for name in comment.not_told)},
        )
    return redirect(assessment.get_absolute_url() + f"#comment-{comment.pk}")


@require_GET
@login_required
def comment_file(request: HttpRequest, pk: int):
    """A comment's file, after checking scope; never a public URL."""
    comment = get_object_or_404(
        Comment.objects.exclude(file=""),
        pk=pk,
        assessment__in=Assessment.objects.visible_to(request.user),
    )
    return stored_file_response(
        comment.file.storage, comment.file.name or "", filename=comment.file_name
    )
