"""Tests for snt_geo.linkage.clusters: DBSCAN, space-time DBSCAN, HDBSCAN, cluster summaries."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box
from sklearn.cluster import DBSCAN, HDBSCAN
from sklearn.metrics import adjusted_rand_score

from snt_geo.errors import CRSError, SchemaError
from snt_geo.linkage.clusters import (
    CLUSTER_COLUMNS,
    ClusterMethod,
    ClusterSummaryMethod,
    cluster_incidents,
    summarise_clusters,
)
from snt_geo.themes import DEFAULT_THEMES

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
BURGLARY = DATA / "police-uk-metropolitan-street-burglary-only"
WARDS = DATA / "gla-statistical-gis-boundaries-london" / "ESRI" / "London_Ward_CityMerged.shp"


@pytest.fixture(scope="module")
def burglary() -> gpd.GeoDataFrame:
    from snt_geo.io import read_police_uk

    with pytest.warns(UserWarning):
        bur = read_police_uk(BURGLARY, months=[f"2019-{m:02d}" for m in range(1, 13)])
    # Shuffled order: scikit-learn's numbering depends on row order, and so must ours.
    return bur.sample(frac=1.0, random_state=7)


@pytest.fixture(scope="module")
def wards() -> gpd.GeoDataFrame:
    from snt_geo.io import read_wards

    return read_wards(WARDS)


def _xy(frame: gpd.GeoDataFrame) -> np.ndarray:
    return shapely.get_coordinates(frame.to_crs(27700).geometry.to_numpy())


# ---------------------------------------------------------------------------------------------
# DBSCAN
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("distance_m", "min_incidents"), [(100, 5), (50, 3), (250, 25)])
def test_dbscan_equals_sklearn_on_met_burglary(burglary, distance_m, min_incidents):
    labels = cluster_incidents(burglary, distance_m=distance_m, min_incidents=min_incidents)
    expected = DBSCAN(eps=distance_m, min_samples=min_incidents).fit_predict(_xy(burglary))
    assert labels.name == "cluster"
    assert labels.index.equals(burglary.index)
    assert adjusted_rand_score(labels, expected) == 1.0
    assert np.array_equal(labels.to_numpy() == -1, expected == -1)  # same noise set
    assert np.array_equal(labels.to_numpy(), expected)  # same numbers, too
    assert labels.attrs["method"].incidents_per_location == pytest.approx(
        len(burglary) / len(np.unique(_xy(burglary), axis=0))
    )


def test_dbscan_equals_sklearn_sample_weight_on_locations(burglary):
    xy = _xy(burglary)
    uniq, inverse, counts = np.unique(xy, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    model = DBSCAN(eps=100, min_samples=8).fit(uniq, sample_weight=counts)
    ours = cluster_incidents(burglary, distance_m=100, min_incidents=8).to_numpy()
    theirs = model.labels_[inverse]
    assert np.array_equal(ours == -1, theirs == -1)
    # Border points near two clusters go to the first one reached, which depends on the order
    # of the points (here sorted locations rather than rows): compare the core incidents.
    core = np.zeros(len(uniq), dtype=bool)
    core[model.core_sample_indices_] = True
    assert adjusted_rand_score(ours[core[inverse]], theirs[core[inverse]]) == 1.0


def test_dbscan_ties_at_exactly_distance_m(make_points):
    # Integer coordinates put many pairs at exactly 100 m (3-4-5 triangles, grid steps):
    # neighbours at exactly distance_m count, as in scikit-learn.
    rng = np.random.default_rng(0)
    xy = rng.integers(0, 40, size=(3000, 2)) * 20.0 + 530_000.0
    xy[:, 1] += 150_000.0
    frame = make_points(xy)
    for eps, m in [(100.0, 4), (60.0, 3), (20.0, 2)]:
        ours = cluster_incidents(frame, distance_m=eps, min_incidents=m).to_numpy()
        assert np.array_equal(ours, DBSCAN(eps=eps, min_samples=m).fit_predict(xy))


def test_dbscan_dense_synthetic_equals_sklearn(make_points):
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 600, size=(20_000, 2)) + [530_000.0, 180_000.0]
    xy = np.concatenate([xy, rng.uniform(0, 6000, size=(2000, 2)) + [530_000.0, 180_000.0]])
    ours = cluster_incidents(make_points(xy), distance_m=30, min_incidents=6).to_numpy()
    assert np.array_equal(ours, DBSCAN(eps=30, min_samples=6).fit_predict(xy))


def test_row_order_does_not_change_the_partition(burglary):
    a = cluster_incidents(burglary, distance_m=100, min_incidents=5)
    shuffled = burglary.sample(frac=1.0, random_state=99)
    b = cluster_incidents(shuffled, distance_m=100, min_incidents=5).reindex(a.index)
    # Same noise and clusters; only a border incident within reach of two clusters can change
    # sides, because (as in scikit-learn) it joins the cluster whose first core row comes first.
    assert np.array_equal(a == -1, b == -1)
    assert a.max() == b.max()
    expected = DBSCAN(eps=100, min_samples=5).fit_predict(_xy(shuffled))
    assert np.array_equal(b.reindex(shuffled.index).to_numpy(), expected)
    assert adjusted_rand_score(a, b) > 0.9999


def test_wgs84_and_bng_inputs_give_the_same_labels(burglary):
    sub = burglary.iloc[:5000]
    a = cluster_incidents(sub, distance_m=100, min_incidents=4)
    b = cluster_incidents(sub.to_crs(4326), distance_m=100, min_incidents=4)
    # A round trip through degrees moves points by nanometres: same partition.
    assert adjusted_rand_score(a, b) == 1.0


def test_empty_input(make_points):
    frame = make_points(np.empty((0, 2)))
    labels = cluster_incidents(frame, distance_m=100, min_incidents=3)
    assert len(labels) == 0 and labels.name == "cluster"


def test_one_incident(make_points):
    frame = make_points([[530_000.0, 180_000.0]])
    assert cluster_incidents(frame, distance_m=100, min_incidents=2).tolist() == [-1]
    assert cluster_incidents(frame, distance_m=100, min_incidents=1).tolist() == [0]


def test_stacked_duplicates_form_a_cluster_and_index_is_kept(make_points):
    xy = [[530_000.0, 180_000.0]] * 5 + [[531_000.0, 180_000.0]] * 4
    frame = make_points(xy, index=[3, 3, 1, 1, 2, 9, 9, 9, 0])  # non-unique index, kept as is
    labels = cluster_incidents(frame, distance_m=10, min_incidents=5)
    assert labels.index.equals(frame.index)
    assert labels.tolist() == [0] * 5 + [-1] * 4
    assert labels.attrs["method"].n_locations == 2


def test_no_crs_raises():
    frame = gpd.GeoDataFrame(geometry=gpd.points_from_xy([530_000.0], [180_000.0]))
    with pytest.raises(CRSError, match="has no CRS"):
        cluster_incidents(frame, distance_m=100, min_incidents=2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"distance_m": -5}, "`distance_m` must be a positive number of metres; got -5"),
        ({"min_incidents": 0}, "`min_incidents` must be a positive whole number"),
        ({"min_incidents": 2.5}, "`min_incidents` must be a positive whole number"),
        ({"method": "kmeans"}, "`method` must be 'dbscan' or 'hdbscan'; got 'kmeans'"),
        ({"window_months": 0}, "`window_months` must be"),
        ({"method": "hdbscan", "window_months": 2}, "`window_months` applies to"),
        ({"method": "hdbscan"}, "`distance_m` is not used"),
        ({"distance_m": None}, "`distance_m` is required"),
        ({"min_cluster_size": 10}, "`min_cluster_size` applies to"),
    ],
)
def test_bad_arguments(kwargs, match, make_points):
    frame = make_points([[530_000.0, 180_000.0]] * 3, months=["2019-01"] * 3)
    with pytest.raises(ValueError, match=match):
        cluster_incidents(frame, **({"distance_m": 100} | kwargs))


def test_missing_geometry_raises(make_points):
    frame = make_points([[530_000.0, 180_000.0]] * 2)
    frame.loc[1, "geometry"] = None
    with pytest.raises(SchemaError, match="without a point geometry"):
        cluster_incidents(frame, distance_m=10, min_incidents=1)


# ---------------------------------------------------------------------------------------------
# Space-time DBSCAN
# ---------------------------------------------------------------------------------------------


def test_space_time_splits_by_month(make_points):
    xy = [[530_000.0, 180_000.0]] * 10
    months = ["2019-01"] * 5 + ["2019-06"] * 5
    frame = make_points(xy, months=months)
    assert cluster_incidents(frame, distance_m=50, min_incidents=5).nunique() == 1
    st = cluster_incidents(frame, distance_m=50, min_incidents=5, window_months=1)
    assert st.tolist() == [0] * 5 + [1] * 5
    assert st.attrs["method"].time_basis == "month"
    # A five-month window joins them again (January and June are 5 months apart).
    assert cluster_incidents(frame, distance_m=50, min_incidents=5, window_months=5).nunique() == 1


def test_space_time_chain_and_border_in_time(make_points):
    # 3 incidents a month in Jan, Feb, Mar at one place; window 1 month.
    frame = make_points(
        [[530_000.0, 180_000.0]] * 9, months=["2019-01"] * 3 + ["2019-02"] * 3 + ["2019-03"] * 3
    )
    # min 6: Jan sees 6, Feb 9, Mar 6 -> all core, one cluster.
    assert (
        cluster_incidents(frame, distance_m=10, min_incidents=6, window_months=1).tolist()
        == [0] * 9
    )
    # min 7: only Feb is core; Jan and Mar are its border points -> still one cluster.
    assert (
        cluster_incidents(frame, distance_m=10, min_incidents=7, window_months=1).tolist()
        == [0] * 9
    )
    # min 10: nothing is core.
    assert (cluster_incidents(frame, distance_m=10, min_incidents=10, window_months=1) == -1).all()


def test_space_time_uses_exact_dates_when_present(make_points):
    dates = pd.to_datetime(["2019-01-01"] * 3 + ["2019-01-31"] * 3 + ["2019-03-10"] * 3)
    frame = make_points([[530_000.0, 180_000.0]] * 9, months=dates.to_period("M").astype(str))
    frame["date"] = dates
    labels = cluster_incidents(frame, distance_m=10, min_incidents=6, window_months=1)
    # 30 days apart <= 30.44 days: joined; 38 days to 10 March: not.
    assert labels.tolist() == [0] * 6 + [-1] * 3
    assert labels.attrs["method"].time_basis == "date"


def test_space_time_equals_sklearn_on_precomputed_space_time_metric(burglary):
    sub = burglary.iloc[:2500]
    xy = _xy(sub)
    t = (sub["month"].dt.year * 12 + sub["month"].dt.month).to_numpy()
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    d[np.abs(t[:, None] - t[None, :]) > 2] = 1e9  # not neighbours unless within 2 months
    expected = DBSCAN(eps=400, min_samples=4, metric="precomputed").fit_predict(d)
    ours = cluster_incidents(sub, distance_m=400, min_incidents=4, window_months=2)
    assert np.array_equal(ours.to_numpy(), expected)


def test_space_time_without_month_raises(make_points):
    frame = make_points([[530_000.0, 180_000.0]] * 2)
    with pytest.raises(SchemaError, match="no `month` column"):
        cluster_incidents(frame, distance_m=10, min_incidents=1, window_months=1)


# ---------------------------------------------------------------------------------------------
# HDBSCAN
# ---------------------------------------------------------------------------------------------


def _capture_tree(monkeypatch) -> dict:
    import sklearn.cluster._hdbscan.hdbscan as skh

    captured = {}
    original = skh._process_mst

    def spy(edges):
        captured["edges"] = edges.copy()
        return original(edges)

    monkeypatch.setattr(skh, "_process_mst", spy)
    return captured


def _sklearn_tree_weight(xy: np.ndarray, min_samples: int) -> float:
    from sklearn.cluster._hdbscan._linkage import mst_from_data_matrix
    from sklearn.metrics import DistanceMetric
    from sklearn.neighbors import NearestNeighbors

    core = NearestNeighbors(n_neighbors=min_samples).fit(xy).kneighbors(xy, min_samples)[0][:, -1]
    mst = mst_from_data_matrix(
        xy, np.ascontiguousarray(core), DistanceMetric.get_metric("euclidean"), 1.0
    )
    return float(mst["distance"].sum())


def test_hdbscan_tree_is_sklearns_minimum_spanning_tree_with_duplicates(burglary, monkeypatch):
    sub = burglary.iloc[:4000]  # real snap points: many incidents share a location
    xy = _xy(sub)
    captured = _capture_tree(monkeypatch)
    cluster_incidents(sub, method="hdbscan", distance_m=None, min_incidents=5, min_cluster_size=10)
    edges = captured["edges"]
    assert len(edges) == len(sub) - 1
    assert edges["distance"].sum() == pytest.approx(_sklearn_tree_weight(xy, 5), rel=1e-12)


def test_hdbscan_agrees_with_sklearn_on_a_sample(burglary, make_points):
    rng = np.random.default_rng(5)
    sub = burglary.iloc[:6000].copy()
    xy = _xy(sub) + rng.normal(0, 3, size=(len(sub), 2))
    frame = make_points(xy)
    ours = cluster_incidents(
        frame, method="hdbscan", distance_m=None, min_incidents=5, min_cluster_size=15
    )
    theirs = HDBSCAN(min_cluster_size=15, min_samples=5, copy=True).fit_predict(xy)
    # Tied mutual reachability weights make HDBSCAN's labels depend on which minimum spanning
    # tree is used; scikit-learn's own labels move this much under a row permutation.
    assert adjusted_rand_score(ours, theirs) > 0.95
    assert abs(ours.max() - theirs.max()) <= 0.05 * theirs.max()


def test_hdbscan_ignores_row_order(burglary):
    sub = burglary.iloc[:3000]
    a = cluster_incidents(sub, method="hdbscan", distance_m=None, min_incidents=5)
    b = cluster_incidents(
        sub.sample(frac=1.0, random_state=3), method="hdbscan", distance_m=None, min_incidents=5
    ).reindex(a.index)
    assert adjusted_rand_score(a, b) == 1.0


def test_hdbscan_collinear_and_too_few(make_points):
    xy = np.column_stack([np.arange(30) * 5.0 + 530_000, np.full(30, 180_000.0)])
    xy = np.concatenate([xy, xy + [1000.0, 0.0]])
    labels = cluster_incidents(make_points(xy), method="hdbscan", distance_m=None, min_incidents=3)
    expected = HDBSCAN(min_cluster_size=3, min_samples=3, copy=True).fit_predict(xy)
    assert adjusted_rand_score(labels, expected) == 1.0
    with pytest.raises(ValueError, match="needs at least"):
        cluster_incidents(make_points(xy[:2]), method="hdbscan", distance_m=None, min_incidents=3)


# ---------------------------------------------------------------------------------------------
# Summaries
# ---------------------------------------------------------------------------------------------


def test_summaries_of_met_burglary(burglary, wards):
    labels = cluster_incidents(burglary, distance_m=100, min_incidents=10)
    summary = summarise_clusters(burglary, labels, wards=wards)
    n_clusters = labels.max() + 1
    assert list(summary.columns) == list(CLUSTER_COLUMNS)
    assert summary.index.name == "cluster"
    assert summary.index.tolist() == list(range(n_clusters))
    assert summary.crs.to_epsg() == 27700
    assert (summary.geom_type == "Polygon").all()
    assert summary.geometry.is_valid.all() and not summary.geometry.is_empty.any()
    assert summary["incident_count"].sum() == (labels >= 0).sum()
    counts = labels[labels >= 0].value_counts().sort_index()
    assert summary["incident_count"].tolist() == counts.tolist()
    inside = summary["incident_count"] - summary["outside_wards"]
    for shares, n_in in zip(summary["ward_shares"], inside, strict=True):
        if n_in:
            assert sum(shares.values()) == pytest.approx(1.0)
    for shares in summary["borough_shares"]:
        assert sum(shares.values()) == pytest.approx(1.0)
    # Every incident of a cluster lies in (or on) its hull.
    pts = burglary.geometry[labels >= 0]
    hull = summary.geometry.reindex(labels[labels >= 0].to_numpy()).to_numpy()
    assert shapely.dwithin(pts.to_numpy(), hull, 1e-6).all()
    assert (summary["dominant_theme"] == "burglary").all()
    assert (summary["first_month"] <= summary["last_month"]).all()


def test_summary_known_answer_hulls_and_wards(make_points):
    # Three 100 m wards in a row; a cluster of 5 spanning wards A and B plus one outside.
    wards = gpd.GeoDataFrame(
        {"ward_name": ["A", "B", "C"], "borough_code": ["X", "X", "Y"]},
        geometry=[box(530_000 + 100 * i, 180_000, 530_100 + 100 * i, 180_100) for i in range(3)],
        index=pd.Index(["A", "B", "C"], name="ward_code"),
        crs=27700,
    )
    square = [[530_010, 180_010], [530_010, 180_090], [530_090, 180_010], [530_090, 180_090]]
    xy = (
        square
        + [[530_150, 180_050]]
        + [[529_000.0, 180_000.0]] * 3  # stacked
        + [[531_000, 180_000 + 10 * k] for k in range(4)]  # collinear
        + [[530_050, 180_200]]  # cluster 0, outside every ward
    )
    crime = ["Burglary"] * 3 + ["Robbery"] * 2 + ["Anti-social behaviour"] * 7 + ["Burglary"]
    frame = make_points(xy, months=["2019-03"] * 12 + ["2019-05"], crime_type=crime)
    labels = pd.Series([0] * 5 + [1] * 3 + [2] * 4 + [0], index=frame.index, name="cluster")
    s = summarise_clusters(frame, labels, wards=wards)
    assert s.loc[0, "incident_count"] == 6
    assert s.loc[0, "outside_wards"] == 1
    assert s.loc[0, "ward_shares"] == {"A": 0.8, "B": 0.2}
    assert s.loc[0, "wards"] == ("A", "B")
    assert s.loc[0, "borough_shares"] == {"X": 1.0}
    assert s.loc[0, "crime_type_counts"] == {"Burglary": 4, "Robbery": 2}
    robbery = DEFAULT_THEMES.primary_theme("Robbery")
    assert s.loc[0, "theme_mix"] == pytest.approx({"burglary": 4 / 6, robbery: 2 / 6})
    assert s.loc[0, "dominant_theme"] == "burglary"
    assert str(s.loc[0, "first_month"]) == "2019-03" and str(s.loc[0, "last_month"]) == "2019-05"
    expected_hull = shapely.convex_hull(shapely.multipoints(np.array(xy)[[0, 1, 2, 3, 4, 12]]))
    assert s.loc[0, "area_km2"] == pytest.approx(expected_hull.area / 1e6)
    assert s.loc[0, "density_per_km2"] == pytest.approx(6 / (expected_hull.area / 1e6))
    assert s.loc[0, "hull_kind"] == "convex"
    # Stacked and collinear clusters get buffered hulls: valid, non-empty, about pi * 25^2.
    for c in (1, 2):
        geom = s.loc[c, "geometry"]
        assert geom.is_valid and not geom.is_empty and geom.geom_type == "Polygon"
        assert s.loc[c, "hull_kind"] == "convex_buffered"
    assert s.loc[1, "area_km2"] * 1e6 == pytest.approx(np.pi * 25**2, rel=0.02)
    assert s.loc[1, "location_count"] == 1
    assert s.loc[1, "ward_shares"] == {} and s.loc[1, "outside_wards"] == 3


def test_summary_without_wards_and_all_noise(make_points):
    frame = make_points(
        [[530_000.0, 180_000.0]] * 3, months=["2019-01"] * 3, crime_type=["Burglary"] * 3
    )
    labels = pd.Series([0, 0, 0], index=frame.index, name="cluster")
    s = summarise_clusters(frame, labels)
    assert s.loc[0, "ward_shares"] is None and s.loc[0, "outside_wards"] is None
    noise = summarise_clusters(frame, labels * 0 - 1)
    assert len(noise) == 0 and list(noise.columns) == list(CLUSTER_COLUMNS)


def test_summary_rejects_misaligned_labels(make_points):
    frame = make_points([[530_000.0, 180_000.0]] * 3)
    with pytest.raises(ValueError, match="`labels` has 2 rows"):
        summarise_clusters(frame, pd.Series([0, 0], name="cluster"))
    with pytest.raises(ValueError, match="not indexed like `incidents`"):
        summarise_clusters(frame, pd.Series([0, 0, 0], index=[5, 6, 7], name="cluster"))


def test_method_records_describe_what_ran(make_points):
    frame = make_points(
        [[530_000.0, 180_000.0]] * 6 + [[531_000.0, 180_000.0]], months=["2019-01"] * 7
    )
    labels = cluster_incidents(frame, distance_m=100, min_incidents=5)
    method = labels.attrs["method"]
    assert isinstance(method, ClusterMethod)
    assert (method.n_clusters, method.n_noise, method.n_locations) == (1, 1, 2)
    assert method.to_dict()["distance_m"] == 100.0
    assert method.describe().startswith(
        "DBSCAN (Ester et al. 1996): clusters of at least 5 incidents within 100 m"
    )
    summary = summarise_clusters(frame, labels)
    record = summary.attrs["method"]
    assert isinstance(record, ClusterSummaryMethod) and record.clustering == method
    assert "convex hull" in record.describe()
