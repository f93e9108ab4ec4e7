"""From 22/22 to a recognition decision: every transition and refusal."""

import datetime as dt
import hashlib

import pytest
from django.core.files.storage import default_storage

from access.models import Membership
from assessments import recognition, tally, workflow
from assessments.models import (
    Assessment,
    Decision,
    Enrolment,
    Proposal,
    RecognitionEvent,
    ReviewEvent,
)
from assessments.notifications import recognition_recipients
from ops.integrity import stored_names
from tests import files
from tests.factories import (
    EnrolmentFactory,
    ProvinceFactory,
    WardFactory,
    add_file,
    member,
    set_statuses,
)
from wards.models import UnitChange

Role = Membership.Role
Stage = Enrolment.Stage
S = Assessment.Status


@pytest.fixture
def province():
    return ProvinceFactory(code="01", name="Hà Nội")


@pytest.fixture
def people(province):
    other = ProvinceFactory(code="38", name="Thanh Hóa")
    return {
        "leader": member(Role.PROVINCIAL_LEADER, province=province),
        "second_leader": member(Role.PROVINCIAL_LEADER, province=province),
        "other_leader": member(Role.PROVINCIAL_LEADER, province=other),
        "reviewer": member(Role.REVIEWER, province=province),
        "ministry": member(Role.MINISTRY_REVIEWER),
        "ministry_here": member(Role.MINISTRY_REVIEWER, province=province),
        "ministry_elsewhere": member(Role.MINISTRY_REVIEWER, province=other),
        "national": member(Role.NATIONAL_LEADER),
    }


def complete(province, track="ministry", **kwargs) -> Enrolment:
    """An enrolment of `province` with every criterion approved."""
    enrolment = EnrolmentFactory(
        ward=WardFactory(province=province), track=track, **kwargs
    )
    set_statuses(enrolment, approved=enrolment.assessments.count())
    return enrolment


def stage_of(enrolment) -> str:
    enrolment.refresh_from_db()
    return enrolment.stage


def scan(name="quyet-dinh.pdf"):
    return files.upload(name, files.pdf("Quyết định công nhận"))


def decide(proposals, actor, *, track="ministry", year=2026, number="123/QĐ-BCA", **kw):
    return workflow.record_decision(
        track=track,
        year=year,
        text=workflow.DecisionText(number, dt.date(year, 12, 28), "Bộ trưởng"),
        scan=kw.pop("scan", None) or scan(),
        proposals=proposals,
        actor=actor,
        **kw,
    )


# Proposal


def test_an_incomplete_ward_is_refused_with_what_is_missing(db, province, people):
    enrolment = EnrolmentFactory(ward=WardFactory(province=province))
    set_statuses(enrolment, approved=19, submitted=1, returned=2)
    with pytest.raises(workflow.WorkflowError) as refused:
        workflow.propose(enrolment, actor=people["leader"])
    message = refused.value.message
    assert "20 (" in message and "21 (" in message and "22 (" in message
    assert "19 (" not in message
    assert stage_of(enrolment) == Stage.OPEN
    assert not Proposal.objects.exists()


def test_a_complete_ward_is_proposed_and_frozen(db, province, people):
    enrolment = complete(province)
    proposal = workflow.propose(enrolment, actor=people["leader"], note=" Đủ 22/22 ")
    assert proposal.status == Proposal.Status.PENDING
    assert proposal.note == "Đủ 22/22"
    assert proposal.track == "ministry"
    assert stage_of(enrolment) == Stage.PROPOSED
    event = RecognitionEvent.objects.get()
    assert (event.action, event.actor) == ("propose", people["leader"])


@pytest.mark.parametrize(
    "who", ["reviewer", "other_leader", "ministry", "national", "officer"]
)
def test_only_the_provinces_leaders_propose(db, province, people, who):
    enrolment = complete(province)
    people["officer"] = member(Role.OFFICER, ward=enrolment.ward)
    with pytest.raises(workflow.NotAllowed):
        workflow.propose(enrolment, actor=people[who])
    assert stage_of(enrolment) == Stage.OPEN


def test_a_ward_is_not_proposed_twice(db, province, people):
    enrolment = complete(province)
    workflow.propose(enrolment, actor=people["leader"])
    with pytest.raises(workflow.WorkflowError):
        workflow.propose(enrolment, actor=people["second_leader"])
    assert Proposal.objects.count() == 1


