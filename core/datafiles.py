"""Reading a data file that people prepare in a spreadsheet (CSV, UTF-8)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from django.utils.translation import gettext as _


class DataFileError(ValueError):
    """A data file that cannot be imported; says where (line, field) and why."""

    def __init__(self, message: str, *, line: int | None = None, field: str = ""):
        self.line = line
        self.field = field
        where = []
        if line is not None:
            where.append(_("line %(line)d") % {"line": line})
        if field:
            where.append(_("field “%(field)s”") % {"field": field})
        prefix = (", ".join(where) + ": ") if where else ""
        super().__init__(prefix + message)


def read_data_file(path: Path | str, error: type[DataFileError]) -> bytes:
    """The bytes of a data file, or `error` saying why it cannot be read."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise error(
            _("cannot read the file (%(error)s).") % {"error": exc.strerror}
        ) from None


def decode_text(data: bytes, error: type[DataFileError]) -> str:
    """The file's text, or `error` naming the first line that is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(
            _("the file is not UTF-8 text; save it as “CSV UTF-8” and try again."),
            line=data[: exc.start].count(b"\n") + 1,
        ) from None


def csv_lines(text: str, error: type[DataFileError]) -> list[tuple[int, list[str]]]:
    """The CSV rows of `text`, each with the physical line it starts on.

    A quoted cell may span lines, so a row's line is not its index. A
    malformed file raises `error` naming the line where reading stopped.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    start = 1
    try:
        for cells in reader:
            rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise error(
            _("the CSV is malformed (%(error)s).") % {"error": exc},
            line=reader.line_num,
        ) from None
    return rows
