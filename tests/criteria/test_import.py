from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from assessments import tally
from assessments.models import Assessment
from criteria.fileformat import CriteriaFileError, parse
from criteria.models import CriteriaSet, Criterion, CriterionGroup, Indicator
from tests.factories import EnrolmentFactory

SHIPPED = Path(__file__).resolve().parents[2] / "criteria/data/illustrative-22.csv"

GOOD = """kieumau-criteria,1
code,test-set
name,Bộ thử
year,2024
group,A,Nhóm A,Group A
group,B,Nhóm B,Group B

number,group,title,title_en,description,evidence_guidance,responsible_body,assessed
1,A,Tiêu chí một,One,Mô tả,Hướng dẫn,police,anytime
2,A,"Tiêu chí hai, có dấu phẩy",Two,,,party_committee,year_end
3,B,Tiêu chí ba,Three,,,peoples_committee,anytime
"""

pytestmark = pytest.mark.usefixtures("english")


def write(tmp_path, text: str, encoding="utf-8") -> Path:
    path = tmp_path / "criteria.csv"
    path.write_bytes(text.encode(encoding))
    return path


def counts():
    return (
        CriteriaSet.objects.count(),
        CriterionGroup.objects.count(),
        Criterion.objects.count(),
    )


@pytest.mark.django_db
def test_the_shipped_set_has_22_criteria_in_six_groups():
    call_command("import_criteria", str(SHIPPED))
    criteria_set = CriteriaSet.objects.get(code="illustrative-22")
    assert criteria_set.criteria.count() == 22
    assert criteria_set.groups.count() == 6
    assert criteria_set.criteria.filter(assessed="year_end").count() == 3
    assert set(criteria_set.criteria.values_list("responsible_body", flat=True)) == {
        "police",
        "party_committee",
        "peoples_committee",
    }
    assert all(c.title and c.title_en for c in criteria_set.criteria.all())


@pytest.mark.django_db
def test_a_good_file_loads_every_field(tmp_path):
    call_command("import_criteria", str(write(tmp_path, GOOD)))
    second = Criterion.objects.get(criteria_set__code="test-set", number=2)
    assert second.title == "Tiêu chí hai, có dấu phẩy"
    assert second.group.code == "A"
    assert second.responsible_body == "party_committee"
    assert second.year_end_only
    assert CriteriaSet.objects.get(code="test-set").year == 2024


@pytest.mark.django_db
def test_reimporting_updates_in_place_and_keeps_assessments(tmp_path):
    call_command("import_criteria", str(write(tmp_path, GOOD)))
    criteria_set = CriteriaSet.objects.get(code="test-set")
    enrolment = EnrolmentFactory(criteria_set=criteria_set)
    assessment = Assessment.objects.get(enrolment=enrolment, criterion__number=1)
    Assessment.objects.filter(pk=assessment.pk).update(status="approved")
    tally.recount()

    reworded = GOOD.replace("Tiêu chí một", "Tiêu chí một (sửa)").replace(
        "3,B,Tiêu chí ba,Three,,,peoples_committee,anytime",
        "3,B,Tiêu chí ba,Three,,,peoples_committee,anytime\n"
        "4,B,Tiêu chí bốn,Four,,,police,anytime",
    )
    call_command("import_criteria", str(write(tmp_path, reworded)))

    assessment.refresh_from_db()
    assert assessment.status == "approved"
    assert assessment.criterion.title == "Tiêu chí một (sửa)"
    assert CriteriaSet.objects.count() == 1
    assert criteria_set.criteria.count() == 4
    # The new criterion gets an assessment for the enrolled ward.
    assert enrolment.assessments.count() == 4


@pytest.mark.django_db
def test_a_criterion_with_assessments_cannot_silently_disappear(tmp_path):
    call_command("import_criteria", str(write(tmp_path, GOOD)))
    EnrolmentFactory(criteria_set=CriteriaSet.objects.get(code="test-set"))
    shorter = GOOD.replace("3,B,Tiêu chí ba,Three,,,peoples_committee,anytime\n", "")
    with pytest.raises(CommandError, match="criterion 3"):
        call_command("import_criteria", str(write(tmp_path, shorter)))
    assert Criterion.objects.filter(number=3).exists()


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        pytest.param(
            GOOD.replace("1,A,Tiêu chí một,One", "1,A,,One"), 9, "title", id="missing"
        ),
        pytest.param(
            GOOD.replace("3,B,Tiêu chí ba", "2,B,Tiêu chí ba"),
            11,
            "number",
            id="duplicate-number",
        ),
        pytest.param(
            GOOD.replace("3,B,Tiêu chí ba", "3,Z,Tiêu chí ba"),
            11,
            "group",
            id="unknown-group",
        ),
        pytest.param(
            GOOD.replace("police,anytime", "police,sometimes"),
            9,
            "assessed",
            id="bad-choice",
        ),
        pytest.param(
            GOOD.replace("1,A,Tiêu chí một", "một,A,Tiêu chí một"),
            9,
            "number",
            id="not-a-number",
        ),
        pytest.param(GOOD.replace("year,2024", "year,"), 4, "year", id="no-year"),
        pytest.param(
            GOOD.replace("kieumau-criteria,1", "something,else"), 1, "", id="not-ours"
        ),
        pytest.param(
            GOOD.replace("responsible_body,", "body,"), 8, "", id="missing-column"
        ),
    ],
)
@pytest.mark.django_db
def test_a_bad_file_names_line_and_field_and_writes_nothing(
    tmp_path, text, line, field
):
    with pytest.raises(CriteriaFileError) as caught:
        parse(text.encode())
    assert caught.value.line == line
    assert caught.value.field == field
    with pytest.raises(CommandError, match=f"line {line}"):
        call_command("import_criteria", str(write(tmp_path, text)))
    assert counts() == (0, 0, 0)