def test_no_revoke_or_upload_while_the_proposal_is_pending(db, province, people):
    enrolment = EnrolmentFactory(ward=WardFactory(province=province))
    officer = member(Role.OFFICER, ward=enrolment.ward)
    first = enrolment.assessments.get(criterion__number=1)
    add_file(first, officer)
    workflow.submit(first, actor=officer)
    workflow.approve(first, actor=people["reviewer"])
    set_statuses(enrolment, approved=enrolment.assessments.count())
    workflow.propose(enrolment, actor=people["leader"])
    with pytest.raises(workflow.WorkflowError) as refused:
        workflow.revoke(first, actor=people["reviewer"], reason="Sai")
    assert "frozen" in refused.value.message or "khóa" in refused.value.message
    first.refresh_from_db()
    assert first.status == S.APPROVED
    # Nothing can be added either, even where the status would allow it.
    Assessment.objects.filter(pk=first.pk).update(status=S.RETURNED)
    tally.recount()
    with pytest.raises(workflow.WorkflowError):
        add_file(first, officer, name="moi.pdf", content=files.pdf("moi"))
    assert first.evidence.count() == 1
    assert workflow.available_actions(people["reviewer"], first) == set()


# Acceptance


def test_a_ministry_reviewer_in_scope_accepts(db, province, people):
    for who in ("ministry", "ministry_here"):
        enrolment = complete(province)
        proposal = workflow.propose(enrolment, actor=people["leader"])
        accepted = workflow.accept(proposal, actor=people[who])
        assert accepted.status == Proposal.Status.ACCEPTED
        assert accepted.decided_by == people[who]
        assert stage_of(enrolment) == Stage.ACCEPTED


@pytest.mark.parametrize(
    "who", ["ministry_elsewhere", "leader", "second_leader", "reviewer", "national"]
)
def test_outside_the_deciding_scope_is_refused(db, province, people, who):
    enrolment = complete(province)
    proposal = workflow.propose(enrolment, actor=people["leader"])
    with pytest.raises(workflow.NotAllowed):
        workflow.accept(proposal, actor=people[who])
    with pytest.raises(workflow.NotAllowed):
        workflow.return_proposal(
            proposal, actor=people[who], reason="Thiếu", criteria=[1]
        )
    assert stage_of(enrolment) == Stage.PROPOSED


def test_province_level_is_decided_by_its_other_leaders(db, province, people):
    enrolment = complete(province, track="province")
    proposal = workflow.propose(enrolment, actor=people["leader"])
    with pytest.raises(workflow.NotAllowed):
        workflow.accept(proposal, actor=people["ministry"])
    with pytest.raises(workflow.WorkflowError, match="someone else|người khác"):
        workflow.accept(proposal, actor=people["leader"])
    workflow.accept(proposal, actor=people["second_leader"])
    assert stage_of(enrolment) == Stage.ACCEPTED


def test_the_second_decider_is_told_who_decided(db, province, people):
    proposal = workflow.propose(complete(province), actor=people["leader"])
    workflow.accept(proposal, actor=people["ministry"])
    with pytest.raises(workflow.WorkflowError) as refused:
        workflow.accept(proposal, actor=people["ministry_here"])
    assert people["ministry"].username in refused.value.message or (
        people["ministry"].get_full_name() in refused.value.message
    )
    with pytest.raises(workflow.WorkflowError):
        workflow.return_proposal(
            proposal, actor=people["ministry_here"], reason="x", criteria=[1]
        )
    assert RecognitionEvent.objects.filter(action="accept").count() == 1


def test_bulk_acceptance_accepts_each_and_says_why_not(db, province, people):
    proposals = [
        workflow.propose(complete(province), actor=people["leader"]) for _ in range(3)
    ]
    workflow.accept(proposals[1], actor=people["ministry_here"])
    result = workflow.accept_many(proposals, actor=people["ministry"])
    assert [p.pk for p in result.accepted] == [proposals[0].pk, proposals[2].pk]
    assert len(result.refused) == 1
    assert proposals[1].enrolment.ward.full_name in result.refused[0]
    assert set(Proposal.objects.values_list("status", flat=True)) == {"accepted"}


