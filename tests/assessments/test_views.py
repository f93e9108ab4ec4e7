import datetime as dt
from urllib.parse import quote

import pytest
from django.utils import timezone

from access.models import Membership
from assessments import workflow
from assessments.models import Assessment
from tests import files
from tests.factories import add_file, member

Role = Membership.Role


def page(assessment) -> str:
    ward = assessment.enrolment.ward
    return (
        f"/wards/{ward.code}/{assessment.enrolment.year}/{assessment.criterion.number}/"
    )


@pytest.mark.django_db
def test_anonymous_users_get_nothing(client, enrolment, officer):
    assessment = enrolment.assessments.get(criterion__number=1)
    evidence = add_file(assessment, officer)
    for url in [page(assessment), f"/evidence/{evidence.pk}/", "/review/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    response = client.post(page(assessment) + "submit/")
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == "in_progress"


@pytest.mark.django_db
def test_a_form_cannot_be_tampered_into_another_status(
    client, enrolment, officer, reviewer
):
    assessment = enrolment.assessments.get(criterion__number=1)
    add_file(assessment, officer)
    client.force_login(officer)
    client.post(
        page(assessment) + "submit/",
        {"status": "approved", "reviewer": officer.pk, "ward": 999},
    )
    assessment.refresh_from_db()
    assert assessment.status == "submitted"
    assert assessment.reviewer_id is None
    client.force_login(reviewer)
    client.post(page(assessment) + "approve/", {"status": "returned", "enrolment": 1})
    assessment.refresh_from_db()
    assert assessment.status == "approved"
    assert assessment.reviewer_id == reviewer.pk
    assert assessment.enrolment_id == enrolment.pk


@pytest.mark.django_db
def test_an_unknown_action_is_404(client, enrolment, officer):
    client.force_login(officer)
    assessment = enrolment.assessments.get(criterion__number=1)
    assert client.post(page(assessment) + "delete/").status_code == 404
    assert client.get(page(assessment) + "submit/").status_code == 405


@pytest.mark.django_db
def test_returning_without_a_reason_shows_the_form_again(
    client, enrolment, officer, reviewer, english
):
    assessment = enrolment.assessments.get(criterion__number=1)
    add_file(assessment, officer)
    workflow.submit(assessment, actor=officer)
    client.force_login(reviewer)
    client.cookies["django_language"] = "en"
    response = client.post(page(assessment) + "return/", {"reason": "  "})
    assert response.status_code == 400
    assert "Give the reason" in response.text
    assessment.refresh_from_db()
    assert assessment.status == "submitted"


@pytest.mark.django_db
def test_the_officer_sees_the_reason_of_a_return(client, enrolment, officer, reviewer):
    assessment = enrolment.assessments.get(criterion__number=1)
    add_file(assessment, officer)
    workflow.submit(assessment, actor=officer)
    workflow.return_for_rework(
        assessment, actor=reviewer, reason="Biên bản chưa có chữ ký."
    )
    client.force_login(officer)
    response = client.get(page(assessment))
    assert "Biên bản chưa có chữ ký." in response.text
    assert 'role="alert"' in response.text


@pytest.mark.django_db
def test_the_second_reviewer_is_told_what_happened(
    client, enrolment, officer, reviewer, province
):
    colleague = member(Role.REVIEWER, province=province, username="lan")
    assessment = enrolment.assessments.get(criterion__number=1)
    add_file(assessment, officer)
    workflow.submit(assessment, actor=officer)
    workflow.approve(assessment, actor=colleague)
    client.force_login(reviewer)
    response = client.post(page(assessment) + "return/", {"reason": "x"}, follow=True)
    text = response.text
    assert "lan" in text
    assessment.refresh_from_db()
    assert assessment.status == "approved"


@pytest.mark.django_db
def test_upload_through_the_page(client, enrolment, officer, english):
    assessment = enrolment.assessments.get(criterion__number=1)
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    response = client.post(
        page(assessment) + "upload/",
        {
            "files": [
                files.upload("Biên bản.pdf", files.pdf("a")),
                files.upload("ảnh.png", files.png()),
            ],
            "description": "Hồ sơ",
            "document_date": "15/03/2026",
        },
        follow=True,
    )
    assert response.redirect_chain == [(page(assessment), 302)]
    assert "2 files added to the dossier." in response.text
    dates = set(assessment.evidence.values_list("original_name", "document_date"))
    assert dates == {
        ("Biên bản.pdf", dt.date(2026, 3, 15)),
        ("ảnh.png", dt.date(2026, 3, 15)),
    }
    assert "15/03/2026" in response.text  # shown as typed: day first


def messages_of(response) -> str:
    """The text of the page's outcome box, which comes before the content."""
    html = response.text
    start = html.index('id="messages"')
    assert start < html.index("<h1"), "the outcome is above the page's heading"
    return html[start : html.index("</div>", start)]


@pytest.mark.django_db
def test_a_refused_upload_is_said_at_the_top_and_keeps_what_was_typed(
    client, enrolment, officer, english
):
    assessment = enrolment.assessments.get(criterion__number=1)
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    response = client.post(
        page(assessment) + "upload/",
        {
            "files": [files.upload("x.pdf", b"nope")],
            "description": "Biên bản kiểm tra",
            "document_date": "15/03/2026",
        },
        follow=True,
    )
    assert response.redirect_chain == [(page(assessment), 302)]  # refresh is safe
    assert "The content of “x.pdf” is not a PDF file" in messages_of(response)
    assert "Biên bản kiểm tra</textarea>" in response.text
    assert 'value="15/03/2026"' in response.text
    assert assessment.evidence.count() == 0
    again = client.get(page(assessment))  # said once, then the form is fresh
    assert 'id="messages"' not in again.text
    assert "Biên bản kiểm tra" not in again.text


@pytest.mark.django_db
def test_a_batch_keeps_its_good_files_and_names_the_refused_one(
    client, enrolment, officer, english
):
    assessment = enrolment.assessments.get(criterion__number=1)
    add_file(assessment, officer, name="bao-cao.pdf", content=files.pdf("once"))
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    response = client.post(
        page(assessment) + "upload/",
        {
            "files": [
                files.upload("bao-cao-2.pdf", files.pdf("once")),
                files.upload("anh.png", files.png()),
            ]
        },
        follow=True,
    )
    said = messages_of(response)
    assert "1 file added to the dossier." in said
    assert "“bao-cao-2.pdf” is already in this dossier as “bao-cao.pdf”" in said
    assert set(assessment.evidence.values_list("original_name", flat=True)) == {
        "bao-cao.pdf",
        "anh.png",
    }


@pytest.mark.parametrize("typed", ["31/02/2026", "03/15/2026", "hôm qua"])
@pytest.mark.django_db
def test_a_date_not_written_day_first_is_refused_with_the_format(
    client, enrolment, officer, english, typed
):
    assessment = enrolment.assessments.get(criterion__number=1)
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    response = client.post(
        page(assessment) + "upload/",
        {"files": [files.upload("a.pdf", files.pdf())], "document_date": typed},
        follow=True,
    )
    assert "Write the date as dd/mm/yyyy" in messages_of(response)
    assert assessment.evidence.count() == 0


@pytest.mark.django_db
def test_downloads_are_attachments_with_the_encoded_name(client, enrolment, officer):
    assessment = enrolment.assessments.get(criterion__number=1)
    pdf = add_file(assessment, officer, name="Biên bản họp.pdf")
    doc = add_file(assessment, officer, name="Kế hoạch.docx", content=files.docx())
    client.force_login(officer)
    response = client.get(f"/evidence/{pdf.pk}/")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert quote("Biên bản họp.pdf") in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")

    inline = client.get(f"/evidence/{pdf.pk}/view/")
    assert inline["Content-Disposition"].startswith("inline")
    # Only images and PDFs are shown inline; others are always downloaded.
    office = client.get(f"/evidence/{doc.pk}/view/")
    assert office["Content-Disposition"].startswith("attachment")


@pytest.mark.django_db
def test_the_review_queue_lists_pending_items_oldest_first(
    client, enrolment, other_enrolment, officer, reviewer, settings
):
    import datetime as dt

    from django.utils import timezone

    other_officer = member(Role.OFFICER, ward=other_enrolment.ward)
    items = []
    for number in (3, 1, 2):
        assessment = enrolment.assessments.get(criterion__number=number)
        add_file(
            assessment, officer, name=f"{number}.pdf", content=files.pdf(str(number))
        )
        workflow.submit(assessment, actor=officer)
        items.append(assessment)
    elsewhere = other_enrolment.assessments.get(criterion__number=1)
    add_file(elsewhere, other_officer, name="x.pdf", content=files.pdf("x"))
    workflow.submit(elsewhere, actor=other_officer)
    # The first submitted waited ten days.
    Assessment.objects.filter(pk=items[0].pk).update(
        submitted_at=timezone.now() - dt.timedelta(days=10)
    )
    client.force_login(reviewer)
    response = client.get("/review/")
    queue = list(response.context["page"])
    assert [a.pk for a in queue] == [a.pk for a in items]
    assert queue[0].overdue and not queue[1].overdue
    assert queue[0].age.days == 10
    older = client.get("/review/", {"older_than": "7"})
    assert [a.pk for a in older.context["page"]] == [items[0].pk]
    workflow.claim(items[1], actor=reviewer)
    mine = client.get("/review/", {"claimed": "mine"})
    assert [a.pk for a in mine.context["page"]] == [items[1].pk]


@pytest.mark.django_db
def test_the_queue_is_only_for_reviewers(client, officer, leader):
    for user in (officer, leader):
        client.force_login(user)
        assert client.get("/review/").status_code == 404


@pytest.mark.django_db
def test_home_shows_recent_events_that_concern_the_user(
    client, enrolment, officer, reviewer
):
    assessment = enrolment.assessments.get(criterion__number=1)
    add_file(assessment, officer)
    workflow.submit(assessment, actor=officer)
    workflow.return_for_rework(assessment, actor=reviewer, reason="Cần bổ sung ảnh")
    client.force_login(officer)
    response = client.get("/", follow=True)
    events = list(response.context["recent_events"])
    assert [e.action for e in events] == ["return"]
    assert "Cần bổ sung ảnh" in response.text
    client.force_login(reviewer)
    response = client.get("/", follow=True)
    # Each file added is detail: the reviewer's feed shows the submission.
    assert [e.action for e in response.context["recent_events"]] == ["submit"]


@pytest.mark.django_db
def test_an_approval_with_a_comment_too_long_is_refused_and_kept(
    client, enrolment, officer, reviewer
):
    assessment = enrolment.assessments.get(criterion__number=1)
    add_file(assessment, officer)
    workflow.submit(assessment, actor=officer)
    client.force_login(reviewer)
    comment = "Đạt yêu cầu. " * 400  # over the 4,000 characters a comment may have
    response = client.post(page(assessment) + "approve/", {"comment": comment})
    assert response.status_code == 400
    assessment.refresh_from_db()
    assert assessment.status == "submitted"
    assert response.context["comment_form"].errors["comment"]
    assert comment.strip()[:50] in response.text  # what was typed is still there


@pytest.mark.django_db
def test_an_upload_to_a_criterion_submitted_meanwhile_says_so(
    client, enrolment, officer
):
    assessment = enrolment.assessments.get(criterion__number=1)
    add_file(assessment, officer)
    client.force_login(officer)
    workflow.submit(assessment, actor=officer)  # in another tab
    response = client.post(
        page(assessment) + "upload/",
        {"files": [files.upload("muon.pdf", files.pdf("late"))]},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == page(assessment)
    assert response.status_code == 200
    assert "Đã trình xét duyệt" in response.text  # the state it is in now
    (message,) = [str(m) for m in response.context["messages"]]
    assert message in response.text


@pytest.mark.django_db
def test_too_many_files_at_once_get_a_clear_page(client, enrolment, officer):
    assessment = enrolment.assessments.get(criterion__number=1)
    client.force_login(officer)
    uploads = [files.upload(f"{i}.pdf", files.pdf(str(i))) for i in range(101)]
    response = client.post(page(assessment) + "upload/", {"files": uploads})
    assert response.status_code == 400
    assert "Gửi tối đa 10 tệp" in response.text


@pytest.mark.django_db
def test_the_reason_of_a_return_stays_in_view_until_it_is_submitted_again(
    client, enrolment, officer, reviewer
):
    assessment = enrolment.assessments.get(criterion__number=1)
    add_file(assessment, officer)
    workflow.submit(assessment, actor=officer)
    workflow.return_for_rework(assessment, actor=reviewer, reason="Thiếu chữ ký.")
    client.force_login(officer)
    assert (
        "Thiếu chữ ký." in client.get(page(assessment)).context["last_return"].comment
    )
    add_file(assessment, officer, name="bo-sung.pdf", content=files.pdf("more"))
    response = client.get(page(assessment))  # in progress again, still open
    assert response.context["last_return"].comment == "Thiếu chữ ký."
    assert "returned-reason" in response.text
    workflow.submit(assessment, actor=officer)
    assert client.get(page(assessment)).context["last_return"] is None


@pytest.mark.django_db
def test_withdrawing_a_file_asks_first(client, enrolment, officer):
    assessment = enrolment.assessments.get(criterion__number=1)
    evidence = add_file(assessment, officer, name="bien-ban.pdf")
    client.force_login(officer)
    text = client.get(page(assessment)).text
    summary = text.index('<details class="confirm-withdraw">')
    question = text.index("Rút “bien-ban.pdf” khỏi hồ sơ?")
    button = text.index(f'action="/evidence/{evidence.pk}/withdraw/"')
    assert summary < button and summary < question  # behind the question


@pytest.mark.django_db
def test_the_queue_says_how_long_an_item_waited_and_the_deadline_it_passed(
    client, enrolment, officer, reviewer, settings
):
    settings.REVIEW_OVERDUE_DAYS = 7
    assessment = enrolment.assessments.get(criterion__number=1)
    add_file(assessment, officer)
    workflow.submit(assessment, actor=officer)
    submitted = timezone.now() - dt.timedelta(days=13)
    Assessment.objects.filter(pk=assessment.pk).update(submitted_at=submitted)
    client.force_login(reviewer)
    text = client.get("/review/").text
    deadline = timezone.localdate(submitted) + dt.timedelta(days=7)
    assert "13 ngày" in text
    assert f"quá hạn 6 ngày (hạn {deadline:%d/%m/%Y})" in text
