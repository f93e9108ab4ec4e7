"""Pages and exports go compressed to a browser that asks; files do not."""

import gzip

import pytest

from tests import files
from tests.factories import add_file


@pytest.mark.django_db
def test_pages_are_compressed_and_files_are_not(client, enrolment, officer):
    assessment = enrolment.assessments.get(criterion__number=1)
    pdf = add_file(assessment, officer, name="Biên bản.pdf", content=files.pdf("x"))
    client.force_login(officer)
    page = client.get(f"/wards/{enrolment.ward.code}/", HTTP_ACCEPT_ENCODING="gzip")
    assert page["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in page["Vary"]
    html = gzip.decompress(page.content).decode()
    assert enrolment.ward.name in html
    plain = client.get(f"/wards/{enrolment.ward.code}/")
    assert not plain.has_header("Content-Encoding")

    download = client.get(f"/evidence/{pdf.pk}/", HTTP_ACCEPT_ENCODING="gzip")
    assert not download.has_header("Content-Encoding")
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
