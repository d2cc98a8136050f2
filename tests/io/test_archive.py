"""Tests for snt_geo.io.archive: the police.uk archive layout, outcomes join, GeoParquet cache."""

from __future__ import annotations

import gzip
import os
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from snt_geo.errors import SchemaError
from snt_geo.io import read_police_uk, read_report
from snt_geo.io.archive import (
    list_archive,
    read_archive,
    read_archive_outcomes,
    read_archive_stop_and_search,
    read_incidents_parquet,
)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

MONTHS = ["2019-01", "2019-02"]


def _outcomes_csv(street: pd.DataFrame, month: str) -> str:
    """A police.uk-shaped outcomes file for some real crimes (hand-chosen outcome types)."""
    ids = street["Crime ID"].dropna().iloc[:6]
    rows = pd.DataFrame(
        {
            "Crime ID": ids.to_numpy(),
            "Month": month,
            "Reported by": "City of London Police",
            "Falls within": "City of London Police",
            "Longitude": street.loc[ids.index, "Longitude"].to_numpy(),
            "Latitude": street.loc[ids.index, "Latitude"].to_numpy(),
            "Location": "On or near Somewhere",
            "LSOA code": "E01000001",
            "LSOA name": "City of London 001A",
            "Outcome type": [
                "Investigation complete; no suspect identified",
                "Offender given a caution",
                "Unable to prosecute suspect",
                "Local resolution",
                "Court result unavailable",
                "Offender given a caution",
            ][: len(ids)],
        }
    )
    return rows.to_csv(index=False)


@pytest.fixture(scope="module")
def archive(shared_data, tmp_path_factory) -> Path:
    """A two-force, two-month archive folder made of real police.uk files."""
    root = tmp_path_factory.mktemp("archive") / "police-uk"
    city = shared_data / "police-uk-city-of-london"
    met = shared_data / "police-uk-metropolitan-street-burglary-only"
    for month in MONTHS:
        folder = root / month
        folder.mkdir(parents=True)
        for force, src in (("city-of-london", city / "street"), ("metropolitan", met)):
            data = gzip.decompress((src / f"{month}-{force}-street.csv.gz").read_bytes())
            (folder / f"{month}-{force}-street.csv").write_bytes(data)
        sas = city / "stop-and-search" / f"{month}-city-of-london-stop-and-search.csv.gz"
        (folder / f"{month}-city-of-london-stop-and-search.csv").write_bytes(
            gzip.decompress(sas.read_bytes())
        )
    january = pd.read_csv(root / "2019-01" / "2019-01-city-of-london-street.csv")
    (root / "2019-01" / "2019-01-city-of-london-outcomes.csv").write_text(
        _outcomes_csv(january, "2019-01")
    )
    # A later outcome for the first crime, in the next month's file: the latest one wins.
    later = _outcomes_csv(january.dropna(subset=["Crime ID"]).iloc[:1], "2019-02").replace(
        "Investigation complete; no suspect identified", "Offender sent to prison"
    )
    (root / "2019-02" / "2019-02-city-of-london-outcomes.csv").write_text(later)
    return root