def test_a_return_reopens_exactly_the_criteria_named(db, province, people):
    enrolment = complete(province)
    officer = member(Role.OFFICER, ward=enrolment.ward)
    proposal = workflow.propose(enrolment, actor=people["leader"])
    named = list(
        enrolment.criteria_set.criteria.filter(number__in=[4, 17]).order_by("number")
    )
    returned = workflow.return_proposal(
        proposal, actor=people["ministry"], reason="Thiếu biên bản", criteria=named
    )
    assert returned.status == Proposal.Status.RETURNED
    assert set(returned.returned_criteria.values_list("number", flat=True)) == {4, 17}
    assert stage_of(enrolment) == Stage.OPEN
    statuses = dict(enrolment.assessments.values_list("criterion__number", "status"))
    assert {n for n, s in statuses.items() if s == S.RETURNED} == {4, 17}
    assert sum(s == S.APPROVED for s in statuses.values()) == len(statuses) - 2
    reopened = ReviewEvent.objects.filter(action="reopen")
    assert reopened.count() == 2
    assert {e.comment for e in reopened} == {"Thiếu biên bản"}
    # The ward works on them again, and can be proposed again once approved.
    fourth = enrolment.assessments.get(criterion__number=4)
    add_file(fourth, officer)
    workflow.submit(fourth, actor=officer)
    workflow.approve(fourth, actor=people["reviewer"])
    set_statuses(enrolment, approved=enrolment.assessments.count())
    again = workflow.propose(enrolment, actor=people["leader"])
    assert again.pk != proposal.pk


def test_a_return_needs_a_reason_and_criteria(db, province, people):
    proposal = workflow.propose(complete(province), actor=people["leader"])
    with pytest.raises(workflow.WorkflowError):
        workflow.return_proposal(
            proposal, actor=people["ministry"], reason=" ", criteria=[1]
        )
    with pytest.raises(workflow.WorkflowError):
        workflow.return_proposal(
            proposal, actor=people["ministry"], reason="x", criteria=[]
        )
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.PENDING


# The decision


def test_a_decision_with_its_scan_recognises_the_wards(db, province, people):
    enrolments = [complete(province) for _ in range(2)]
    proposals = [workflow.propose(e, actor=people["leader"]) for e in enrolments]
    workflow.accept_many(proposals, actor=people["ministry"])
    decision = decide(proposals, people["ministry"])
    assert (
        decision.scan_sha256
        == hashlib.sha256(files.pdf("Quyết định công nhận")).hexdigest()
    )
    with default_storage.open(decision.scan.name, "rb") as handle:
        assert handle.read() == files.pdf("Quyết định công nhận")
    assert decision.scan.name.startswith("evidence/decisions/")
    for enrolment in enrolments:
        enrolment.refresh_from_db()
        assert (enrolment.stage, enrolment.decision) == (Stage.RECOGNISED, decision)
    assert RecognitionEvent.objects.filter(action="decide").count() == 2


def test_a_decision_refuses_what_is_not_accepted(db, province, people):
    proposal = workflow.propose(complete(province), actor=people["leader"])
    with pytest.raises(workflow.WorkflowError):
        decide([proposal], people["ministry"])
    assert not Decision.objects.exists()
    # The scan stored before the refusal is removed again.
    assert stored_names(default_storage, "evidence/decisions") == []


def test_a_scan_must_be_a_pdf(db, province, people):
    proposal = workflow.propose(complete(province), actor=people["leader"])
    workflow.accept(proposal, actor=people["ministry"])
    with pytest.raises(workflow.WorkflowError):
        decide([proposal], people["ministry"], scan=files.upload("qd.png", files.png()))
    assert not Decision.objects.exists()


def test_a_ward_is_in_one_decision_in_force(db, province, people):
    proposal = workflow.propose(complete(province), actor=people["leader"])
    workflow.accept(proposal, actor=people["ministry"])
    decide([proposal], people["ministry"])
    with pytest.raises(workflow.WorkflowError):
        decide([proposal], people["ministry_here"], number="124/QĐ-BCA")
    assert Decision.objects.count() == 1


