"""The recognition pages as their users work them: in Vietnamese, with the
outcome said at the top, and nothing half-done on bad input."""

import datetime as dt

from django.utils import timezone

from access.models import Membership
from assessments import workflow
from assessments.models import Decision, Enrolment, Proposal
from tests import files
from tests.assessments.test_recognition import complete, decide
from tests.factories import EnrolmentFactory, ProvinceFactory, WardFactory, member

Role = Membership.Role


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_leader_proposes_from_the_ward_page(db, client):
    province = ProvinceFactory(code="01", name="Hà Nội")
    enrolment = complete(province)
    leader = member(Role.PROVINCIAL_LEADER, province=province)
    client.force_login(leader)
    page = client.get(f"/wards/{enrolment.ward.code}/")
    assert "Đề nghị công nhận" in page.text or "Propose for recognition" in page.text
    response = client.post(
        f"/wards/{enrolment.ward.code}/2026/propose/",
        {"note": "Đơn vị đạt 22/22 tiêu chí"},
        follow=True,
    )
    assert response.redirect_chain[-1][0].startswith(f"/wards/{enrolment.ward.code}/")
    proposal = Proposal.objects.get()
    assert proposal.note == "Đơn vị đạt 22/22 tiêu chí"
    # Proposing again says why not, at the top, and changes nothing.
    again = client.post(f"/wards/{enrolment.ward.code}/2026/propose/", follow=True)
    assert len(messages_of(again)) == 1
    assert Proposal.objects.count() == 1


def test_an_incomplete_ward_is_refused_with_its_missing_criteria(db, client):
    province = ProvinceFactory()
    enrolment = EnrolmentFactory(ward=WardFactory(province=province))
    client.force_login(member(Role.PROVINCIAL_LEADER, province=province))
    response = client.post(f"/wards/{enrolment.ward.code}/2026/propose/", follow=True)
    [said] = messages_of(response)
    assert "1 (" in said and "22 (" in said
    assert not Proposal.objects.exists()


