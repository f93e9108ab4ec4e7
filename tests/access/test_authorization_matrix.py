"""Who gets what from every URL: anonymous users and each role, own and other.

Every URL pattern of the project must have an entry here, so a new view
without one fails `test_every_url_has_an_entry`. Requests target the objects
of ward A in province A; "own" users belong to ward A or province A, "other"
users to ward B or province B.
"""

import base64
import datetime as dt

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from access.models import Membership
from accounts.tokens import issue_token
from assessments import resumable, workflow
from assessments.comments import add_comment
from assessments.models import Evidence
from criteria.models import Criterion, Indicator
from notifications.services import notify
from tests import files
from tests.factories import (
    EnrolmentFactory,
    ProvinceFactory,
    UserFactory,
    WardFactory,
    add_file,
    set_statuses,
)
from tests.factories import member as make_member

Role = Membership.Role
ROLES = [
    "anonymous",
    "officer_own",
    "officer_other",
    "contributor_own",
    "contributor_other",
    "contributor_other_body",
    "reviewer_own",
    "reviewer_other",
    "leader_own",
    "leader_other",
    "ministry_own",
    "ministry_other",
    "national",
    "admin",
]
LOGIN = "login"  # a redirect to a login page
OK = "ok"  # 200, or a redirect that is not to a login page
READERS = {
    "officer_own",
    "reviewer_own",
    "leader_own",
    "ministry_own",
    "national",
    "admin",
}
# The ward's people: its officers, and the contributors of its other bodies.
WARD_PEOPLE = {
    "officer_own",
    "officer_other",
    "contributor_own",
    "contributor_other",
    "contributor_other_body",  # ward A's People's Committee
}
PROVINCE_VIEWERS = {"reviewer_own", "leader_own", "ministry_own", "national", "admin"}
# A contributor (ward A's Party committee) reads and works on the criteria
# its body carries out ("contributed": criterion 5), nothing else.
CONTRIBUTED_READERS = READERS | {"contributor_own"}
# Who decides proposals: provincial leaders (province level) and Ministry
# reviewers (Ministry level), each where their scope reaches.
DECIDERS = {"leader_own", "leader_other", "ministry_own", "ministry_other"}


def expect(allowed, *, denied=404, anonymous=LOGIN, allowed_code=OK):
    return {
        role: anonymous
        if role == "anonymous"
        else (allowed_code if role in allowed else denied)
        for role in ROLES
    }


EVERYONE = set(ROLES) - {"anonymous"}
CONTRIBUTORS = {"contributor_own", "contributor_other", "contributor_other_body"}

