"""HTML to PDF with WeasyPrint, reading nothing but the app's own static files.

A page printed on the server must not reach the network, nor any file of the
server but the shipped stylesheets and fonts: its fetcher answers the
`/static/` URLs from the static files finders, `data:` URLs from themselves,
and refuses every other URL.
"""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from weasyprint import HTML
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
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url,
            open(path, "rb"),  # noqa: SIM115 - WeasyPrint closes the response
            headers={"Content-Type": content_type},
        )


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


def html_to_pdf(html: str) -> bytes:
    """`html` laid out for print, as the bytes of a PDF."""
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticFilesOnly())
    return document.write_pdf()
