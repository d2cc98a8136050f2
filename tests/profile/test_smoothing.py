"""Tests for snt_geo.profile.smoothing against esda's empirical Bayes smoothers.

Real data: the GLA's 2011 wards (City merged, 625), 2015 ward populations from the GLA ward
profiles, and every Met street-level burglary of 2019.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from esda.smoothing import Empirical_Bayes, Spatial_Empirical_Bayes
from libpysal.weights import Queen

from snt_geo.profile.smoothing import (
    SMOOTHED_RATE_COLUMNS,
    smooth_ward_rate_columns,
    smooth_ward_rates,
)


@pytest.fixture(scope="module")
def london(shared_data):
    from snt_geo.io import read_demographics, read_police_uk, read_wards
    from snt_geo.profile import assign_wards

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        wards = read_wards(
            shared_data / "gla-statistical-gis-boundaries-london/ESRI/London_Ward_CityMerged.shp"
        )
        demographics = read_demographics(
            shared_data / "gla-ward-profiles-2015/ward-profiles-excel-version.csv"
        )
        folder = shared_data / "police-uk-metropolitan-street-burglary-only"
        incidents = read_police_uk(sorted(folder.glob("2019-*-metropolitan-street.csv.gz")))
    counts = assign_wards(incidents, wards).value_counts()
    return wards, demographics["population"], counts


def test_equals_esda_empirical_bayes_on_london_wards(london):
    wards, population, counts = london
    out = smooth_ward_rates(wards, counts=counts, population=population, snap_m=0.0)
    assert tuple(out.columns) == SMOOTHED_RATE_COLUMNS
    assert out.index.equals(wards.index)
    e = counts.reindex(wards.index, fill_value=0).to_numpy(dtype=float)
    b = population.reindex(wards.index).to_numpy(dtype=float)
    assert e.sum() > 50_000  # a year of London burglary, not an empty join

    ref_eb = Empirical_Bayes(e, b).r.ravel() * 1000
    np.testing.assert_allclose(out["eb_rate_per_1000"], ref_eb, rtol=1e-10)

    w = Queen.from_dataframe(wards, use_index=False)
    w.id_order = list(range(len(wards)))
    ref_seb = Spatial_Empirical_Bayes(e, b, w).r.ravel() * 1000
    np.testing.assert_allclose(out["seb_rate_per_1000"], ref_seb, rtol=1e-10)
    np.testing.assert_allclose(out["rate_per_1000"], e / b * 1000, rtol=1e-12)
    assert out["seb_neighbours"].to_numpy() == pytest.approx(
        np.array([len(w.neighbors[i]) + 1 for i in range(len(wards))])
    )
    method = out.attrs["method"]
    assert method.global_rate[0] == pytest.approx(e.sum() / b.sum() * 1000)
    assert method.prior_variance[0] > 0
    assert "empirical Bayes" in method.describe()


def test_small_wards_move_most_towards_the_mean(london):
    wards, population, counts = london
    out = smooth_ward_rates(wards, counts=counts, population=population)
    m = out.attrs["method"].global_rate[0]
    shrink = 1 - (out["eb_rate_per_1000"] - m) / (out["rate_per_1000"] - m)
    # The shrinkage factor m / b / (s2 + m / b) falls as population grows.
    order = np.argsort(out["population"].to_numpy())
    assert np.all(np.diff(shrink.to_numpy()[order]) <= 1e-12)


def _squares() -> gpd.GeoDataFrame:
    boxes = [shapely.box(530_000 + 100 * i, 180_000, 530_100 + 100 * i, 180_100) for i in range(4)]
    return gpd.GeoDataFrame(
        {"ward_name": list("ABCD")},
        geometry=boxes,
        index=pd.Index(["W1", "W2", "W3", "W4"], name="ward_code"),
        crs="EPSG:27700",
    )


def test_missing_population_and_unknown_codes_are_counted_not_lost():
    wards = _squares()
    counts = pd.Series({"W1": 5, "W2": 9, "W3": 2, "XX": 4})
    population = pd.Series({"W1": 1000.0, "W2": 2000.0, "W4": 1500.0})
    with pytest.warns(UserWarning, match="1 wards have no positive population.*4 counted"):
        out = smooth_ward_rates(wards, counts=counts, population=population)
    assert np.isnan(out.loc["W3", "eb_rate_per_1000"])
    assert out.loc["W4", "events"] == 0
    method = out.attrs["method"]
    assert (method.n_wards_no_population, method.n_events_unmatched) == (1, (4,))
    # W3 is left out of W2's and W4's neighbourhoods: W4 has no neighbour left.
    assert out.loc["W4", "seb_neighbours"] == 1
    assert out.loc["W4", "seb_rate_per_1000"] == out.loc["W4", "rate_per_1000"]


def test_bad_arguments_are_refused():
    wards = _squares()
    pop = pd.Series(1000.0, index=wards.index)
    with pytest.raises(TypeError, match="`counts` must be a pandas Series"):
        smooth_ward_rates(wards, counts=[1, 2, 3, 4], population=pop)
    with pytest.raises(ValueError, match="`counts` must hold non-negative"):
        smooth_ward_rates(wards, counts=pd.Series({"W1": -1}), population=pop)
    with pytest.raises(ValueError, match="`per_residents` must be a positive whole number"):
        smooth_ward_rates(wards, counts=pd.Series({"W1": 1}), population=pop, per_residents=0)


def test_columns_at_once_equal_one_column_at_a_time(london):
    wards, population, counts = london
    halves = pd.DataFrame({"burglary": counts, "tripled": counts * 3}).reindex(
        wards.index, fill_value=0
    )
    out = smooth_ward_rate_columns(wards, counts=halves, population=population)
    assert list(out.columns) == [
        "burglary_eb_rate_per_1000",
        "burglary_seb_rate_per_1000",
        "tripled_eb_rate_per_1000",
        "tripled_seb_rate_per_1000",
    ]
    for name in halves.columns:
        one = smooth_ward_rates(wards, counts=halves[name], population=population)
        np.testing.assert_allclose(out[f"{name}_eb_rate_per_1000"], one["eb_rate_per_1000"])
        np.testing.assert_allclose(out[f"{name}_seb_rate_per_1000"], one["seb_rate_per_1000"])
    method = out.attrs["method"]
    assert method.counts == ("burglary", "tripled")
    assert method.global_rate[1] == pytest.approx(3 * method.global_rate[0])
    with pytest.raises(TypeError, match="`counts` must be a DataFrame"):
        smooth_ward_rate_columns(wards, counts=counts, population=population)
