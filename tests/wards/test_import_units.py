"""Importing official lists: units in time, and what became of them."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F
from django.utils import translation

from assessments.models import Enrolment
from tests.factories import EnrolmentFactory, make_criteria_set
from wards.models import Province, UnitChange, Ward

pytestmark = [pytest.mark.usefixtures("english"), pytest.mark.django_db]

OLD = """province_code,province,code,name,kind
38,Tỉnh Thanh Hóa,16435,Phường An Hưng,
38,Thanh Hóa,14800,Quảng Thắng,phuong
38,Thanh Hóa,14801,Đông Hương,phuong
38,Thanh Hóa,14802,Đông Hải,phuong
01,Thành phố Hà Nội,09552,Phú La,phuong
01,Hà Nội,00190,Ô Chợ Dừa,phuong
"""
NEW = """code,name,province_code,province,valid_from
14797,Phường Hạc Thành,38,Thanh Hóa,2025-07-01
16417,Phường Đông Quang,38,Thanh Hóa,2025-07-01
09552,Phường Kiến Hưng,01,Hà Nội,2025-07-01
09553,Phường Dương Nội,01,Hà Nội,2025-07-01
00190,Phường Ô Chợ Dừa,01,Hà Nội,2025-07-01
"""
CHANGES = """old_code,new_code,effective,partial
16435,14797,2025-07-01,1
16435,16417,2025-07-01,1
14800,14797,2025-07-01,0
14801,14797,2025-07-01,0
09552,09552,2025-07-01,1
09552,09553,2025-07-01,1
00190,00190,2025-07-01,0
"""
JULY = dt.date(2025, 7, 1)


@pytest.fixture
def criteria_set():
    return make_criteria_set()


def write(tmp_path, text: str, name="units.csv", encoding="utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def load(tmp_path, text, changes=None, *options):
    args = [write(tmp_path, text)]
    if changes:
        args += ["--changes", write(tmp_path, changes, "changes.csv")]
    call_command("import_units", *args, *options)


def snapshot():
    return sorted(
        Ward.objects.values_list(
            "code", "name", "kind", "province__code", "valid_from", "valid_to"
        ),
        key=str,
    ) + sorted(UnitChange.objects.values_list("predecessor_id", "successor_id"))


def test_official_full_names_and_short_names_are_both_taken(tmp_path):
    load(tmp_path, OLD)
    an_hung = Ward.objects.get(code="16435")
    assert (an_hung.name, an_hung.kind, an_hung.full_name) == (
        "An Hưng",
        "phuong",
        "Phường An Hưng",
    )
    assert set(Province.objects.values_list("code", "name")) == {
        ("38", "Thanh Hóa"),
        ("01", "Hà Nội"),
    }


def test_importing_the_same_files_again_changes_nothing(tmp_path, capsys):
    load(tmp_path, OLD)
    load(tmp_path, NEW, CHANGES)
    before = snapshot()
    capsys.readouterr()
    load(tmp_path, NEW, CHANGES)
    assert snapshot() == before
    out = capsys.readouterr().out
    assert "0 unit(s) to add" in out and "5 unit(s) unchanged" in out


def test_the_2025_change_closes_old_units_and_keeps_their_records(tmp_path):
    load(tmp_path, OLD)
    phu_la = Ward.objects.get(code="09552")
    enrolment = EnrolmentFactory(ward=phu_la, year=2023)
    load(tmp_path, NEW, CHANGES)
    old, new = Ward.objects.filter(code="09552").order_by(
        F("valid_from").asc(nulls_first=True)
    )
    assert old.pk == phu_la.pk and (old.name, old.valid_to) == (
        "Phú La",
        JULY - dt.timedelta(days=1),
    )
    assert (new.name, new.valid_from, new.valid_to) == ("Kiến Hưng", JULY, None)
    enrolment.refresh_from_db()
    assert enrolment.ward_id == phu_la.pk  # 2023 stays Phú La's
    assert Enrolment.objects.filter(ward=new).count() == 0
    # A split: Phú La went, in part, to Kiến Hưng and Dương Nội.
    assert sorted(old.successions.values_list("successor__name", "partial")) == [
        ("Dương Nội", True),
        ("Kiến Hưng", True),
    ]


def test_a_merger_of_three_into_one(tmp_path):
    load(tmp_path, OLD)
    load(tmp_path, NEW, CHANGES)
    hac_thanh = Ward.objects.get(code="14797")
    assert sorted(hac_thanh.origins.values_list("predecessor__name", flat=True)) == [
        "An Hưng",
        "Quảng Thắng",
        "Đông Hương",
    ]
    closed = Ward.objects.filter(code__in=["16435", "14800", "14801"])
    assert {w.valid_to for w in closed} == {JULY - dt.timedelta(days=1)}
    assert Ward.objects.get(code="14802").valid_to is None  # not in the change


def test_the_dry_run_says_what_would_change_and_writes_nothing(tmp_path, capsys):
    load(tmp_path, OLD)
    before = snapshot()
    capsys.readouterr()
    load(tmp_path, NEW, CHANGES, "--dry-run", "--verbosity", "2")
    assert snapshot() == before
    out = capsys.readouterr().out
    assert "5 unit(s) to add" in out
    assert "5 unit(s) to close" in out  # Ô Chợ Dừa too: a new one has its code
    assert "1 merger(s) into one unit" in out
    assert "2 unit(s) split between several" in out
    assert "merged: An Hưng (16435), Quảng Thắng (14800), Đông Hương (14801)" in out
    assert "Dry run: nothing was written." in out


def test_a_code_taken_over_without_its_change_is_refused(tmp_path, capsys):
    load(tmp_path, OLD)
    before = snapshot()
    without = CHANGES.replace("09552,09552,2025-07-01,1\n", "").replace(
        "09552,09553,2025-07-01,1\n", ""
    )
    with pytest.raises(CommandError) as caught:
        load(tmp_path, NEW, without)
    assert "code 09552 is in use by Phú La (Hà Nội)" in capsys.readouterr().err
    assert "nothing was written" in str(caught.value)
    assert snapshot() == before


def test_a_code_in_use_by_a_unit_of_another_province_is_refused(tmp_path, capsys):
    """The first version's mistake: demo codes overwritten by real units."""
    load(tmp_path, OLD)
    before = snapshot()
    other = OLD.replace("01,Hà Nội,00190,Ô Chợ Dừa", "08,Tuyên Quang,00190,Ô Chợ Dừa")
    with pytest.raises(CommandError):
        load(tmp_path, other)
    assert "line 7: code 00190 is Ô Chợ Dừa in Hà Nội" in capsys.readouterr().err
    assert snapshot() == before
    load(tmp_path, other, None, "--allow-moves")
    assert Ward.objects.get(code="00190").province.name == "Tuyên Quang"