# name (or name:variant) -> (method, path template, expectations)
MATRIX = {
    "home": ("GET", "/", expect(EVERYONE)),
    "ward_list": ("GET", "/wards/", expect(EVERYONE)),
    "ward_detail": ("GET", "/wards/{ward}/", expect(READERS)),
    # Everyone may search; the results are what their scope covers.
    "unit_search": ("GET", "/wards/search/?q={ward}", expect(EVERYONE)),
    "ward_history": ("GET", "/wards/{ward}/history/", expect(READERS)),
    "ward_dossier": ("GET", "/wards/{ward}/dossier/", expect(READERS)),
    "ward_dossier_zip": ("GET", "/wards/{ward}/dossier.zip", expect(READERS)),
    "ward_dossier_pdf": ("GET", "/wards/{ward}/dossier.pdf", expect(READERS)),
    "national_dashboard": (
        "GET",
        "/dashboard/",
        # Provincial users are sent on to their province; officers see nothing.
        expect(EVERYONE - WARD_PEOPLE),
    ),
    "province_dashboard": ("GET", "/dashboard/{province}/", expect(PROVINCE_VIEWERS)),
    "indicator_dashboard": (
        "GET",
        "/dashboard/{province}/indicators/",
        expect(PROVINCE_VIEWERS),
    ),
    "trend_dashboard": (
        "GET",
        "/dashboard/trend/?province={province}",
        expect(PROVINCE_VIEWERS),
    ),
    "dashboard_export": (
        "GET",
        "/dashboard/export/wards.csv?province={province}",
        expect(PROVINCE_VIEWERS),
    ),
    "dashboard_export:national": (
        "GET",
        "/dashboard/export/provinces.xlsx",
        expect({"national", "admin"}),
    ),
    "criterion_detail": ("GET", "/wards/{ward}/{year}/{working}/", expect(READERS)),
    "criterion_upload": (
        "POST",
        "/wards/{ward}/{year}/{working}/upload/",
        expect({"officer_own"}),
    ),
    "criterion_detail:contributed": (
        "GET",
        "/wards/{ward}/{year}/{contributed}/",
        expect(CONTRIBUTED_READERS),
    ),
    "criterion_upload:contributed": (
        "POST",
        "/wards/{ward}/{year}/{contributed}/upload/",
        expect({"officer_own", "contributor_own"}),
    ),
    # Submitting stays with the ward's officers.
    "criterion_act:contributed": (
        "POST",
        "/wards/{ward}/{year}/{contributed}/submit/",
        expect({"officer_own"}),
    ),
    "indicator_enter": (
        "POST",
        "/wards/{ward}/{year}/{contributed}/figures/",
        expect({"officer_own", "contributor_own"}),
    ),
    # Criterion 1 has no indicator: the officer passes, the form says no.
    "indicator_enter:police": (
        "POST",
        "/wards/{ward}/{year}/{working}/figures/",
        expect({"officer_own"}, allowed_code=400),
    ),
    "criterion_act": (
        "POST",
        "/wards/{ward}/{year}/{working}/submit/",
        expect({"officer_own"}),
    ),
    "criterion_act:claim": (
        "POST",
        "/wards/{ward}/{year}/{pending}/claim/",
        expect({"reviewer_own"}),
    ),
    "criterion_act:approve": (
        "POST",
        "/wards/{ward}/{year}/{pending}/approve/",
        expect({"reviewer_own"}),
    ),
    "criterion_act:return": (
        "POST",
        "/wards/{ward}/{year}/{pending}/return/",
        expect({"reviewer_own"}),
    ),
    "criterion_act:revoke": (
        "POST",
        "/wards/{ward}/{year}/{approved}/revoke/",
        expect({"reviewer_own"}),
    ),
    # The pieces of a resumable upload: a script's requests, answered in
    # plain text (403 when signed out), and only to the user who started it.
    "resumable_create": (
        "POST",
        "/wards/{ward}/{year}/{working}/upload/resumable/",
        expect({"officer_own"}, anonymous=403, allowed_code=201),
    ),
    "resumable_upload": (
        "HEAD",
        "/uploads/{partial}/",
        expect({"officer_own"}, anonymous=403, allowed_code=200),
    ),
    "evidence_download": ("GET", "/evidence/{evidence}/", expect(READERS)),
    "evidence_download:contributed": (
        "GET",
        "/evidence/{contributed_file}/",
        expect(CONTRIBUTED_READERS),
    ),
    "evidence_view:contributed": (
        "GET",
        "/evidence/{contributed_file}/view/",
        expect(CONTRIBUTED_READERS),
    ),
    "evidence_new_version:contributed": (
        "POST",
        "/evidence/{contributed_file}/new-version/",
        expect({"officer_own", "contributor_own"}),
    ),
    "evidence_validity:contributed": (
        "POST",
        "/evidence/{contributed_file}/validity/",
        expect({"officer_own", "contributor_own"}),
    ),
    # Confirming carried-over files stays with the officers.
    "evidence_confirm:contributed": (
        "POST",
        "/evidence/{contributed_file}/confirm/",
        expect({"officer_own"}),
    ),
    "resumable_create:contributed": (
        "POST",
        "/wards/{ward}/{year}/{contributed}/upload/resumable/",
        expect({"officer_own", "contributor_own"}, anonymous=403, allowed_code=201),
    ),
    "evidence_withdraw:contributed": (
        "POST",
        "/evidence/{contributed_file}/withdraw/",
        expect({"officer_own", "contributor_own"}),
    ),
    "evidence_view": ("GET", "/evidence/{evidence}/view/", expect(READERS)),
    "evidence_new_version": (
        "POST",
        "/evidence/{evidence}/new-version/",
        expect({"officer_own"}),
    ),
    "evidence_withdraw": (
        "POST",
        "/evidence/{evidence}/withdraw/",
        expect({"officer_own"}),
    ),
    # Evidence validity and carry-over: the ward's officers set dates, carry
    # last year's files over and confirm them; reviewers require replacements.
    "evidence_validity": (
        "POST",
        "/evidence/{evidence}/validity/",
        expect({"officer_own"}),
    ),
    "evidence_confirm": (
        "POST",
        "/evidence/{evidence}/confirm/",
        expect({"officer_own"}),
    ),
    "evidence_require_replacement": (
        "POST",
        "/evidence/{expiring}/replace/",
        expect({"reviewer_own"}),
    ),
    # A file also in ward B's dossier: a reviewer of the province allows it.
    "evidence_allow_reuse": (
        "POST",
        "/evidence/{reused}/allow-reuse/",
        expect({"reviewer_own"}),
    ),
    "criterion_carry_over": (
        "POST",
        "/wards/{ward}/{year}/{working}/carry-over/",
        expect({"officer_own"}),
    ),
    "ward_carry_over": (
        "GET",
        "/wards/{ward}/{year}/carry-over/",
        expect({"officer_own"}),
    ),
    "ward_carry_over:post": (
        "POST",
        "/wards/{ward}/{year}/carry-over/",
        expect({"officer_own"}),
    ),
    # The conversation on a criterion: the ward's officers, its reviewers and
    # the province's leaders write; whoever reads the ward reads its files.
    "comment_add": (
        "POST",
        "/wards/{ward}/{year}/{working}/comments/",
        expect({"officer_own", "reviewer_own", "leader_own"}),
    ),
    "comment_add:contributed": (
        "POST",
        "/wards/{ward}/{year}/{contributed}/comments/",
        expect({"officer_own", "contributor_own", "reviewer_own", "leader_own"}),
    ),
    "comment_file:contributed": (
        "GET",
        "/comments/{contributed_comment}/file/",
        expect(CONTRIBUTED_READERS),
    ),
    "comment_file": ("GET", "/comments/{comment}/file/", expect(READERS)),
    "review_queue": ("GET", "/review/", expect({"reviewer_own", "reviewer_other"})),
    # Recognition. The proposal and decision concern another ward of province
    # A than the officer's, complete and proposed.
    "recognition": (
        "GET",
        "/recognition/",
        expect(EVERYONE - WARD_PEOPLE),
    ),
    "quota_set": ("POST", "/recognition/quotas/", expect({"national", "admin"})),
    "open_year": ("POST", "/recognition/open-year/", expect({"national", "admin"})),
    "registration": (
        "GET",
        "/recognition/{province}/?year={year}",
        expect(PROVINCE_VIEWERS),
    ),
    "register_unit": (
        "POST",
        "/recognition/{province}/register/",
        expect({"leader_own"}),
    ),
    "change_track": ("POST", "/wards/{ward}/{year}/track/", expect({"leader_own"})),
    "propose": ("POST", "/wards/{complete}/{year}/propose/", expect({"leader_own"})),
    "proposal_queue": ("GET", "/proposals/", expect(DECIDERS)),
    "proposals_accept": ("POST", "/proposals/accept/", expect(DECIDERS)),
    "proposal_detail": ("GET", "/proposals/{proposal}/", expect(PROVINCE_VIEWERS)),
    "proposal_accept": (
        "POST",
        "/proposals/{proposal}/accept/",
        expect({"ministry_own"}),
    ),
    "proposal_return": (
        "POST",
        "/proposals/{proposal}/return/",
        expect({"ministry_own"}),
    ),
    "decision_list": ("GET", "/decisions/", expect(EVERYONE)),
    "decision_new": ("GET", "/decisions/new/", expect(DECIDERS)),
    "decision_detail": ("GET", "/decisions/{decision}/", expect(PROVINCE_VIEWERS)),
    "decision_scan": (
        "GET",
        "/decisions/{decision}/scan/",
        expect(PROVINCE_VIEWERS),
    ),
    # The calendar: anyone above a ward reads it; national leaders set the
    # country's dates, a province's leaders its own (and national ones).
    "calendar": (
        "GET",
        "/calendar/",
        expect(EVERYONE - WARD_PEOPLE),
    ),
    "calendar:post": ("POST", "/calendar/?year={year}", expect({"national", "admin"})),
    "calendar_province": ("GET", "/calendar/{province}/", expect(PROVINCE_VIEWERS)),
    "calendar_province:post": (
        "POST",
        "/calendar/{province}/?year={year}",
        expect({"leader_own", "national", "admin"}),
    ),
    # Everyone has a list of what to do next: their own.
    "my_tasks": ("GET", "/tasks/", expect(EVERYONE)),
    # The bell: each person's own; another's notification is a 404.
    "inbox": ("GET", "/notifications/", expect(EVERYONE)),
    "open_notification": (
        "POST",
        "/notifications/{notification}/open/",
        expect({"officer_own"}),
    ),
    "read_all_notifications": ("POST", "/notifications/read/", expect(EVERYONE)),
    "notification_preferences": ("GET", "/notifications/settings/", expect(EVERYONE)),
    "admin_worker": ("GET", "/admin/worker/", expect({"admin"}, denied=LOGIN)),
    "healthz": ("GET", "/healthz", expect(EVERYONE, anonymous=200, allowed_code=200)),
    "login": ("GET", "/accounts/login/", expect(EVERYONE, anonymous=200)),
    # Logging out ends on the login page, whoever asks.
    "logout": (
        "POST",
        "/accounts/logout/",
        expect(EVERYONE, anonymous=LOGIN, allowed_code=LOGIN),
    ),
    "set_language": ("POST", "/i18n/setlang/", expect(EVERYONE, anonymous=OK)),
    "two_factor": ("GET", "/accounts/2fa/", expect(EVERYONE)),
    # Help and "forgot password" are open to anyone; a reset link with a bad
    # token is a page saying so.
    "help": ("GET", "/help/", expect(EVERYONE, anonymous=200)),
    "password_reset": (
        "GET",
        "/accounts/password-reset/",
        expect(EVERYONE, anonymous=200),
    ),
    "password_reset_done": (
        "GET",
        "/accounts/password-reset/sent/",
        expect(EVERYONE, anonymous=200),
    ),
    "password_reset_confirm": (
        "GET",
        "/accounts/reset/MQ/bad-token/",
        expect(EVERYONE, anonymous=200),
    ),
    "password_reset_complete": (
        "GET",
        "/accounts/reset/done/",
        expect(EVERYONE, anonymous=200),
    ),
    "two_factor_setup": ("GET", "/accounts/2fa/setup/", expect(EVERYONE)),
    # Each person's API tokens: their own page; another's token is a 404.
    "api_tokens": ("GET", "/accounts/tokens/", expect(EVERYONE)),
    "api_token_revoke": (
        "POST",
        "/accounts/tokens/{token}/revoke/",
        expect({"officer_own"}),
    ),
    # The API: requested with the role's token (a session opens nothing), so
    # no token is a 401; it reads what the pages show.
    "api-root": ("GET", "/api/v1/", expect(set(), anonymous=404)),
    "api_provinces": ("GET", "/api/v1/provinces", expect(EVERYONE, anonymous=401)),
    "api_province": (
        "GET",
        "/api/v1/provinces/{province}",
        expect(PROVINCE_VIEWERS, anonymous=401),
    ),
    "api_units": ("GET", "/api/v1/units", expect(EVERYONE, anonymous=401)),
    "api_unit": ("GET", "/api/v1/units/{ward}", expect(READERS, anonymous=401)),
    "api_unit_assessments": (
        "GET",
        "/api/v1/units/{ward}/assessments?year={year}",
        expect(CONTRIBUTED_READERS, anonymous=401),
    ),
    "api_criteria_sets": (
        "GET",
        "/api/v1/criteria-sets",
        expect(EVERYONE, anonymous=401),
    ),
    # The set of the enrolments one sees: ward B uses ward A's set.
    "api_criteria_set": (
        "GET",
        "/api/v1/criteria-sets/{criteria_set}",
        expect(EVERYONE - CONTRIBUTORS, anonymous=401),
    ),
    "api_enrolments": ("GET", "/api/v1/enrolments", expect(EVERYONE, anonymous=401)),
    "api_decisions": ("GET", "/api/v1/decisions", expect(EVERYONE, anonymous=401)),
    "admin": ("GET", "/admin/", expect({"admin"}, denied=LOGIN)),
    "admin:change": (
        "POST",
        "/admin/wards/ward/{ward_pk}/change/",
        expect({"admin"}, denied=LOGIN),
    ),
}


