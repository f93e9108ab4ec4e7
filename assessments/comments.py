"""A conversation on one criterion of a ward: a reviewer asks, the officer
answers, with a file if need be, and nothing changes status. Comments are
never edited or deleted; each is told to the other side, and to whoever it
mentions (@user name), in their bells."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from access.models import Membership
from access.scope import scope_of
from notifications.models import Kind
from notifications.services import notify_and_mail

from .models import Assessment, Comment, comment_path
from .services import save_file
from .uploads import check_upload
from .workflow import NotAllowed, WorkflowError

logger = logging.getLogger(__name__)
LONGEST = 4000
MENTION = re.compile(r"@([\w.@+-]+)")


def may_comment(user: Any, assessment: Assessment) -> bool:
    """The ward's officers, the contributors of the body that carries the
    criterion out, the reviewers of the criterion's group in its province
    and the province's leaders take part; others only read. Nobody
    writes while the ward is proposed or recognised: the thread is printed
    in its dossier, which is frozen then."""
    if assessment.enrolment.is_frozen:
        return False
    scope = scope_of(user)
    ward = assessment.enrolment.ward
    return (
        _of_the_ward(scope, assessment)
        or scope.reviews_group(ward.province_id, assessment.criterion.group_id)
        or ward.province_id in scope.led_province_ids
    )


def _of_the_ward(scope: Any, assessment: Assessment) -> bool:
    """An officer of the ward, or a contributor of the criterion's body."""
    ward_id = assessment.enrolment.ward_id
    return scope.is_officer_of(ward_id) or scope.contributes_to(
        ward_id, assessment.criterion.responsible_body
    )


def add_comment(
    assessment: Assessment, *, author: Any, text: str, upload: File | None = None
) -> Comment:
    """Add a comment (and its file), then tell the other side and whoever
    it mentions. Raises NotAllowed for someone who does not take part,
    WorkflowError for an empty or too long text, UploadRefused for a file
    that is not acceptable; nothing is stored then."""
    if not may_comment(author, assessment):
        raise NotAllowed(_("You are not allowed to do this."))
    text = text.strip()
    if not text:
        raise WorkflowError(_("Write the message before sending it."))
    if len(text) > LONGEST:
        raise WorkflowError(
            _("A message holds at most %(limit_value)d characters.")
            % {"limit_value": LONGEST}
        )
    comment = Comment(assessment=assessment, author=author, text=text)
    stored = _store(upload, comment) if upload is not None else None
    committing = False
    try:
        with transaction.atomic():
            comment.save()
            _tell(comment)
            committing = True
    except BaseException:
        if stored is not None and committing:
            # The commit's outcome is unknown: the file stays, and the sweep
            # removes it if no row came to point at it.
            logger.warning("Commit of a comment failed; its file is kept: %s", stored)
        elif stored is not None:
            default_storage.delete(stored)
        raise
    return comment


def _store(upload: File, comment: Comment) -> str:
    check_upload(upload)
    name, original, hashing = save_file(upload, comment_path)
    comment.file = name
    comment.file_name = original
    comment.file_size = hashing.bytes_read
    comment.file_sha256 = hashing.sha256
    return name


def told_of(comment: Comment) -> list[Any]:
    """Who hears of a comment: the ward's officers (and the contributors of
    the criterion's body) when a reviewer or a leader wrote it; the
    reviewers of the criterion (the one who claimed it, if any, else all who
    cover its group) when someone of the ward did; and anyone it mentions
    who takes part. Never its author."""
    assessment = comment.assessment
    ward = assessment.enrolment.ward
    User = get_user_model()
    if _of_the_ward(scope_of(comment.author), assessment):
        reviewers = User.objects.filter(
            pk__in=Membership.objects.reviewers_for(
                province_id=ward.province_id, group_id=assessment.criterion.group_id
            ).values("user")
        )
        # The reviewer who claimed it, while they still review it; else all.
        claimed = reviewers.filter(pk__in=[assessment.reviewer_id])
        people = claimed if claimed.exists() else reviewers
    else:
        people = User.objects.filter(
            pk__in=Membership.objects.officers_of(ward.pk).values("user")
        ) | User.objects.filter(
            pk__in=Membership.objects.contributors_of(
                ward.pk, assessment.criterion.responsible_body
            ).values("user")
        )
    names = set(MENTION.findall(comment.text))
    # Everyone told takes part: a membership that changed since tells nothing.
    reached = {
        user.get_username()
        for user in User.objects.filter(username__in=names, is_active=True)
        if may_comment(user, assessment)
    }
    comment.not_told = sorted(names - reached - {comment.author.get_username()})
    everyone = {
        user.pk: user
        for user in [
            *people.filter(is_active=True),
            *User.objects.filter(username__in=names, is_active=True),
        ]
        if may_comment(user, assessment)
    }
    everyone.pop(comment.author_id, None)
    return list(everyone.values())


def _tell(comment: Comment) -> None:
    assessment = comment.assessment
    ward = assessment.enrolment.ward
    with translation.override(settings.LANGUAGE_CODE):
        title = _("%(ward)s, criterion %(number)d: a message from %(name)s") % {
            "ward": ward.name,
            "number": assessment.criterion.number,
            "name": comment.author.get_full_name() or comment.author.get_username(),
        }
    notify_and_mail(
        told_of(comment),
        kind=Kind.COMMENT,
        key=f"comment:{comment.pk}",
        title=title,
        body=comment.text[:1000],
        url=assessment.get_absolute_url() + f"#comment-{comment.pk}",
    )
