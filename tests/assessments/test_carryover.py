"""Next year from this year: last year's still-valid evidence carried over,
linked and not copied, confirmed before the criterion is submitted."""

import datetime as dt
import tarfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command

from access.models import Membership
from assessments import carryover, tally, workflow
from assessments.models import Assessment, Enrolment, Evidence, ReviewEvent
from ops import backup
from ops.integrity import check, stored_names
from ops.sweep import sweep
from tests import files
from tests.factories import (
    EnrolmentFactory,
    ProvinceFactory,
    WardFactory,
    add_file,
    make_criteria_set,
    member,
)
from tests.ops.test_backup import fresh_media
from tests.ops.test_sweep import DAY, age

Status = Assessment.Status
Action = ReviewEvent.Action
Role = Membership.Role
pytestmark = pytest.mark.usefixtures("english")

TODAY = dt.date.today()
SNAPSHOT = [
    "pk",
    "assessment",
    "file",
    "sha256",
    "valid_until",
    "withdrawn_at",
    "carried_from",
    "confirmed_at",
]


def attach(assessment, officer, name, valid_until=None):
    item = add_file(assessment, officer, name=name, content=files.pdf(name))
    if valid_until is not None:
        Evidence.objects.filter(pk=item.pk).update(valid_until=valid_until)
    return item


def build_years():
    """A ward enrolled in 2025 and 2026 on one set, and its people.

    In 2025, criterion 1 was approved with a.pdf (no end date), b.pdf (valid
    for months yet), c.pdf (expired yesterday) and d.pdf (withdrawn);
    criterion 2 was returned (e.pdf); criterion 3 approved with f.pdf and
    g.pdf, and this year's dossier of 3 has f.pdf already; criterion 4
    approved with h.pdf, and is approved this year too.
    """
    province = ProvinceFactory(code="38")
    ward = WardFactory(province=province, code="16435")
    criteria_set = make_criteria_set(22)
    before = EnrolmentFactory(ward=ward, criteria_set=criteria_set, year=2025)
    now = EnrolmentFactory(ward=ward, criteria_set=criteria_set, year=2026)
    officer = member(Role.OFFICER, ward=ward)
    reviewer = member(Role.REVIEWER, province=province)
    old = {
        a.criterion.number: a for a in before.assessments.select_related("criterion")
    }
    new = {a.criterion.number: a for a in now.assessments.select_related("criterion")}
    items = {}
    for number, names in ((1, "abcd"), (2, "e"), (3, "fg"), (4, "h")):
        for letter in names:
            items[letter] = attach(old[number], officer, f"{letter}.pdf")
        if number == 1:
            workflow.withdraw_evidence(items["d"], actor=officer)
        workflow.submit(old[number], actor=officer)
        if number == 2:
            workflow.return_for_rework(old[number], actor=reviewer, reason="Thiếu")
        else:
            workflow.approve(old[number], actor=reviewer)
    Evidence.objects.filter(pk=items["b"].pk).update(
        valid_until=TODAY + dt.timedelta(days=120)
    )
    Evidence.objects.filter(pk=items["c"].pk).update(
        valid_until=TODAY - dt.timedelta(days=1)
    )
    attach(new[3], officer, "f.pdf")
    Assessment.objects.filter(pk=new[4].pk).update(status=Status.APPROVED)
    tally.recount()
    return {
        "before": before,
        "now": now,
        "officer": officer,
        "reviewer": reviewer,
        "old": old,
        "new": new,
        "items": {k: Evidence.objects.get(pk=v.pk) for k, v in items.items()},
        "stranger": member(
            Role.OFFICER, ward=WardFactory(province=province, code="14797")
        ),
    }


@pytest.fixture(scope="module")
def years(module_db):
    return build_years()


def offered(enrolment, today=None):
    found = {
        offer.number: [item.original_name for item in offer.items]
        for offer in carryover.offers(enrolment, today=today)
    }
    # The ward page's count, read without the files, says the same.
    assert carryover.offers_count(enrolment, today=today) == len(found)
    return found


def last_year_rows(before):
    rows = Evidence.objects.filter(assessment__enrolment=before)
    return list(rows.order_by("pk").values_list(*SNAPSHOT))


