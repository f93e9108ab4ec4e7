"""From 22/22 to recognition in the browser: the province proposes, the
Ministry returns a criterion, the ward fixes it, the province proposes again,
the Ministry accepts and records the signed decision, and the national
dashboard counts the ward as recognised."""

import pytest
from django.utils import timezone

from access.models import Membership
from accounts.models import User
from assessments import tally
from assessments.models import Assessment, Decision, Enrolment
from tests import files
from tests.e2e.conftest import log_in, log_out
from wards.models import Province, Ward

pytestmark = pytest.mark.e2e

YEAR = timezone.localdate().year
WARD = "/wards/09552/"  # Phường Kiến Hưng, Hà Nội (since 1 July 2025)


@pytest.fixture
def kien_hung(demo):
    """Kiến Hưng complete and not proposed (as the demo has it once the
    year-end window is open); demo-officer and demo-reviewer work on it too."""
    enrolment = Enrolment.objects.get(ward__code="09552", year=YEAR)
    Assessment.objects.filter(enrolment=enrolment).update(status="approved")
    tally.recount()
    ward = Ward.objects.get(pk=enrolment.ward_id)
    hanoi = Province.objects.get(pk=ward.province_id)
    Membership.objects.create(
        user=User.objects.get(username="demo-officer"),
        role=Membership.Role.OFFICER,
        ward=ward,
    )
    Membership.objects.create(
        user=User.objects.get(username="demo-reviewer"),
        role=Membership.Role.REVIEWER,
        province=hanoi,
    )
    return enrolment


def said(page) -> str:
    outcome = page.locator("#messages")
    outcome.wait_for()
    return outcome.inner_text()


def propose(page) -> None:
    page.goto(f"{WARD}?year={YEAR}")
    page.fill("form.propose-form textarea[name=note]", "Đạt đủ 22/22 tiêu chí.")
    page.click("form.propose-form button")
    said(page)
    assert page.locator(".recognition-panel .standing-proposed").count() == 1


def test_a_ward_goes_from_complete_to_recognised(open_page, kien_hung, tmp_path):
    # 1. The provincial leader proposes the complete ward.
    page = open_page("demo-leader")
    propose(page)
    log_out(page)

    # 2. The Ministry reviewer returns it, naming criterion 5.
    log_in(page, "demo-ministry")
    assert page.url.endswith("/proposals/")
    page.click("table.queue a:has-text('Kiến Hưng')")
    page.check("input[name=criteria][id=c5]")
    page.fill("textarea[name=reason]", "Biên bản tiêu chí 5 chưa có chữ ký.")
    page.click("#return-form button[name=return]")
    said(page)
    log_out(page)

    # 3. The officer sees the reason on criterion 5, adds a file, submits.
    log_in(page, "demo-officer")
    page.goto(f"{WARD}{YEAR}/5/")
    assert "Biên bản tiêu chí 5 chưa có chữ ký." in page.inner_text(".returned-reason")
    signed = tmp_path / "Biên bản đã ký.pdf"
    signed.write_bytes(files.pdf("signed"))
    page.set_input_files("input[name=files]", str(signed))
    page.click("form.upload-form button[type=submit]")
    said(page)
    page.click("form[action$='/submit/'] button")
    said(page)
    log_out(page)

    # 4. The provincial reviewer approves it.
    log_in(page, "demo-reviewer")
    page.goto(f"{WARD}{YEAR}/5/")
    page.click("form[action$='/approve/'] button")
    said(page)
    assert page.locator(".badge.big.status-approved").count() == 1
    log_out(page)

    # 5. The leader proposes again.
    log_in(page, "demo-leader")
    propose(page)
    log_out(page)

    # 6. The Ministry accepts it from the queue and records the decision.
    log_in(page, "demo-ministry")
    row = page.locator("table.queue tr", has_text="Kiến Hưng")
    row.locator("input[name=proposal]").check()
    page.click("form[action$='/proposals/accept/'] button[type=submit]")
    said(page)
    page.click("a[href='/decisions/new/']")
    page.select_option("select[name=track]", "ministry")
    page.fill("input[name=year]", str(YEAR))
    page.fill("input[name=number]", f"{YEAR}/QĐ-BCA-V05")
    page.fill("input[name=date]", timezone.localdate().strftime("%d/%m/%Y"))
    page.fill("input[name=signer]", "Thứ trưởng Nguyễn Văn Bình")
    scan = tmp_path / "Quyết định công nhận.pdf"
    scan.write_bytes(files.pdf("decision"))
    page.set_input_files("input[name=scan]", str(scan))
    page.locator("label.check", has_text="Kiến Hưng").locator("input").check()
    page.click("form.decision-form button[type=submit]")
    said(page)
    decision = Decision.objects.get(number=f"{YEAR}/QĐ-BCA-V05")
    assert page.url.endswith(decision.get_absolute_url())
    assert decision.scan_sha256 in page.inner_text("dl.facts")
    log_out(page)

    # 7. The national dashboard counts it as recognised.
    log_in(page, "demo-national")
    page.goto(f"/dashboard/?year={YEAR}")
    recognised = page.locator(".recognition-kpis .standing-recognised strong")
    assert recognised.inner_text() == "1"
    row = page.locator("table.provinces tr", has_text="Hà Nội")
    assert row.locator("td").last.inner_text() == "1"
    kien_hung.refresh_from_db()
    assert kien_hung.stage == "recognised" and kien_hung.decision == decision
