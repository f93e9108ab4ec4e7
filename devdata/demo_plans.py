"""What the demo holds: which official units, in which year, how far each got.

Two years, on the units of their time. 2023 ran on the units in force before
the reform of 1 July 2025 and stands where the public record left it: Hà
Nội's 26 wards (15 assigned by the Ministry, 11 added by the city) at 19/22
(3), 18/22 (11) and 15–16/22 (12); Phường An Hưng (Thanh Hóa) at 18/22, its
other four criteria sent in the last fortnight of the year and returned. The
current year runs on the units formed on 1 July 2025 that took those wards
(wards/data/changes-2025.csv): An Hưng went to Hạc Thành and Đông Quang, Phú
La to Kiến Hưng and Dương Nội, the old Ô Chợ Dừa to the new Ô Chợ Dừa and
Đống Đa, and so on for every 2023 ward.

Each plan names its unit as well as coding it: a code alone does not say
which unit (09552 was Phú La until 30 June 2025 and is Kiến Hưng since).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from access.models import Membership
from assessments.models import Assessment, Enrolment
from criteria.models import Criterion, ResponsibleBody

from .timeline import DemoYear

# The finished year, on the units in force before 1 July 2025.
PAST_YEAR = 2023
PAST_DAY = dt.date(PAST_YEAR, 12, 31)
HANOI, THANH_HOA = "01", "38"

MINISTRY, PROVINCE = Enrolment.Track.MINISTRY, Enrolment.Track.PROVINCE
S = Assessment.Status


@dataclass(frozen=True)
class Plan:
    """How far one unit got in one year: its approved criteria, and how the
    others stand (`status_now` for the current year, `status_past` for 2023)."""

    province: str
    code: str
    name: str
    track: str
    approved: int
    # All the others were sent for review in the last fortnight (in 2023:
    # and returned before the year was out).
    rest_submitted: bool = False
    # Criteria (by number) waiting for review now, whatever else holds.
    waiting: tuple[int, ...] = ()
    # Criteria (by number) still being worked on now, whatever else holds.
    working: tuple[int, ...] = ()
    # Where a complete unit got to: "recognised" (by a decision, in 2023),
    # "proposed" (waiting for the Ministry), or "" (complete, not proposed).
    recognition: str = ""

    def order(self, criteria: list[Criterion], index: int) -> list[Criterion]:
        """The criteria in the order the unit's work went: the anytime ones
        rotated by `index` (units differ in what holds them back), those in
        `working` or `waiting` after the others, then the year-end ones."""
        anytime = [c for c in criteria if not c.year_end_only]
        turn = index % len(anytime)
        anytime = anytime[turn:] + anytime[:turn]
        held = set(self.waiting) | set(self.working)
        anytime.sort(key=lambda c: c.number in held)  # stable
        return anytime + [c for c in criteria if c.year_end_only]

    def status_now(self, position: int, criterion: Criterion, year: DemoYear) -> str:
        """Where the criterion at `position` stands in the current year."""
        if criterion.number in self.waiting:
            status = S.SUBMITTED
        elif criterion.number in self.working:
            status = S.IN_PROGRESS
        elif position < self.approved:
            status = S.APPROVED
        elif self.rest_submitted:
            status = S.SUBMITTED
        elif criterion.year_end_only:
            status = S.IN_PROGRESS if position % 2 else S.NOT_STARTED
        else:
            status = (S.SUBMITTED, S.RETURNED, S.IN_PROGRESS)[position % 3]
        if (
            criterion.year_end_only
            and not year.year_end_open
            and status != S.NOT_STARTED
        ):
            return S.IN_PROGRESS  # its window has not opened yet this year
        return status

    def status_past(self, position: int) -> str:
        """Where the criterion at `position` ended 2023: decided, or never sent."""
        if position < self.approved:
            return S.APPROVED
        if self.rest_submitted:
            return S.RETURNED
        return (S.RETURNED, S.IN_PROGRESS)[position % 2]


def _hanoi_2023() -> list[Plan]:
    """The 26 wards by the public record, 15 of the Ministry's first; where the
    record's names are not in the official list (Văn Miếu and Quốc Tử Giám,
    one ward in it), Đống Đa's Cát Linh and Láng Thượng stand in."""
    wards = [
        ("09552", "Phú La"),  # Hà Đông
        ("00190", "Ô Chợ Dừa"),  # Đống Đa
        ("00004", "Trúc Bạch"),
        ("00001", "Phúc Xá"),
        ("00061", "Hàng Bạc"),
        ("00070", "Hàng Trống"),
        ("00079", "Tràng Tiền"),
        ("00073", "Cửa Nam"),
        ("00178", "Cát Linh"),
        ("00187", "Láng Thượng"),
        ("00199", "Láng Hạ"),
        ("00028", "Kim Mã"),
        ("00016", "Ngọc Hà"),
        ("00013", "Quán Thánh"),
        ("00172", "Yên Hòa"),
        ("00166", "Dịch Vọng"),
        ("00163", "Mai Dịch"),
        ("00343", "Nhân Chính"),
        ("00346", "Thượng Đình"),
        ("00151", "Phúc Đồng"),
        ("00139", "Bồ Đề"),
        ("00283", "Vĩnh Tuy"),
        ("00298", "Trương Định"),
        ("00307", "Định Công"),
        ("00103", "Xuân La"),
        ("00091", "Phú Thượng"),
    ]
    plans = []
    for i, (code, name) in enumerate(wards):
        if i < 3:
            approved = 19
        elif i < 14:
            approved = 18
        else:
            approved = 16 if i % 2 == 0 else 15
        track = MINISTRY if i < 15 else PROVINCE
        plans.append(Plan(HANOI, code, name, track, approved))
    return plans


