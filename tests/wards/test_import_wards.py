import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from wards.models import Province, Ward

GOOD = """province_code,province,code,name,kind
38,Thanh Hóa,14796,An Hưng,phuong
38,Thanh Hóa,14800,Quảng Thắng,phuong
01,Hà Nội,09552,Phú La,phuong
01,Hà Nội,00229,Ô Chợ Dừa,phuong
"""

pytestmark = pytest.mark.usefixtures("english")


def write(tmp_path, text: str, encoding="utf-8"):
    path = tmp_path / "wards.csv"
    path.write_bytes(text.encode(encoding))
    return str(path)


@pytest.mark.django_db
def test_a_good_file_creates_provinces_and_wards(tmp_path):
    call_command("import_wards", write(tmp_path, GOOD))
    assert Province.objects.count() == 2
    assert Ward.objects.get(code="00229").name == "Ô Chợ Dừa"
    assert Ward.objects.get(code="14796").province.name == "Thanh Hóa"


@pytest.mark.django_db
def test_importing_again_updates_by_code(tmp_path):
    call_command("import_wards", write(tmp_path, GOOD))
    call_command(
        "import_wards", write(tmp_path, GOOD.replace("Quảng Thắng", "Quảng Thành"))
    )
    assert Ward.objects.count() == 4
    assert Ward.objects.get(code="14800").name == "Quảng Thành"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace(",phuong\n01", ",village\n01"), "line 3, field “kind”"),
        (GOOD.replace("14800", "14796"), "line 3, field “code”"),
        (GOOD.replace("Phú La", ""), "line 4, field “name”"),
        (GOOD.replace("kind\n", "type\n"), "line 1: the header has no column “kind”"),
        (GOOD.replace("01,Hà Nội,00229", "01,Hanoi,00229"), "line 5, field “province”"),
        ("province_code,province,code,name,kind\n", "the file has no wards"),
    ],
)
@pytest.mark.django_db
def test_a_bad_file_is_refused_whole(tmp_path, text, message):
    with pytest.raises(CommandError) as caught:
        call_command("import_wards", write(tmp_path, text))
    assert message in str(caught.value)
    assert Ward.objects.count() == 0
    assert Province.objects.count() == 0


@pytest.mark.django_db
def test_a_file_in_the_wrong_encoding_is_refused(tmp_path):
    with pytest.raises(CommandError, match="UTF-8"):
        call_command("import_wards", write(tmp_path, GOOD, encoding="utf-16"))
    assert Ward.objects.count() == 0


@pytest.mark.django_db
def test_errors_are_in_vietnamese_by_default(tmp_path):
    with translation.override("vi"), pytest.raises(CommandError) as caught:
        call_command("import_wards", write(tmp_path, GOOD.replace("Phú La", "")))
    assert "dòng 4, trường “name”" in str(caught.value)