def test_only_the_deciding_level_records_a_decision(db, province, people):
    proposal = workflow.propose(complete(province), actor=people["leader"])
    workflow.accept(proposal, actor=people["ministry"])
    for who in ("ministry_elsewhere", "leader", "national"):
        with pytest.raises(workflow.NotAllowed):
            decide([proposal], people[who])
    assert not Decision.objects.exists()


def test_a_correction_replaces_the_decision_in_force(db, province, people):
    kept, dropped, added = (complete(province) for _ in range(3))
    proposals = [
        workflow.propose(e, actor=people["leader"]) for e in (kept, dropped, added)
    ]
    workflow.accept_many(proposals, actor=people["ministry"])
    first = decide(proposals[:2], people["ministry"])
    with pytest.raises(workflow.WorkflowError):  # must say what it corrects
        decide([proposals[0], proposals[2]], people["ministry"], corrects=first)
    second = decide(
        [proposals[0], proposals[2]],
        people["ministry"],
        number="125/QĐ-BCA",
        corrects=first,
        note="Thay phường ghi nhầm",
    )
    first.refresh_from_db()
    assert not first.in_force and second.in_force
    assert second.corrects == first
    assert (stage_of(kept), stage_of(added), stage_of(dropped)) == (
        Stage.RECOGNISED,
        Stage.RECOGNISED,
        Stage.ACCEPTED,
    )
    kept.refresh_from_db()
    assert kept.decision == second
    with pytest.raises(workflow.WorkflowError):  # correct the one in force
        decide(
            [proposals[0]], people["ministry"], number="126", corrects=first, note="x"
        )


# Keeping the title


def test_opening_a_year_enrols_the_recognised_wards_again(db, province, people):
    recognised = complete(province, year=2025)
    other = complete(province, year=2025, track="province")
    set_statuses(EnrolmentFactory(ward=WardFactory(province=province), year=2025))
    proposal = workflow.propose(recognised, actor=people["leader"])
    workflow.accept(proposal, actor=people["ministry"])
    decide([proposal], people["ministry"], year=2025)
    other_proposal = workflow.propose(other, actor=people["leader"])
    workflow.accept(other_proposal, actor=people["second_leader"])
    decide([other_proposal], people["second_leader"], track="province", year=2025)

    opened = recognition.open_year(2026, actor=people["national"])
    again = {e.ward_id: e for e in opened.enrolled}
    assert set(again) == {recognised.ward_id, other.ward_id}
    assert again[recognised.ward_id].track == "ministry"
    assert again[other.ward_id].track == "province"
    assert again[recognised.ward_id].keeps_title_of == recognised
    assert again[recognised.ward_id].assessments.count() == 22
    assert set(
        again[recognised.ward_id].assessments.values_list("status", flat=True)
    ) == {S.NOT_STARTED}
    # Last year's records are as they were; running it again adds nothing.
    assert stage_of(recognised) == Stage.RECOGNISED
    assert recognition.open_year(2026, actor=people["national"]).enrolled == []
    assert Enrolment.objects.filter(year=2026).count() == 2


def test_a_recognised_unit_that_merged_is_followed_to_its_successor(
    db, province, people
):
    old = complete(province, year=2025)
    old.ward.valid_to = dt.date(2025, 12, 31)
    old.ward.save()
    successor = WardFactory(province=province, valid_from=dt.date(2026, 1, 1))
    UnitChange.objects.create(
        predecessor=old.ward, successor=successor, effective=dt.date(2026, 1, 1)
    )
    proposal = workflow.propose(old, actor=people["leader"])
    workflow.accept(proposal, actor=people["ministry"])
    decide([proposal], people["ministry"], year=2025)
    opened = recognition.open_year(2026, actor=people["national"])
    assert [e.ward for e in opened.enrolled] == [successor]


