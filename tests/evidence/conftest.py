import pytest

from evidence import workflow
from evidence.services import attach_evidence
from tests import files

Status = workflow.Status


def add_file(assessment, actor, name="bien-ban.pdf", content=None):
    return attach_evidence(
        assessment=assessment,
        uploads=[files.upload(name, content or files.pdf(name))],
        description="",
        document_date=None,
        actor=actor,
    )[0]


@pytest.fixture
def assessment(enrolment):
    return enrolment.assessments.select_related("criterion", "enrolment__ward").get(
        criterion__number=1
    )


@pytest.fixture
def reach(officer, reviewer):
    """Bring an assessment to a status the way people would."""

    def reach(assessment, status):
        if status == Status.NOT_STARTED:
            return assessment
        add_file(assessment, officer, name=f"{assessment.pk}.pdf")
        if status == Status.IN_PROGRESS:
            return assessment
        workflow.submit(assessment, actor=officer)
        if status == Status.SUBMITTED:
            return assessment
        if status == Status.APPROVED:
            workflow.approve(assessment, actor=reviewer)
        else:
            workflow.return_for_rework(assessment, actor=reviewer, reason="Thiếu dấu")
        assessment.refresh_from_db()
        return assessment

    return reach
