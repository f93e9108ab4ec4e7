"""An indicator across a province's wards, and the indicators in the ward
export: the counts, the wards that miss the rule, the scope, the columns and
the cost in queries."""

import copy
import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from access.models import Membership
from assessments.models import IndicatorValue
from criteria.models import Criterion, Indicator
from dashboards.indicators import bins
from tests.factories import (
    EnrolmentFactory,
    ProvinceFactory,
    UserFactory,
    WardFactory,
    make_criteria_set,
    member,
)

Role = Membership.Role
Rule = Indicator.Rule
pytestmark = pytest.mark.usefixtures("english")


def add_indicator(criteria_set, number, code, rule, target, unit="", name_en=""):
    return Indicator.objects.create(
        criterion=Criterion.objects.get(criteria_set=criteria_set, number=number),
        code=code,
        name=f"Chỉ tiêu {code}",
        name_en=name_en or code.replace("_", " ").capitalize(),
        unit=unit,
        rule=rule,
        target=Decimal(target),
    )


def enter(ward, code, day, value, user):
    IndicatorValue.objects.create(
        ward=ward,
        code=code,
        period_end=dt.date.fromisoformat(day),
        value=Decimal(value),
        source="Báo cáo",
        entered_by=user,
    )


@pytest.fixture(scope="module")
def built_figures(module_db):
    """Thanh Hóa (38) in 2026, hand-counted.

    Set A (An Hưng, Lam Sơn, Điện Biên, Ba Đình) has serious crimes (16,
    exactly 0), crimes against social order (17, down on the year before)
    and the clearance rate (18, at least 90 %). Set B (Quảng Hưng, added by
    the province) has only the clearance rate, at least 95 %.

    | ward       | clearance (latest of 2026)   | social order crimes          |
    | An Hưng    | 92.5, met (80 on 30/6)       | 11 -> 5 (30/9), -54.5 %, met |
    | Lam Sơn    | 85, missed                   | 10 -> 10 (31/12), 0 %, missed|
    | Điện Biên  | 90, met                      | 4, nothing a year before     |
    | Ba Đình    | none (only 70 in 2025)       | none                         |
    | Quảng Hưng | 92, missed (needs 95)        | not in its set               |

    Hà Nội (01) has Phú La, 50 % on set C, whose "cameras" indicator no
    ward of Thanh Hóa is measured by.
    """
    user = UserFactory()
    set_a, set_b, set_c = (make_criteria_set(22) for _ in range(3))
    add_indicator(set_a, 16, "serious_crimes", Rule.EQUAL, "0", "vụ")
    add_indicator(set_a, 17, "social_order_crimes", Rule.CHANGE_BELOW, "0", "vụ")
    add_indicator(set_a, 18, "clearance_rate", Rule.AT_LEAST, "90", "%")
    add_indicator(set_b, 18, "clearance_rate", Rule.AT_LEAST, "95", "%")
    add_indicator(set_c, 18, "clearance_rate", Rule.AT_LEAST, "90", "%")
    add_indicator(set_c, 3, "cameras", Rule.AT_LEAST, "10")
    th = ProvinceFactory(name="Thanh Hóa", code="38")
    hn = ProvinceFactory(name="Hà Nội", code="01")
    wards = {}
    for name, province, criteria_set, track in [
        ("An Hưng", th, set_a, "ministry"),
        ("Lam Sơn", th, set_a, "ministry"),
        ("Điện Biên", th, set_a, "ministry"),
        ("Ba Đình", th, set_a, "ministry"),
        ("Quảng Hưng", th, set_b, "province"),
        ("Phú La", hn, set_c, "ministry"),
    ]:
        wards[name] = EnrolmentFactory(
            ward=WardFactory(province=province, name=name),
            criteria_set=criteria_set,
            track=track,
            year=2026,
        ).ward
    for name, code, day, value in [
        ("An Hưng", "clearance_rate", "2026-06-30", "80"),
        ("An Hưng", "clearance_rate", "2026-09-30", "92.5"),
        ("An Hưng", "serious_crimes", "2026-09-30", "0"),
        ("An Hưng", "social_order_crimes", "2025-09-30", "11"),
        ("An Hưng", "social_order_crimes", "2026-09-30", "5"),
        ("Lam Sơn", "clearance_rate", "2026-12-31", "85"),
        ("Lam Sơn", "serious_crimes", "2026-12-31", "1"),
        ("Lam Sơn", "social_order_crimes", "2025-12-31", "10"),
        ("Lam Sơn", "social_order_crimes", "2026-12-31", "10"),
        ("Điện Biên", "clearance_rate", "2026-09-30", "90"),
        # Another period of 2025: nothing to compare 30/9/2026 with.
        ("Điện Biên", "social_order_crimes", "2025-12-31", "7"),
        ("Điện Biên", "social_order_crimes", "2026-09-30", "4"),
        ("Ba Đình", "clearance_rate", "2025-12-31", "70"),
        ("Quảng Hưng", "clearance_rate", "2026-09-30", "92"),
        ("Phú La", "clearance_rate", "2026-09-30", "50"),
        ("Phú La", "cameras", "2026-09-30", "3"),
    ]:
        enter(wards[name], code, day, value, user)
    return {
        "leader": member(Role.PROVINCIAL_LEADER, province=th),
        "other_leader": member(Role.PROVINCIAL_LEADER, province=hn),
    }