def test_the_ministry_returns_naming_criteria_and_the_form_keeps_input(db, client):
    province = ProvinceFactory()
    enrolment = complete(province)
    leader = member(Role.PROVINCIAL_LEADER, province=province)
    proposal = workflow.propose(enrolment, actor=leader)
    ministry = member(Role.MINISTRY_REVIEWER)
    client.force_login(ministry)
    assert client.get("/").url == "/proposals/"
    queue = client.get("/proposals/")
    assert enrolment.ward.name in queue.text
    criterion = enrolment.criteria_set.criteria.get(number=7)
    # No criterion named: refused on the page, with the reason kept.
    response = client.post(
        f"/proposals/{proposal.pk}/return/", {"reason": "Thiếu biên bản"}
    )
    assert response.status_code == 400
    assert "Thiếu biên bản" in response.text
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.PENDING
    response = client.post(
        f"/proposals/{proposal.pk}/return/",
        {"reason": "Thiếu biên bản", "criteria": [criterion.pk]},
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.RETURNED
    assert enrolment.assessments.get(criterion=criterion).status == "returned"


def test_bulk_acceptance_from_the_queue(db, client):
    province = ProvinceFactory()
    leader = member(Role.PROVINCIAL_LEADER, province=province)
    proposals = [workflow.propose(complete(province), actor=leader) for _ in range(3)]
    client.force_login(member(Role.MINISTRY_REVIEWER, province=province))
    response = client.post(
        "/proposals/accept/",
        {"proposal": [proposals[0].pk, proposals[2].pk, "x"]},
        follow=True,
    )
    assert messages_of(response)
    statuses = dict(Proposal.objects.values_list("pk", "status"))
    assert statuses == {
        proposals[0].pk: "accepted",
        proposals[1].pk: "pending",
        proposals[2].pk: "accepted",
    }


def test_recording_a_decision_with_its_scan(db, client):
    province = ProvinceFactory()
    enrolment = complete(province)
    leader = member(Role.PROVINCIAL_LEADER, province=province)
    proposal = workflow.propose(enrolment, actor=leader)
    ministry = member(Role.MINISTRY_REVIEWER)
    workflow.accept(proposal, actor=ministry)
    client.force_login(ministry)
    form = client.get("/decisions/new/")
    assert enrolment.ward.full_name in form.text
    data = {
        "track": "ministry",
        "year": 2026,
        "number": "4026/QĐ-BCA-V05",
        "date": "20/11/2026",
        "signer": "Thứ trưởng Nguyễn Văn A",
        "proposals": [proposal.pk],
    }
    # A wrong date and a missing scan: said on the form, nothing recorded.
    bad = client.post("/decisions/new/", {**data, "date": "28/13/2026"})
    assert bad.status_code == 400
    assert "dd/mm/yyyy" in bad.text or "ngày/tháng/năm" in bad.text
    assert not Decision.objects.exists()
    not_pdf = client.post(
        "/decisions/new/", {**data, "scan": files.upload("qd.png", files.png())}
    )
    assert not_pdf.status_code == 400
    assert not Decision.objects.exists()
    response = client.post(
        "/decisions/new/",
        {**data, "scan": files.upload("Quyết định.pdf", files.pdf("qd"))},
    )
    decision = Decision.objects.get()
    assert response.url == f"/decisions/{decision.pk}/"
    assert decision.date == dt.date(2026, 11, 20)
    assert decision.scan_name == "Quyết định.pdf"
    page = client.get(response.url)
    assert decision.scan_sha256 in page.text
    scan = client.get(f"/decisions/{decision.pk}/scan/")
    assert b"".join(scan.streaming_content) == files.pdf("qd")
    assert scan["Content-Security-Policy"] == "default-src 'none'; sandbox"
    enrolment.refresh_from_db()
    assert enrolment.stage == Enrolment.Stage.RECOGNISED
    # The ward page, the ward list filter and the dashboards say so.
    client.force_login(member(Role.NATIONAL_LEADER))
    ward_page = client.get(f"/wards/{enrolment.ward.code}/")
    assert "4026/QĐ-BCA-V05" in ward_page.text
    listed = client.get("/wards/", {"standing": "recognised"})
    assert [e.pk for e in listed.context["page"]] == [enrolment.pk]
    assert (
        list(client.get("/wards/", {"standing": "in_progress"}).context["page"]) == []
    )
    national = client.get("/dashboard/", {"year": 2026})
    assert national.context["recognition"]["recognised"] == 1


def test_quotas_and_registration_pages(db, client):
    province = ProvinceFactory(code="01", name="Hà Nội")
    existing = complete(province, year=2023)
    client.force_login(member(Role.NATIONAL_LEADER))
    response = client.post(
        "/recognition/quotas/", {"province": "01", "year": 2023, "wards": "13"}
    )
    assert response.status_code == 302
    bad = client.post(
        "/recognition/quotas/",
        {"province": "01", "year": 2023, "wards": "mười"},
        follow=True,
    )
    assert messages_of(bad)
    assert province.quotas.get(year=2023).wards == 13
    leader = member(Role.PROVINCIAL_LEADER, province=province)
    client.force_login(leader)
    unit = WardFactory(province=province, name="Phúc Xá")
    page = client.get("/recognition/01/", {"year": 2023})
    assert "quota 13" in page.text or "chỉ tiêu 13" in page.text
    assert unit.code in page.text
    client.post(
        "/recognition/01/register/",
        {"year": 2023, "ward": unit.code, "track": "province"},
    )
    registered = Enrolment.objects.get(ward=unit, year=2023)
    assert registered.track == "province"
    assert registered.criteria_set == existing.criteria_set
    # A unit of another province cannot be registered here.
    stranger = WardFactory()
    response = client.post(
        "/recognition/01/register/",
        {"year": 2023, "ward": stranger.code, "track": "ministry"},
        follow=True,
    )
    assert messages_of(response)
    assert not Enrolment.objects.filter(ward=stranger).exists()


def test_the_printed_dossier_says_the_ward_is_recognised(db, client):
    province = ProvinceFactory()
    enrolment = complete(province)
    proposal = workflow.propose(
        enrolment, actor=member(Role.PROVINCIAL_LEADER, province=province)
    )
    ministry = member(Role.MINISTRY_REVIEWER)
    workflow.accept(proposal, actor=ministry)
    decide([proposal], ministry, number="77/QĐ-BCA")
    client.force_login(member(Role.NATIONAL_LEADER))
    page = client.get(f"/wards/{enrolment.ward.code}/dossier/")
    assert (
        "Đã được công nhận theo Quyết định số 77/QĐ-BCA ngày 28/12/2026." in page.text
    )


def test_a_leader_sees_the_province_as_it_was_that_year(db, client):
    """Hà Nội of 2023 is the province before 1 July 2025; its leader today
    reads its registrations through the lineage."""
    from wards.models import ProvinceChange

    old = ProvinceFactory(code="01", name="Hà Nội", valid_to=dt.date(2025, 6, 30))
    new = ProvinceFactory(code="01", name="Hà Nội", valid_from=dt.date(2025, 7, 1))
    ProvinceChange.objects.create(
        predecessor=old, successor=new, effective=dt.date(2025, 7, 1)
    )
    complete(old, year=2023)
    client.force_login(member(Role.PROVINCIAL_LEADER, province=new))
    page = client.get("/recognition/", {"year": 2023})
    [row] = page.context["rows"]
    assert row.province == old and row.ministry == 1


def test_numbers_that_are_not_plain_digits_are_no_500(db, client):
    """ "²" passes str.isdigit() but not int(); 5,000 nines are over Python's
    limit; a 23-digit key is over SQLite's. None of them is an error page."""
    province = ProvinceFactory(code="01")
    leader = member(Role.PROVINCIAL_LEADER, province=province)
    proposal = workflow.propose(complete(province), actor=leader)
    ministry = member(Role.MINISTRY_REVIEWER)
    client.force_login(ministry)
    huge = "9" * 23
    for path in [
        "/recognition/?year=²",
        "/recognition/01/?year=" + "9" * 5000,
        "/decisions/new/?corrects=²",
        f"/decisions/new/?corrects={huge}",
    ]:
        assert client.get(path).status_code in (200, 404), path
    assert (
        client.post("/proposals/accept/", {"proposal": ["²", huge]}).status_code == 302
    )
    response = client.post(
        f"/proposals/{proposal.pk}/return/", {"reason": "x", "criteria": [huge, "²"]}
    )
    assert response.status_code == 400
    response = client.post(
        "/decisions/new/",
        {
            "track": "ministry",
            "year": 2026,
            "number": "1",
            "date": "01/12/2026",
            "signer": "B",
            "proposals": [huge],
        },
    )
    assert response.status_code == 400
    client.force_login(leader)
    response = client.post("/recognition/01/register/", {"year": "²", "ward": "x"})
    assert response.status_code == 404


def test_the_decision_list_counts_only_the_wards_in_scope(db, client):
    here, there = ProvinceFactory(), ProvinceFactory()
    proposals = [
        workflow.propose(complete(p), actor=member(Role.PROVINCIAL_LEADER, province=p))
        for p in (here, there)
    ]
    ministry = member(Role.MINISTRY_REVIEWER)
    workflow.accept_many(proposals, actor=ministry)
    decide(proposals, ministry, number="5/QĐ")
    client.force_login(member(Role.PROVINCIAL_LEADER, province=here))
    [listed] = client.get("/decisions/").context["decisions"]
    assert listed.ward_count == 1


def test_a_decision_signed_in_the_future_or_on_no_day_is_refused(db, client):
    province = ProvinceFactory()
    proposal = workflow.propose(
        complete(province), actor=member(Role.PROVINCIAL_LEADER, province=province)
    )
    ministry = member(Role.MINISTRY_REVIEWER)
    workflow.accept(proposal, actor=ministry)
    client.force_login(ministry)
    form = client.get("/decisions/new/").context["form"]
    assert (form.initial["year"], form.initial["track"]) == (2026, "ministry")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    for day in ("31/02/2026", tomorrow.strftime("%d/%m/%Y")):
        response = client.post(
            "/decisions/new/",
            {
                "track": "ministry",
                "year": 2026,
                "number": "9/QĐ",
                "date": day,
                "signer": "B",
                "proposals": [proposal.pk],
                "scan": files.upload("qd.pdf", files.pdf("qd")),
            },
        )
        assert response.status_code == 400, day
        assert response.context["form"].errors["date"], day
    assert not Decision.objects.exists()


def test_opening_a_year_is_offered_only_when_it_would_enrol_someone(db, client):
    province = ProvinceFactory()
    last = complete(province, year=2025)
    proposal = workflow.propose(
        last, actor=member(Role.PROVINCIAL_LEADER, province=province)
    )
    ministry = member(Role.MINISTRY_REVIEWER)
    workflow.accept(proposal, actor=ministry)
    decide([proposal], ministry, number="3/QĐ", year=2025)
    client.force_login(member(Role.NATIONAL_LEADER))
    assert client.get("/recognition/", {"year": 2026}).context["to_reenrol"] == 1
    assert client.get("/recognition/", {"year": 2025}).context["to_reenrol"] == 0
    client.post("/recognition/open-year/", {"year": 2026})
    assert client.get("/recognition/", {"year": 2026}).context["to_reenrol"] == 0


def test_a_leader_follows_the_provinces_proposals(db, client):
    province = ProvinceFactory()
    leader = member(Role.PROVINCIAL_LEADER, province=province)
    proposal = workflow.propose(complete(province), actor=leader)
    client.force_login(leader)
    page = client.get("/proposals/")
    assert page.context["pending"] == []  # Ministry level: not theirs to decide
    assert page.context["proposed"] == [proposal]


def test_the_decision_list_costs_the_same_for_more_decisions(db, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    province = ProvinceFactory()
    leader = member(Role.PROVINCIAL_LEADER, province=province)
    ministry = member(Role.MINISTRY_REVIEWER)
    client.force_login(ministry)

    def one_more_decision(number: str):
        proposal = workflow.propose(complete(province), actor=leader)
        workflow.accept(proposal, actor=ministry)
        return decide([proposal], ministry, number=number)

    first = one_more_decision("1/QĐ")
    with CaptureQueriesContext(connection) as few:
        client.get("/decisions/")
    one_more_decision("2/QĐ")
    proposal = first.proposals.get()
    decide([proposal], ministry, number="3/QĐ", corrects=first, note="Sửa số")
    with CaptureQueriesContext(connection) as many:
        page = client.get("/decisions/")
    assert len(page.context["decisions"]) == 3
    assert len(many) == len(few)
    in_force = {d.number: d.in_force for d in page.context["decisions"]}
    assert in_force == {"1/QĐ": False, "2/QĐ": True, "3/QĐ": True}
