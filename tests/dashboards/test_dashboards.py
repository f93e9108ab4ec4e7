import copy
import csv
import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook

from access.models import Membership
from assessments.models import Enrolment, ReviewEvent
from dashboards import figures as dashboards
from tests.factories import (
    EnrolmentFactory,
    ProvinceFactory,
    UserFactory,
    WardFactory,
    make_criteria_set,
    member,
    set_statuses,
)

Role = Membership.Role
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(scope="module")
def built_country(module_db):
    """Two provinces, hand-counted.

    Thanh Hóa (22-criterion set): An Hưng 22/22, Lam Sơn 17/22 (2 pending,
    the oldest 9 days), Điện Biên 10/22 (1 returned), Ba Đình 3/22.
    Hà Nội (20-criterion set): Phú La 20/20.
    """
    big, small = make_criteria_set(22, groups=2), make_criteria_set(20, groups=2)
    th = ProvinceFactory(name="Thanh Hóa", code="38")
    hn = ProvinceFactory(name="Hà Nội", code="01")
    wards = {}
    for name, province, criteria_set, track in [
        ("An Hưng", th, big, "ministry"),
        ("Lam Sơn", th, big, "province"),
        ("Điện Biên", th, big, "ministry"),
        ("Ba Đình", th, big, "province"),
        ("Phú La", hn, small, "ministry"),
    ]:
        wards[name] = EnrolmentFactory(
            ward=WardFactory(province=province, name=name),
            criteria_set=criteria_set,
            track=track,
            year=2026,
        )
    set_statuses(wards["An Hưng"], approved=22)
    set_statuses(wards["Lam Sơn"], approved=17, submitted=2, days_ago=9)
    set_statuses(wards["Điện Biên"], approved=10, returned=1)
    set_statuses(wards["Ba Đình"], approved=3)
    set_statuses(wards["Phú La"], approved=20)
    return {"th": th, "hn": hn, **wards}


@pytest.fixture
def country(db, built_country):
    """The country, built once; each test gets its own copy of the objects."""
    return copy.deepcopy(built_country)


def test_province_rows_match_the_hand_count(country):
    filters = dashboards.Filters(year=2026)
    rows = dashboards.province_rows(
        dashboards.enrolments_for(member(Role.NATIONAL_LEADER), filters)
    )
    by_name = {r["ward__province__name"]: r for r in rows}
    th, hn = by_name["Thanh Hóa"], by_name["Hà Nội"]
    assert (th["enrolled"], th["complete"], th["pending"]) == (4, 1, 2)
    assert th["oldest_days"] == 9
    # (22 + 17 + 10 + 3) / 22 / 4 = 59.09%
    assert th["mean_percent"] == 59
    assert [b["count"] for b in th["bands"]] == [1, 1, 0, 2]
    assert (hn["enrolled"], hn["complete"], hn["mean_percent"]) == (1, 1, 100)
    assert hn["pending"] == 0 and hn["oldest_days"] is None


def test_distribution_and_the_sentence(country):
    national = member(Role.NATIONAL_LEADER)
    enrolments = dashboards.enrolments_for(national, dashboards.Filters(year=2026))
    levels = dashboards.distribution(enrolments)
    assert [(lv["label"], lv["wards"]) for lv in levels] == [
        ("22/22", 1),
        ("17/22", 1),
        ("10/22", 1),
        ("3/22", 1),
        ("20/20", 1),
    ]
    th_only = enrolments.filter(ward__province=country["th"])
    assert dashboards.distribution_sentence(dashboards.distribution(th_only)) == (
        "1 ward at 22/22, 1 ward at 17/22, 1 ward at 10/22, 1 ward at 3/22"
    )


def test_the_sentence_groups_the_tail_as_people_say_it():
    levels = [
        {"approved": a, "size": 22, "label": f"{a}/22", "wards": n}
        for a, n in [(19, 3), (18, 11), (16, 6), (15, 6)]
    ]
    assert dashboards.distribution_sentence(levels) == (
        "3 wards at 19/22, 11 wards at 18/22, 12 wards at 15–16/22"
    )


def test_criteria_holding_back_are_ranked_by_completion(country):
    national = member(Role.NATIONAL_LEADER)
    enrolments = dashboards.enrolments_for(
        national, dashboards.Filters(year=2026, province=country["th"])
    )
    rows = dashboards.criteria_holding_back(enrolments)
    # Criteria 18-22 are approved only in An Hưng: 1 of 4 wards.
    assert [(r["criterion__number"], r["approved"], r["wards"]) for r in rows[:5]] == [
        (n, 1, 4) for n in (18, 19, 20, 21, 22)
    ]
    assert rows[0]["percent"] == 25
    assert rows[-1]["percent"] == 100  # criteria 1-3 everywhere