@pytest.fixture
def figures(db, built_figures, client):
    client.cookies["django_language"] = "en"
    return copy.deepcopy(built_figures)


def page(client, user, **query):
    client.force_login(user)
    return client.get("/dashboard/38/indicators/", {"year": 2026, **query})


def names(items):
    return [item.enrolment.ward.name for item in items]


def test_the_spread_of_a_rate_and_the_wards_below_it(client, figures):
    response = page(client, figures["leader"], indicator="clearance_rate")
    assert response.status_code == 200
    spread = response.context["spread"]
    assert spread.measured == 5
    assert names(spread.met) == ["An Hưng", "Điện Biên"]
    # Quảng Hưng's 92 meets set A's 90 but not its own set's 95.
    assert names(spread.missed) == ["Lam Sơn", "Quảng Hưng"]
    # Ba Đình's 2025 figure is not one of 2026.
    assert names(spread.no_figure) == ["Ba Đình"]
    assert spread.no_previous == 0  # the rate is not compared with a year before
    # The latest figure of the year counts (An Hưng: 92.5 on 30/9, not 80).
    assert sorted(spread.figures) == [85, 90, 92, Decimal("92.5")]
    assert [(r["low"], r["median"], r["high"]) for r in response.context["stats"]] == [
        ("85 %", "91 %", "92.5 %")
    ]
    # Bars of 1 % from 85: 85, 90, and 92 with 92.5.
    bars = [bar.value for bar in response.context["chart"]["bars"]]
    assert bars == [1, 0, 0, 0, 0, 1, 0, 2]
    html = response.content.decode()
    for item in spread.missed + spread.no_figure:  # to the criterion of the rate
        assert f'href="/wards/{item.enrolment.ward.code}/2026/18/"' in html
    # Each set's rule, once.
    assert response.context["rule"] == "at least 90 %; at least 95 %"


def test_a_change_on_last_year_and_a_ward_with_nothing_to_compare(client, figures):
    response = page(client, figures["leader"], indicator="social_order_crimes")
    spread = response.context["spread"]
    # Quảng Hưng's set has no such indicator: it is not measured.
    assert spread.measured == 4
    assert names(spread.met) == ["An Hưng"]
    # Lam Sơn is level with 2025; Điện Biên has no figure to 30/9/2025.
    assert names(spread.missed) == ["Điện Biên", "Lam Sơn"]
    assert spread.no_previous == 1
    assert names(spread.no_figure) == ["Ba Đình"]
    assert sorted(spread.changes) == [Decimal("-54.5"), 0]
    stats = {r["label"]: r for r in response.context["stats"]}
    change = stats["Change on the same period of the previous year"]
    assert (change["low"], change["high"]) == ("-54.5 %", "0 %")
    html = response.content.decode()
    assert "no figure for the same period of 2025" in html
    assert "lower than in the same period of the previous year" in html


