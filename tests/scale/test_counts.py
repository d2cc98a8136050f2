"""Tests for snt_geo.scale: the dask path gives the in-memory tables, on a real LocalCluster."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from snt_geo.io import read_archive, read_wards
from snt_geo.linkage import hotspot_grid
from snt_geo.profile import assign_wards
from snt_geo.scale import (
    count_by_cell,
    count_by_ward,
    count_locations,
    read_archive_dask,
    read_incidents_parquet_dask,
)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

MONTHS = ["2019-01", "2019-02"]


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def archive(shared_data, tmp_path_factory) -> Path:
    """Two forces x two months of real police.uk street files in the archive layout."""
    root = tmp_path_factory.mktemp("scale") / "police-uk"
    city = shared_data / "police-uk-city-of-london" / "street"
    met = shared_data / "police-uk-metropolitan-street-burglary-only"
    for month in MONTHS:
        (root / month).mkdir(parents=True)
        for force, src in (("city-of-london", city), ("metropolitan", met)):
            data = gzip.decompress((src / f"{month}-{force}-street.csv.gz").read_bytes())
            (root / month / f"{month}-{force}-street.csv").write_bytes(data)
    return root


@pytest.fixture(scope="module")
def wards(shared_data):
    return read_wards(
        shared_data / "gla-statistical-gis-boundaries-london/ESRI/London_Ward_CityMerged.shp"
    )


@pytest.fixture(scope="module")
def in_memory(archive):
    return read_archive(archive, outcomes=False)


@pytest.fixture(scope="module")
def distributed_frame(archive, client):
    return read_archive_dask(archive)


def test_dask_read_has_the_in_memory_rows(in_memory, distributed_frame):
    assert distributed_frame.npartitions == 4  # one per file: 2 months x 2 forces
    got = distributed_frame.compute().reset_index(drop=True)  # each partition has its own index
    assert len(got) == len(in_memory)
    assert (
        got["crime_id"].fillna("").to_numpy() == in_memory["crime_id"].fillna("").to_numpy()
    ).all()
    assert got.geometry.geom_equals_exact(in_memory.geometry, tolerance=0).all()
    assert (got["force"].to_numpy() == in_memory["force"].astype(str).to_numpy()).all()


def test_ward_counts_match_in_memory_row_for_row(in_memory, distributed_frame, wards):
    got = count_by_ward(distributed_frame, wards, by=("month", "theme"))
    mem = count_by_ward(in_memory, wards, by=("month", "theme"))
    pd.testing.assert_frame_equal(got, mem)
    # Independent reference: a pandas groupby of the ward of every row.
    ref = (
        pd.DataFrame(
            {
                "ward_code": assign_wards(in_memory, wards).astype(object),
                "month": in_memory["month"],
                "theme": in_memory["theme"].astype(object),
            }
        )
        .groupby(["ward_code", "month", "theme"], dropna=False)
        .size()
    )
    assert got["incidents"].sum() == len(in_memory)
    key = list(zip(got["ward_code"], got["month"], got["theme"], strict=True))
    want = {k: int(v) for k, v in ref.items()}
    assert {k: int(v) for k, v in zip(key, got["incidents"], strict=True)} == want


def test_cell_counts_match_in_memory_and_numpy(in_memory, distributed_frame, wards):
    city = wards[wards["borough_code"].isin(["E09000001", "E09000033"])]
    grid = hotspot_grid(in_memory, area=city, cell_size_m=100).grid
    got = count_by_cell(distributed_frame, grid, by=("theme",))
    pd.testing.assert_frame_equal(got, count_by_cell(in_memory, grid, by=("theme",)))
    totals = count_by_cell(distributed_frame, grid, by=())
    xy = np.column_stack([in_memory.geometry.x, in_memory.geometry.y])
    col = np.floor((xy[:, 0] - grid.x0) / grid.cell_size_m).astype(int)
    row = np.floor((xy[:, 1] - grid.y0) / grid.cell_size_m).astype(int)
    inside = (col >= 0) & (col < grid.n_cols) & (row >= 0) & (row < grid.n_rows)
    ids, n = np.unique(np.where(inside, row * grid.n_cols + col, -1), return_counts=True)
    np.testing.assert_array_equal(totals["cell_id"].to_numpy(), ids)
    np.testing.assert_array_equal(totals["incidents"].to_numpy(), n)


def test_distinct_locations_match(in_memory, distributed_frame):
    got = count_locations(distributed_frame)
    xy = np.column_stack([in_memory.geometry.x, in_memory.geometry.y])
    uniq, n = np.unique(xy, axis=0, return_counts=True)  # sorted by x, then y
    np.testing.assert_array_equal(got[["x", "y"]].to_numpy(), uniq)
    np.testing.assert_array_equal(got["incidents"].to_numpy(), n)
    by_month = count_locations(distributed_frame, by=("month",))
    pd.testing.assert_frame_equal(by_month, count_locations(in_memory, by=("month",)))


def test_cache_partitions_read_on_the_cluster(archive, client, tmp_path, wards):
    cache = tmp_path / "cache"
    mem = read_archive(archive, cache=cache, outcomes=False)
    ddf = read_incidents_parquet_dask(cache, forces="metropolitan")
    assert ddf.npartitions == 2  # one per cached month
    got = count_by_ward(ddf, wards, by=("month",))
    want = count_by_ward(mem[mem["force"] == "metropolitan"], wards, by=("month",))
    pd.testing.assert_frame_equal(got, want)


def test_bad_by_column_names_the_argument(in_memory, wards):
    from snt_geo.errors import SchemaError

    with pytest.raises(SchemaError, match="`by` names \\['beat'\\]"):
        count_by_ward(in_memory, wards, by=("beat",))