def test_ward_rows_rank_by_progress_with_activity(country):
    leader = member(Role.PROVINCIAL_LEADER, province=country["th"])
    filters = dashboards.Filters(year=2026, province=country["th"])
    rows = dashboards.ward_rows(dashboards.enrolments_for(leader, filters))
    assert [(e.ward.name, e.progress) for e in rows] == [
        ("An Hưng", "22/22"),
        ("Lam Sơn", "17/22"),
        ("Điện Biên", "10/22"),
        ("Ba Đình", "3/22"),
    ]
    assert [(e.pending_count, e.returned_count) for e in rows] == [
        (0, 0),
        (2, 0),
        (0, 1),
        (0, 0),
    ]


def test_a_group_filter_counts_only_that_group(country):
    national = member(Role.NATIONAL_LEADER)
    filters = dashboards.Filters(year=2026, province=country["th"], group="B")
    rows = dashboards.ward_rows(
        dashboards.enrolments_for(national, filters), group=filters.group
    )
    # Group B holds criteria 12-22 of the 22-criterion set.
    assert [(e.ward.name, e.progress) for e in rows] == [
        ("An Hưng", "11/11"),
        ("Lam Sơn", "6/11"),
        ("Ba Đình", "0/11"),
        ("Điện Biên", "0/11"),
    ]


def test_the_trend_accumulates_approvals_less_revocations(country):
    national = member(Role.NATIONAL_LEADER)
    assessments = list(country["Ba Đình"].assessments.order_by("criterion__number")[:3])
    for month, action in [
        (3, "approve"),
        (3, "approve"),
        (5, "approve"),
        (6, "revoke"),
    ]:
        ReviewEvent.objects.create(
            assessment=assessments[0],
            actor=national,
            action=action,
            from_status="submitted",
            to_status="approved",
            created_at=dt.datetime(2026, month, 10, tzinfo=dt.UTC),
        )
    points = dashboards.trend(national, dashboards.Filters(year=2026))
    assert [(p["month"].month, p["total"]) for p in points] == [(3, 2), (5, 3), (6, 2)]


def test_a_provincial_leader_sees_only_their_province(client, country):
    leader = member(Role.PROVINCIAL_LEADER, province=country["th"])
    client.force_login(leader)
    assert client.get("/dashboard/").status_code == 302
    assert client.get("/dashboard/38/").status_code == 200
    assert client.get("/dashboard/01/").status_code == 404
    assert client.get("/dashboard/export/provinces.csv").status_code == 404
    assert client.get("/dashboard/export/wards.csv?province=01").status_code == 404
    assert client.get("/dashboard/trend/?province=01").status_code == 404
    response = client.get("/dashboard/38/")
    assert [e.ward.name for e in response.context["wards"]][0] == "An Hưng"


def test_a_ward_officer_sees_only_their_ward(client, country):
    officer = member(Role.OFFICER, ward=country["An Hưng"].ward)
    client.force_login(officer)
    for url in ["/dashboard/", "/dashboard/38/", "/dashboard/trend/"]:
        assert client.get(url).status_code == 404, url
    assert client.get(f"/wards/{country['An Hưng'].ward.code}/").status_code == 200
    assert client.get(f"/wards/{country['Lam Sơn'].ward.code}/").status_code == 404
    assert (
        client.get(f"/wards/{country['Lam Sơn'].ward.code}/dossier/").status_code == 404
    )
    client.force_login(UserFactory())
    assert client.get("/dashboard/").status_code == 404


def test_the_national_page_shows_the_figures(client, country):
    client.force_login(member(Role.NATIONAL_LEADER))
    response = client.get("/dashboard/", {"year": 2026})
    text = response.text
    assert "Thanh Hóa" in text and "59%" in text
    assert "<svg" in text and "<title" in text
    assert response.context["totals"] == {"enrolled": 5, "complete": 2, "pending": 2}
    filtered = client.get("/dashboard/", {"year": 2026, "track": "province"})
    assert filtered.context["totals"]["enrolled"] == 2


def test_the_province_page_has_the_heatmap_with_links(client, country):
    client.force_login(member(Role.NATIONAL_LEADER))
    response = client.get("/dashboard/38/")
    lam_son = next(e for e in response.context["wards"] if e.ward.name == "Lam Sơn")
    statuses = re.findall(r'class="cell status-(\w+)"', lam_son.heat_cells)
    assert statuses == ["approved"] * 17 + ["submitted"] * 2 + ["not_started"] * 3
    assert f'href="/wards/{lam_son.ward.code}/2026/18/"' in response.text


def test_the_heat_map_spells_out_what_its_column_numbers_mean(client, country):
    client.force_login(member(Role.NATIONAL_LEADER))
    response = client.get("/dashboard/38/", {"year": 2026})  # in Vietnamese
    assert response.context["columns"] == [(n, f"Tiêu chí {n}") for n in range(1, 23)]
    assert 'href="#heat-criterion-18"' in response.text  # the column's header
    assert '<li value="18" id="heat-criterion-18">Tiêu chí 18</li>' in response.text
    group_b = client.get("/dashboard/38/", {"year": 2026, "group": "B"})
    assert [n for n, _title in group_b.context["columns"]] == list(range(12, 23))


