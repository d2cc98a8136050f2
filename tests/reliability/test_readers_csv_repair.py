"""The CSV repair matrix for the stop-and-search and outcomes readers: each defect injected into a
copy of a real police.uk file is repaired or cut out before parsing, as for street files, and every
row is accounted for (rows in = rows kept + rows dropped, per reason and per file)."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from reliability_helpers import assert_accounted, quiet

from snt_geo.io import read_report, read_stop_and_search
from snt_geo.io.archive import read_archive_outcomes

SAS = "police-uk-city-of-london/stop-and-search/2019-01-city-of-london-stop-and-search.csv.gz"
STREET = "police-uk-city-of-london/street/2019-01-city-of-london-street.csv.gz"


def _set_field(line: bytes, i: int, value: bytes) -> bytes:
    fields = line.split(b",")
    fields[i] = value
    return b",".join(fields)


def _edit(data: bytes, edits: dict[int, Callable[[bytes], bytes]]) -> bytes:
    lines = data.split(b"\n")
    for i, edit in edits.items():
        lines[i] = edit(lines[i])
    return b"\n".join(lines)


# Each reader: its real file, the field that holds free text (where a stray quote or an accent
# lands), and how to read a file of it written into a fresh folder.
READERS = {
    "stop_and_search": {"text_field": 3, "name": "2019-01-city-of-london-stop-and-search.csv"},
    "outcomes": {"text_field": 6, "name": "2019-01/2019-01-city-of-london-outcomes.csv"},
}


@pytest.fixture(scope="module")
def real_files(shared_data) -> dict[str, bytes]:
    street = pd.read_csv(shared_data / STREET, dtype=str)
    outcomes = (
        street.dropna(subset=["Crime ID"])
        .rename(columns={"Last outcome category": "Outcome type"})
        .drop(columns=["Crime type", "Context"])
    )
    return {
        "stop_and_search": gzip.decompress((shared_data / SAS).read_bytes()),
        "outcomes": outcomes.to_csv(index=False).encode(),
    }


def _read(reader: str, root: Path, files: dict[str, bytes]):
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    if reader == "stop_and_search":
        return quiet(read_stop_and_search, root)
    return quiet(read_archive_outcomes, root)


def _quote(field: int) -> Callable[[bytes], bytes]:
    return lambda line: _set_field(line, field, b'"Operation Alpha')


def _accent(field: int, encoding: str) -> Callable[[bytes], bytes]:
    return lambda line: _set_field(line, field, "Caf\xe9 \u2013 Row".encode(encoding))


def _few(line: bytes) -> bytes:
    return b",".join(line.split(b",")[:5])


def _many(line: bytes) -> bytes:
    return line + b",an extra field"


# (id, defect, expected repair drops, expected cp1252_lines note, expected encoding). Lines 8,
# 11 and 21 (indices 7, 10, 20) hold located rows in both real files, so the clean file's other
# drops are unchanged.
CASES = [
    ("clean", lambda d, f: d, {}, 0, "utf8"),
    ("unclosed_quote", lambda d, f: _edit(d, {10: _quote(f)}), {"unclosed_quote": 1}, 0, "utf8"),
    (
        "two_unclosed_quotes",
        lambda d, f: _edit(d, {10: _quote(f), 20: _quote(f)}),
        {"unclosed_quote": 2},
        0,
        "utf8",
    ),
    (
        "quoted_line_break",
        lambda d, f: _edit(d, {10: lambda line: _set_field(line, f, b'"Alpha\nBravo"')}),
        {},
        0,
        "utf8",
    ),
    ("too_few_fields", lambda d, f: _edit(d, {7: _few}), {"malformed_row": 1}, 0, "utf8"),
    ("too_many_fields", lambda d, f: _edit(d, {7: _many}), {"malformed_row": 1}, 0, "utf8"),
    ("crlf", lambda d, f: d.replace(b"\n", b"\r\n"), {}, 0, "utf8"),
    ("cr_only", lambda d, f: d.replace(b"\n", b"\r"), {}, 0, "utf8"),
    ("utf8_bom", lambda d, f: b"\xef\xbb\xbf" + d, {}, 0, "utf8"),
    (
        "cp1252_line",
        lambda d, f: _edit(d, {7: _accent(f, "utf-8"), 10: _accent(f, "cp1252")}),
        {},
        1,
        "utf8+cp1252",
    ),
    (
        "cp1252_file",
        lambda d, f: _edit(d, {7: _accent(f, "cp1252"), 10: _accent(f, "cp1252")}),
        {},
        0,
        "cp1252",
    ),
    (
        "all_at_once_crlf",
        lambda d, f: _edit(
            d, {7: _few, 10: _quote(f), 20: _accent(f, "cp1252"), 21: _accent(f, "utf-8")}
        ).replace(b"\n", b"\r\n"),
        {"unclosed_quote": 1, "malformed_row": 1},
        1,
        "utf8+cp1252",
    ),
]


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize(
    ("defect", "drops", "cp1252_lines", "encoding"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_each_defect_is_repaired_and_counted(
    tmp_path, real_files, reader, defect, drops, cp1252_lines, encoding
):
    spec = READERS[reader]
    original = real_files[reader]
    rows_in = sum(1 for line in original.split(b"\n")[1:] if line.strip())
    clean = read_report(_read(reader, tmp_path / "clean", {spec["name"]: original}))
    got = _read(reader, tmp_path / "defect", {spec["name"]: defect(original, spec["text_field"])})
    report = read_report(got)
    assert_accounted(got, rows_in=rows_in)
    repairs = ("malformed_row", "unclosed_quote")
    assert {r: n for r in repairs if (n := report.dropped[r])} == drops
    # No row lost to anything else: the other drops are the clean file's.
    assert {r: n for r, n in report.dropped.items() if r not in repairs} == {
        r: n for r, n in clean.dropped.items() if r not in repairs
    }
    assert report.rows_kept == clean.rows_kept - sum(drops.values())
    assert report.note("cp1252_lines") == cp1252_lines
    assert report.encodings[spec["name"]] == encoding


@pytest.mark.parametrize("reader", list(READERS))
def test_a_defect_is_counted_in_its_own_file(tmp_path, real_files, reader):
    spec = READERS[reader]
    original = real_files[reader]
    other = spec["name"].replace("2019-01", "2019-02")
    bad = _edit(original, {10: _quote(spec["text_field"]), 7: _few})
    got = _read(reader, tmp_path, {spec["name"]: bad, other: original})
    report = read_report(got)
    assert_accounted(got)
    assert report.files[spec["name"]]["unclosed_quote"] == 1
    assert report.files[spec["name"]]["malformed_row"] == 1
    assert report.files[other]["unclosed_quote"] == report.files[other]["malformed_row"] == 0
    assert report.files[spec["name"]]["rows_read"] == report.files[other]["rows_read"]