def url_names(patterns, prefix="") -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                names.add("admin")
                continue
            names |= url_names(pattern.url_patterns, prefix)
        elif isinstance(pattern, URLPattern):
            names.add(pattern.name or str(pattern.pattern))
    return names


def test_every_url_has_an_entry():
    names = url_names(get_resolver().url_patterns)
    covered = {key.split(":")[0] for key in MATRIX}
    assert names - covered == set(), "add these URLs to the authorization matrix"
    assert covered - names == set(), "these entries name no URL"


@pytest.fixture(scope="module")
def world(module_db):
    """Built once: every case runs in a savepoint and leaves it as it was."""
    province_a = ProvinceFactory(code="38", name="Thanh Hóa")
    province_b = ProvinceFactory(code="01", name="Hà Nội")
    own = EnrolmentFactory(ward=WardFactory(province=province_a), year=2026)
    other = EnrolmentFactory(
        ward=WardFactory(province=province_b), criteria_set=own.criteria_set, year=2026
    )
    officer = make_member(Role.OFFICER, ward=own.ward)
    reviewer = make_member(Role.REVIEWER, province=province_a)
    working = own.assessments.get(criterion__number=1)
    evidence = add_file(working, officer)
    pending = own.assessments.get(criterion__number=2)
    add_file(pending, officer, name="p.pdf", content=files.pdf("pending"))
    workflow.submit(pending, actor=officer)
    approved = own.assessments.get(criterion__number=3)
    expiring = add_file(approved, officer, name="a.pdf", content=files.pdf("approved"))
    workflow.submit(approved, actor=officer)
    workflow.approve(approved, actor=reviewer)
    Evidence.objects.filter(pk=expiring.pk).update(
        valid_until=dt.date.today() + dt.timedelta(days=10)
    )
    # Last year's approved file of criterion 1, offered for carrying over.
    last_year = EnrolmentFactory(
        ward=own.ward, criteria_set=own.criteria_set, year=2025
    )
    add_file(
        last_year.assessments.get(criterion__number=1),
        officer,
        name="cu.pdf",
        content=files.pdf("2025"),
    )
    set_statuses(last_year, approved=1)
    # The same file in ward A's and ward B's dossiers, flagged as reuse.
    officer_other = make_member(Role.OFFICER, ward=other.ward)
    shared = files.pdf("province-wide")
    reused = add_file(
        own.assessments.get(criterion__number=4), officer, "k.pdf", shared
    )
    add_file(other.assessments.get(criterion__number=4), officer_other, "k.pdf", shared)
    partial = resumable.start(
        working, officer, name="moi.pdf", size=10, sha256="0" * 64
    )
    # Criterion 5 is carried out by the ward's Party committee, and measured.
    contributed = own.assessments.get(criterion__number=5)
    Criterion.objects.filter(criteria_set=own.criteria_set, number=5).update(
        responsible_body="party_committee"
    )
    indicator = Indicator.objects.create(
        criterion=contributed.criterion,
        code="resolutions",
        name="Nghị quyết",
        rule="at_least",
        target=1,
    )
    contributor = make_member(Role.CONTRIBUTOR, ward=own.ward, body="party_committee")
    contributed_file = add_file(
        contributed, contributor, "nq.pdf", files.pdf("resolution")
    )
    workflow.enter_value(
        contributed,
        indicator=indicator,
        period_end=dt.date(2026, 3, 31),
        value=2,
        source="Nghị quyết 01-NQ/ĐU",
        actor=contributor,
    )
    leader = make_member(Role.PROVINCIAL_LEADER, province=province_a)
    ministry = make_member(Role.MINISTRY_REVIEWER, province=province_a)
    complete, proposed, recognised = (
        EnrolmentFactory(
            ward=WardFactory(province=province_a), criteria_set=own.criteria_set
        )
        for _ in range(3)
    )
    for enrolment in (complete, proposed, recognised):
        set_statuses(enrolment, approved=22)
    proposal = workflow.propose(proposed, actor=leader)
    accepted = workflow.propose(recognised, actor=leader)
    workflow.accept(accepted, actor=ministry)
    decision = workflow.record_decision(
        track="ministry",
        year=2026,
        text=workflow.DecisionText("1/QĐ-BCA", dt.date(2026, 12, 28), "Bộ trưởng"),
        scan=files.upload("qd.pdf", files.pdf("qd")),
        proposals=[accepted],
        actor=ministry,
    )
    comment = add_comment(
        working,
        author=officer,
        text="Kèm bản ký.",
        upload=files.upload("ky.pdf", files.pdf("ky")),
    )
    contributed_comment = add_comment(
        contributed,
        author=contributor,
        text="Nghị quyết kèm theo.",
        upload=files.upload("nq-ky.pdf", files.pdf("nq-ky")),
    )
    (notification,) = notify(
        [officer], kind="review", key="matrix", title="Phường A", url="/"
    )
    users = {
        "officer_own": officer,
        "officer_other": officer_other,
        "contributor_own": contributor,
        "contributor_other": make_member(
            Role.CONTRIBUTOR, ward=other.ward, body="party_committee"
        ),
        "contributor_other_body": make_member(
            Role.CONTRIBUTOR, ward=own.ward, body="peoples_committee"
        ),
        "reviewer_own": reviewer,
        "reviewer_other": make_member(Role.REVIEWER, province=province_b),
        "leader_own": leader,
        "leader_other": make_member(Role.PROVINCIAL_LEADER, province=province_b),
        "ministry_own": ministry,
        "ministry_other": make_member(Role.MINISTRY_REVIEWER, province=province_b),
        "national": make_member(Role.NATIONAL_LEADER),
        "admin": UserFactory(is_staff=True, is_superuser=True),
    }
    tokens = {role: issue_token(user=u, name="m", days=30) for role, u in users.items()}
    values = {
        "tokens": {role: issued.secret for role, issued in tokens.items()},
        "token": tokens["officer_own"].token.pk,
        "criteria_set": own.criteria_set.code,
        "ward": own.ward.code,
        "ward_pk": own.ward.pk,
        "province": province_a.code,
        "year": own.year,
        "working": 1,
        "contributed": 5,
        "contributed_file": contributed_file.pk,
        "contributed_comment": contributed_comment.pk,
        "pending": 2,
        "approved": 3,
        "evidence": evidence.pk,
        "expiring": expiring.pk,
        "reused": reused.pk,
        "partial": partial.pk,
        "complete": complete.ward.code,
        "proposal": proposal.pk,
        "decision": decision.pk,
        "notification": notification.pk,
        "comment": comment.pk,
        "unenrolled": WardFactory(province=province_a).code,
        "criterion_pk": own.criteria_set.criteria.get(number=1).pk,
        "indicators": {5: indicator.pk},
    }
    return users, values


