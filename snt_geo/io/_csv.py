"""Making a CSV file's bytes safe to parse: one encoding, one line ending, no runaway quotes.

police.uk street files hold one record per line. Three defects in real and hand-edited files make a
CSV parser silently read the wrong rows, so they are repaired or cut out *before* parsing, and
every repair is counted:

- **A quote that is never closed** (``...,"suspect said ok``) makes a CSV parser read the rest of
  the file as one field: 700 rows become 10 with no error. A line with an odd number of ``"``
  opens a quote it does not close. Two such lines next to each other are one record whose quoted
  field holds a line break (legitimate CSV): they are joined. Any other such line is cut out and
  reported by line number.
- **Mixed encodings**: a UTF-8 file in which some lines were pasted from a Windows-1252 system.
  Each line that is not valid UTF-8 is decoded as Windows-1252 (Latin-1 for the five bytes
  Windows-1252 leaves undefined); a file with no valid non-ASCII UTF-8 line is simply a
  Windows-1252 file.
- **CR-only line endings** (classic Mac OS exports) make the whole file one line.

Every police.uk CSV reader (street, stop and search, outcomes) goes through :func:`parse_file`
(repair, then the reader's own parsing, never warning so that files can be parsed on threads) and
:func:`issue_file` (the file's repair warnings, in file order, then its rows or its error).
:func:`read_text_table` parses repaired bytes with every column as text, skipping and counting the
rows whose number of fields does not match the header (``malformed_row``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from snt_geo._warn import warn_at_caller
from snt_geo.errors import SchemaError

__all__ = [
    "CleanCsv",
    "CsvPart",
    "ParsedFile",
    "clean_csv_bytes",
    "header_fields",
    "issue_file",
    "parse_file",
    "read_text_table",
    "require_columns",
]

_QUOTE = 34  # ord('"')
_LF = 10


@dataclass(frozen=True)
class CleanCsv:
    r"""A file's bytes made safe to parse, and what was done to them.

    Attributes
    ----------
    data
        UTF-8 bytes, ``\\n`` (or ``\\r\\n``) line endings, header line first.
    encoding
        ``"utf8"``, ``"cp1252"``, or ``"utf8+cp1252"`` for a UTF-8 file with Windows-1252 lines
        (``"+latin-1"`` is appended when bytes undefined in Windows-1252 were read as Latin-1).
    line_endings
        ``"LF"`` (including CRLF) or ``"CR"`` (converted to LF).
    unclosed_quote_lines
        1-based line numbers (the header is line 1) of the lines cut out because they open a quote
        that never closes.
    joined_lines
        Number of line breaks inside a quoted field that were kept (two lines joined into one
        record).
    cp1252_lines
        Number of lines of a UTF-8 file decoded as Windows-1252 (0 when the whole file is
        Windows-1252).
    """

    data: bytes
    encoding: str
    line_endings: str
    unclosed_quote_lines: tuple[int, ...]
    joined_lines: int
    cp1252_lines: int


def clean_csv_bytes(data: bytes) -> CleanCsv:
    """Repair line endings, encoding and runaway quotes of one CSV file (see the module notes)."""
    line_endings = "LF"
    if b"\n" not in data and b"\r" in data:
        data = data.replace(b"\r", b"\n")
        line_endings = "CR"
    data, encoding, cp1252_lines = _to_utf8(data)
    data, unclosed, joined = _cut_unclosed_quotes(data)
    return CleanCsv(data, encoding, line_endings, unclosed, joined, cp1252_lines)


def _to_utf8(data: bytes) -> tuple[bytes, str, int]:
    """UTF-8 bytes, the encoding found, and the number of lines that were not UTF-8."""
    if data.isascii():  # most files: one pass, no decoded copy
        return data, "utf8", 0
    try:
        data.decode("utf-8")
        return data, "utf8", 0
    except UnicodeDecodeError:
        pass
    lines = data.split(b"\n")
    out: list[bytes] = []
    utf8_lines = cp1252 = latin1 = 0
    for line in lines:
        if line.isascii():
            out.append(line)
            continue
        try:
            line.decode("utf-8")
            out.append(line)
            utf8_lines += 1
            continue
        except UnicodeDecodeError:
            pass
        try:
            text = line.decode("cp1252")
            cp1252 += 1
        except UnicodeDecodeError:
            text = line.decode("latin-1")
            latin1 += 1
        out.append(text.encode("utf-8"))
    encoding = "utf8+cp1252" if utf8_lines else "cp1252"
    if latin1:
        encoding += "+latin-1"
    return b"\n".join(out), encoding, (cp1252 + latin1) if utf8_lines else 0


def _cut_unclosed_quotes(data: bytes) -> tuple[bytes, tuple[int, ...], int]:
    """Join quoted line breaks and cut lines whose quote never closes."""
    if b'"' not in data:
        return data, (), 0
    arr = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(arr == _LF)
    quotes = np.flatnonzero(arr == _QUOTE)
    per_line = np.bincount(np.searchsorted(newlines, quotes), minlength=len(newlines) + 1)
    odd = np.flatnonzero(per_line % 2 == 1)
    odd = odd[odd > 0]  # a broken header is reported by the header check, not here
    if not len(odd):
        return data, (), 0
    lines = data.split(b"\n")
    cut: list[int] = []
    join_after: set[int] = set()
    i = 0
    while i < len(odd):
        if i + 1 < len(odd) and odd[i + 1] == odd[i] + 1:
            join_after.add(int(odd[i]))
            i += 2
        else:
            cut.append(int(odd[i]))
            i += 1
    cut_set = set(cut)
    out: list[bytes] = []
    for n, line in enumerate(lines):
        if n in cut_set:
            continue
        if n - 1 in join_after:
            out[-1] = out[-1].rstrip(b"\r") + b" " + line
        else:
            out.append(line)
    return b"\n".join(out), tuple(n + 1 for n in cut), len(join_after)


def header_fields(data: bytes) -> list[str]:
    """Return the header line's fields of repaired CSV bytes, without a BOM, quotes or spaces."""
    first = data.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace").rstrip("\r")
    return [h.strip().strip('"') for h in first.split(",")]


