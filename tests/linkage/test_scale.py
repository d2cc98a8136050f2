"""Tests for snt_geo.linkage.scale: the Optimized Hot Spot Analysis scale rules.

Moran's I per band is checked against esda's ``Moran`` with libpysal ``DistanceBand`` weights
built here from the cell centres; nearest-neighbour statistics against scikit-learn / scipy brute
force.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from esda.moran import Moran
from libpysal.weights import DistanceBand
from scipy.spatial.distance import cdist
from sklearn.neighbors import NearestNeighbors

from snt_geo.linkage.scale import (
    HotspotScale,
    _choose_band,
    _fallback_k,
    _grid_morans_i,
    choose_hotspot_scale,
)

BNG = "EPSG:27700"
X0, Y0 = 530_000.0, 180_000.0


def _points(xy: np.ndarray) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"n": np.arange(len(xy))}, geometry=shapely.points(np.asarray(xy)), crs=BNG
    )


def test_first_peak_is_the_third_band():
    assert _choose_band([1, 2, 3, 2.5, 4, 3]) == (2, "first_peak")


def test_no_peak_takes_the_largest_z_above_threshold():
    assert _choose_band([1.0, 2.0, 2.5, 3.0]) == (3, "largest_z")


@pytest.mark.parametrize("z", [[1.0, 1.2, 1.6, 1.1, 0.5], [np.nan] * 5, [-3.0, -1.0, 1.65, 1.0]])
def test_scan_never_above_threshold_falls_back(z):
    assert _choose_band(z) == (None, "fallback")


@pytest.mark.parametrize(("n", "k"), [(40, 3), (100, 5), (1_000, 30), (10, 3), (200, 10)])
def test_fallback_k_is_five_percent_clamped(n, k):
    assert _fallback_k(n) == k


@pytest.mark.parametrize("distance_m", [100.0, 150.0, 250.5, 320.0, 460.0])
def test_grid_morans_i_equals_esda(distance_m):
    rng = np.random.default_rng(15)
    n_rows, n_cols, cell = 14, 18, 100.0
    # Clustered counts: a smooth intensity plus noise, on an irregular (masked) area.
    rr, cc = np.mgrid[0:n_rows, 0:n_cols]
    intensity = 1 + 4 * np.exp(-((rr - 4) ** 2 + (cc - 5) ** 2) / 8.0)
    counts = rng.poisson(intensity).astype(np.int64)
    mask = np.ones((n_rows, n_cols), dtype=bool)
    mask[:3, 12:] = False
    mask[10:, :4] = False
    counts[~mask] = 99  # never read: cells outside the area are absent
    got_i, got_e, got_v, got_z = _grid_morans_i(counts, mask, distance_m, cell)

    centres = np.column_stack([(cc[mask] + 0.5) * cell, (rr[mask] + 0.5) * cell])
    w = DistanceBand(centres, threshold=distance_m, binary=True, silence_warnings=True)
    ref = Moran(counts[mask].astype(float), w, transformation="B", permutations=0)
    assert got_i == pytest.approx(ref.I, rel=1e-10, abs=1e-12)
    assert got_e == pytest.approx(ref.EI, rel=1e-12)
    assert got_v == pytest.approx(ref.VI_rand, rel=1e-9)
    assert got_z == pytest.approx(ref.z_rand, rel=1e-9)


def test_regular_lattice_has_no_variation_and_falls_back_to_kth_neighbour():
    # One incident at the centre of every 100 m cell: equal counts, Moran's I undefined.
    g = (np.arange(10) + 0.5) * 100.0
    xy = np.array([(X0 + x, Y0 + y) for x in g for y in g])
    result = choose_hotspot_scale(_points(xy))
    m = result.method
    assert isinstance(result, HotspotScale)
    assert m.rule == "fallback" and m.chosen_band is None
    assert not result.scan["chosen"].any()
    assert m.cell_size_m == 100.0 and m.n_cells == 100
    assert m.fallback_k == 5
    d = np.sort(cdist(xy, xy), axis=1)[:, 5]  # column 0 is the point itself
    centre = xy.mean(axis=0)
    standard = np.sqrt(((xy - centre) ** 2).sum(axis=1).mean())
    assert m.standard_distance_m == pytest.approx(standard)
    assert m.fallback_distance_m == pytest.approx(min(d.mean(), standard))
    assert result.neighbour_distance_m == pytest.approx(max(d.mean(), 100.0))


@pytest.mark.filterwarnings("ignore:choose_hotspot_scale:UserWarning")
def test_locational_outliers_are_reported_and_left_out():
    rng = np.random.default_rng(3)
    xy = np.column_stack([rng.uniform(0, 2000, 300), rng.uniform(0, 2000, 300)]) + (X0, Y0)
    far = np.array([[X0 + 30_000, Y0 + 30_000], [X0 + 30_000, Y0 + 30_000]])
    pts = _points(np.vstack([xy, far]))
    pts.index = [f"i{k}" for k in range(len(pts))]
    result = choose_hotspot_scale(pts)
    m = result.method

    locations = np.unique(np.vstack([xy, far]), axis=0)
    nn = NearestNeighbors(n_neighbors=2).fit(locations).kneighbors(locations)[0][:, 1]
    outlier = nn > nn.mean() + 3 * nn.std()
    assert m.n_outlier_locations == int(outlier.sum()) == 1
    assert list(result.outliers) == ["i300", "i301"]
    assert m.n_outlier_incidents == 2
    assert m.mean_nn_distance_m == pytest.approx(nn[~outlier].mean())
    assert m.begin_distance_m == pytest.approx(max(nn[~outlier].max(), m.cell_size_m))
    assert np.diff(result.scan["distance_m"]) == pytest.approx(np.full(9, m.mean_nn_distance_m))
    assert m.distances_m == tuple(result.scan["distance_m"])


def test_clustered_incidents_choose_a_band_and_record_the_scan():
    rng = np.random.default_rng(7)
    background = rng.uniform(0, 3000, (400, 2))
    centres = rng.uniform(500, 2500, (6, 2))
    clusters = np.vstack([c + rng.normal(0, 60, (60, 2)) for c in centres])
    pts = _points(np.vstack([background, clusters]) + (X0, Y0))
    result = choose_hotspot_scale(pts)
    m = result.method
    assert m.rule in ("first_peak", "largest_z")
    assert result.scan["chosen"].sum() == 1
    assert result.neighbour_distance_m == m.distances_m[m.chosen_band]
    assert result.scan.loc[m.chosen_band, "z_score"] > 1.65
    assert "Optimized Hot Spot Analysis" in m.describe()
    assert m.to_dict()["grid"]["cell_size_m"] == m.cell_size_m
    frame = result.to_frame()
    assert frame.attrs["method"] is m
    assert list(frame.columns) == [
        "distance_m", "morans_i", "expected_i", "variance_i", "z_score", "p_value", "is_peak",
        "chosen",
    ]  # fmt: skip


@pytest.mark.filterwarnings("ignore:read_police_uk:UserWarning")
def test_real_burglary_scan_runs_on_london_wards(shared_data):
    from snt_geo.io import read_police_uk, read_wards

    inc = read_police_uk(
        shared_data
        / "police-uk-metropolitan-street-burglary-only"
        / "2019-01-metropolitan-street.csv.gz"
    )
    wards = read_wards(
        shared_data / "gla-statistical-gis-boundaries-london/ESRI/London_Ward_CityMerged.shp"
    )
    # London's burglary clusters at every scale scanned: z still rises at the last band.
    with pytest.warns(UserWarning, match=r"still rising at the last band .* larger `n_bands`"):
        result = choose_hotspot_scale(inc, area=wards)
    m = result.method
    assert m.rule == "largest_z" and m.chosen_band == len(m.distances_m) - 1
    assert m.n_incidents + m.n_incidents_outside + m.n_incidents_no_geometry == len(inc)
    joined = gpd.sjoin(inc[["geometry"]], wards[["geometry"]], predicate="intersects")
    inside = inc.loc[joined.index.unique()]
    assert m.n_incidents == len(inside)
    assert m.n_locations == len(np.unique(inside.geometry.get_coordinates().to_numpy(), axis=0))
    assert np.all(np.isfinite(result.scan["z_score"]))
    assert result.neighbour_distance_m >= m.cell_size_m


def test_too_few_incidents_are_refused():
    rng = np.random.default_rng(1)
    pts = _points(rng.uniform(0, 1000, (59, 2)) + (X0, Y0))
    with pytest.raises(ValueError, match=r"`incidents` has 59 incidents .* at least 60"):
        choose_hotspot_scale(pts)


def test_bad_n_bands_is_refused():
    rng = np.random.default_rng(1)
    pts = _points(rng.uniform(0, 1000, (100, 2)) + (X0, Y0))
    with pytest.raises(ValueError, match="`n_bands` must be"):
        choose_hotspot_scale(pts, n_bands=2)


def test_find_hotspots_auto_uses_the_scale_and_records_the_scan():
    from snt_geo.linkage import find_hotspots, hotspot_grid

    rng = np.random.default_rng(7)
    background = rng.uniform(0, 3000, (400, 2))
    clusters = np.vstack([c + rng.normal(0, 60, (60, 2)) for c in rng.uniform(500, 2500, (6, 2))])
    pts = _points(np.vstack([background, clusters]) + (X0, Y0))
    area = gpd.GeoSeries([shapely.box(X0, Y0, X0 + 3000, Y0 + 3000)], crs=BNG)
    scale = choose_hotspot_scale(pts, area=area)
    auto = find_hotspots(pts, area=area, cell_size_m="auto", neighbour_distance_m="auto")
    given = find_hotspots(
        pts,
        area=area,
        cell_size_m=scale.cell_size_m,
        neighbour_distance_m=scale.neighbour_distance_m,
    )
    np.testing.assert_array_equal(auto["gi_star_z"], given["gi_star_z"])
    m = auto.attrs["method"]
    assert m.scale == scale.method
    assert m.neighbour_rule.startswith("auto (choose_hotspot_scale)")
    assert m.cell_size_rule.startswith("auto (choose_hotspot_scale)")
    assert "Optimized Hot Spot Analysis" in m.describe()
    assert m.to_dict()["scale"]["z_scores"] == scale.method.z_scores
    # A given cell size with an automatic distance scans on the given cells.
    grid = hotspot_grid(pts, area=area, cell_size_m=100, neighbour_distance_m="auto")
    assert grid.method.cell_size_m == 100 == grid.method.scale.cell_size_m
    assert grid.method.cell_size_rule == "given"
    assert find_hotspots(pts, area=area, cell_size_m=100).attrs["method"].scale is None


def test_every_band_of_a_scan_equals_esda_on_the_same_cells():
    rng = np.random.default_rng(11)
    background = rng.uniform(0, 1500, (150, 2))
    clusters = np.vstack([c + rng.normal(0, 50, (40, 2)) for c in rng.uniform(300, 1200, (3, 2))])
    xy = np.vstack([background, clusters]) + (X0, Y0)
    result = choose_hotspot_scale(_points(xy), cell_size_m=75, n_bands=5)
    spec = result.method.grid
    # Independent counts: every cell of the bounding-box grid, points located by floor division.
    col = np.floor((xy[:, 0] - spec.x0) / spec.cell_size_m).astype(int)
    row = np.floor((xy[:, 1] - spec.y0) / spec.cell_size_m).astype(int)
    counts = np.zeros((spec.n_rows, spec.n_cols))
    np.add.at(counts, (row, col), 1)
    rr, cc = np.mgrid[0 : spec.n_rows, 0 : spec.n_cols]
    centres = np.column_stack([(cc.ravel() + 0.5), (rr.ravel() + 0.5)]) * spec.cell_size_m
    for band in result.scan.itertuples():
        w = DistanceBand(centres, threshold=band.distance_m, binary=True, silence_warnings=True)
        ref = Moran(counts.ravel(), w, transformation="B", permutations=0)
        assert band.morans_i == pytest.approx(ref.I, rel=1e-9)
        assert band.z_score == pytest.approx(ref.z_rand, rel=1e-9)


@pytest.mark.filterwarnings("ignore:.*incidents fall outside the cells:UserWarning")
def test_an_earlier_grid_result_as_area_reuses_its_cells():
    from snt_geo.linkage import find_hotspots, hotspot_grid

    rng = np.random.default_rng(7)
    background = rng.uniform(0, 3000, (400, 2))
    clusters = np.vstack([c + rng.normal(0, 60, (60, 2)) for c in rng.uniform(500, 2500, (6, 2))])
    pts = _points(np.vstack([background, clusters]) + (X0, Y0))
    area = gpd.GeoSeries([shapely.box(X0, Y0, X0 + 2000, Y0 + 3000)], crs=BNG)
    earlier = hotspot_grid(pts, area=area, cell_size_m=100)
    from_grid = choose_hotspot_scale(pts, area=earlier)
    from_polygons = choose_hotspot_scale(pts, area=area, cell_size_m=100)
    assert from_grid.method.cell_size_m == 100 and from_grid.method.n_cells == earlier.n_cells
    assert from_grid.method.z_scores == pytest.approx(from_polygons.method.z_scores, rel=1e-12)
    assert from_grid.method.n_incidents_outside == from_polygons.method.n_incidents_outside
    cells = find_hotspots(pts, area=earlier, neighbour_distance_m="auto")
    assert cells.attrs["method"].neighbour_distance_m == from_grid.neighbour_distance_m