@pytest.fixture(scope="module")
def archive_zip(archive, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("zip") / "police-uk.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(archive.rglob("*.csv")):
            zf.write(p, p.relative_to(archive.parent))
    return path


def test_list_archive_catalogues_and_filters(archive):
    files = list_archive(archive)
    assert len(files) == 2 * 2 + 2 + 2  # street x 2 forces x 2 months, S&S x 2, outcomes x 2
    assert set(files["kind"]) == {"street", "stop-and-search", "outcomes"}
    assert set(files["force"]) == {"city-of-london", "metropolitan"}
    met = list_archive(archive, forces="metropolitan", months="2019-02")
    assert met[["kind", "force"]].values.tolist() == [["street", "metropolitan"]]
    assert met["month"].iloc[0] == pd.Period("2019-02", "M")


def test_read_archive_equals_read_police_uk_of_the_same_files(archive):
    got = read_archive(archive, outcomes=False)
    street = sorted(archive.rglob("*-street.csv"))
    ref = read_police_uk(street)
    cols = [c for c in ref.columns if c != "geometry"]
    pd.testing.assert_frame_equal(
        got[cols].astype(str).reset_index(drop=True), ref[cols].astype(str).reset_index(drop=True)
    )
    assert got.geometry.geom_equals_exact(ref.geometry, tolerance=0).all()
    report = read_report(got)
    assert report.rows_kept == len(got)
    assert report.rows_read == read_report(ref).rows_read
    # Each row's force is the force of the file it came from.
    want = np.where(
        got["falls_within"].astype(str) == "City of London Police", "city-of-london", ""
    )
    city = got["force"].astype(str) == "city-of-london"
    assert (want[city.to_numpy()] == "city-of-london").all()
    assert (got.loc[~city, "falls_within"].astype(str) == "Metropolitan Police Service").all()


def test_read_archive_filters_forces_and_months(archive):
    got = read_archive(archive, forces=["city-of-london"], months="2019-02", outcomes=False)
    assert set(got["force"].astype(str)) == {"city-of-london"}
    assert set(got["month"].astype(str)) == {"2019-02"}
    ref = read_police_uk(archive / "2019-02" / "2019-02-city-of-london-street.csv")
    assert len(got) == len(ref)
    with pytest.raises(SchemaError, match="`forces` has \\['kent'\\]"):
        read_archive(archive, forces="kent")


def test_read_archive_warns_at_the_callers_line_and_checks_workers(archive):
    # The read summary must point at the line that called read_archive, not inside archive.py
    # (it did), and both archive readers refuse a bad `workers` with the same message.
    with pytest.warns(UserWarning) as caught:
        read_archive(archive, forces="city-of-london", outcomes=False)
    assert {Path(w.filename).name for w in caught} == {Path(__file__).name}
    for reader in (read_archive, read_archive_outcomes):
        with pytest.raises(ValueError, match="`workers` must be a whole number >= 1; got 0"):
            reader(archive, workers=0)


def test_outcomes_joined_by_crime_id_latest_wins(archive):
    got = read_archive(archive, forces="city-of-london", months="2019-01")
    outcomes = read_archive_outcomes(archive)
    assert len(outcomes) == 6 + 1
    report = read_report(outcomes)
    assert (report.rows_read, report.rows_kept, sum(report.dropped.values())) == (7, 7, 0)
    january = pd.read_csv(archive / "2019-01" / "2019-01-city-of-london-street.csv")
    first = january["Crime ID"].dropna().iloc[0]
    row = got[got["crime_id"] == first].iloc[0]
    assert row["outcome_type"] == "Offender sent to prison"
    assert row["outcome_month"] == pd.Period("2019-02", "M")
    with_outcome = got["outcome_type"].notna()
    assert int(with_outcome.sum()) == 6
    assert got.loc[~with_outcome, "outcome_month"].isna().all()


def test_zip_reads_like_the_folder(archive, archive_zip):
    a = read_archive(archive, months="2019-01")
    b = read_archive(archive_zip, months="2019-01")
    assert len(a) == len(b)
    assert (a["crime_id"].fillna("") == b["crime_id"].fillna("")).all()
    assert (
        a["outcome_type"].astype("string").fillna("")
        == b["outcome_type"].astype("string").fillna("")
    ).all()
    sas = read_archive_stop_and_search(archive_zip, months="2019-01")
    assert len(sas) == len(read_archive_stop_and_search(archive, months="2019-01")) > 0


def test_geoparquet_cache_round_trip_and_reuse(archive, tmp_path):
    cache = tmp_path / "cache"
    first = read_archive(archive, cache=cache)
    direct = read_archive(archive)
    cols = [c for c in direct.columns if c != "geometry"]
    pd.testing.assert_frame_equal(
        first[cols].astype(str).reset_index(drop=True),
        direct[cols].astype(str).reset_index(drop=True),
    )
    assert first.geometry.geom_equals_exact(direct.geometry, tolerance=0).all()
    assert read_report(first).rows_read == read_report(direct).rows_read
    parts = sorted(cache.glob("month=*/part-0.parquet"))
    assert [p.parent.name for p in parts] == ["month=2019-01", "month=2019-02"]
    stamps = [os.stat(p).st_mtime_ns for p in parts]
    # Second run: nothing is rewritten, same rows.
    second = read_archive(archive, cache=cache)
    assert [os.stat(p).st_mtime_ns for p in parts] == stamps
    assert (second["crime_id"].fillna("") == first["crime_id"].fillna("")).all()
    # Each partition is GeoParquet that geopandas reads with its CRS.
    one = gpd.read_parquet(parts[0])
    assert one.crs.to_epsg() == 27700
    # Filters pushed down through the public cache reader.
    robbery = read_incidents_parquet(
        cache, months="2019-02", forces="city-of-london", crime_types="Robbery"
    )
    want = direct[
        (direct["month"] == pd.Period("2019-02", "M"))
        & (direct["force"] == "city-of-london")
        & (direct["crime_type"] == "Robbery")
    ]
    assert len(robbery) == len(want) > 0
    assert sorted(robbery["crime_id"]) == sorted(want["crime_id"])


def test_cache_month_is_reread_when_its_files_change(archive, tmp_path):
    import shutil

    src = tmp_path / "src"
    shutil.copytree(archive, src)
    cache = tmp_path / "cache"
    before = read_archive(src, cache=cache, outcomes=False)
    target = src / "2019-02" / "2019-02-city-of-london-street.csv"
    lines = target.read_text().splitlines(keepends=True)
    target.write_text("".join(lines[:1] + lines[11:]))  # ten fewer rows, all located
    after = read_archive(src, cache=cache, outcomes=False)
    assert read_report(after).rows_read == read_report(before).rows_read - 10
    assert len(after) == len(before) - 10


def test_duplicate_ids_over_several_arrow_chunks():
    import pyarrow as pa

    from snt_geo.io.police_uk import _duplicate_ids

    chunks = pa.chunked_array([pa.array(["a", "b", None, None]), pa.array(["a", "c", "a"])])
    ids = pd.Series(pd.arrays.ArrowStringArray(chunks))
    month = np.array([5, 5, 5, 5, 5, 5, 6])
    got = _duplicate_ids(ids, month)
    want = pd.DataFrame({"id": ids.astype(object), "m": month}).duplicated().to_numpy()
    np.testing.assert_array_equal(got, want & ids.notna().to_numpy())
    assert got.tolist() == [False, False, False, False, True, False, False]


# --- Outcomes files: repaired before parsing and accounted for, as the street files are ---

OUTCOMES = "2019-01-city-of-london-outcomes.csv"


@pytest.fixture(scope="module")
def outcomes_bytes(shared_data) -> bytes:
    """A police.uk outcomes file holding every crime of a real street file (524 rows).

    police.uk publishes a crime's outcomes under the street file's columns minus Crime type and
    Context, with Outcome type; no real outcomes file is in shared/data.
    """
    street = pd.read_csv(
        shared_data / "police-uk-city-of-london/street/2019-01-city-of-london-street.csv.gz",
        dtype=str,
    )
    rows = street.dropna(subset=["Crime ID"]).rename(
        columns={"Last outcome category": "Outcome type"}
    )
    return rows.drop(columns=["Crime type", "Context"]).to_csv(index=False).encode()


def _outcomes_archive(root: Path, data: bytes) -> Path:
    (root / "2019-01").mkdir(parents=True)
    (root / "2019-01" / OUTCOMES).write_bytes(data)
    return root


def _set_field(line: bytes, i: int, value: bytes) -> bytes:
    fields = line.split(b",")
    fields[i] = value
    return b",".join(fields)


def _assert_same_outcomes(got: pd.DataFrame, ref: pd.DataFrame) -> None:
    """The rows read are pandas' rows of the clean file (``ref``), in order."""
    assert got["crime_id"].tolist() == ref["Crime ID"].tolist()
    assert got["outcome_type"].astype(str).tolist() == ref["Outcome type"].tolist()
    assert got["month"].astype(str).tolist() == ref["Month"].tolist()


def _reference(data: bytes) -> pd.DataFrame:
    import io

    return pd.read_csv(io.BytesIO(data), dtype=str)


def test_outcomes_unclosed_quote_drops_one_row_and_reads_the_rest(tmp_path, outcomes_bytes):
    # Raised a raw pyarrow "CSV parse error: Expected 10 columns, got 7".
    lines = outcomes_bytes.split(b"\n")
    lines[10] = _set_field(lines[10], 6, b'"On or near Cheapside')
    root = _outcomes_archive(tmp_path, b"\n".join(lines))
    with (
        pytest.warns(UserWarning, match=r"outcomes.csv': line\(s\) 11 open a quote that never"),
        pytest.warns(UserWarning, match=r"read 524 rows .*, kept 523; dropped 1 \(unclosed quote"),
    ):
        got = read_archive_outcomes(root)
    report = read_report(got)
    assert (report.rows_read, report.rows_kept, report.dropped["unclosed_quote"]) == (524, 523, 1)
    assert report.rows_kept == len(got)
    _assert_same_outcomes(got, _reference(outcomes_bytes).drop(index=9))


def test_outcomes_utf8_file_with_one_cp1252_line_keeps_its_accents(tmp_path, outcomes_bytes):
    # Raised a raw pyarrow "CSV conversion error to string: invalid UTF8 data".
    outcome = "Offender given a caution \u2013 caf\xe9"
    lines = outcomes_bytes.split(b"\n")
    lines[1] = _set_field(lines[1], 9, outcome.encode("utf-8"))
    lines[2] = _set_field(lines[2], 9, outcome.encode("cp1252"))
    root = _outcomes_archive(tmp_path, b"\n".join(lines))
    with (
        pytest.warns(UserWarning, match=rf"file '2019-01/{OUTCOMES}' is UTF-8 but 1 line\(s\)"),
        pytest.warns(UserWarning, match="kept but noted: cp1252 lines 1"),
    ):
        got = read_archive_outcomes(root)
    assert got["outcome_type"].iloc[:2].tolist() == [outcome, outcome]
    report = read_report(got)
    assert (report.rows_read, report.rows_kept, report.note("cp1252_lines")) == (524, 524, 1)
    assert report.encodings[f"2019-01/{OUTCOMES}"] == "utf8+cp1252"
    ref = _reference(outcomes_bytes)
    ref.loc[:1, "Outcome type"] = outcome
    _assert_same_outcomes(got, ref)


def test_outcomes_cr_only_line_endings_read_like_the_original(tmp_path, outcomes_bytes):
    got = read_archive_outcomes(_outcomes_archive(tmp_path, outcomes_bytes.replace(b"\n", b"\r")))
    report = read_report(got)
    assert (report.rows_read, report.rows_kept) == (524, 524)
    _assert_same_outcomes(got, _reference(outcomes_bytes))


def test_outcomes_too_few_fields_is_one_malformed_row(tmp_path, outcomes_bytes):
    # Raised a raw pyarrow "CSV parse error: Expected 10 columns, got 5".
    lines = outcomes_bytes.split(b"\n")
    lines[7] = b",".join(lines[7].split(b",")[:5])
    root = _outcomes_archive(tmp_path, b"\n".join(lines))
    with pytest.warns(UserWarning, match=r"read 524 rows .*, kept 523; dropped 1 \(malformed row"):
        got = read_archive_outcomes(root)
    assert read_report(got).dropped["malformed_row"] == 1
    _assert_same_outcomes(got, _reference(outcomes_bytes).drop(index=6))


def test_outcome_join_counts_a_malformed_outcomes_row(tmp_path, shared_data, outcomes_bytes):
    lines = outcomes_bytes.split(b"\n")
    dropped_id = lines[7].split(b",")[0].decode()
    lines[7] = b",".join(lines[7].split(b",")[:5])
    root = _outcomes_archive(tmp_path, b"\n".join(lines))
    street = shared_data / "police-uk-city-of-london/street/2019-01-city-of-london-street.csv.gz"
    (root / "2019-01" / "2019-01-city-of-london-street.csv").write_bytes(
        gzip.decompress(street.read_bytes())
    )
    with pytest.warns(UserWarning, match=r"read_archive_outcomes: read 524 rows .*malformed row 1"):
        got = read_archive(root)
    kept_ids = set(_reference(outcomes_bytes).drop(index=6)["Crime ID"])
    assert got["outcome_type"].notna().sum() == got["crime_id"].isin(kept_ids).sum() > 400
    assert got.loc[got["crime_id"] == dropped_id, "outcome_type"].isna().all()


def test_outcomes_files_that_cannot_be_read_are_named(tmp_path, outcomes_bytes):
    empty = _outcomes_archive(tmp_path / "empty", b"")
    with pytest.raises(SchemaError, match=rf"`source` file '2019-01/{OUTCOMES}' is empty"):
        read_archive_outcomes(empty)
    header, rest = outcomes_bytes.split(b"\n", 1)
    no_type = _outcomes_archive(
        tmp_path / "no_type", header.replace(b"Outcome type", b"Outcome") + b"\n" + rest
    )
    with pytest.raises(SchemaError, match=r"is not a police.uk outcomes file: it lacks"):
        read_archive_outcomes(no_type)


def test_outcomes_without_a_month_or_crime_id_are_kept_and_noted(tmp_path, outcomes_bytes):
    # They were kept silently: a missing month cannot be ordered, a missing Crime ID joins nothing.
    lines = outcomes_bytes.split(b"\n")
    assert lines[0].split(b",")[:2] == [b"Crime ID", b"Month"]
    lines[5] = _set_field(lines[5], 1, b"Jan-2019")
    lines[6] = _set_field(lines[6], 0, b"")
    lines[7] = _set_field(_set_field(lines[7], 0, b""), 1, b"")
    root = _outcomes_archive(tmp_path, b"\n".join(lines))
    with pytest.warns(UserWarning, match=r"no crime id 2.*unparseable month 2"):
        got = read_archive_outcomes(root)
    report = read_report(got)
    assert report.rows_kept == len(got) == 524
    assert report.note("unparseable_month") == int(got["month"].isna().sum()) == 2
    assert report.note("no_crime_id") == int(got["crime_id"].isna().sum()) == 2