def test_the_chooser_holds_the_indicators_of_the_province_and_year(client, figures):
    response = page(client, figures["leader"])
    assert [i.code for i in response.context["choices"]] == [
        "serious_crimes",
        "social_order_crimes",
        "clearance_rate",
    ]  # not Hà Nội's "cameras"
    assert response.context["chosen"].code == "serious_crimes"
    spread = response.context["spread"]
    assert (names(spread.met), names(spread.missed)) == (["An Hưng"], ["Lam Sơn"])
    unknown = page(client, figures["leader"], indicator="cameras")
    assert unknown.status_code == 200 and unknown.context["unknown"]
    assert "spread" not in unknown.context
    assert "no such indicator" in unknown.content.decode()


def test_the_track_narrows_the_wards(client, figures):
    response = page(
        client, figures["leader"], indicator="clearance_rate", track="ministry"
    )
    assert names(response.context["spread"].missed) == ["Lam Sơn"]


def test_another_province_sees_nothing(client, figures):
    assert page(client, figures["other_leader"]).status_code == 404
    client.force_login(figures["other_leader"])
    own = client.get("/dashboard/01/indicators/", {"indicator": "clearance_rate"})
    assert names(own.context["spread"].missed) == ["Phú La"]
    th = own.context["province"].__class__.objects.get(code="38")
    officer = member(Role.OFFICER, ward=WardFactory(province=th))
    assert page(client, officer).status_code == 404


def test_the_province_dashboard_links_to_the_indicators(client, figures):
    client.force_login(figures["leader"])
    html = client.get("/dashboard/38/", {"year": 2026}).content.decode()
    assert "/dashboard/38/indicators/?year=2026" in html


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


FIXED = [
    "Unit code",
    "Ward",
    "Level",
    "Approved",
    "Criteria",
    "Progress",
    "Pending review",
    "Returned",
    "Last activity",
    "Recognition",
    "Decision number",
    "Decision date",
]


def test_the_ward_export_ends_with_each_indicator(client, figures):
    client.force_login(figures["leader"])
    rows = read_csv(
        client.get("/dashboard/export/wards.csv", {"province": "38", "year": 2026})
    )
    assert rows[0][: len(FIXED)] == FIXED
    assert rows[0][len(FIXED) :] == [
        "Serious crimes (vụ)",
        "Serious crimes: period ends on",
        "Serious crimes: rule met",
        "Social order crimes (vụ)",
        "Social order crimes: period ends on",
        "Social order crimes: change on the previous year (%)",
        "Social order crimes: rule met",
        "Clearance rate (%)",
        "Clearance rate: period ends on",
        "Clearance rate: rule met",
    ]
    by_ward = {row[1]: row[len(FIXED) :] for row in rows[1:]}
    assert by_ward["An Hưng"] == [
        "0",
        "2026-09-30",
        "yes",
        "5",
        "2026-09-30",
        "-54.5",
        "yes",
        "92.5",
        "2026-09-30",
        "yes",
    ]
    assert by_ward["Lam Sơn"][3:] == ["10", "2026-12-31", "0", "no", "85"] + [
        "2026-12-31",
        "no",
    ]
    # Nothing a year before: a figure, no change, not met.
    assert by_ward["Điện Biên"][3:7] == ["4", "2026-09-30", "", "no"]
    assert by_ward["Ba Đình"] == (
        ["", "", "no figure"] + ["", "", "", "no figure"] + ["", "", "no figure"]
    )
    # Quảng Hưng's set has the clearance rate only, at 95 %.
    assert by_ward["Quảng Hưng"] == [""] * 7 + ["92", "2026-09-30", "no"]


def test_the_xlsx_export_keeps_figures_as_numbers(client, figures):
    client.force_login(figures["leader"])
    response = client.get(
        "/dashboard/export/wards.xlsx", {"province": "38", "year": 2026}
    )
    values = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert list(values[0][: len(FIXED)]) == FIXED
    an_hung = next(row for row in values if row[1] == "An Hưng")
    assert an_hung[len(FIXED) + 5] == Decimal("-54.5")
    assert an_hung[len(FIXED) + 7] == Decimal("92.5")
    assert an_hung[len(FIXED) + 8] == dt.datetime(2026, 9, 30)


