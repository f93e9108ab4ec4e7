"""The calendar in the browser: the national leader sets a year's dates, a
provincial leader sees in the bell that wards are late, opens the list of
late wards from there, and the bell's count goes down."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import User
from deadlines.models import Calendar
from reminders.jobs import run_jobs

pytestmark = pytest.mark.e2e

YEAR = timezone.localdate().year


def said(page) -> str:
    outcome = page.locator("#messages")
    outcome.wait_for()
    return outcome.inner_text()


def test_a_deadline_passes_and_the_leader_hears_of_it(open_page):
    today = timezone.localdate()
    # 1. The national leader sets the evidence date, a day already past.
    page = open_page("demo-national")
    page.goto(f"/calendar/?year={YEAR}")
    due = max(dt.date(YEAR, 1, 1), today - dt.timedelta(days=1))
    page.fill("input[name=evidence_due]", due.strftime("%d/%m/%Y"))
    page.click("form.calendar-form button[type=submit]")
    assert str(YEAR) in said(page)
    assert Calendar.objects.get(year=YEAR, province=None).evidence_due == due
    # A date the year-end criteria cannot meet is refused, in Vietnamese.
    page.fill("input[name=year_end_evidence_due]", f"01/01/{YEAR}")
    page.click("form.calendar-form button[type=submit]")
    # The click only starts the post: wait for the page it brings back.
    refused = page.locator("p.form-error", has_text="Tiêu chí đánh giá cuối năm")
    refused.wait_for(state="visible")
    assert "Nothing was saved" not in page.content()  # it speaks Vietnamese

    # 2. Hà Nội's own date is the demo's (three days ago); the worker's
    # jobs run, and the leader's bell has the escalation.
    run_jobs(today)
    leader = User.objects.get(username="demo-leader")
    before = leader.unread_notifications
    assert before > 0
    page = open_page("demo-leader")
    page.goto("/dashboard/01/")
    bell = page.locator("a.bell .count")
    assert bell.inner_text() == str(before)
    page.click("a.bell")
    late = page.locator("li.notification.unread", has_text="chậm nộp minh chứng")
    late.first.locator("button").click()
    # 3. The notification leads to the list of late wards, and is read.
    assert "late=true" in page.url
    assert page.locator("table.wards .tag.overdue").count() > 0
    leader.refresh_from_db()
    assert leader.unread_notifications == before - 1
    assert page.locator("a.bell .count").inner_text() == str(before - 1)