def test_exactly_the_still_valid_evidence_is_offered(years):
    assert offered(years["now"]) == {1: ["a.pdf", "b.pdf"], 3: ["g.pdf"]}
    assert carryover.offers_count(years["now"]) == 2
    # Once b.pdf has expired, only a.pdf of criterion 1 is left.
    assert offered(years["now"], today=TODAY + dt.timedelta(days=121)) == {
        1: ["a.pdf"],
        3: ["g.pdf"],
    }
    # The year before has no year before it; a proposed ward takes nothing.
    assert offered(years["before"]) == {}
    Enrolment.objects.filter(pk=years["now"].pk).update(stage="proposed")
    assert offered(Enrolment.objects.get(pk=years["now"].pk)) == {}


def test_carried_evidence_is_linked_not_copied(years):
    officer, first = years["officer"], years["new"][1]
    before = last_year_rows(years["before"])
    events_before = years["old"][1].events.count()
    stored = sorted(stored_names(default_storage))

    carried = carryover.carry_over(first, actor=officer)

    assert [row.original_name for row in carried] == ["a.pdf", "b.pdf"]
    for row in carried:
        source = row.carried_from
        row.refresh_from_db()
        assert row.assessment_id == first.pk
        assert (row.file.name, row.sha256, row.size, row.valid_until) == (
            source.file.name,
            source.sha256,
            source.size,
            source.valid_until,
        )
        assert row.uploaded_by == officer and row.needs_confirmation
    assert sorted(stored_names(default_storage)) == stored  # no new file
    first.refresh_from_db()
    assert first.status == Status.IN_PROGRESS
    event = first.events.latest("pk")
    assert (event.action, event.comment) == (
        Action.CARRY_OVER,
        "From 2025: a.pdf, b.pdf",
    )
    # Last year's rows, status and history stay as they were.
    assert last_year_rows(years["before"]) == before
    assert years["old"][1].events.count() == events_before
    assert Assessment.objects.get(pk=years["old"][1].pk).status == Status.APPROVED
    # Nothing is offered twice.
    assert offered(years["now"]) == {3: ["g.pdf"]}
    with pytest.raises(workflow.WorkflowError, match="nothing from last year"):
        carryover.carry_over(first, actor=officer)


def test_content_in_the_dossier_already_is_skipped(years):
    third = years["new"][3]
    carried = carryover.carry_over(third, actor=years["officer"])
    assert [row.original_name for row in carried] == ["g.pdf"]
    # Sent again by a page that was open meanwhile: nothing left, said so.
    with pytest.raises(workflow.WorkflowError, match="in the dossier already"):
        workflow.carry_over_evidence(
            third,
            sources=[years["items"]["f"], years["items"]["g"]],
            actor=years["officer"],
        )
    assert third.evidence.filter(withdrawn_at=None).count() == 2


def test_carried_items_block_submitting_until_confirmed(client, years):
    officer, first = years["officer"], years["new"][1]
    a, b = carryover.carry_over(first, actor=officer)
    with pytest.raises(workflow.WorkflowError, match="“a.pdf”; “b.pdf”"):
        workflow.submit(first, actor=officer)

    # A reviewer and another ward's officer cannot confirm: 404.
    for user in (years["reviewer"], years["stranger"]):
        client.force_login(user)
        assert client.post(f"/evidence/{a.pk}/confirm/").status_code == 404
    client.force_login(officer)
    client.post(f"/evidence/{a.pk}/confirm/")
    a.refresh_from_db()
    assert a.confirmed_by == officer and a.confirmed_at is not None
    assert first.events.latest("pk").action == Action.CONFIRM_EVIDENCE
    with pytest.raises(
        workflow.WorkflowError, match="chuyển sang từ năm trước"
    ) as refused:
        workflow.submit(first, actor=officer)
    assert "a.pdf" not in refused.value.message and "“b.pdf”" in refused.value.message

    # Withdrawn, a carried file stays stored and its source untouched.
    workflow.withdraw_evidence(b, actor=officer)
    assert default_storage.exists(b.file.name)
    source = Evidence.objects.get(pk=b.carried_from_id)
    assert source.withdrawn_at is None and source.file.name == b.file.name
    workflow.submit(first, actor=officer)
    first.refresh_from_db()
    assert first.status == Status.SUBMITTED