PLANS_PAST: list[Plan] = [
    *_hanoi_2023(),
    Plan(THANH_HOA, "16435", "An Hưng", MINISTRY, 18, rest_submitted=True),
    Plan(THANH_HOA, "14767", "Điện Biên", MINISTRY, 22, recognition="recognised"),
    Plan(THANH_HOA, "14773", "Lam Sơn", PROVINCE, 14),
    Plan(THANH_HOA, "14794", "Đông Hương", PROVINCE, 11),
    Plan(THANH_HOA, "14803", "Quảng Thắng", PROVINCE, 17),
]

# Every unit formed on 1 July 2025 that took (part of) a 2023 ward, those
# that took the Ministry's wards on its track. Phường Văn Miếu - Quốc Tử Giám
# (00226, a part of Cửa Nam) has the longest name: on a phone the ward tables
# cut it with an ellipsis (tests/e2e/test_phone.py).
# Once the year-end window is open, two of Hà Nội's are complete: Ô Chợ Dừa
# proposed and waiting for the Ministry, Kiến Hưng not proposed yet (the
# browser journey of recognition proposes it). Before, they stand at 19/22.
PLANS_NOW: list[Plan] = [
    Plan(HANOI, "00190", "Ô Chợ Dừa", MINISTRY, 22, recognition="proposed"),
    Plan(HANOI, "09552", "Kiến Hưng", MINISTRY, 22),
    Plan(HANOI, "00004", "Ba Đình", MINISTRY, 17),
    Plan(HANOI, "00070", "Hoàn Kiếm", MINISTRY, 16),
    Plan(HANOI, "00235", "Đống Đa", MINISTRY, 16),
    Plan(HANOI, "00025", "Giảng Võ", MINISTRY, 16),
    Plan(HANOI, "00199", "Láng", MINISTRY, 15),
    Plan(HANOI, "00008", "Ngọc Hà", MINISTRY, 15),
    Plan(HANOI, "00166", "Cầu Giấy", MINISTRY, 15),
    Plan(HANOI, "00175", "Yên Hòa", MINISTRY, 14),
    Plan(HANOI, "00082", "Cửa Nam", MINISTRY, 14),
    Plan(HANOI, "00097", "Hồng Hà", MINISTRY, 13),
    Plan(HANOI, "00226", "Văn Miếu - Quốc Tử Giám", MINISTRY, 13),
    Plan(HANOI, "09886", "Dương Nội", MINISTRY, 12),
    Plan(HANOI, "00160", "Nghĩa Đô", PROVINCE, 13),
    Plan(HANOI, "00367", "Thanh Xuân", PROVINCE, 13),
    Plan(HANOI, "00118", "Bồ Đề", PROVINCE, 12),
    Plan(HANOI, "00283", "Vĩnh Tuy", PROVINCE, 12),
    Plan(HANOI, "00103", "Tây Hồ", PROVINCE, 12),
    Plan(HANOI, "00316", "Định Công", PROVINCE, 11),
    Plan(HANOI, "00091", "Phú Thượng", PROVINCE, 11),
    Plan(HANOI, "00145", "Long Biên", PROVINCE, 11),
    Plan(HANOI, "00292", "Bạch Mai", PROVINCE, 10),
    Plan(HANOI, "00364", "Khương Đình", PROVINCE, 10),
    Plan(HANOI, "00301", "Vĩnh Hưng", PROVINCE, 10),
    Plan(HANOI, "00322", "Tương Mai", PROVINCE, 9),
    Plan(HANOI, "00352", "Phương Liệt", PROVINCE, 9),
    Plan(HANOI, "00127", "Việt Hưng", PROVINCE, 9),
    Plan(HANOI, "00611", "Xuân Đỉnh", PROVINCE, 8),
    Plan(HANOI, "00592", "Từ Liêm", PROVINCE, 8),
    Plan(HANOI, "00136", "Phúc Lợi", PROVINCE, 7),
    Plan(HANOI, "00619", "Phú Diễn", PROVINCE, 7),
    Plan(HANOI, "00637", "Đại Mỗ", PROVINCE, 6),
    # Hạc Thành took An Hưng (with Đông Quang), Điện Biên, Lam Sơn and Đông
    # Hương; its criterion 10 waits for review, and its Party committee
    # (demo-contributor) is still at work on criterion 1, its figure not
    # entered yet (the browser journeys use both).
    Plan(THANH_HOA, "14797", "Hạc Thành", MINISTRY, 15, waiting=(10,), working=(1,)),
    Plan(THANH_HOA, "16417", "Đông Quang", MINISTRY, 13),
    Plan(THANH_HOA, "16531", "Sầm Sơn", PROVINCE, 12),
    Plan(THANH_HOA, "14758", "Hàm Rồng", PROVINCE, 11),
    Plan(THANH_HOA, "15925", "Nguyệt Viên", PROVINCE, 9),
    Plan(THANH_HOA, "14812", "Bỉm Sơn", PROVINCE, 8),
]

# The quotas the Ministry set, both years: Hà Nội's 13 by the public record
# (2023), Thanh Hóa's illustrative.
QUOTAS = {HANOI: 13, THANH_HOA: 2}

# The provinces the demo uses: tests load only their official units.
DEMO_PROVINCES = sorted({plan.province for plan in PLANS_PAST + PLANS_NOW})

Role = Membership.Role
PARTY_COMMITTEE = ResponsibleBody.PARTY_COMMITTEE
DEMO_ACCOUNTS = [
    # user name, role, unit code (current), province code (current), body
    ("demo-officer", Role.OFFICER, "14797", None, ""),  # Hạc Thành
    ("demo-contributor", Role.CONTRIBUTOR, "14797", None, PARTY_COMMITTEE),
    ("demo-reviewer", Role.REVIEWER, None, THANH_HOA, ""),
    ("demo-leader", Role.PROVINCIAL_LEADER, None, HANOI, ""),
    ("demo-ministry", Role.MINISTRY_REVIEWER, None, None, ""),
    ("demo-national", Role.NATIONAL_LEADER, None, None, ""),
    ("demo-admin", Role.ADMINISTRATOR, None, None, ""),
]
