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


def test_outcomes_joined_by_crime_id_latest_wins(archive):
    got = read_archive(archive, forces="city-of-london", months="2019-01")
    outcomes = read_archive_outcomes(archive)
    assert len(outcomes) == 6 + 1
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