def post_data(key: str, values) -> dict:
    if key in ("indicator_enter", "indicator_enter:police"):
        number = values["contributed" if key == "indicator_enter" else "working"]
        return {
            "indicator": values["indicators"].get(number, 0),
            "period_end": f"30/06/{values['year']}",
            "value": "3",
            "source": "Báo cáo 6 tháng",
        }
    if key == "evidence_new_version:contributed":
        return {"file": files.upload("nq-v2.pdf", files.pdf("resolution v2"))}
    if key == "evidence_validity:contributed":
        return {"valid_until": "31/12/2027"}
    if key in ("criterion_upload", "criterion_upload:contributed"):
        return {"files": [files.upload("moi.pdf", files.pdf("new"))]}
    if key == "evidence_new_version":
        return {"file": files.upload("v2.pdf", files.pdf("new version"))}
    if key == "evidence_validity":
        return {"valid_until": "31/12/2027"}
    if key == "ward_carry_over:post":
        return {"criterion": ["1"]}
    if key in ("criterion_act:return", "criterion_act:revoke"):
        return {"reason": "Thiếu"}
    if key == "quota_set":
        return {"province": values["province"], "year": values["year"], "wards": 5}
    if key == "open_year":
        return {"year": values["year"]}
    if key == "register_unit":
        return {
            "year": values["year"],
            "ward": values["unenrolled"],
            "track": "ministry",
        }
    if key == "change_track":
        return {"track": "province"}
    if key == "proposals_accept":
        return {"proposal": values["proposal"]}
    if key == "proposal_return":
        return {"reason": "Thiếu", "criteria": [values["criterion_pk"]]}
    if key in ("comment_add", "comment_add:contributed"):
        return {"text": "Biên bản ký ngày nào?"}
    if key in ("calendar:post", "calendar_province:post"):
        return {"evidence_due": f"15/12/{values['year']}"}
    if key == "set_language":
        return {"language": "en", "next": "/"}
    if key == "admin:change":
        return {"code": values["ward"], "name": "Mới", "kind": "phuong"}
    return {}


