"""HTML to PDF with WeasyPrint, reading nothing but the app's own static files.

A page printed on the server must not reach the network, nor any file of the
server but the shipped stylesheets and fonts: its fetcher answers the
`/static/` URLs from the static files finders, `data:` URLs from themselves,
and refuses every other URL.
"""

from __future__ import annotations

import functools
import io
import mimetypes
from pathlib import PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from fontTools.ttLib import woff2
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

# The page is laid out as if served from here: a host that cannot exist
# (RFC 2606), so that its relative URLs have a base and none can be fetched.
BASE_URL = "https://kieumau.invalid/"


class RefusedURL(ValueError):
    """A URL that the PDF may not read."""


class StaticFilesOnly(URLFetcher):
    """Answers `/static/` URLs from the static files finders; refuses others."""

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        path = finders.find(static_name(url))
        if not isinstance(path, str):
            raise RefusedURL(f"No such static file: {url}")
        if path.endswith(".woff2"):
            return URLFetcherResponse(
                url, unpacked_font(path), headers={"Content-Type": "font/ttf"}
            )
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url,
            open(path, "rb"),  # noqa: SIM115 - WeasyPrint closes the response
            headers={"Content-Type": content_type},
        )


@functools.cache
def unpacked_font(path: str) -> bytes:
    """A WOFF2 font unpacked once a process, not once a PDF: WeasyPrint
    unpacks in Python, a third of a second for each of the 24 faces."""
    unpacked = io.BytesIO()
    woff2.decompress(path, unpacked)
    return unpacked.getvalue()


def static_name(url: str) -> str:
    """The static file that `url` names, relative to the static folders."""
    prefix = urljoin(BASE_URL, settings.STATIC_URL)
    parts = urlsplit(url)
    address = f"{parts.scheme}://{parts.netloc}{parts.path}"
    if not address.startswith(prefix):
        raise RefusedURL(f"Only the app's static files are read: {url}")
    name = unquote(address.removeprefix(prefix))
    if not name or ".." in PurePosixPath(name).parts or name.startswith("/"):
        raise RefusedURL(f"Not a static file name: {url}")
    return name


# WeasyPrint (70) writes the faces of one family, weight and style as one
# PDF font, whatever their files: the subsets of Tinos that print.css
# declares with unicode-range then print each other's glyphs ("Hưng" comes
# out as "HAng"). In the PDF each subset is a family of its own, and a
# letter missing from one is taken from the next.
TINOS_SUBSETS = ("vietnamese", "latin-ext", "latin")
TINOS_FACES = [
    (subset, weight, style)
    for subset in TINOS_SUBSETS
    for weight in (400, 700)
    for style in ("normal", "italic")
]


def print_stylesheet() -> str:
    """What the PDF adds to print.css: the text in the Tinos subsets, one
    family each, and tables of fixed column widths."""
    faces = "".join(
        f'@font-face {{ font-family: "Tinos {subset}"; font-weight: {weight}; '
        f'font-style: {style}; src: url("{settings.STATIC_URL}vendor/fonts/'
        f'tinos-{subset}-{weight}-{style}.woff2"); }}\n'
        for subset, weight, style in TINOS_FACES
    )
    families = ", ".join(f'"Tinos {subset}"' for subset in TINOS_SUBSETS)
    font = f"font-family: {families}, serif !important;"
    return (
        f"{faces}body {{ {font} }}\n@page {{ @top-center {{ {font} }} }}\n"
        + FIXED_TABLES
    )


# Measuring every word of every cell to size the columns took two thirds of
# a dossier's time (1.8 of 2.5 s for 22 criteria): the PDF's tables are laid
# out at the widths their columns have on paper anyway.
FIXED_TABLES = """
table { table-layout: fixed; }
table.summary th:nth-child(1) { width: 3em; }
table.summary th:nth-child(3) { width: 8em; }
table.summary th:nth-child(4) { width: 3.5em; }
table.evidence th:nth-child(2) { width: 6em; }
table.evidence th:nth-child(3) { width: 5em; }
table.evidence th:nth-child(4) { width: 36%; }
"""


def html_to_pdf(html: str) -> bytes:
    """`html` laid out for print in Tinos, as the bytes of a PDF."""
    fetcher = StaticFilesOnly()
    fonts = FontConfiguration()
    stylesheet = CSS(
        string=print_stylesheet(),
        base_url=BASE_URL,
        url_fetcher=fetcher,
        font_config=fonts,
    )
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[stylesheet], font_config=fonts)
