"""Tests for snt_geo.linkage.hotspots: Gi* on a grid against esda, scipy and brute force."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import stats

from snt_geo.errors import CRSError
from snt_geo.linkage.hotspots import (
    HOTSPOT_CLASSES,
    _disc_half_widths,
    _disc_sum,
    find_hotspots,
)

MONTHS_2019 = [f"2019-{m:02d}" for m in range(1, 13)]


@pytest.fixture(scope="module")
def burglary_2019(shared_data):
    from snt_geo.io import read_police_uk

    with pytest.warns(UserWarning):
        return read_police_uk(
            shared_data / "police-uk-metropolitan-street-burglary-only", months=MONTHS_2019
        )


@pytest.fixture(scope="module")
def gla_wards(shared_data):
    from snt_geo.io import read_wards

    return read_wards(
        shared_data / "gla-statistical-gis-boundaries-london/ESRI/London_Ward_CityMerged.shp"
    )


def _points(xy, crs=27700):
    return gpd.GeoDataFrame(geometry=shapely.points(np.asarray(xy, dtype=float)), crs=crs)


def _square(side=1000.0):
    return gpd.GeoSeries([shapely.box(0, 0, side, side)], crs=27700)


def _expected_classes(z, p_test):
    out = np.full(len(z), "not_significant", dtype=object)
    for level, name in ((0.10, "90"), (0.05, "95"), (0.01, "99")):
        sig = p_test <= level
        out[sig & (z > 0)] = f"hot_{name}"
        out[sig & (z < 0)] = f"cold_{name}"
    return out


@pytest.mark.filterwarnings("ignore:.*incidents fall outside.*:UserWarning")
def test_matches_esda_on_met_burglary_2019_at_100m(burglary_2019, gla_wards):
    """The one slow test: esda G_Local with a libpysal distance band on 161k cells."""
    from esda import G_Local
    from libpysal.graph import Graph

    cells = find_hotspots(burglary_2019, area=gla_wards, cell_size_m=100)
    assert len(cells) == 161_047
    centres = np.column_stack([cells.geometry.centroid.x, cells.geometry.centroid.y])
    w = Graph.build_distance_band(centres, 150, binary=True)
    y = cells["incident_count"].to_numpy().astype(float)
    g = G_Local(y, w, transform="B", star=True, permutations=0)
    np.testing.assert_allclose(cells["gi_star_z"], g.Zs, rtol=0, atol=1e-8)
    np.testing.assert_allclose(cells["p_value"], 2 * stats.norm.sf(np.abs(g.Zs)), atol=1e-12)
    adjusted = stats.false_discovery_control(cells["p_value"].to_numpy())
    np.testing.assert_allclose(cells["p_value_fdr"], adjusted, rtol=1e-12, atol=0)
    expected = _expected_classes(g.Zs, adjusted)
    assert (cells["hotspot_class"].astype(str).to_numpy() == expected).all()
    assert (cells["hotspot_class"] == "hot_99").sum() > 1000
    assert cells["neighbour_cells"].max() == 9


def test_matches_esda_with_larger_band_and_irregular_area():
    from esda import G_Local
    from libpysal.weights import DistanceBand

    rng = np.random.default_rng(4)
    area = gpd.GeoSeries(
        [shapely.Polygon([(0, 0), (1200, 0), (1200, 500), (500, 500), (500, 1300), (0, 1300)])],
        crs=27700,
    )
    xy = np.vstack([rng.uniform(0, 1200, (300, 2)), rng.normal(200, 60, (150, 2))])
    with pytest.warns(UserWarning, match="fall outside"):
        cells = find_hotspots(_points(xy), area=area, cell_size_m=100, neighbour_distance_m=260)
    centres = np.column_stack([cells.geometry.centroid.x, cells.geometry.centroid.y])
    w = DistanceBand(centres, threshold=260, binary=True, silence_warnings=True)
    y = cells["incident_count"].to_numpy().astype(float)
    g = G_Local(y, w, transform="B", star=True, permutations=0)
    np.testing.assert_allclose(cells["gi_star_z"], g.Zs, atol=1e-10)
    assert cells.attrs["method"].neighbours_per_cell == 21


def test_disc_sum_equals_brute_force():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 5, size=(23, 31))
    half = _disc_half_widths(330.0, 100.0)
    got = _disc_sum(a, half)
    r, c = np.indices(a.shape)
    expected = np.zeros_like(a)
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            near = (r - i) ** 2 + (c - j) ** 2 <= 3.3**2
            expected[i, j] = a[near].sum()
    assert np.array_equal(got, expected)


def test_known_cluster_is_hot_99_and_counts_add_up():
    xy = [[150, 150]] * 20 + [[250, 150]] * 20 + [[950, 950], [550, 450], [420, 880]]
    cells = find_hotspots(_points(xy), area=_square(), cell_size_m=100)
    assert len(cells) == 100
    assert cells["incident_count"].sum() == len(xy)
    hot = cells.loc[cells["incident_count"] == 20]
    assert hot["hotspot_class"].tolist() == ["hot_99", "hot_99"]
    assert list(cells["hotspot_class"].cat.categories) == list(HOTSPOT_CLASSES)
    # The 3 x 3 block around the cluster's cell: corner cells see 4 cells, others 6 or 9.
    assert sorted(cells["neighbour_cells"].unique()) == [4, 6, 9]


def test_fdr_off_and_alpha():
    rng = np.random.default_rng(1)
    xy = np.vstack([rng.uniform(0, 1000, (200, 2)), rng.normal(300, 40, (60, 2))])
    raw = find_hotspots(_points(xy), area=_square(), cell_size_m=50, fdr=False)
    expected = _expected_classes(raw["gi_star_z"].to_numpy(), raw["p_value"].to_numpy())
    assert (raw["hotspot_class"].astype(str).to_numpy() == expected).all()
    strict = find_hotspots(_points(xy), area=_square(), cell_size_m=50, alpha=0.01)
    assert not strict["hotspot_class"].isin(["hot_90", "hot_95", "cold_90", "cold_95"]).any()
    assert strict.attrs["method"].alpha == 0.01


def test_outside_incidents_warn_and_are_recorded():
    xy = [[150, 150], [250, 250], [5000, 5000]]
    with pytest.warns(UserWarning, match="1 incidents fall outside"):
        cells = find_hotspots(_points(xy), area=_square(), cell_size_m=100)
    assert cells["incident_count"].sum() == 2
    assert cells.attrs["method"].n_incidents_outside == 1


def test_missing_geometry_warns():
    frame = _points([[150, 150], [250, 250], [450, 450]])
    frame.loc[1, "geometry"] = None
    with pytest.warns(UserWarning, match="1 incidents have no geometry"):
        cells = find_hotspots(frame, area=_square(), cell_size_m=100)
    assert cells["incident_count"].sum() == 2
    assert cells.attrs["method"].n_incidents_no_geometry == 1


def test_empty_incidents_give_undefined_z():
    with pytest.warns(UserWarning, match="Gi\\* is undefined for 100 of 100 cells"):
        cells = find_hotspots(_points(np.empty((0, 2))), area=_square(), cell_size_m=100)
    assert (cells["incident_count"] == 0).all()
    assert cells["gi_star_z"].isna().all() and cells["p_value"].isna().all()
    assert (cells["hotspot_class"] == "not_significant").all()


def test_one_incident():
    cells = find_hotspots(_points([[550, 550]]), area=_square(), cell_size_m=100)
    assert cells["incident_count"].sum() == 1
    assert cells.loc[cells["incident_count"] == 1, "gi_star_z"].iloc[0] > 0


def test_one_incident_without_area_uses_its_cell():
    with pytest.warns(UserWarning, match="undefined for 1 of 1 cells"):
        cells = find_hotspots(_points([[550, 550]]), cell_size_m=100)
    assert len(cells) == 1 and cells.attrs["method"].area == "bounding box of the incidents"


def test_duplicates_non_unique_index_and_row_order():
    rng = np.random.default_rng(2)
    xy = rng.uniform(0, 1000, (400, 2))
    xy = np.vstack([xy, xy[:50]])  # duplicate locations
    frame = _points(xy)
    frame.index = np.repeat(np.arange(len(xy) // 5 + 1), 5)[: len(xy)]
    a = find_hotspots(frame, area=_square(), cell_size_m=100)
    b = find_hotspots(frame.sample(frac=1, random_state=3), area=_square(), cell_size_m=100)
    pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
    assert a["incident_count"].sum() == 450


def test_epsg4326_input_gives_the_same_answer(burglary_2019, gla_wards):
    camden = gla_wards[gla_wards["borough_name"] == "Camden"]
    sample = burglary_2019.iloc[::7]
    with pytest.warns(UserWarning, match="fall outside"):
        a = find_hotspots(sample, area=camden, cell_size_m=100)
    with pytest.warns(UserWarning, match="fall outside"):
        b = find_hotspots(sample.to_crs(4326), area=camden.to_crs(4326), cell_size_m=100)
    pd.testing.assert_series_equal(a["incident_count"], b["incident_count"])
    np.testing.assert_allclose(a["gi_star_z"], b["gi_star_z"], atol=1e-12)


def test_method_records_automatic_choices(gla_wards, burglary_2019):
    with pytest.warns(UserWarning, match="fall outside"):
        cells = find_hotspots(burglary_2019, area=gla_wards)
    m = cells.attrs["method"]
    assert m.cell_size_m == 900 and "sfhotspot" in m.cell_size_rule
    assert m.neighbour_distance_m == 1350 and "3 x 3" in m.neighbour_rule
    assert m.n_incidents + m.n_incidents_outside == len(burglary_2019)
    assert "Benjamini-Hochberg" in m.describe()
    assert m.to_dict()["grid"]["cell_size_m"] == 900


def test_no_crs():
    frame = gpd.GeoDataFrame(geometry=shapely.points([[1.0, 2.0]]))
    with pytest.raises(CRSError, match="`incidents` has no CRS"):
        find_hotspots(frame, area=_square(), cell_size_m=100)


@pytest.mark.parametrize("alpha", [0.2, 0, "0.05", True])
def test_bad_alpha(alpha):
    with pytest.raises(ValueError, match="`alpha` must be one of 0.10, 0.05 or 0.01"):
        find_hotspots(_points([[1, 1]]), area=_square(), cell_size_m=100, alpha=alpha)


@pytest.mark.parametrize("distance", [0, -5, float("inf")])
def test_bad_neighbour_distance(distance):
    with pytest.raises(ValueError, match="`neighbour_distance_m` must be a positive number"):
        find_hotspots(
            _points([[1, 1]]), area=_square(), cell_size_m=100, neighbour_distance_m=distance
        )


# --------------------------------------------------------------------------------------------------
# The array result: hotspot_grid / HotspotGrid


@pytest.fixture(scope="module")
def westminster_grid(burglary_2019, gla_wards):
    from snt_geo.linkage.hotspots import hotspot_grid

    wards = gla_wards[gla_wards["borough_code"] == "E09000033"]
    with pytest.warns(UserWarning, match="outside the cells"):
        return hotspot_grid(burglary_2019, area=wards, cell_size_m=100), wards


def test_hotspot_grid_to_frame_equals_find_hotspots(westminster_grid, burglary_2019):
    result, wards = westminster_grid
    with pytest.warns(UserWarning, match="outside the cells"):
        expected = find_hotspots(burglary_2019, area=wards, cell_size_m=100)
    got = result.to_frame()
    pd.testing.assert_frame_equal(got.drop(columns="geometry"), expected.drop(columns="geometry"))
    assert got.geometry.geom_equals_exact(expected.geometry, tolerance=0).all()
    assert got.attrs["method"] == expected.attrs["method"]


def test_hotspot_grid_selections_build_only_the_cells_asked_for(westminster_grid):
    result, wards = westminster_grid
    everything = result.to_frame()
    significant = result.to_frame("significant")
    assert (significant["hotspot_class"] != "not_significant").all()
    want = everything.index[everything["hotspot_class"] != "not_significant"]
    assert significant.index.equals(want)
    counts = result.class_counts()
    assert counts == everything["hotspot_class"].value_counts().reindex(HOTSPOT_CLASSES).to_dict()
    # Cells inside one ward: exactly the cells whose interior meets it (GEOS check per cell).
    ward = wards.iloc[[0]]
    inside = result.to_frame(ward)
    meets = everything.geometry.intersects(ward.geometry.iloc[0]) & ~everything.geometry.touches(
        ward.geometry.iloc[0]
    )
    assert inside.index.equals(everything.index[meets.to_numpy()])


def test_hotspot_grid_raster_and_arrays_are_read_only(westminster_grid):
    result, _ = westminster_grid
    z = result.raster("gi_star_z")
    assert z.shape == (result.grid.n_rows, result.grid.n_cols)
    assert np.isnan(z[~result.mask]).all()
    np.testing.assert_array_equal(z[result.mask], result.values["gi_star_z"])
    with pytest.raises(ValueError, match="read-only"):
        result.values["gi_star_z"][0] = 1.0
    with pytest.raises(TypeError):
        result.values["gi_star_z"] = None  # type: ignore[index]


def test_hotspot_grid_bad_selection_names_the_argument(westminster_grid):
    result, _ = westminster_grid
    with pytest.raises(ValueError, match="`cells` must be 'all', 'significant'"):
        result.to_frame("hot")
    with pytest.raises(ValueError, match="`cells` as an array must be boolean"):
        result.to_frame(np.ones(3, dtype=bool))
    with pytest.raises(KeyError, match="`column` 'z'"):
        result.raster("z")


def test_hotspot_grid_geotiff_round_trip(westminster_grid, tmp_path):
    rasterio = pytest.importorskip("rasterio")
    result, _ = westminster_grid
    path = result.to_geotiff(tmp_path / "gi.tif", columns=["gi_star_z", "hotspot_class"])
    spec = result.grid
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 27700
        assert (src.width, src.height) == (spec.n_cols, spec.n_rows)
        t = src.transform
        assert (t.a, t.e, t.c, t.f) == (
            spec.cell_size_m,
            -spec.cell_size_m,
            spec.x0,
            spec.y0 + spec.n_rows * spec.cell_size_m,
        )
        assert src.descriptions == ("gi_star_z", "hotspot_class")
        z = src.read(1)[::-1]
        cls = src.read(2)[::-1]
        assert src.tags(2)["categories"] == ",".join(HOTSPOT_CLASSES)
        # The centre of cell (row, col) maps back to that pixel through the file's transform.
        rows, cols = np.divmod(result.cell_ids, spec.n_cols)
        cx, cy = spec.centres(rows, cols)
        pix_rows, pix_cols = rasterio.transform.rowcol(src.transform, cx, cy)
        raw = src.read(1)
        np.testing.assert_array_equal(raw[pix_rows, pix_cols], result.values["gi_star_z"])
    np.testing.assert_array_equal(z[result.mask], result.values["gi_star_z"])
    assert np.isnan(z[~result.mask]).all()
    np.testing.assert_array_equal(cls[result.mask], result.values["hotspot_class"].codes)
