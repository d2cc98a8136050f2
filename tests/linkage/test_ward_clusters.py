"""Tests for snt_geo.linkage.ward_clusters against esda's Moran_Local on London's wards."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from esda.moran import Moran_Local
from libpysal.weights import Queen

from snt_geo.linkage.ward_clusters import WARD_CLUSTER_CLASSES, find_ward_clusters


@pytest.fixture(scope="module")
def london_rates(shared_data):
    from snt_geo.io import read_demographics, read_police_uk, read_wards
    from snt_geo.profile import assign_wards

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        wards = read_wards(
            shared_data / "gla-statistical-gis-boundaries-london/ESRI/London_Ward_CityMerged.shp"
        )
        population = read_demographics(
            shared_data / "gla-ward-profiles-2015/ward-profiles-excel-version.csv"
        )["population"]
        folder = shared_data / "police-uk-metropolitan-street-burglary-only"
        incidents = read_police_uk(sorted(folder.glob("2019-*-metropolitan-street.csv.gz")))
    counts = assign_wards(incidents, wards).value_counts().reindex(wards.index, fill_value=0)
    rate = (counts / population.reindex(wards.index) * 1000).rename("burglary_per_1000")
    return wards, rate


@pytest.mark.filterwarnings("ignore:The alternative hypothesis:DeprecationWarning")
def test_local_moran_equals_esda(london_rates):
    wards, rate = london_rates
    permutations = 9999
    out = find_ward_clusters(
        wards, values=rate, permutations=permutations, snap_m=0.0, rng=np.random.default_rng(15)
    )
    w = Queen.from_dataframe(wards, use_index=False)
    ref = Moran_Local(rate.to_numpy(), w, transformation="r", permutations=permutations, seed=1)

    np.testing.assert_allclose(out["local_i"], ref.Is, rtol=1e-12, atol=1e-14)
    quadrant = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
    assert list(out["quadrant"]) == [quadrant[q] for q in ref.q]
    # Two independent sets of 9,999 permutations: the difference of two p-value estimates has
    # standard deviation sqrt(2 p (1 - p) / 10,000) <= 0.0071. Allow 5 standard deviations.
    p_ref = ref.p_sim
    tolerance = 5 * np.sqrt(2 * p_ref * (1 - p_ref) / (permutations + 1)) + 2 / (permutations + 1)
    diff = np.abs(out["p_value"].to_numpy() - p_ref)
    assert np.all(diff <= tolerance), diff[diff > tolerance]
    assert diff.mean() < 0.005
    print(f"LISA p-value |diff| vs esda: max {diff.max():.4f}, mean {diff.mean():.4f}")


def test_classes_follow_fdr_and_quadrants(london_rates):
    wards, rate = london_rates
    out = find_ward_clusters(wards, values=rate, rng=3)
    from scipy.stats import false_discovery_control

    q = false_discovery_control(out["p_value"].to_numpy())
    np.testing.assert_allclose(out["p_value_fdr"], q)
    sig = q <= 0.05
    expected = np.where(
        sig,
        out["quadrant"].map(
            {"HH": "high_high", "LL": "low_low", "HL": "high_low", "LH": "low_high"}
        ),
        "not_significant",
    )
    assert list(out["cluster_class"].astype(str)) == list(expected)
    assert list(out["cluster_class"].cat.categories) == list(WARD_CLUSTER_CLASSES)
    assert out.attrs["method"].n_significant == int(sig.sum()) > 0
    assert "Local Moran" in out.attrs["method"].describe()


def test_same_rng_same_result_and_missing_values_counted(london_rates):
    wards, rate = london_rates
    rate = rate.copy()
    rate.iloc[:5] = np.nan
    with pytest.warns(UserWarning, match="1 wards have no neighbour"):
        a = find_ward_clusters(wards, values=rate, permutations=199, rng=7)
    with pytest.warns(UserWarning, match="1 wards have no neighbour"):
        b = find_ward_clusters(wards, values=rate, permutations=199, rng=7)
    pd.testing.assert_frame_equal(
        pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry"))
    )
    assert a.attrs["method"].n_wards_no_value == 5
    assert a["local_i"].iloc[:5].isna().all()
    assert (a["cluster_class"].iloc[:5] == "not_significant").all()


def _strip(n: int) -> gpd.GeoDataFrame:
    boxes = [shapely.box(530_000 + 100 * i, 180_000, 530_100 + 100 * i, 180_100) for i in range(n)]
    return gpd.GeoDataFrame(
        geometry=boxes, index=pd.Index([f"W{i}" for i in range(n)], name="ward_code"), crs=27700
    )


def test_bad_arguments_are_refused():
    wards = _strip(5)
    with pytest.raises(ValueError, match="`values` names a column not in `wards`"):
        find_ward_clusters(wards, values="rate")
    with pytest.raises(ValueError, match="`permutations` must be a whole number"):
        find_ward_clusters(wards, values=pd.Series(1.0, index=wards.index), permutations=10)
    with pytest.raises(TypeError, match="`values` must be a Series"):
        find_ward_clusters(wards, values=[1, 2, 3, 4, 5])
