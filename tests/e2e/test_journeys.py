import io
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import User
from assessments import workflow
from assessments.models import Assessment
from tests import files
from tests.e2e.conftest import log_in, log_out

pytestmark = pytest.mark.e2e

# The demo's current year is the year it is loaded in.
YEAR = timezone.localdate().year
WARD = "/wards/14797/"  # Phường Hạc Thành, Thanh Hóa (since 1 July 2025)
CRITERION = f"{WARD}{YEAR}/10/"  # its criterion 10, waiting for review


@pytest.fixture
def returned_last_week(demo):
    """Hạc Thành's criterion 10 came back from review, so the ward is working on it."""
    assessment = Assessment.objects.get(
        enrolment__ward__code="14797", enrolment__year=YEAR, criterion__number=10
    )
    workflow.return_for_rework(
        assessment,
        actor=User.objects.get(username="demo-reviewer"),
        reason="Hồ sơ cần bổ sung.",
    )
    return assessment


def progress_on(page, url: str) -> str:
    page.goto(url)
    return page.locator(".big-progress .progress-figure").inner_text()


def upload(page) -> str:
    """Send the upload form; the outcome, said at the top of the new page."""
    page.click("form.upload-form button[type=submit]")
    outcome = page.locator("#messages")
    outcome.wait_for()
    return outcome.inner_text()


def test_officer_uploads_and_submits_then_the_reviewer_returns(
    open_page, returned_last_week, tmp_path
):
    # 1. The officer, in Vietnamese, uploads two files and submits.
    page = open_page("demo-officer")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert progress_on(page, WARD) == "15/22"
    assert "Hạc Thành" in page.inner_text("h1")
    page.click(f"a[href='{CRITERION}']")
    plan = tmp_path / "Kế hoạch tuần tra.pdf"
    plan.write_bytes(files.pdf("plan"))
    photo = tmp_path / "camera.png"
    photo.write_bytes(files.png())
    page.set_input_files("input[name=files]", [str(plan), str(photo)])
    page.fill("textarea[name=description]", "Kế hoạch và ảnh camera")
    upload(page)
    added = page.locator(".evidence-list a", has_text="Kế hoạch tuần tra.pdf")
    assert added.count() == 1
    page.click("text=Trình xét duyệt")
    assert "Đã trình xét duyệt" in page.inner_text(".badge.big")
    log_out(page)

    # 2. The reviewer finds it in the queue and returns it with a reason.
    log_in(page, "demo-reviewer")
    assert page.url.endswith("/review/")
    page.click(f"table.queue a[href='{CRITERION}']")
    page.fill("form[action$='/return/'] textarea[name=reason]", "Thiếu biên bản ký.")
    page.click("form[action$='/return/'] button")
    assert "Bị trả lại" in page.inner_text(".badge.big")


def test_the_officer_answers_the_return_then_the_reviewer_approves(
    open_page, returned_last_week, tmp_path
):
    # The officer sees the reason, adds evidence and submits again.
    page = open_page("demo-officer")
    page.goto(CRITERION)
    assert "Hồ sơ cần bổ sung." in page.inner_text(".returned-reason")
    minutes = tmp_path / "Biên bản đã ký.pdf"
    minutes.write_bytes(files.pdf("signed"))
    page.set_input_files("input[name=files]", str(minutes))
    upload(page)
    page.click("text=Trình xét duyệt")
    log_out(page)

    # The reviewer approves: 15/22 becomes 16/22 on the ward page and dashboard.
    log_in(page, "demo-reviewer")
    assert progress_on(page, WARD) == "15/22"
    page.goto(CRITERION)
    page.click("form[action$='/approve/'] button")
    assert "Đã phê duyệt" in page.inner_text(".badge.big")
    assert progress_on(page, WARD) == "16/22"
    page.goto("/dashboard/38/")
    row = page.locator("table.ranked tr", has_text="Hạc Thành")
    assert "16/22" in row.inner_text()


def test_the_officer_reads_the_2023_record_of_a_ward_their_unit_took(open_page):
    page = open_page("demo-officer")
    page.goto(WARD)
    page.click(".lineage a:has-text('Phường An Hưng (16435)')")
    page.click("ul.unit-results a:has-text('Phường An Hưng')")
    assert "An Hưng" in page.inner_text("h1")
    assert "year=2023" in page.url
    assert page.locator(".big-progress .progress-figure").inner_text() == "18/22"
    # Read only: An Hưng is not the officer's own unit.
    page.locator(".criteria a.title").first.click()
    assert "/wards/16435/2023/" in page.url
    assert page.locator("input[name=files]").count() == 0


def test_a_leader_filters_the_province_and_downloads_the_xlsx(open_page):
    page = open_page("demo-leader")
    page.click("nav.main-nav >> text=Bảng theo dõi")
    assert page.url.split("?")[0].endswith("/dashboard/01/")
    assert "3 phường đạt 16/22" in page.inner_text(".sentence")
    page.select_option("select[name=track]", "province")
    page.click("form.filters button")
    assert page.locator("table.ranked tbody tr").count() == 19
    with page.expect_download() as info:
        page.click("a[href*='/dashboard/export/wards.xlsx']")
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
    rows = list(sheet.values)
    assert rows[0][1] == "Phường"
    assert len(rows) == 1 + 19
    assert {row[2] for row in rows[1:]} == {"Cấp tỉnh"}


def test_switching_to_english_and_back(open_page):
    page = open_page("demo-national")
    assert page.inner_text("nav.main-nav").startswith("Trang chủ")
    page.click("button[value=en]")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.inner_text("nav.main-nav").startswith("Home")
    assert "National dashboard" in page.inner_text("h1")  # where leaders land
    page.click("button[value=vi]")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert "Bảng theo dõi toàn quốc" in page.inner_text("h1")


def test_phone_pages_need_no_sideways_scrolling(open_page, returned_last_week):
    page = open_page("demo-officer", phone=True)
    for url in [WARD, CRITERION]:
        page.goto(url)
        width = page.evaluate("document.documentElement.clientWidth")
        assert page.evaluate("document.documentElement.scrollWidth") <= width, url
        controls = ["nav.main-nav a", "form.logout button", "button[value=en]"]
        if url == CRITERION:
            controls += ["input[name=files]", "form.upload-form button[type=submit]"]
        else:
            controls += [f"a[href='{CRITERION}']"]
        for selector in controls:
            element = page.locator(selector).first
            element.scroll_into_view_if_needed()
            box = element.bounding_box()
            assert box is not None, (url, selector)
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (url, selector)
