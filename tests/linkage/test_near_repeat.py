"""Tests for snt_geo.linkage.near_repeat: the banded Knox test."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from snt_geo.errors import SchemaError
from snt_geo.linkage.near_repeat import KNOX_COLUMNS, knox_test

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
BURGLARY = DATA / "police-uk-metropolitan-street-burglary-only"


@pytest.fixture(scope="module")
def burglary_sample() -> gpd.GeoDataFrame:
    from snt_geo.io import read_police_uk

    with pytest.warns(UserWarning):
        bur = read_police_uk(BURGLARY, months=[f"2019-{m:02d}" for m in range(1, 7)])
    return bur.sample(2500, random_state=11)


def _brute(frame, d_edges, t_edges):
    xy = np.column_stack([frame.geometry.x, frame.geometry.y])
    t = (frame["month"].dt.year * 12 + frame["month"].dt.month).to_numpy()
    i, j = np.triu_indices(len(xy), 1)
    d = np.sqrt(((xy[i] - xy[j]) ** 2).sum(axis=1))
    dt = np.abs(t[i] - t[j])
    obs, ind = [], []
    for a, b in zip(d_edges[:-1], d_edges[1:], strict=True):
        for c, e in zip(t_edges[:-1], t_edges[1:], strict=True):
            ds, ts = (d >= a) & (d < b), (dt >= c) & (dt < e)
            obs.append(int((ds & ts).sum()))
            ind.append(ds.sum() * ts.sum() / len(d))
    return np.array(obs), np.array(ind)


def test_observed_and_independence_expectation_match_brute_force(burglary_sample):
    d_edges, t_edges = [0, 100, 200, 400], [0, 1, 2, 4]
    res = knox_test(burglary_sample, distance_bands_m=d_edges, time_bands=t_edges, rng=1)
    obs, ind = _brute(burglary_sample, d_edges, t_edges)
    assert list(res.table.columns) == list(KNOX_COLUMNS)
    assert res.table["observed"].tolist() == obs.tolist()
    np.testing.assert_allclose(res.table["expected_independence"], ind, rtol=1e-12)
    # The permutation mean estimates the same expectation (times shuffled among incidents).
    np.testing.assert_allclose(res.table["expected"], ind, rtol=0.15, atol=3)
    assert res.method.n_pairs == len(burglary_sample) * (len(burglary_sample) - 1) // 2


def test_matches_pointpats_knox(burglary_sample):
    from pointpats.spacetime import Knox

    xy = np.column_stack([burglary_sample.geometry.x, burglary_sample.geometry.y])
    t = (burglary_sample["month"].dt.year * 12 + burglary_sample["month"].dt.month).to_numpy()
    # pointpats counts d <= delta and dt <= tau; with whole months dt <= 1 is [0, 2) months, and
    # no pair of these snap points is exactly 150 m apart.
    ref = Knox(xy, t.reshape(-1, 1).astype(float), delta=150, tau=1, permutations=0)
    res = knox_test(burglary_sample, distance_bands_m=[0, 150], time_bands=[0, 2], permutations=9)
    assert res.table.loc[0, "observed"] == ref.observed[0, 0]
    assert res.table.loc[0, "expected_independence"] == pytest.approx(ref.expected[0, 0])


def test_known_answer_and_interval_labels():
    # Three incidents: A and B 50 m apart in the same month; C 150 m from A, two months later.
    frame = gpd.GeoDataFrame(
        {"month": pd.PeriodIndex(["2019-01", "2019-01", "2019-03"], freq="M")},
        geometry=gpd.points_from_xy([530_000, 530_050, 530_150], [180_000] * 3),
        crs=27700,
    )
    res = knox_test(frame, distance_bands_m=[0, 100, 200], time_bands=[0, 1, 3], rng=0)
    t = res.table.set_index(["distance_band", "time_band"])
    assert t.loc[("[0, 100) m", "[0, 1) months"), "observed"] == 1  # A-B
    assert t.loc[("[100, 200) m", "[1, 3) months"), "observed"] == 2  # A-C (150 m), B-C (100 m)
    assert t.loc[("[0, 100) m", "[1, 3) months"), "observed"] == 0
    assert res.table["distance_from_m"].tolist() == [0, 0, 100, 100]
    assert res.table["time_to"].tolist() == [1, 3, 1, 3]
    assert res.method.time_unit == "month"
    assert repr(res).startswith("KnoxResult(2 distance x 2 time bands, ")
    assert "\n" not in repr(res)  # one line, not the table
    assert res.table.attrs["method"] is res.method
    assert "permutations of the incidents' times" in res.method.describe()
    grid = res.knox_ratios()
    assert grid.shape == (2, 2)


def test_same_rng_same_result_and_p_values_in_range(burglary_sample):
    kw = {"distance_bands_m": [0, 200], "time_bands": [0, 1, 2], "permutations": 19}
    a = knox_test(burglary_sample, rng=5, **kw)
    b = knox_test(burglary_sample, rng=np.random.default_rng(5), **kw)
    pd.testing.assert_frame_equal(a.table, b.table)
    p = a.table["p_value"]
    assert ((p >= 1 / 20) & (p <= 1)).all()
    assert a.permuted.shape == (19, 1, 2)


def test_days_from_date_column():
    dates = pd.to_datetime(["2019-01-01", "2019-01-05", "2019-01-20", "2019-03-01"])
    frame = gpd.GeoDataFrame(
        {"date": dates, "month": dates.to_period("M")},
        geometry=gpd.points_from_xy([530_000] * 4, [180_000] * 4),
        crs=27700,
    )
    res = knox_test(frame, distance_bands_m=[0, 10], time_bands=[0, 7, 30], permutations=5)
    assert res.method.time_unit == "day"
    assert res.table["observed"].tolist() == [1, 2]  # 4 days; 19 and 15 days
    assert res.table.loc[0, "time_band"] == "[0, 7) days"
    monthly = knox_test(frame, distance_bands_m=[0, 10], time_bands=[0, 1], time_unit="month")
    assert monthly.table["observed"].tolist() == [3]


def test_one_incident_and_empty():
    frame = gpd.GeoDataFrame(
        {"month": pd.PeriodIndex(["2019-01"], freq="M")},
        geometry=gpd.points_from_xy([530_000], [180_000]),
        crs=27700,
    )
    res = knox_test(frame, distance_bands_m=[0, 100], time_bands=[0, 1], permutations=3)
    assert res.table["observed"].tolist() == [0] and res.method.n_pairs == 0
    assert np.isnan(res.table["knox_ratio"]).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"distance_bands_m": [100]}, "at least two band edges"),
        ({"distance_bands_m": [0, 200, 100]}, "strictly increasing"),
        ({"time_bands": [-1, 1]}, "non-negative"),
        ({"permutations": 0}, "`permutations` must be a positive whole number"),
        ({"time_unit": "week"}, "`time_unit` must be"),
    ],
)
def test_bad_arguments(kwargs, match):
    frame = gpd.GeoDataFrame(
        {"month": pd.PeriodIndex(["2019-01"] * 2, freq="M")},
        geometry=gpd.points_from_xy([530_000] * 2, [180_000] * 2),
        crs=27700,
    )
    args = {"distance_bands_m": [0, 100], "time_bands": [0, 1]} | kwargs
    with pytest.raises(ValueError, match=match):
        knox_test(frame, **args)


def test_day_unit_needs_dates():
    frame = gpd.GeoDataFrame(
        {"month": pd.PeriodIndex(["2019-01"] * 2, freq="M")},
        geometry=gpd.points_from_xy([530_000] * 2, [180_000] * 2),
        crs=27700,
    )
    with pytest.raises(SchemaError, match="needs a datetime `date` column"):
        knox_test(frame, distance_bands_m=[0, 1], time_bands=[0, 1], time_unit="day")
