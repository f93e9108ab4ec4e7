"""A conversation on a criterion: a reviewer asks, the officer answers with a
file, and the criterion's status does not move; mentions ring bells; the
thread is append-only and in the dossier."""

from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from access.models import Membership
from assessments import comments, workflow
from assessments.models import Comment, Enrolment
from notifications.models import Kind, Notification
from tests import files
from tests.factories import add_file, member

Role = Membership.Role


@pytest.fixture
def submitted(assessment, officer, reviewer):
    add_file(assessment, officer)
    workflow.submit(assessment, actor=officer)
    assessment.refresh_from_db()
    return assessment


def bell(user, kind=Kind.COMMENT):
    return list(
        Notification.objects.filter(user=user, kind=kind).values_list(
            "title", flat=True
        )
    )


def url(assessment) -> str:
    return assessment.get_absolute_url() + "comments/"


def test_a_question_and_an_answer_leave_the_status_as_it_was(
    client, submitted, officer, reviewer
):
    client.force_login(reviewer)
    response = client.post(url(submitted), {"text": "Biên bản ký ngày nào?"})
    assert response.status_code == 302
    (question,) = Comment.objects.filter(assessment=submitted)
    assert question.author == reviewer and question.text == "Biên bản ký ngày nào?"
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
    assert len(bell(officer)) == 1 and bell(reviewer) == []

    # The officer answers with a file; the reviewer who claimed it hears.
    workflow.claim(submitted, actor=reviewer)
    client.force_login(officer)
    client.post(
        url(submitted),
        {
            "text": "Ngày 12/3, bản ký kèm theo.",
            "file": files.upload("ky.pdf", files.pdf("ky")),
        },
    )
    answer = Comment.objects.filter(assessment=submitted).latest("pk")
    assert answer.file_name == "ky.pdf" and len(answer.file_sha256) == 64
    assert default_storage.exists(answer.file.name)
    submitted.refresh_from_db()
    assert submitted.status == "submitted" and submitted.reviewer == reviewer
    assert len(bell(reviewer)) == 1
    page = client.get(submitted.get_absolute_url()).content.decode()
    assert "Biên bản ký ngày nào?" in page and "ky.pdf" in page
    assert submitted.events.filter(action="return").count() == 0


def test_a_mention_tells_someone_who_takes_part_only(
    submitted, officer, reviewer, leader, other_enrolment
):
    stranger = member(Role.OFFICER, ward=other_enrolment.ward)
    comments.add_comment(
        submitted,
        author=reviewer,
        text=" ".join(f"@{user.username}" for user in (leader, stranger, reviewer))
        + " xin ý kiến.",
    )
    assert len(bell(leader)) == 1
    assert bell(stranger) == []
    assert bell(reviewer) == []  # nobody is told of their own message
    assert len(bell(officer)) == 1  # the ward, as always


def test_who_may_write_and_read(
    client, submitted, officer, reviewer, national, other_enrolment
):
    comments.add_comment(
        submitted,
        author=officer,
        text="Kèm tệp.",
        upload=files.upload("a.pdf", files.pdf("a")),
    )
    comment = Comment.objects.get()
    outsider = member(Role.OFFICER, ward=other_enrolment.ward)
    client.force_login(outsider)
    assert client.post(url(submitted), {"text": "x"}).status_code == 404
    assert client.get(f"/comments/{comment.pk}/file/").status_code == 404
    # A national leader reads the thread and its file, and does not write.
    client.force_login(national)
    assert client.get(f"/comments/{comment.pk}/file/").status_code == 200
    assert client.post(url(submitted), {"text": "x"}).status_code == 404
    page = client.get(submitted.get_absolute_url()).content.decode()
    assert "Kèm tệp." in page and 'name="text"' not in page
    assert Comment.objects.count() == 1


