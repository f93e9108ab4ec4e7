import pytest

from assessments import workflow
from assessments.models import Evidence, ReviewEvent
from tests.factories import WardFactory, add_file


@pytest.fixture
def history(enrolment, officer, reviewer):
    assessment = enrolment.assessments.get(criterion__number=1)
    evidence = add_file(assessment, officer)
    workflow.submit(assessment, actor=officer)
    workflow.approve(assessment, actor=reviewer)
    return assessment, evidence


@pytest.mark.django_db
def test_the_review_log_cannot_be_changed_or_deleted_in_the_admin(
    admin_client, history
):
    event = ReviewEvent.objects.first()
    comment = event.comment
    base = f"/admin/evidence/reviewevent/{event.pk}"
    assert admin_client.get("/admin/evidence/reviewevent/").status_code == 200
    assert admin_client.get(f"{base}/change/").status_code == 200  # read-only view
    assert admin_client.post(f"{base}/change/", {"comment": "sửa"}).status_code == 403
    assert admin_client.post(f"{base}/delete/", {"post": "yes"}).status_code == 403
    response = admin_client.post(
        "/admin/evidence/reviewevent/",
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    event.refresh_from_db()
    assert event.comment == comment
    assert ReviewEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_evidence_cannot_be_deleted_in_the_admin(admin_client, history):
    _assessment, evidence = history
    response = admin_client.post(
        f"/admin/evidence/evidence/{evidence.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert Evidence.objects.filter(pk=evidence.pk).exists()


@pytest.mark.django_db
def test_the_admin_cannot_set_a_status(admin_client, history):
    assessment, _evidence = history
    admin_client.post(
        f"/admin/evidence/assessment/{assessment.pk}/change/", {"status": "returned"}
    )
    assessment.refresh_from_db()
    assert assessment.status == "approved"
    response = admin_client.get(f"/admin/evidence/assessment/{assessment.pk}/change/")
    assert response.status_code == 200


@pytest.mark.django_db
def test_every_admin_list_opens(admin_client, history):
    for path in [
        "accounts/user",
        "wards/province",
        "wards/ward",
        "evidence/enrolment",
        "access/membership",
        "criteria/criteriaset",
        "criteria/criterion",
        "criteria/criteriongroup",
        "evidence/assessment",
        "evidence/evidence",
        "evidence/reviewevent",
    ]:
        assert admin_client.get(f"/admin/{path}/").status_code == 200, path


@pytest.mark.django_db
def test_the_admin_cannot_move_a_dossier_or_edit_evidence(admin_client, history):
    assessment, evidence = history
    enrolment = assessment.enrolment
    other = WardFactory()
    admin_client.post(
        f"/admin/evidence/enrolment/{enrolment.pk}/change/",
        {"ward": other.pk, "year": 2020, "track": "province"},
    )
    enrolment.refresh_from_db()
    assert (enrolment.ward_id, enrolment.year) != (other.pk, 2020)
    admin_client.post(
        f"/admin/evidence/evidence/{evidence.pk}/change/",
        {"description": "sửa", "document_date": "2020-01-01"},
    )
    evidence.refresh_from_db()
    assert evidence.description != "sửa" and evidence.document_date is None
