"""Uploading in the browser: checked before sending, sent in pieces with its
progress, resumed after a dropped connection, and the outcome said on top."""

import hashlib

import pytest

from assessments.models import Evidence, PartialUpload
from tests import files
from tests.e2e import test_journeys
from tests.e2e.test_journeys import CRITERION, upload

returned_last_week = test_journeys.returned_last_week  # a fixture, shared

pytestmark = pytest.mark.e2e
NAMES = ["chuong-trinh.exe", "trong.pdf", "lon.pdf", "bao-cao.pdf"]


@pytest.fixture
def criterion(returned_last_week):
    """Hạc Thành's criterion 10, back with the ward: files can be added."""
    return returned_last_week


def big_pdf(path, megabytes: float) -> bytes:
    content = files.pdf("scan " * int(megabytes * 1024 * 1024 / 5))
    path.write_bytes(content)
    return content


def test_a_large_file_goes_in_pieces_and_a_dropped_piece_is_resumed(
    open_page, criterion, tmp_path
):
    page = open_page("demo-officer")
    page.goto(CRITERION)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.method))
    dropped = []

    def drop_the_second_piece(route):
        if (
            route.request.method == "PATCH"
            and len(dropped) == 0
            and (requests.count("PATCH") == 2)
        ):
            dropped.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/uploads/**", drop_the_second_piece)
    scan = tmp_path / "Biên bản quét.pdf"
    content = big_pdf(scan, 3.5)
    page.set_input_files("input[name=files]", str(scan))
    assert "3,5 MB" in page.inner_text(".upload-files")  # its size, before sending
    said = upload(page)
    assert "1 tệp đã được thêm vào hồ sơ." in said
    assert dropped, "a piece was dropped on the way"
    assert requests.count("PATCH") >= 5  # four pieces, one of them twice
    evidence = Evidence.objects.get(
        assessment=criterion, original_name="Biên bản quét.pdf"
    )
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert not PartialUpload.objects.exists()


def test_files_that_cannot_be_sent_are_said_before_sending(
    open_page, criterion, tmp_path
):
    page = open_page("demo-officer")
    page.goto(CRITERION)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    program = tmp_path / "chuong-trinh.exe"
    program.write_bytes(b"MZ")
    empty = tmp_path / "trong.pdf"
    empty.write_bytes(b"")
    page.set_input_files("input[name=files]", [str(program), str(empty)])
    listed = page.inner_text(".upload-files")
    assert "Không phải loại tệp được nhận" in listed
    assert "Tệp này rỗng" in listed
    page.click("form.upload-form button[type=submit]")
    assert "Chọn ít nhất một tệp gửi được." in page.inner_text(".upload-files")
    assert requests == []  # nothing went to the server
    assert not criterion.evidence.filter(original_name__in=NAMES).exists()


def test_cancel_stops_sending_and_leaves_nothing(open_page, criterion, tmp_path):
    page = open_page("demo-officer")
    page.goto(CRITERION)
    page.route("**/uploads/**", lambda route: None)  # the network hangs
    scan = tmp_path / "lon.pdf"
    big_pdf(scan, 2)
    page.set_input_files("input[name=files]", str(scan))
    # The server has answered the upload's creation before the test goes on:
    # no request of the live server is left running when the test database
    # is emptied at its end (a lock held then deadlocks the teardown).
    with page.expect_response(lambda r: "upload/resumable" in r.url):
        page.click("form.upload-form button[type=submit]")
    page.wait_for_function("() => !document.querySelector('.upload-cancel').hidden")
    page.click(".upload-cancel")
    assert "Đã hủy. Không có gì được thêm." in page.inner_text(".upload-files")
    assert page.is_enabled("form.upload-form button[type=submit]")
    assert not criterion.evidence.filter(original_name__in=NAMES).exists()


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "plain-form"])
def test_on_a_phone_a_refused_upload_is_said_on_the_first_screen(
    open_page, criterion, tmp_path, javascript
):
    page = open_page("demo-officer", phone=True, javascript=javascript)
    page.goto(CRITERION)
    fake = tmp_path / "bao-cao.pdf"
    fake.write_bytes(b"this is not a PDF")
    page.set_input_files("input[name=files]", str(fake))
    page.fill("textarea[name=description]", "Báo cáo tháng")
    said = upload(page)
    assert "không phải là tệp PDF" in said
    box = page.locator("#messages").bounding_box()
    top = page.evaluate("window.scrollY")
    assert top <= box["y"] and box["y"] + box["height"] <= top + 844
    if javascript:  # focused, so that a screen reader says it
        assert page.evaluate("document.activeElement.id") == "messages"
    assert page.input_value("textarea[name=description]") == "Báo cáo tháng"
    assert not criterion.evidence.filter(original_name__in=NAMES).exists()
