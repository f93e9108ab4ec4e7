"""The printable dossier: an administrative document of the ward's police."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings

from assessments import workflow
from assessments.dossier import official_date
from tests.factories import add_file


@pytest.fixture
def dossier(client, national, enrolment, officer):
    """Criterion 1 with two files, one of them withdrawn."""
    assessment = enrolment.assessments.get(criterion__number=1)
    add_file(assessment, officer, "bien-ban.pdf")
    withdrawn = add_file(assessment, officer, "anh-cu.pdf")
    workflow.withdraw_evidence(withdrawn, actor=officer)
    client.force_login(national)
    return f"/wards/{enrolment.ward.code}/dossier/"


def test_it_is_laid_out_as_an_administrative_document(client, dossier):
    page = client.get(dossier).text
    for part in [
        "CÔNG AN TỈNH THANH HÓA",  # the body above the issuer
        "CÔNG AN PHƯỜNG AN HƯNG",  # the issuer
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "BÁO CÁO",
        "Nơi nhận:",
        "Công an tỉnh Thanh Hóa (để thẩm định);",
        "TRƯỞNG CÔNG AN PHƯỜNG",
    ]:
        assert part in page, part
    assert re.search(r"An Hưng, ngày \d\d tháng \d\d? năm \d{4}", page)


def test_the_english_interface_prints_it_in_english(client, dossier):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(dossier).text
    assert "SOCIALIST REPUBLIC OF VIET NAM" in page
    assert "AN HƯNG WARD POLICE" in page and "Recipients:" in page


def test_only_files_in_the_dossier_are_counted(client, dossier):
    page = client.get(dossier).text
    first_row = re.search(r'<tbody><tr><td class="num">1</td>.*?</tr>', page).group()
    assert first_row.endswith('<td class="num">1</td></tr>')
    assert "Đã rút khỏi hồ sơ: anh-cu.pdf" in page
    table = page[page.index('<table class="evidence">') :]
    table = table[: table.index("</table>")]
    assert "bien-ban.pdf" in table and "anh-cu.pdf" not in table


def test_the_print_button_needs_no_inline_script(client, dossier):
    response = client.get(dossier)
    page = response.text
    assert re.search(r"<button type=\"button\" data-print hidden>In</button>", page)
    assert '<script src="/static/js/print.js" defer></script>' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)  # no inline script
    assert "script-src" in response.headers["Content-Security-Policy"]


def test_the_date_is_written_as_official_documents_write_it():
    assert official_date(dt.date(2026, 2, 5)) == {
        "day": "05",
        "month": "02",
        "year": "2026",
    }
    assert official_date(dt.date(2026, 3, 15))["month"] == "3"
    assert official_date(dt.date(2026, 12, 1)) == {
        "day": "01",
        "month": "12",
        "year": "2026",
    }


def test_its_fonts_are_shipped_with_the_app_not_fetched():
    static = Path(settings.BASE_DIR) / "static"
    css = (static / "css" / "print.css").read_text()
    urls = re.findall(r'url\("?([^")]+)"?\)', css)
    assert urls and all(not u.startswith(("http:", "https:", "//")) for u in urls)
    assert any("tinos-vietnamese-400-normal" in u for u in urls)
    assert "size: A4" in css
    if not (static / "vendor" / "fonts").is_dir():
        pytest.skip("static/vendor/ is installed by `make install`")
    for url in urls:
        assert (static / "css" / url).resolve().is_file(), url


def test_it_prints_the_indicators_with_their_figures(
    client, dossier, enrolment, officer
):
    from decimal import Decimal

    from criteria.models import Indicator

    assessment = enrolment.assessments.get(criterion__number=1)
    indicator = Indicator.objects.create(
        criterion=assessment.criterion,
        code="clearance_rate",
        name="Tỷ lệ khám phá án",
        unit="%",
        rule="at_least",
        target=90,
    )
    workflow.enter_value(
        assessment,
        indicator=indicator,
        period_end=dt.date(2026, 9, 30),
        value=Decimal("92.5"),
        source="Báo cáo số 12/BC-CAP",
        actor=officer,
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(dossier).text
    table = page[page.index('<table class="evidence indicators">') :]
    table = table[: table.index("</table>")]
    for part in ["Tỷ lệ khám phá án", "at least 90 %", "92.5 %", "30/09/2026"]:
        assert part in table, part
    assert "Báo cáo số 12/BC-CAP" in table and ">met<" in table
