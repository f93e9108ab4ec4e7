"""A criterion with an indicator, from the Party committee's figure to its
approval: the contributor enters the figure with its source and adds the
file, a reviewer asks in the conversation and the officer answers (the
status stays), the officer submits and the reviewer approves."""

import pytest
from django.utils import timezone

from assessments.models import Assessment, Comment, IndicatorValue
from tests import files
from tests.e2e.conftest import log_in, log_out
from tests.e2e.test_journeys import upload

pytestmark = pytest.mark.e2e

YEAR = timezone.localdate().year
# Phường Hạc Thành's criterion 1, carried out by its Party committee; its
# indicator (resolutions on security and order this year) is not entered yet.
CRITERION = f"/wards/14797/{YEAR}/1/"
RESOLUTION = "Nghị quyết chuyên đề về an ninh, trật tự.pdf"
SOURCE = "Nghị quyết chuyên đề của Đảng ủy phường Hạc Thành (bản ký ngày 15/03)"


def status_on(page) -> str:
    """The criterion's status, as its badge says it (by its class)."""
    badge = page.locator(".badge.big")
    return next(
        name.removeprefix("status-")
        for name in badge.get_attribute("class").split()
        if name.startswith("status-")
    )


def send(page, button: str) -> None:
    """Click a form's button and wait for the page the server answers with."""
    with page.expect_navigation():
        page.locator(button).click()


def say_in_thread(page, text: str) -> None:
    page.fill("form.comment-form textarea[name=text]", text)
    send(page, "form.comment-form button[type=submit]")
    assert page.locator("ol.comments li.comment", has_text=text).count() == 1


def test_the_party_committee_figure_goes_through_review_with_a_question(
    open_page, tmp_path
):
    # 1. The Party committee's contributor adds its resolution, then the
    #    figure with the document it comes from and that file.
    page = open_page("demo-contributor")
    page.goto(CRITERION)
    assert status_on(page) == "in_progress"
    row = page.locator("table.indicator-table tbody tr").first
    assert row.get_attribute("class") == "not-met"
    resolution = tmp_path / RESOLUTION
    resolution.write_bytes(files.pdf("resolution"))
    page.set_input_files("input[name=files]", str(resolution))
    upload(page)
    assert page.locator(".evidence-list a", has_text=RESOLUTION).count() == 1
    page.click("details.enter-figure summary")
    form = page.locator("details.enter-figure form")
    form.locator("input[name=period_end]").fill(f"{timezone.localdate():%d/%m/%Y}")
    form.locator("input[name=value]").fill("2")
    form.locator("input[name=source]").fill(SOURCE)
    form.locator("select[name=evidence]").select_option(label=RESOLUTION)
    send(page, "details.enter-figure button[type=submit]")
    assert row.get_attribute("class") == "met"
    assert SOURCE in row.inner_text() and RESOLUTION in row.inner_text()
    assert status_on(page) == "in_progress"
    # Submitting is the officers' work, not the contributor's.
    assert page.locator("form[action$='/submit/']").count() == 0
    log_out(page)

    # 2. The reviewer asks in the conversation ("Trao đổi"): nothing moves.
    log_in(page, "demo-reviewer")
    page.goto(CRITERION)
    assert page.locator("#comments-title").inner_text().startswith("Trao đổi")
    say_in_thread(page, "Nghị quyết đã được quán triệt đến các chi bộ chưa?")
    assert status_on(page) == "in_progress"
    log_out(page)

    # 3. The officer answers there, then submits.
    log_in(page, "demo-officer")
    page.goto(CRITERION)
    say_in_thread(page, "Đã quán triệt đến 100% chi bộ trong tháng 4.")
    assert status_on(page) == "in_progress"
    send(page, "form[action$='/submit/'] button")
    assert status_on(page) == "submitted"
    log_out(page)

    # 4. The reviewer approves; the figure reads as met.
    log_in(page, "demo-reviewer")
    page.goto(CRITERION)
    send(page, "form[action$='/approve/'] button")
    assert status_on(page) == "approved"
    assert row.get_attribute("class") == "met"
    assert "2 văn bản" in row.inner_text()

    assessment = Assessment.objects.get(
        enrolment__ward__code="14797", enrolment__year=YEAR, criterion__number=1
    )
    assert assessment.status == "approved"
    value = IndicatorValue.objects.get(
        ward=assessment.enrolment.ward,
        code="security_resolutions",
        period_end=timezone.localdate(),
    )
    assert value.entered_by.username == "demo-contributor"
    assert (value.source, value.evidence.original_name) == (SOURCE, RESOLUTION)
    assert [
        c.author.username for c in Comment.objects.filter(assessment=assessment)
    ] == [
        "demo-reviewer",
        "demo-officer",
    ]
    assert list(
        assessment.events.order_by("created_at", "pk").values_list(
            "action", "to_status"
        )
    )[-4:] == [
        ("add_evidence", "in_progress"),
        ("enter_value", "in_progress"),
        ("submit", "submitted"),
        ("approve", "approved"),
    ]