def test_the_ward_page_carries_over_the_criteria_ticked(client, years):
    code, url = "16435", "/wards/16435/2026/carry-over/"
    for user in (years["reviewer"], years["stranger"]):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"criterion": ["1"]}).status_code == 404
        ward_page = client.get(f"/wards/{code}/?year=2026").content.decode()
        assert "có thể chuyển sang" not in ward_page
    client.force_login(years["officer"])
    client.cookies["django_language"] = "en"
    ward_page = client.get(f"/wards/{code}/?year=2026").content.decode()
    assert "2 criteria have evidence from 2025" in ward_page
    page = client.get(url).content.decode()
    assert "a.pdf" in page and "g.pdf" in page and "c.pdf" not in page

    response = client.post(url, {"criterion": ["1", "3", "5"]}, follow=True)
    page = response.content.decode()
    assert "Evidence carried over for 2 criteria" in page
    assert "Criterion 5: nothing to carry over." in page
    carried = Evidence.objects.filter(assessment__enrolment=years["now"]).exclude(
        carried_from=None
    )
    assert sorted(carried.values_list("original_name", flat=True)) == [
        "a.pdf",
        "b.pdf",
        "g.pdf",
    ]
    assert "Nothing is left to carry over" in page


def test_the_criterion_page_offers_to_its_officers_only(client, years):
    path = years["new"][1].get_absolute_url()
    client.cookies["django_language"] = "en"
    client.force_login(years["reviewer"])
    assert "still valid" not in client.get(path).content.decode()
    client.force_login(years["officer"])
    page = client.get(path).content.decode()
    assert "2 files from 2025 are still valid — carry them over" in page
    client.post(f"{path}carry-over/")
    page = client.get(path).content.decode()
    assert "carried over from 2025" in page and "not confirmed yet" in page
    assert "still valid — carry" not in page
    # Criterion 2 was not approved in 2025: no offer.
    assert (
        "still valid"
        not in client.get(years["new"][2].get_absolute_url()).content.decode()
    )


@pytest.mark.django_db
def test_a_changed_set_matches_the_same_number_and_title():
    province = ProvinceFactory()
    ward = WardFactory(province=province)
    before = EnrolmentFactory(ward=ward, year=2025)
    now = EnrolmentFactory(ward=ward, year=2026)  # another set, same titles
    assert before.criteria_set_id != now.criteria_set_id
    now.criteria_set.criteria.filter(number=2).update(title="Tiêu chí mới")
    officer = member(Role.OFFICER, ward=ward)
    reviewer = member(Role.REVIEWER, province=province)
    for number in (1, 2):
        old = before.assessments.get(criterion__number=number)
        attach(old, officer, f"{number}.pdf")
        workflow.submit(old, actor=officer)
        workflow.approve(old, actor=reviewer)
    assert offered(now) == {1: ["1.pdf"]}


@pytest.mark.django_db(transaction=True)
def test_a_shared_file_is_backed_up_once_and_restored(tmp_path, settings):
    years = build_years()
    carried = carryover.carry_over(years["new"][1], actor=years["officer"])
    shared = carried[0].file.name
    assert Evidence.objects.filter(file=shared).count() == 2
    report = check()
    assert report.clean
    assert report.checked == len(set(Evidence.objects.values_list("file", flat=True)))
    # Not an orphan for the sweep, however old.
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    for name in stored_names(default_storage):
        age(root / name, 3 * DAY)
    assert sweep(grace=dt.timedelta(hours=1), dry_run=True).orphans == []

    archive = tmp_path / "kieumau.tar.gz"
    manifest = backup.back_up(archive)
    with tarfile.open(archive, "r:gz") as opened:
        media = [m.name for m in opened.getmembers() if m.name.startswith("media/")]
    assert media.count(f"media/{shared}") == 1
    assert len(media) == len(set(media)) == len(manifest["files"])
    counts = backup.counts()
    call_command("flush", interactive=False, verbosity=0)
    fresh_media(settings, tmp_path / "fresh")
    backup.restore(archive)
    assert backup.counts() == counts
    assert check().clean
    restored = Evidence.objects.get(pk=carried[0].pk)
    assert restored.carried_from_id == carried[0].carried_from_id
    assert restored.file.name == restored.carried_from.file.name == shared
    assert default_storage.exists(shared)