def test_a_title_holder_is_warned_when_at_risk(db, province, people):
    last = complete(province, year=2025)
    proposal = workflow.propose(last, actor=people["leader"])
    workflow.accept(proposal, actor=people["ministry"])
    decide([proposal], people["ministry"], year=2025)
    [holder] = recognition.open_year(2026, actor=people["national"]).enrolled
    ahead = EnrolmentFactory(
        ward=WardFactory(province=province), criteria_set=holder.criteria_set
    )
    set_statuses(ahead, approved=10)
    set_statuses(holder, approved=10)
    fetch = Enrolment.objects.with_progress().select_related("ward")
    assert recognition.at_risk(fetch.get(pk=holder.pk)) == []
    set_statuses(holder, approved=4, returned=1)
    risks = recognition.at_risk(fetch.get(pk=holder.pk))
    assert len(risks) == 2
    assert "5" in risks[0]  # criterion 5 returned
    # A ward that holds no title is not warned.
    set_statuses(ahead, approved=2, returned=3)
    assert recognition.at_risk(fetch.get(pk=ahead.pk)) == []


# Quotas, registration, notifications


def test_quotas_are_set_by_the_national_leadership(db, province, people):
    quota = recognition.set_quota(
        province=province, year=2023, wards=13, actor=people["national"]
    )
    assert quota.wards == 13
    recognition.set_quota(
        province=province, year=2023, wards=14, actor=people["national"]
    )
    assert province.quotas.get(year=2023).wards == 14
    for who in ("leader", "ministry"):
        with pytest.raises(workflow.NotAllowed):
            recognition.set_quota(
                province=province, year=2023, wards=1, actor=people[who]
            )


def test_registration_counts_against_the_quota(db, province, people):
    existing = complete(province, year=2023)
    recognition.set_quota(
        province=province, year=2023, wards=1, actor=people["national"]
    )
    ward = WardFactory(province=province)
    enrolment = recognition.register(
        ward=ward, year=2023, track="province", actor=people["leader"]
    )
    assert enrolment.criteria_set == existing.criteria_set
    assert enrolment.assessments.count() == 22
    [row] = recognition.registrations(2023, [province])
    assert (row.quota, row.ministry, row.province_level) == (1, 1, 1)
    recognition.change_track(enrolment, track="ministry", actor=people["leader"])
    [row] = recognition.registrations(2023, [province])
    assert row.over_quota
    with pytest.raises(workflow.NotAllowed):
        recognition.register(
            ward=WardFactory(province=province),
            year=2023,
            track="ministry",
            actor=people["other_leader"],
        )


def test_each_step_is_mailed_once_committed(
    db, province, people, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    }
    enrolment = complete(province)
    with django_capture_on_commit_callbacks(execute=True):
        proposal = workflow.propose(enrolment, actor=people["leader"], note="Đủ")
    [sent] = mailoutbox
    assert sorted(sent.to) == sorted(
        [people["ministry"].email, people["ministry_here"].email]
    )
    assert enrolment.ward.name in sent.subject
    assert f"/proposals/{proposal.pk}/" in sent.body
    second = enrolment.criteria_set.criteria.get(number=2)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.return_proposal(
            proposal, actor=people["ministry"], reason="Thiếu chữ ký", criteria=[second]
        )
    assert "Thiếu chữ ký" in mailoutbox[-1].body
    assert people["leader"].email in mailoutbox[-1].to


def test_who_hears_of_each_step(db, province, people):
    enrolment = complete(province)
    officer = member(Role.OFFICER, ward=enrolment.ward)
    proposal = workflow.propose(enrolment, actor=people["leader"])
    proposed = RecognitionEvent.objects.get(action="propose")
    assert recognition_recipients(proposed) == sorted(
        [people["ministry"].email, people["ministry_here"].email]
    )
    workflow.accept(proposal, actor=people["ministry"])
    accepted = RecognitionEvent.objects.get(action="accept")
    assert recognition_recipients(accepted) == sorted(
        [people["leader"].email, people["second_leader"].email, officer.email]
    )


def test_the_open_year_command(db, province, people):
    from io import StringIO

    from django.core.management import CommandError, call_command

    last = complete(province, year=2025)
    proposal = workflow.propose(last, actor=people["leader"])
    workflow.accept(proposal, actor=people["ministry"])
    decide([proposal], people["ministry"], year=2025)
    with pytest.raises(CommandError):
        call_command("open_year", "2026", "--as", people["leader"].username)
    out = StringIO()
    call_command("open_year", "2026", "--as", people["national"].username, stdout=out)
    assert last.ward.full_name in out.getvalue()
    assert Enrolment.objects.get(ward=last.ward, year=2026).keeps_title_of == last
