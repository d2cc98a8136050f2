"""snt_geo.linkage._links_engine: the steps behind link_asb_to_street_crime, against references."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from sklearn.cluster import DBSCAN
from sklearn.metrics import adjusted_rand_score

from snt_geo.io import read_police_uk
from snt_geo.linkage._links_engine import _cluster_street_crime, lagged_correlations


@pytest.fixture(scope="module")
def city_other_types(shared_data):
    """Real City incidents other than ASB and street crime."""
    with pytest.warns(UserWarning):
        city = read_police_uk(shared_data / "police-uk-city-of-london" / "street")
    keep = ~city["crime_type"].isin(["Anti-social behaviour", "Robbery", "Theft from the person"])
    return city.loc[keep, ["crime_type", "month", "geometry"]].reset_index(drop=True)


def test_street_crime_clustering_matches_sklearn_dbscan(city_other_types):
    xy = shapely.get_coordinates(city_other_types.geometry.to_numpy())[:4000]
    ours = _cluster_street_crime(xy, distance_m=50, min_incidents=15)
    ref = DBSCAN(eps=50, min_samples=15).fit_predict(xy)
    assert adjusted_rand_score(ref, ours) == 1.0
    np.testing.assert_array_equal(ours == -1, ref == -1)


def test_lagged_correlations_against_numpy_and_gap():
    rng = np.random.default_rng(12)
    months = pd.period_range("2018-01", "2020-12", freq="M")
    a = rng.poisson(10, len(months)).astype(float)
    b = np.roll(a, 2) + rng.normal(0, 0.5, len(months))  # b follows a two months later
    res = lagged_correlations(a, b, months, 3)
    da, db = np.diff(a), np.diff(b)
    assert res[0][0] == pytest.approx(np.corrcoef(da, db)[0, 1])
    assert res[2][0] == pytest.approx(np.corrcoef(da[:-2], db[2:])[0, 1])
    assert res[-1][0] == pytest.approx(np.corrcoef(da[1:], db[:-1])[0, 1])
    assert max(res, key=lambda k: res[k][0]) == 2
    # a gap in coverage: changes across it are not taken
    kept = months[(months < pd.Period("2019-06", "M")) | (months > pd.Period("2019-09", "M"))]
    idx = months.get_indexer(kept)
    res_gap = lagged_correlations(a[idx], b[idx], kept, 0)
    # 35 month-on-month changes, minus the 5 that touch 2019-06..2019-09
    assert res_gap[0][1] == 30
    ok = np.ones(35, dtype=bool)
    ok[
        months.get_loc(pd.Period("2019-06", "M")) - 1 : months.get_loc(pd.Period("2019-09", "M"))
        + 1
    ] = False
    assert ok.sum() == 30
    assert res_gap[0][0] == pytest.approx(np.corrcoef(da[ok], db[ok])[0, 1])
