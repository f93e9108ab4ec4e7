"""Recognition in the demo: the quotas of both years, the Minister's 2023
decision recognising Phường Điện Biên (Thanh Hóa) with a demo scan, and, in
the current year, a Hà Nội ward proposed and waiting for the Ministry.

Rows are written with the times they would have had, within their year, as
the rest of the demo is; the states are those the workflow leads to.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Max

from accounts.models import User
from assessments.models import (
    Decision,
    Enrolment,
    Proposal,
    Quota,
    RecognitionEvent,
    decision_path,
)
from wards.models import Province

from .demo_plans import QUOTAS, Plan
from .timeline import DemoYear

# The Minister's decision (an illustrative number) of 2023.
RECOGNITION_NUMBER = "%d/QĐ-BCA-V05"
SIGNER = "Thứ trưởng Bộ Công an (chữ ký mô phỏng)"
Step = RecognitionEvent.Action


def load_recognition(
    years: list[tuple[DemoYear, list[Plan]]],
    *,
    leaders: dict[str, User],
    pdf,
) -> None:
    """Quotas for each year, then each complete plan's proposal, acceptance
    and decision as far as the plan says. `leaders`: a provincial leader per
    province code; `pdf(text)` makes the demo scan."""
    national = User.objects.get(username="demo-national")
    ministry = User.objects.get(username="demo-ministry")
    for year, plans in years:
        day = year.end.date()
        for code, wards in QUOTAS.items():
            province = Province.objects.valid_on(min(day, dt.date(year.year, 12, 31)))
            Quota.objects.create(
                province=province.get(code=code),
                year=year.year,
                wards=wards,
                set_by=national,
                set_at=year.start,
            )
        wanted = {plan.code: plan for plan in plans if plan.recognition}
        complete = [
            e
            for e in Enrolment.objects.filter(year=year.year, ward__code__in=wanted)
            .with_progress()
            .select_related("ward__province")
            if e.is_complete
        ]
        recognised = []
        for enrolment in complete:
            plan = wanted[enrolment.ward.code]
            last = enrolment.assessments.aggregate(last=Max("decided_at"))["last"]
            at = min(last + dt.timedelta(days=1), year.end)
            proposal = Proposal.objects.create(
                enrolment=enrolment,
                track=enrolment.track,
                note="Đơn vị đã đạt đủ các tiêu chí; đề nghị xem xét công nhận.",
                proposed_by=leaders[plan.province],
                proposed_at=at,
            )
            _log(enrolment, leaders[plan.province], Step.PROPOSE, at, proposal)
            enrolment.stage = Enrolment.Stage.PROPOSED
            if plan.recognition == "recognised":
                accepted = min(at + dt.timedelta(days=2), year.end)
                proposal.status = Proposal.Status.ACCEPTED
                proposal.decided_by, proposal.decided_at = ministry, accepted
                proposal.save()
                _log(enrolment, ministry, Step.ACCEPT, accepted, proposal)
                recognised.append((enrolment, proposal))
            enrolment.save(update_fields=["stage"])
        if recognised:
            _decide(year, recognised, ministry, pdf)


def _decide(year: DemoYear, recognised, ministry: User, pdf) -> Decision:
    number = RECOGNITION_NUMBER % (4000 + year.year)
    date = dt.date(year.year, 12, 20)
    # The demo's PDF writes ASCII only: Đ is written D.
    content = pdf(
        f"Quyet dinh {number.replace('Đ', 'D')} cong nhan Cong an phuong "
        f"dien hinh {year.year}"
    )
    name = default_storage.save(decision_path(None, "qd.pdf"), ContentFile(content))
    decision = Decision.objects.create(
        track="ministry",
        year=year.year,
        number=number,
        date=date,
        signer=SIGNER,
        scan=name,
        scan_name=f"Quyết định {number.replace('/', '-')}.pdf",
        scan_size=len(content),
        scan_sha256=hashlib.sha256(content).hexdigest(),
        recorded_by=ministry,
        recorded_at=year.end,
    )
    decision.proposals.set([p for _e, p in recognised])
    for enrolment, proposal in recognised:
        enrolment.stage, enrolment.decision = Enrolment.Stage.RECOGNISED, decision
        enrolment.save(update_fields=["stage", "decision"])
        _log(
            enrolment,
            ministry,
            Step.DECIDE,
            year.end,
            proposal,
            decision=decision,
            comment=f"Quyết định {number} ngày {date:%d/%m/%Y}",
        )
    return decision


def _log(enrolment, actor, action, at, proposal, *, decision=None, comment=""):
    RecognitionEvent.objects.create(
        enrolment=enrolment,
        proposal=proposal,
        decision=decision,
        actor=actor,
        action=action,
        comment=comment,
        created_at=at,
    )