@pytest.mark.django_db
def test_a_file_in_the_wrong_encoding_is_refused(tmp_path):
    # Line 3 saved by an old editor in a legacy code page.
    path = tmp_path / "legacy.csv"
    path.write_bytes(
        GOOD.encode().replace("Bộ thử".encode(), "Bô thu".encode("cp1258"))
    )
    with pytest.raises(CommandError, match="line 3.*UTF-8"):
        call_command("import_criteria", str(path))
    assert counts() == (0, 0, 0)


@pytest.mark.django_db
def test_a_bad_reimport_leaves_the_set_as_it_was(tmp_path):
    call_command("import_criteria", str(write(tmp_path, GOOD)))
    broken = GOOD.replace("Tiêu chí một", "Đổi tên").replace("3,B,", "3,Z,")
    with pytest.raises(CommandError):
        call_command("import_criteria", str(write(tmp_path, broken)))
    assert Criterion.objects.get(number=1).title == "Tiêu chí một"


@pytest.mark.django_db
def test_export_writes_what_import_reads(tmp_path):
    call_command("import_criteria", str(SHIPPED))
    out = tmp_path / "exported.csv"
    call_command("export_criteria", "illustrative-22", output=str(out))
    assert parse(out.read_bytes()) == parse(SHIPPED.read_bytes())


@pytest.mark.django_db
def test_export_of_an_unknown_set_says_which_exist():
    with pytest.raises(CommandError, match="No criteria set has the code"):
        call_command("export_criteria", "nope")


WITH_INDICATORS = GOOD.replace(
    "group,B,Nhóm B,Group B\n",
    "group,B,Nhóm B,Group B\n"
    "indicator,3,clearance_rate,Tỷ lệ khám phá,Clearance rate,%,year_to_date,"
    "at_least,90\n"
    "indicator,3,crimes,Số vụ phạm tội,Crimes,vụ,year_to_date,change_below,0\n"
    "indicator,1,cameras,Số camera,Cameras,,on_date,at_least,12.5\n",
)


@pytest.mark.django_db
def test_indicators_load_with_their_rules(tmp_path):
    call_command("import_criteria", str(write(tmp_path, WITH_INDICATORS)))
    rows = list(
        Indicator.objects.order_by("position").values_list(
            "criterion__number", "code", "name_en", "unit", "period", "rule", "target"
        )
    )
    assert rows == [
        (3, "clearance_rate", "Clearance rate", "%", "year_to_date", "at_least", 90),
        (3, "crimes", "Crimes", "vụ", "year_to_date", "change_below", 0),
        (1, "cameras", "Cameras", "", "on_date", "at_least", Decimal("12.5")),
    ]
    # A re-import without them removes the definitions (figures are kept by
    # ward and code, elsewhere).
    call_command("import_criteria", str(write(tmp_path, GOOD)))
    assert not Indicator.objects.exists()


@pytest.mark.django_db
def test_the_shipped_set_has_the_published_indicators():
    call_command("import_criteria", str(SHIPPED))
    rules = {
        code: (number, rule, target)
        for code, number, rule, target in Indicator.objects.values_list(
            "code", "criterion__number", "rule", "target"
        )
    }
    assert rules["clearance_rate"] == (18, "at_least", 90)
    assert rules["reports_resolved"] == (19, "equal", 100)
    assert rules["serious_crimes"] == (16, "equal", 0)
    assert rules["social_order_crimes"] == (17, "change_below", 0)


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("indicator,3,crimes", "indicator,23,crimes", "indicator"),
        ("indicator,3,crimes", "indicator,3,clearance_rate", "indicator"),
        ("indicator,3,crimes", "indicator,3,số vụ", "indicator"),
        ("change_below,0", "fewer,0", "rule"),
        ("year_to_date,change_below", "monthly,change_below", "period"),
        ("change_below,0", "change_below,nhiều", "target"),
        ("change_below,0", "change_below,0.125", "target"),
        ("Số vụ phạm tội,Crimes", ",Crimes", "indicator"),
    ],
)
@pytest.mark.django_db
def test_a_bad_indicator_line_is_named(tmp_path, old, new, field):
    text = WITH_INDICATORS.replace(old, new)
    with pytest.raises(CriteriaFileError) as caught:
        parse(text.encode())
    assert caught.value.line == 8
    assert caught.value.field == field
    assert counts() == (0, 0, 0)