def require_columns(
    name: str, header: Sequence[str], present: Sequence[str], required: Sequence[str], kind: str
) -> None:
    """Raise a SchemaError naming the file, its header and each required column it lacks.

    ``present`` are the header's normalised names (``crime_id``); ``kind`` names the file in the
    message (``"street-level"``, ``"outcomes"``).
    """
    missing = [c for c in required if c not in present]
    if missing:
        raise SchemaError(
            f"`source` file {name!r} is not a police.uk {kind} file: it lacks required columns "
            "(found " + ", ".join(repr(h) for h in header) + ").",
            [f"missing column {c.replace('_', ' ').capitalize()!r}" for c in missing],
        )


def read_text_table(
    name: str,
    data: bytes,
    *,
    column_names: Sequence[str],
    include_columns: Sequence[str],
) -> tuple[pa.Table, int]:
    """Parse repaired CSV bytes (the header line skipped) with every column read as text.

    Parameters
    ----------
    name
        The file's display name, for the error message.
    data
        Bytes from :func:`clean_csv_bytes` (UTF-8).
    column_names
        One name per field of the header line.
    include_columns
        Columns to return, in this order; one the file lacks is returned all null.

    Returns
    -------
    tuple of (pyarrow.Table, int)
        The rows, empty fields null, and the number of rows skipped because their number of fields
        differs from the header's (``malformed_row``).

    Raises
    ------
    SchemaError
        The bytes cannot be parsed as CSV.
    """
    malformed = 0

    def skip(_row) -> str:
        nonlocal malformed
        malformed += 1
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),  # zero-copy, read outside the GIL
            read_options=pacsv.ReadOptions(
                column_names=list(column_names), skip_rows=1, encoding="utf8"
            ),
            parse_options=pacsv.ParseOptions(invalid_row_handler=skip),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in include_columns},
                strings_can_be_null=True,
                include_columns=list(include_columns),
                include_missing_columns=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise SchemaError(f"`source` file {name!r} could not be parsed as CSV: {exc}") from exc
    return table, malformed


@dataclass
class CsvPart:
    """One file's parsed rows and the account of what was repaired or skipped in it."""

    name: str
    table: pa.Table
    malformed: int
    encoding: str
    unclosed: int = 0
    cp1252_lines: int = 0


@dataclass
class ParsedFile:
    """One file parsed without warning or raising: its part, or the error to raise for it."""

    name: str
    result: CsvPart | Exception
    unclosed_quote_lines: tuple[int, ...] = ()
    cp1252_lines: int = 0


def parse_file(
    name: str,
    data: bytes,
    parse_rows: Callable[[str, bytes], tuple[pa.Table, int]],
    *,
    expected: str,
) -> ParsedFile:
    """Repair one file's bytes and parse them with ``parse_rows``; never warns or raises.

    ``parse_rows(name, repaired_bytes)`` returns the rows and the number of malformed rows it
    skipped. ``expected`` describes the file for the message when it is empty (e.g. "a police.uk
    street-level CSV with a header row (Crime ID, Month, ...)"). Errors are returned, to be raised
    by :func:`issue_file` after the file's warnings.
    """
    if not data.strip():
        return ParsedFile(
            name, SchemaError(f"`source` file {name!r} is empty: expected {expected}.")
        )
    clean = clean_csv_bytes(data)
    try:
        table, malformed = parse_rows(name, clean.data)
        result: CsvPart | Exception = CsvPart(
            name,
            table,
            malformed,
            clean.encoding,
            unclosed=len(clean.unclosed_quote_lines),
            cp1252_lines=clean.cp1252_lines,
        )
    except Exception as exc:  # raised by issue_file, after the file's warnings
        result = exc
    return ParsedFile(name, result, clean.unclosed_quote_lines, clean.cp1252_lines)


def issue_file(parsed: ParsedFile) -> CsvPart:
    """Issue a parsed file's repair warnings, then return its part or raise its error.

    The warnings point at the analyst's call, however deep in snt_geo the reader runs.
    """
    name = parsed.name
    if parsed.unclosed_quote_lines:
        lines = ", ".join(str(n) for n in parsed.unclosed_quote_lines[:5])
        more = " ..." if len(parsed.unclosed_quote_lines) > 5 else ""
        warn_at_caller(
            f"`source` file {name!r}: line(s) {lines}{more} open a quote that never closes; "
            f"{len(parsed.unclosed_quote_lines)} such line(s) were dropped (counted as "
            "unclosed_quote) and the rest of the file was read. Fix the quote in the file to keep "
            "them."
        )
    if parsed.cp1252_lines:
        warn_at_caller(
            f"`source` file {name!r} is UTF-8 but {parsed.cp1252_lines} line(s) are not: they were "
            "decoded as Windows-1252 (check their accented characters). Re-save the file as UTF-8 "
            "to silence this."
        )
    if isinstance(parsed.result, Exception):
        raise parsed.result
    return parsed.result