def test_a_number_titled_differently_by_two_sets_keeps_both_titles(country):
    phu_la = country["Phú La"]
    phu_la.criteria_set.criteria.filter(number=3).update(title_en="Headquarters")
    both = Enrolment.objects.filter(pk__in=[country["An Hưng"].pk, phu_la.pk])
    titles = dashboards.criterion_titles(both)
    assert titles[3] in ("Criterion 3 / Headquarters", "Headquarters / Criterion 3")
    assert titles[2] == "Criterion 2" and titles[22] == "Criterion 22"


def read_csv(response) -> list[list[str]]:
    assert response.content.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_exports_hold_what_the_page_shows(client, country):
    client.force_login(member(Role.NATIONAL_LEADER))
    client.cookies["django_language"] = "en"
    rows = read_csv(client.get("/dashboard/export/provinces.csv", {"year": 2026}))
    assert rows[0][:3] == ["Province", "Wards enrolled", "Wards with all criteria met"]
    assert ["Thanh Hóa", "4", "1", "59", "2", "9", "2", "", "0", "0"] in rows

    response = client.get("/dashboard/export/wards.xlsx", {"province": "38"})
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0][1] == "Ward"
    assert [(r[1], r[5], r[9]) for r in values[1:]] == [
        ("An Hưng", "22/22", "Complete, not proposed"),
        ("Lam Sơn", "17/22", "Not complete"),
        ("Điện Biên", "10/22", "Not complete"),
        ("Ba Đình", "3/22", "Not complete"),
    ]
    filtered = load_workbook(
        io.BytesIO(
            client.get(
                "/dashboard/export/wards.xlsx", {"province": "38", "track": "province"}
            ).content
        )
    ).active
    assert [r[1] for r in list(filtered.values)[1:]] == ["Lam Sơn", "Ba Đình"]

    heat = read_csv(client.get("/dashboard/export/heatmap.csv", {"province": "38"}))
    assert heat[0][:3] == ["Unit code", "Ward", "1"]
    lam_son = next(r for r in heat if r[1] == "Lam Sơn")
    assert lam_son[2 + 17] == "Submitted for review"

    pipeline = read_csv(
        client.get("/dashboard/export/pipeline.csv", {"province": "38"})
    )
    assert len(pipeline) == 3 and {r[2] for r in pipeline[1:]} == {"Lam Sơn"}
    assert pipeline[1][6] == "9"


def test_exports_speak_vietnamese_by_default(client, country):
    client.force_login(member(Role.NATIONAL_LEADER))
    rows = read_csv(client.get("/dashboard/export/provinces.csv", {"year": 2026}))
    assert rows[0][0] == "Tỉnh, thành phố"


def test_unknown_exports_are_404(client, country):
    client.force_login(member(Role.NATIONAL_LEADER))
    assert client.get("/dashboard/export/secrets.csv").status_code == 404
    assert client.get("/dashboard/export/wards.pdf?province=38").status_code == 404


def test_csv_cells_never_become_formulas(client, country):
    country["Lam Sơn"].ward.name = '=HYPERLINK("http://x","bấm")'
    country["Lam Sơn"].ward.save()
    client.force_login(member(Role.NATIONAL_LEADER))
    rows = read_csv(client.get("/dashboard/export/wards.csv", {"province": "38"}))
    assert [r[1] for r in rows if "HYPER" in r[1]] == ['\'=HYPERLINK("http://x","bấm")']


def test_xlsx_cells_never_become_formulas(client, country):
    country["Lam Sơn"].ward.name = "=1+1"
    country["Lam Sơn"].ward.save()
    client.force_login(member(Role.NATIONAL_LEADER))
    response = client.get("/dashboard/export/wards.xlsx", {"province": "38"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [row[1] for row in sheet.iter_rows(min_row=2) if "1+1" in str(row[1].value)]
    assert [(c.value, c.data_type) for c in cells] == [("'=1+1", "s")]


def test_header_cells_never_become_formulas_either(client, country):
    """Indicator names, set in the admin, become headers of the wards export."""
    from criteria.models import Indicator

    criterion = country["Lam Sơn"].criteria_set.criteria.get(number=1)
    Indicator.objects.create(
        criterion=criterion, code="x", name="=1+1", rule="at_least", target=1
    )
    client.force_login(member(Role.NATIONAL_LEADER))
    response = client.get("/dashboard/export/wards.xlsx", {"province": "38"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    headers = [c for c in next(sheet.iter_rows(max_row=1)) if "1+1" in str(c.value)]
    assert headers and all(c.data_type == "s" for c in headers)
    assert all(str(c.value).startswith("'=") for c in headers)
    response = client.get("/dashboard/export/wards.csv", {"province": "38"})
    header = response.content.decode("utf-8-sig").splitlines()[0]
    assert "'=1+1" in header and ",=1+1" not in header
