from django.conf import settings
from django.http import multipartparser
from django.http.multipartparser import MultiPartParser
from django.middleware.gzip import GZipMiddleware
from django.utils import translation
from django.utils.cache import patch_cache_control

from core.postgresql.base import server_wait


class LanguageMiddleware:
    """Vietnamese unless the user chose English with the switch.

    Unlike Django's LocaleMiddleware this ignores the browser's
    Accept-Language: many office computers run an English browser, and the
    people using them still expect the Vietnamese interface.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.languages else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class PrivatePagesMiddleware:
    """Nothing a signed-in user is shown is kept by a shared cache or the browser.

    Pages, exports, the dossier, the second-factor set-up page with its key
    and the recovery codes: every response to a signed-in request says
    `Cache-Control: private, no-store`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response


class DatabaseWaitMiddleware:
    """A web request waits for the database no longer than DB_SERVER_WAIT seconds.

    See core/postgresql: a frozen database then gives a 503, not a thread
    that hangs until it comes back.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = server_wait.set(settings.DB_SERVER_WAIT or None)
        try:
            return self.get_response(request)
        finally:
            server_wait.reset(token)


class WholeFileNamesMiddleware:
    """Uploaded files keep their whole name.

    Django's multipart parser keeps only what follows the last "/" or "\\"
    of a file name, as if it were a path; a Vietnamese document number is
    written with a slash ("Biên bản 12/2023 họp chi bộ.pdf"), and browsers
    send no paths. Here the slash becomes "-" and the name stays readable.

    Django's parser also skips, without a word, a file whose name is not
    UTF-8 (an old Vietnamese Windows program may send Windows-1258); here a
    part's header lines are read as UTF-8 where they are, as Windows-1258
    where they are not, and the file arrives.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        if not getattr(multipartparser.parse_boundary_stream, "readable", False):
            multipartparser.parse_boundary_stream = _readable_headers(
                multipartparser.parse_boundary_stream
            )

    def __call__(self, request):
        request.multipart_parser_class = WholeNameParser
        return self.get_response(request)


class WholeNameParser(MultiPartParser):
    def sanitize_file_name(self, file_name: str) -> str | None:
        return super().sanitize_file_name(
            file_name.replace("/", "-").replace("\\", "-")
        )


def _readable_headers(parse_boundary_stream):
    """Django's reader of a part's headers, given headers that decode as UTF-8."""

    def parse(stream, max_header_size):
        chunk = stream.read(max_header_size)
        end = chunk.find(b"\r\n\r\n")
        grown = 0
        if end != -1:
            header = b"\r\n".join(_utf8(line) for line in chunk[:end].split(b"\r\n"))
            grown = len(header) - end
            chunk = header + chunk[end:]
        stream.unget(chunk)
        return parse_boundary_stream(stream, max_header_size + grown)

    parse.readable = True
    return parse


def _utf8(line: bytes) -> bytes:
    try:
        line.decode()
    except UnicodeDecodeError:
        return line.decode("cp1258", errors="replace").encode()
    return line


class CompressPagesMiddleware(GZipMiddleware):
    """Django's gzip (with its BREACH mitigation: random padding in the gzip
    header) for pages and exports of text, not for files: evidence is
    mostly compressed already, and a download keeps its length and ranges.

    A large province's dashboard is hundreds of kilobytes of repetitive
    HTML, a fifth of that compressed: what a ward officer on a slow link
    waits for.
    """

    COMPRESSED = ("text/html", "text/csv", "text/plain", "application/json")

    def process_response(self, request, response):
        kind = response.get("Content-Type", "").split(";")[0].strip()
        if kind not in self.COMPRESSED or response.streaming:
            return response
        return super().process_response(request, response)