@pytest.mark.parametrize(
    ("amounts", "unit", "bars"),
    [
        ([], "", []),
        (["3", "3"], "vụ", [("3 vụ", 2)]),
        # Whole numbers over a short range: a bar each, the gaps too.
        (["0", "0", "2"], "vụ", [("0 vụ", 2), ("1 vụ", 0), ("2 vụ", 1)]),
        # Whole numbers over a long range: round widths, each bar's last value.
        (
            ["0", "12", "19", "40"],
            "",
            [("0–4", 1), ("5–9", 0), ("10–14", 1), ("15–19", 1)]
            + [("20–24", 0), ("25–29", 0), ("30–34", 0), ("35–39", 0), ("40–44", 1)],
        ),
        # Changes below zero start at a round bound under the lowest.
        (
            ["-54.5", "-3", "0", "12.5"],
            "%",
            [("-60–-50 %", 1), ("-50–-40 %", 0), ("-40–-30 %", 0)]
            + [("-30–-20 %", 0), ("-20–-10 %", 0), ("-10–0 %", 1)]
            + [("0–10 %", 1), ("10–20 %", 1)],
        ),
    ],
)
def test_bins(amounts, unit, bars):
    assert bins([Decimal(a) for a in amounts], unit) == bars


@pytest.fixture(scope="module")
def sizes(module_db):
    """Province 70 with 2 wards and province 80 with 20, in 2026, each ward
    with figures for both indicators of their set."""
    user = UserFactory()
    criteria_set = make_criteria_set(22)
    add_indicator(criteria_set, 17, "social_order_crimes", Rule.CHANGE_BELOW, "0")
    add_indicator(criteria_set, 18, "clearance_rate", Rule.AT_LEAST, "90", "%")
    for code, count in (("70", 2), ("80", 20)):
        province = ProvinceFactory(code=code)
        for index in range(count):
            ward = WardFactory(province=province)
            EnrolmentFactory(ward=ward, criteria_set=criteria_set, year=2026)
            enter(ward, "clearance_rate", "2026-09-30", str(80 + index), user)
            enter(ward, "social_order_crimes", "2025-09-30", "10", user)
            enter(ward, "social_order_crimes", "2026-09-30", str(index), user)
    return member(Role.NATIONAL_LEADER)


# The session, user, memberships and second factor, and the savepoint of the
# session (as in test_query_counts.py), then the years, the province, what it
# was formed from, the indicators in use and the wards, and the figures: one
# query per set in use that has the indicator.
@pytest.mark.parametrize(
    ("path", "queries"),
    [
        ("/dashboard/{province}/indicators/?indicator=clearance_rate", 10),
        ("/dashboard/{province}/indicators/?indicator=social_order_crimes", 10),
        # The export's 9, + one query for the figures of every indicator.
        ("/dashboard/export/wards.csv?province={province}", 10),
    ],
)
@pytest.mark.parametrize("province", ["70", "80"])
def test_the_cost_does_not_grow_with_the_wards(
    db, client, sizes, django_assert_num_queries, path, queries, province
):
    client.force_login(sizes)
    with django_assert_num_queries(queries):
        response = client.get(path.format(province=province) + "&year=2026")
    assert response.status_code == 200
    if "indicators" in path:
        assert response.context["spread"].measured == {"70": 2, "80": 20}[province]


def test_xlsx_dates_read_day_first(client, figures):
    """Dates in the workbook are dates, shown as the app writes them."""
    client.force_login(figures["leader"])
    response = client.get(
        "/dashboard/export/wards.xlsx", {"province": "38", "year": 2026}
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    dated = [
        cell
        for row in sheet.iter_rows(min_row=2)
        for cell in row
        if isinstance(cell.value, dt.datetime)
    ]
    assert dated and {c.number_format for c in dated} <= {
        "DD/MM/YYYY",
        "DD/MM/YYYY HH:MM",
    }