def test_bad_messages_and_files_are_refused_and_nothing_is_kept(
    client, submitted, reviewer
):
    client.force_login(reviewer)
    response = client.post(url(submitted), {"text": "  "})
    assert response.status_code == 400
    assert "Hãy viết nội dung" in response.content.decode()
    # Said in the form, with what was typed kept.
    response = client.post(
        url(submitted),
        {"text": "Xem tệp đính kèm", "file": files.upload("x.pdf", b"not a pdf")},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "không phải là tệp PDF" in page and ">Xem tệp đính kèm</textarea>" in page
    response = client.post(url(submitted), {"text": "x" * 4001})
    assert response.status_code == 400 and "4000" in response.content.decode()
    assert not Comment.objects.exists()
    kept = Path(default_storage.location) / "evidence" / "comments"
    assert not kept.exists() or not [p for p in kept.rglob("*") if p.is_file()]


def test_the_writer_hears_whom_a_mention_did_not_reach(client, submitted, reviewer):
    client.force_login(reviewer)
    response = client.post(
        url(submitted), {"text": "@khong-co-ai và @demo xin xem."}, follow=True
    )
    assert "@demo, @khong-co-ai" in response.content.decode()


def test_the_thread_is_in_the_dossier_and_cannot_be_changed(
    client, submitted, reviewer, national
):
    comments.add_comment(submitted, author=reviewer, text="Thiếu chữ ký.")
    client.force_login(national)
    dossier = client.get(f"/wards/{submitted.enrolment.ward.code}/dossier/")
    assert "Thiếu chữ ký." in dossier.content.decode()
    # No page edits or deletes a comment; the admin only reads them.
    from django.contrib import admin

    read_only = admin.site._registry[Comment]
    assert not read_only.has_change_permission(None)
    assert not read_only.has_delete_permission(None)


def test_a_reviewer_who_no_longer_reviews_it_is_not_told(
    submitted, officer, reviewer, other_province
):
    """The reviewer who claimed it moved to another province: the message
    goes to those who review it now, not to them."""
    workflow.claim(submitted, actor=reviewer)
    Membership.objects.filter(user=reviewer).update(province=other_province)
    successor = member(Role.REVIEWER, province=submitted.enrolment.ward.province)
    comments.add_comment(submitted, author=officer, text="Bí mật của phường.")
    assert bell(reviewer) == []
    assert len(bell(successor)) == 1


def test_nobody_writes_while_the_ward_is_proposed(client, submitted, officer):
    Enrolment.objects.filter(pk=submitted.enrolment_id).update(stage="proposed")
    submitted.refresh_from_db()
    client.force_login(officer)
    assert client.post(url(submitted), {"text": "Thêm"}).status_code == 404
    assert 'name="text"' not in client.get(submitted.get_absolute_url()).text
    assert not Comment.objects.exists()


def test_a_failure_before_the_commit_leaves_no_file(submitted, officer, monkeypatch):
    from django.db import OperationalError

    stored = []
    real_store = comments._store

    def remember(upload, comment):
        stored.append(real_store(upload, comment))
        return stored[-1]

    def fails(comment):
        raise OperationalError("the database went away")

    monkeypatch.setattr(comments, "_store", remember)
    monkeypatch.setattr(comments, "_tell", fails)
    with pytest.raises(OperationalError):
        comments.add_comment(
            submitted,
            author=officer,
            text="x",
            upload=files.upload("k.pdf", files.pdf("k")),
        )
    assert not default_storage.exists(stored[0])
    assert not Comment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_file_is_kept_when_the_commit_outcome_is_unknown(
    submitted, officer, monkeypatch
):
    """The commit may have gone through: the file stays (the sweep removes
    it if no row points at it), so a saved comment never loses its file."""
    from django.db import OperationalError, connection

    real_commit = connection.commit

    def commit_then_fail():
        real_commit()
        raise OperationalError("the connection was lost after COMMIT")

    monkeypatch.setattr(connection, "commit", commit_then_fail)
    with pytest.raises(OperationalError):
        comments.add_comment(
            submitted,
            author=officer,
            text="x",
            upload=files.upload("k.pdf", files.pdf("k")),
        )
    monkeypatch.undo()
    (comment,) = Comment.objects.all()
    assert default_storage.exists(comment.file.name)


def test_opening_the_criterion_reads_what_the_bell_said_of_it(
    client, submitted, officer, reviewer, enrolment
):
    comments.add_comment(submitted, author=reviewer, text="Biên bản ký ngày nào?")
    other = enrolment.assessments.get(criterion__number=2)
    comments.add_comment(other, author=reviewer, text="Còn thiếu ảnh.")
    officer.refresh_from_db()
    assert officer.unread_notifications == 2
    client.force_login(officer)
    client.get(submitted.get_absolute_url())
    officer.refresh_from_db()
    assert officer.unread_notifications == 1
    (unread,) = Notification.objects.filter(user=officer, read_at=None)
    assert unread.url.startswith(other.get_absolute_url())


def test_a_reviewer_is_told_a_change_needs_a_return(
    client, submitted, reviewer, officer
):
    client.force_login(reviewer)
    hint = "muốn phường sửa, hãy trả lại tiêu chí"
    assert hint in client.get(submitted.get_absolute_url()).content.decode()
    # The ward, which can change nothing now, is not told to return it.
    client.force_login(officer)
    assert hint not in client.get(submitted.get_absolute_url()).content.decode()
