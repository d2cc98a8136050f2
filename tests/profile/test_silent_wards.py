"""Silent wards: checked by hand on a 3x3 grid and against geopandas on the bundled City sample."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from snt_geo.datasets import load_sample
from snt_geo.errors import SchemaError
from snt_geo.profile.assignment import assign_wards
from snt_geo.profile.silent_wards import (
    SILENT_WARD_COLUMNS,
    describe_silent_wards,
    find_silent_wards,
)


def _grid():
    cells = [
        box(x * 100, y * 100, x * 100 + 100, y * 100 + 100) for y in range(3) for x in range(3)
    ]
    codes = [f"W{i}" for i in range(9)]
    return gpd.GeoDataFrame(
        {"ward_name": [f"Ward {i}" for i in range(9)]},
        geometry=cells,
        index=pd.Index(codes, name="ward_code"),
        crs="EPSG:27700",
    )


def test_centre_of_a_busy_grid_is_silent():
    wards = _grid()
    counts = pd.Series(100, index=wards.index)
    counts["W4"] = 0  # the centre: 8 neighbours (queen)
    counts["W0"] = 50  # a corner: neighbours W1, W3, W4 -> median 100, 50 is not implausible
    table = find_silent_wards(wards, counts, period="2023-01..2023-06")
    assert tuple(table.columns) == SILENT_WARD_COLUMNS
    assert table.index[table["silent"]].tolist() == ["W4"]
    assert table.loc["W4", "n_neighbours"] == 8
    assert table.loc["W0", "n_neighbours"] == 3
    assert table.loc["W0", "neighbour_median"] == 100  # W1, W3 = 100, W4 = 0
    assert table.loc["W4", "neighbour_min"] == 50
    (sentence,) = describe_silent_wards(table)
    assert sentence.startswith(
        "Ward 4 (W4) has 0 incidents in 2023-01..2023-06 while its 8 neighbouring wards have a "
        "median of 100 (from 50 to 100)"
    )
    assert table.attrs["method"].n_silent == 1


def test_quiet_among_quiet_is_not_flagged():
    wards = _grid()
    counts = pd.Series(3, index=wards.index)
    counts["W4"] = 0
    table = find_silent_wards(wards, counts)
    assert not table["silent"].any()  # neighbours' median 3 < 20


def test_bundled_city_sample_lime_street_and_walbrook():
    sample = load_sample()
    months = sample.incidents["month"].astype(str).between("2023-01", "2023-06")
    inc = sample.incidents[months]
    counts = assign_wards(inc, sample.wards).value_counts()
    table = find_silent_wards(sample.wards, counts)
    assert sorted(table.loc[table["silent"], "ward_name"]) == ["Lime Street", "Walbrook"]
    # Independent check of the neighbour medians: geopandas sjoin on 1 m buffers.
    full = counts.reindex(sample.wards.index, fill_value=0)
    buffered = sample.wards[["geometry"]].copy()
    buffered["geometry"] = buffered.buffer(1.0)
    right = sample.wards[["geometry"]].rename_axis("neighbour")
    pairs = gpd.sjoin(buffered, right, predicate="intersects")
    pairs = pairs[pairs.index != pairs["neighbour"]]
    medians = pairs["neighbour"].map(full).groupby(level=0).median()
    np.testing.assert_allclose(
        table["neighbour_median"], medians.reindex(table.index), rtol=0, atol=0
    )
    assert table.loc["E05000020", "incident_count"] == 0
    assert table.loc["E05000020", "neighbour_median"] == 167.5  # 113, 146, 189, 816


def test_bad_arguments():
    wards = _grid()
    counts = pd.Series(1, index=wards.index)
    with pytest.raises(ValueError, match=r"`max_ratio` must be a share in \[0, 1\); got 2"):
        find_silent_wards(wards, counts, max_ratio=2)
    with pytest.raises(ValueError, match="`snap_m` must be a distance in metres >= 0; got -1"):
        find_silent_wards(wards, counts, snap_m=-1)
    with pytest.raises(SchemaError, match=r"`counts` names 1 ward\(s\) not in `wards`"):
        find_silent_wards(wards, pd.Series({"W0": 1, "X9": 2}))