def headers(key: str) -> dict:
    if key in (
        "resumable_create",
        "resumable_create:contributed",
    ):  # tus: the size, and name and SHA-256 in base64
        return {
            "Tus-Resumable": "1.0.0",
            "Upload-Length": "10",
            "Upload-Metadata": "filename bW9pLnBkZg==,sha256 "
            + base64.b64encode(b"0" * 64).decode(),
        }
    return {}


def outcome(response) -> str | int:
    location = response.get("Location", "")
    if response.status_code in (301, 302):
        return LOGIN if "/login/" in location else OK
    if response.status_code == 200:
        return OK
    return response.status_code


CASES = [(key, role) for key in MATRIX for role in ROLES]


@pytest.fixture(autouse=True)
def quick_pdf(monkeypatch):
    """Who may download the dossier is checked here, not how it is printed
    (tests/assessments/test_dossier_export.py): a PDF takes seconds."""
    monkeypatch.setattr("assessments.views.dossier.render_pdf", fake_pdf)
    monkeypatch.setattr("assessments.archive.render_pdf", fake_pdf)


def fake_pdf(enrolment, **kwargs) -> bytes:
    return files.pdf(enrolment.ward.code)


@pytest.mark.parametrize(("key", "role"), CASES, ids=[f"{k}-{r}" for k, r in CASES])
def test_the_matrix(db, client, world, key, role):
    users, values = world
    method, template, expected = MATRIX[key]
    path = template.format(**values)
    api = path.startswith("/api/")
    if role != "anonymous" and not api:
        client.force_login(users[role])
    if method == "GET":
        token = values["tokens"].get(role) if api else None
        response = client.get(
            path, headers={"Authorization": f"Bearer {token}"} if token else {}
        )
    elif method == "POST":
        response = client.post(path, post_data(key, values), headers=headers(key))
    else:
        response = client.generic(method, path)
    wanted = expected[role]
    got = outcome(response)
    if wanted == 200:
        assert response.status_code == 200, (key, role, response.status_code)
    elif wanted == OK and got == 200:
        pass
    else:
        assert got == wanted, (key, role, response.status_code)


GET_ONLY = [key for key, (method, *_rest) in MATRIX.items() if method == "GET"]
FORMS = (
    "login",
    "two_factor",
    "two_factor_setup",
    "password_reset",
    "decision_new",
    "ward_carry_over",
    "calendar",
    "calendar_province",
    "notification_preferences",
    "api_tokens",
)
GET_ONLY = [
    k for k in GET_ONLY if k not in (*FORMS, "password_reset_confirm", "api-root")
]
GET_ONLY = [k for k in GET_ONLY if not k.startswith("admin")]


@pytest.mark.parametrize("key", GET_ONLY)
def test_read_only_urls_refuse_post(db, client, world, key):
    users, values = world
    client.force_login(users["national"])
    path = MATRIX[key][1].format(**values)
    assert client.post(path).status_code == 405
