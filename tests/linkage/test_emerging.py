"""Tests for snt_geo.linkage.emerging: space-time Gi*, Mann-Kendall and ESRI categories."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import sparse, stats

from snt_geo.errors import SchemaError
from snt_geo.linkage.emerging import (
    EMERGING_CLASSES,
    _classify_histories,
    emerging_hotspots,
    mann_kendall,
)


def _incidents(xy, months, crs=27700):
    return gpd.GeoDataFrame(
        {"month": pd.PeriodIndex(months, freq="M")},
        geometry=shapely.points(np.asarray(xy, float)),
        crs=crs,
    )


def _synthetic(rng, extra):
    """Background of about one incident per 100 m cell per month over 1 km2 for 12 months,
    plus ``extra``: {(x, y): [count per month]} spread evenly over the 300 m square (the 3 x 3
    block of cells) centred on (x, y)."""
    xy, months = [], []
    for m in range(12):
        n = rng.poisson(100)
        xy.append(rng.uniform(0, 1000, (n, 2)))
        months += [f"2023-{m + 1:02d}"] * n
        for (x, y), counts in extra.items():
            xy.append(rng.uniform([x - 150, y - 150], [x + 150, y + 150], (counts[m], 2)))
            months += [f"2023-{m + 1:02d}"] * counts[m]
    return _incidents(np.vstack(xy), months)


AREA = gpd.GeoSeries([shapely.box(0, 0, 1000, 1000)], crs=27700)


# ---- Mann-Kendall ---------------------------------------------------------------------------


def test_mann_kendall_against_brute_force_and_scipy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 12))
    x[:10] += np.arange(12) * 0.3  # trends
    x[10:15] = np.round(x[10:15])  # ties
    result = mann_kendall(x)
    for i, row in enumerate(x):
        s = sum(np.sign(row[j] - row[k]) for k in range(12) for j in range(k + 1, 12))
        assert result["trend_s"].iloc[i] == s
        _, counts = np.unique(row, return_counts=True)
        var = (12 * 11 * 29 - (counts * (counts - 1) * (2 * counts + 5)).sum()) / 18
        assert result["trend_variance"].iloc[i] == pytest.approx(var)
        expected_z = (s - np.sign(s)) / np.sqrt(var)
        assert result["trend_z"].iloc[i] == pytest.approx(expected_z, rel=1e-12)
        # Without the continuity correction the p-value is scipy's asymptotic Kendall tau test.
        tau = stats.kendalltau(np.arange(12), row, method="asymptotic")
        assert 2 * stats.norm.sf(abs(s) / np.sqrt(var)) == pytest.approx(tau.pvalue, rel=1e-9)


def test_mann_kendall_constant_and_nan_rows():
    out = mann_kendall(np.array([[1.0] * 6, [1, 2, np.nan, 4, 5, 6]]))
    assert out["trend_z"].iloc[0] == 0 and out["trend_p_value"].iloc[0] == 1
    assert out.iloc[1].isna().all()


def test_mann_kendall_rejects_1d():
    with pytest.raises(ValueError, match="`series` must be a 2-D array"):
        mann_kendall(np.arange(5.0))


# ---- ESRI categories on constructed histories ------------------------------------------------

H, C, o = 1, -1, 0
CASES = {
    "new_hot_spot": ([o] * 11 + [H], 0),
    "consecutive_hot_spot": ([o] * 8 + [H] * 4, 0),
    "intensifying_hot_spot": ([H] * 12, +1),
    "persistent_hot_spot": ([o] + [H] * 11, 0),
    "diminishing_hot_spot": ([H] * 12, -1),
    "sporadic_hot_spot": ([o, H, o, o, H, H, o, o, o, H, o, H], 0),
    "oscillating_hot_spot": ([o, C, o, o, H, o, o, C, o, o, o, H], 0),
    "historical_hot_spot": ([H] * 11 + [o], 0),
    "new_cold_spot": ([o] * 11 + [C], 0),
    "consecutive_cold_spot": ([o] * 10 + [C] * 2, 0),
    "intensifying_cold_spot": ([C] * 12, -1),
    "persistent_cold_spot": ([C] * 12, 0),
    "diminishing_cold_spot": ([C] * 11 + [C], +1),
    "sporadic_cold_spot": ([C, o, o, C, o, o, o, o, C, o, o, C], 0),
    "oscillating_cold_spot": ([H, o, o, o, o, o, o, o, o, o, o, C], 0),
    "historical_cold_spot": ([C] * 11 + [o], 0),
    "no_pattern": ([o, H, o, H, o, o, o, o, o, o, o, o], 0),
}
EXTRA = {
    # ESRI's overlaps, resolved as documented.
    "consecutive run after an earlier hot spell is sporadic": (
        [H, o, o, o, o, o, o, o, o, H, H, H],
        0,
        "sporadic_hot_spot",
    ),
    "one final hot bin after a cold spell is oscillating, not new": (
        [C] + [o] * 10 + [H],
        0,
        "oscillating_hot_spot",
    ),
    "11 of 12 hot with a significant trend but the last not hot is historical": (
        [H] * 11 + [C],
        +1,
        "historical_hot_spot",
    ),
    "ten of twelve is below 90%": ([o, o] + [H] * 10, 0, "consecutive_hot_spot"),
}


def _run(series, trend):
    s = np.array([series])
    codes = _classify_histories(s == H, s == C, np.array([float(trend)]), np.array([trend != 0]))
    return EMERGING_CLASSES[codes[0]]


@pytest.mark.parametrize("expected", list(CASES))
def test_each_esri_category(expected):
    series, trend = CASES[expected]
    assert _run(series, trend) == expected


@pytest.mark.parametrize("name", list(EXTRA))
def test_documented_overlaps(name):
    series, trend, expected = EXTRA[name]
    assert _run(series, trend) == expected


def test_all_categories_covered():
    assert set(CASES) == set(EMERGING_CLASSES)


# ---- space-time Gi* -------------------------------------------------------------------------


@pytest.mark.parametrize("neighbour_periods", [0, 1, 2])
def test_space_time_gi_star_matches_esda(neighbour_periods):
    from esda import G_Local
    from libpysal.graph import Graph

    rng = np.random.default_rng(5)
    data = _synthetic(rng, {(150, 150): [0] * 6 + [6] * 6, (750, 650): [5] * 12})
    result = emerging_hotspots(
        data, area=AREA, cell_size_m=100, neighbour_periods=neighbour_periods
    )
    cells, bins = result.cells, result.bins
    n = len(cells)
    centres = np.column_stack([cells.geometry.centroid.x, cells.geometry.centroid.y])
    d = np.hypot(*(centres[:, None, :] - centres[None, :, :]).transpose(2, 0, 1))
    space = sparse.csr_matrix((d <= 150).astype(float))
    t = np.arange(12)
    lag = t[:, None] - t[None, :]
    time = sparse.csr_matrix(((lag >= 0) & (lag <= neighbour_periods)).astype(float))
    w = Graph.from_sparse(sparse.kron(time, space).tocsr())
    y = bins["incident_count"].to_numpy().reshape(n, 12).T.ravel().astype(float)
    g = G_Local(y, w, transform="B", star=True, permutations=0)
    z = bins["gi_star_z"].to_numpy().reshape(n, 12).T.ravel()
    np.testing.assert_allclose(z, g.Zs, atol=1e-10)
    adjusted = stats.false_discovery_control(2 * stats.norm.sf(np.abs(g.Zs)))
    np.testing.assert_allclose(
        bins["p_value_fdr"].to_numpy().reshape(n, 12).T.ravel(), adjusted, atol=1e-12
    )


def test_constructed_patterns_end_to_end():
    rng = np.random.default_rng(11)
    extra = {
        (550, 550): [0] * 11 + [60],  # appears in the final month
        (150, 850): [30] * 12,  # always there
        (850, 150): [30] * 11 + [0],  # gone in the final month
    }
    result = emerging_hotspots(_synthetic(rng, extra), area=AREA, cell_size_m=100)
    cells = result.cells.set_index(["row", "col"])
    assert cells.loc[(5, 5), "emerging_class"] == "new_hot_spot"
    assert cells.loc[(8, 1), "emerging_class"] == "persistent_hot_spot"
    assert cells.loc[(1, 8), "emerging_class"] == "historical_hot_spot"
    assert result.cells["incident_count"].sum() == result.bins["incident_count"].sum()
    assert result.method.n_incidents == result.cells["incident_count"].sum()
    assert result.bins.index.names == ["cell_id", "period"]
    frame = result.to_frame()
    assert (
        frame.attrs["method"].periods[0] == "2023-01" and len(frame.attrs["method"].periods) == 12
    )
    assert "Mann-Kendall" in result._repr_html_()


def test_empty_periods_are_kept_and_quarters():
    rng = np.random.default_rng(2)
    data = _synthetic(rng, {})
    data = data[~data["month"].isin(pd.PeriodIndex(["2023-05"], freq="M"))]
    result = emerging_hotspots(data, area=AREA, cell_size_m=100)
    assert len(result.method.periods) == 12
    assert result.bins.xs(pd.Period("2023-05", "M"), level="period")["incident_count"].sum() == 0
    with pytest.warns(UserWarning, match="only 4 quarters"):
        q = emerging_hotspots(data, area=AREA, cell_size_m=100, period="quarter")
    assert q.method.periods == ("2023Q1", "2023Q2", "2023Q3", "2023Q4")


def test_epsg4326_gives_the_same_answer():
    rng = np.random.default_rng(3)
    data = _synthetic(rng, {(550, 550): [0] * 9 + [20] * 3})
    data = data.set_geometry(data.geometry.translate(530_000, 180_000))
    area = AREA.translate(530_000, 180_000)
    a = emerging_hotspots(data, area=area, cell_size_m=100)
    b = emerging_hotspots(data.to_crs(4326), area=area, cell_size_m=100)
    pd.testing.assert_series_equal(a.cells["emerging_class"], b.cells["emerging_class"])
    np.testing.assert_allclose(a.bins["gi_star_z"], b.bins["gi_star_z"], atol=1e-9)


def test_undated_and_outside_incidents_are_reported():
    rng = np.random.default_rng(4)
    data = _synthetic(rng, {})
    data.loc[data.index[:3], "month"] = pd.NaT
    outside = _incidents([[5000, 5000]], ["2023-03"])
    data = pd.concat([data, outside])
    with pytest.warns(UserWarning) as record:
        result = emerging_hotspots(data, area=AREA, cell_size_m=100)
    messages = " ".join(str(r.message) for r in record)
    assert "3 incidents have no month/date" in messages and "1 incidents fall outside" in messages
    assert result.method.n_incidents == len(data) - 4


def test_errors():
    data = _synthetic(np.random.default_rng(0), {})
    with pytest.raises(ValueError, match="`period` must be one of"):
        emerging_hotspots(data, area=AREA, cell_size_m=100, period="week")
    with pytest.raises(ValueError, match="`neighbour_periods` must be a whole number"):
        emerging_hotspots(data, area=AREA, cell_size_m=100, neighbour_periods=-1)
    with pytest.raises(ValueError, match="`alpha` must be a probability"):
        emerging_hotspots(data, area=AREA, cell_size_m=100, alpha=5)
    with pytest.raises(SchemaError, match="needs a `month`"):
        emerging_hotspots(data.drop(columns="month"), area=AREA, cell_size_m=100)


def test_emerging_result_is_array_backed_with_frames_on_request(tmp_path):
    rng = np.random.default_rng(7)
    months = pd.period_range("2022-01", periods=12, freq="M")
    xy = rng.uniform(0, 1000, size=(600, 2))
    xy[:200] = rng.normal(250, 30, size=(200, 2))
    month = np.repeat(months.astype(str), 50)
    pts = gpd.GeoDataFrame(
        {"month": pd.PeriodIndex(month, freq="M")}, geometry=shapely.points(xy), crs=27700
    )
    area = gpd.GeoSeries([shapely.box(0, 0, 1000, 1000)], crs=27700)
    result = emerging_hotspots(pts, area=area, cell_size_m=100)
    cells = result.cells
    assert len(cells) == result.n_cells == 100
    assert result.bins.shape[0] == 100 * 12
    pattern = result.to_frame("pattern")
    assert pattern.index.equals(cells.index[cells["emerging_class"] != "no_pattern"])
    assert pattern.attrs["method"] is result.method
    np.testing.assert_array_equal(
        result.raster("trend_z")[result.mask], cells["trend_z"].to_numpy()
    )
