"""A new version of a file: the old one is kept, with its hash, as an
earlier revision the reviewer sees, instead of a withdrawal and a new
upload."""

import pytest
from django.core.files.storage import default_storage

from access.models import Membership
from assessments import services, workflow
from assessments.models import Evidence, ReviewEvent
from tests import files
from tests.factories import add_file, member

Role = Membership.Role


def new_version(client, item, name, content):
    return client.post(
        f"/evidence/{item.pk}/new-version/",
        {"file": files.upload(name, content)},
        follow=True,
    )


def test_a_new_version_keeps_the_old_one_as_a_revision(
    client, assessment, officer, reviewer
):
    first = add_file(assessment, officer, name="ke-hoach.pdf", content=files.pdf("v1"))
    client.force_login(officer)
    new_version(client, first, "ke-hoach-v2.pdf", files.pdf("v2"))
    second = Evidence.objects.get(withdrawn_at=None)
    new_version(client, second, "ke-hoach-v3.pdf", files.pdf("v3"))
    third = Evidence.objects.get(withdrawn_at=None)
    first.refresh_from_db()
    second.refresh_from_db()
    # One file in the dossier; the chain behind it, each with its hash.
    assert (third.replaces, second.replaces) == (second, first)
    assert first.withdrawn_at and second.withdrawn_at and not third.withdrawn_at
    assert default_storage.exists(first.file.name)
    events = ReviewEvent.objects.filter(action="replace_evidence").order_by("pk")
    assert [e.comment for e in events] == [
        "ke-hoach.pdf → ke-hoach-v2.pdf",
        "ke-hoach-v2.pdf → ke-hoach-v3.pdf",
    ]
    # The reviewer sees the versions, newest first, and can open the old.
    add_file(assessment, officer, name="khac.pdf", content=files.pdf("khac"))
    workflow.submit(assessment, actor=officer)
    client.force_login(reviewer)
    page = client.get(assessment.get_absolute_url())
    (shown,) = [e for e in page.context["active_evidence"] if e.pk == third.pk]
    assert shown.revisions == [second, first]
    text = page.content.decode()
    assert "Phiên bản 3: các phiên bản trước" in text and first.sha256[:12] in text
    assert page.context["withdrawn_evidence"] == []  # replaced, not withdrawn
    assert client.get(f"/evidence/{first.pk}/").status_code == 200


def test_the_same_content_is_not_a_new_version_and_nothing_is_kept(assessment, officer):
    item = add_file(assessment, officer, name="a.pdf", content=files.pdf("a"))
    before = set(default_storage.listdir(item.file.name.rsplit("/", 1)[0])[1])
    with pytest.raises(workflow.DuplicateEvidence):
        services.replace_evidence(
            evidence=item, upload=files.upload("b.pdf", files.pdf("a")), actor=officer
        )
    with pytest.raises(services.UploadRefused):
        services.replace_evidence(
            evidence=item, upload=files.upload("c.pdf", b"not a pdf"), actor=officer
        )
    after = set(default_storage.listdir(item.file.name.rsplit("/", 1)[0])[1])
    assert after == before
    item.refresh_from_db()
    assert item.withdrawn_at is None and Evidence.objects.count() == 1


def test_only_the_wards_officers_and_only_before_submitting(
    client, assessment, officer, reviewer, other_enrolment
):
    item = add_file(assessment, officer)
    for user in (reviewer, member(Role.OFFICER, ward=other_enrolment.ward)):
        client.force_login(user)
        response = client.post(
            f"/evidence/{item.pk}/new-version/",
            {"file": files.upload("x.pdf", files.pdf("x"))},
        )
        assert response.status_code == 404
    workflow.submit(assessment, actor=officer)
    with pytest.raises(workflow.WorkflowError):
        services.replace_evidence(
            evidence=item, upload=files.upload("y.pdf", files.pdf("y")), actor=officer
        )
    assert Evidence.objects.count() == 1