def test_a_rename_needs_its_option(tmp_path, capsys):
    load(tmp_path, OLD)
    renamed = OLD.replace("Quảng Thắng,phuong", "Quảng Thành,phuong")
    with pytest.raises(CommandError):
        load(tmp_path, renamed)
    assert "code 14800 is Phường Quảng Thắng" in capsys.readouterr().err
    assert Ward.objects.get(code="14800").name == "Quảng Thắng"
    load(tmp_path, renamed, None, "--allow-renames")
    assert Ward.objects.get(code="14800").name == "Quảng Thành"
    assert Ward.objects.filter(code="14800").count() == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (OLD.replace("Hưng,\n", "Hưng,village\n"), "line 2, field “kind”"),
        (OLD.replace("14801", "14800"), "line 4, field “code”"),
        (OLD.replace(",Phú La,", ",,"), "line 6, field “name”"),
        (OLD.replace("kind\n", "type\n").replace(",code,", ",kode,"), "line 1"),
        (OLD.replace("01,Hà Nội,00190", "1a,Hà Nội,00190"), "field “province_code”"),
        ("province_code,province,code,name,kind\n", "the file has no units"),
    ],
)
def test_a_bad_file_is_refused_whole(tmp_path, text, message):
    with pytest.raises(CommandError) as caught:
        load(tmp_path, text)
    assert message in str(caught.value)
    assert Ward.objects.count() == 0
    assert Province.objects.count() == 0


def test_a_file_in_the_wrong_encoding_is_refused(tmp_path):
    with pytest.raises(CommandError, match="UTF-8"):
        call_command("import_units", write(tmp_path, OLD, encoding="utf-16"))
    assert Ward.objects.count() == 0


def test_errors_are_in_vietnamese_by_default(tmp_path):
    with translation.override("vi"), pytest.raises(CommandError) as caught:
        load(tmp_path, OLD.replace(",Phú La,", ",,"))
    assert "dòng 6, trường “name”" in str(caught.value)


def test_a_closed_unit_cannot_be_enrolled(tmp_path, criteria_set):
    from django.core.exceptions import ValidationError

    from assessments.services import enrol_ward

    load(tmp_path, OLD)
    load(tmp_path, NEW, CHANGES)
    an_hung = Ward.objects.get(code="16435")  # closed on 30/06/2025
    enrol_ward(ward=an_hung, year=2025, criteria_set=criteria_set, track="ministry")
    with pytest.raises(ValidationError, match="not in force in 2026"):
        enrol_ward(ward=an_hung, year=2026, criteria_set=criteria_set, track="ministry")
    hac_thanh = Ward.objects.get(code="14797")  # from 01/07/2025
    with pytest.raises(ValidationError, match="not in force in 2024"):
        enrol_ward(
            ward=hac_thanh, year=2024, criteria_set=criteria_set, track="ministry"
        )
    enrol_ward(ward=hac_thanh, year=2026, criteria_set=criteria_set, track="ministry")
    assert sorted(Enrolment.objects.values_list("ward__code", "year")) == [
        ("14797", 2026),
        ("16435", 2025),
    ]


def test_the_admin_refuses_to_enrol_a_closed_unit(tmp_path, admin_client, criteria_set):
    load(tmp_path, OLD)
    load(tmp_path, NEW, CHANGES)
    an_hung = Ward.objects.get(code="16435")
    response = admin_client.post(
        "/admin/evidence/enrolment/add/",
        {
            "ward": an_hung.pk,
            "year": 2026,
            "criteria_set": criteria_set.pk,
            "track": "ministry",
        },
    )
    assert response.status_code == 200
    assert (
        "không còn hiệu lực trong năm 2026" in response.text
    )  # the admin speaks Vietnamese
    assert not Enrolment.objects.exists()


def test_a_numbered_unit_keeps_its_name(tmp_path):
    """Before 2025 many cities had "Phường 1", "Phường 2": the number is no name."""
    load(tmp_path, "code,name,province_code,province\n26734,Phường 1,79,Hồ Chí Minh\n")
    ward = Ward.objects.get(code="26734")
    assert (ward.name, ward.kind, ward.full_name) == ("Phường 1", "phuong", "Phường 1")
    assert str(ward) == "Phường 1 (Hồ Chí Minh)"
