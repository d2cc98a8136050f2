"""Tests for snt_geo.linkage.grid: whole square cells over a study area."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from snt_geo.errors import CRSError, SchemaError
from snt_geo.linkage.grid import GridSpec, default_cell_size_m, make_grid

pytestmark = pytest.mark.filterwarnings("ignore:.*dropped.*:UserWarning")


@pytest.fixture(scope="module")
def gla_wards(shared_data):
    from snt_geo.io import read_wards

    return read_wards(
        shared_data / "gla-statistical-gis-boundaries-london/ESRI/London_Ward_CityMerged.shp"
    )


def _brute_force_mask(frame_spec: GridSpec, area: gpd.GeoSeries) -> np.ndarray:
    """Every candidate cell tested with GEOS: kept when its interior meets a polygon's."""
    n = frame_spec.n_rows * frame_spec.n_cols
    rows, cols = np.divmod(np.arange(n), frame_spec.n_cols)
    s = frame_spec.cell_size_m
    x = frame_spec.x0 + cols * s
    y = frame_spec.y0 + rows * s
    boxes = shapely.box(x, y, x + s, y + s)
    polys = area.geometry.to_numpy()
    box_i, poly_i = shapely.STRtree(polys).query(boxes, predicate="intersects")
    inner = ~shapely.touches(boxes[box_i], polys[poly_i])
    keep = np.zeros(n, dtype=bool)
    keep[box_i[inner]] = True
    return keep


def test_small_rectangle_known_cells():
    square = gpd.GeoSeries([shapely.box(0, 0, 250, 100)], crs="EPSG:27700")
    cells = make_grid(square, cell_size_m=100)
    # Three cells overlap; the row above only touches the top edge and is not kept.
    assert list(cells.index) == [0, 1, 2]
    assert cells[["row", "col"]].to_numpy().tolist() == [[0, 0], [0, 1], [0, 2]]
    assert np.allclose(cells.area, 10_000)
    assert cells.crs.to_epsg() == 27700
    spec = cells.attrs["grid"]
    assert (spec.x0, spec.y0, spec.cell_size_m, spec.cell_size_rule) == (0, 0, 100, "given")


def test_cells_are_whole_and_aligned_to_the_national_grid():
    area = gpd.GeoSeries([shapely.Point(530_123.4, 180_456.7).buffer(420)], crs=27700)
    cells = make_grid(area, cell_size_m=50)
    b = cells.bounds.to_numpy()
    assert np.allclose(b[:, 2] - b[:, 0], 50) and np.allclose(b[:, 3] - b[:, 1], 50)
    assert np.allclose(np.mod(b[:, :2], 50), 0)
    spec = cells.attrs["grid"]
    assert np.array_equal(cells.index, cells["row"] * spec.n_cols + cells["col"])
    assert cells.index.is_monotonic_increasing


def test_hole_is_left_out():
    ring = shapely.box(0, 0, 1000, 1000).difference(shapely.box(300, 300, 700, 700))
    cells = make_grid(gpd.GeoSeries([ring], crs=27700), cell_size_m=100)
    assert len(cells) == 100 - 16
    assert not ((cells.row.between(3, 6)) & (cells.col.between(3, 6))).any()


@pytest.mark.parametrize("cell_size_m", [500, 293])
def test_mask_equals_geos_on_london_wards(gla_wards, cell_size_m):
    cells = make_grid(gla_wards, cell_size_m=cell_size_m)
    spec = cells.attrs["grid"]
    expected = np.flatnonzero(_brute_force_mask(spec, gla_wards))
    assert np.array_equal(cells.index.to_numpy(), expected)


def test_mask_equals_geos_on_city_wards_at_25m(shared_data):
    from snt_geo.io import read_wards

    wards = read_wards(shared_data / "gla-statistical-gis-boundaries-london/ESRI/London_Ward.shp")
    city = wards[wards["borough_code"] == "E09000001"]
    cells = make_grid(city, cell_size_m=25)
    expected = np.flatnonzero(_brute_force_mask(cells.attrs["grid"], city))
    assert np.array_equal(cells.index.to_numpy(), expected)


def test_automatic_cell_size_is_recorded(gla_wards):
    cells = make_grid(gla_wards)
    spec = cells.attrs["grid"]
    xmin, ymin, xmax, ymax = gla_wards.total_bounds
    expected = np.floor(min(xmax - xmin, ymax - ymin) / 50 / 10) * 10
    assert spec.cell_size_m == expected == 900
    assert "/ 50" in spec.cell_size_rule


def test_default_cell_size_floor():
    assert default_cell_size_m((0, 0, 100, 100)) == 10
    assert default_cell_size_m((0, 0, 5000, 2600)) == 50


def test_epsg4326_area_gives_the_same_cells(gla_wards):
    some = gla_wards.iloc[:40]
    a = make_grid(some, cell_size_m=300)
    b = make_grid(some.to_crs(4326), cell_size_m=300)
    # Reprojection moves vertices by nanometres; only a cell grazed within that could differ.
    assert len(a.index.symmetric_difference(b.index)) <= 2
    assert len(a) > 100


@pytest.mark.parametrize("bad", [0, -250, float("nan"), "100", True])
def test_bad_cell_size(bad):
    area = gpd.GeoSeries([shapely.box(0, 0, 100, 100)], crs=27700)
    with pytest.raises(ValueError, match="`cell_size_m` must be a positive number of metres"):
        make_grid(area, cell_size_m=bad)


def test_points_as_area_rejected():
    pts = gpd.GeoSeries([shapely.Point(0, 0)], crs=27700)
    with pytest.raises(SchemaError, match="`area` must hold polygons"):
        make_grid(pts, cell_size_m=10)


def test_empty_area_rejected():
    with pytest.raises(SchemaError, match="no non-empty polygons"):
        make_grid(gpd.GeoSeries([shapely.Polygon()], crs=27700), cell_size_m=10)


def test_no_crs_rejected():
    with pytest.raises(CRSError, match="`area` has no CRS"):
        make_grid(gpd.GeoSeries([shapely.box(0, 0, 100, 100)]), cell_size_m=10)


def test_grid_too_large_for_memory_is_refused_quickly(gla_wards):
    from snt_geo.errors import ResourceLimitError
    from snt_geo.linkage import hotspot_grid, kernel_density_grid

    pts = gpd.GeoSeries(gla_wards.geometry.representative_point().to_numpy(), crs=gla_wards.crs)
    with pytest.raises(ResourceLimitError, match="cell_size_m"):
        hotspot_grid(pts, area=gla_wards, cell_size_m=0.5)
    with pytest.raises(ResourceLimitError, match="bandwidth_m"):
        kernel_density_grid(pts, area=gla_wards, cell_size_m=100, bandwidth_m=1e7)


def test_to_frame_of_too_many_cells_is_refused(gla_wards, monkeypatch):
    from snt_geo.errors import ResourceLimitError
    from snt_geo.linkage import hotspot_grid

    pts = gpd.GeoSeries(gla_wards.geometry.representative_point().to_numpy(), crs=gla_wards.crs)
    result = hotspot_grid(pts, area=gla_wards, cell_size_m=500)
    monkeypatch.setenv("SNT_GEO_MEMORY_LIMIT_GB", str(200 * result.n_cells / 2**30))
    with pytest.raises(ResourceLimitError, match="to_frame\\('significant'\\)"):
        result.to_frame()
    assert len(result.to_frame(np.arange(result.n_cells) < 10)) == 10


def test_frame_results_are_refused_before_the_work_at_polygon_cost(gla_wards, monkeypatch):
    """find_hotspots builds one polygon per cell: its refusal comes up front, at 400 B/cell,
    where hotspot_grid (arrays only) still fits."""
    from snt_geo.errors import ResourceLimitError
    from snt_geo.linkage import find_hotspots, hotspot_grid

    pts = gpd.GeoSeries(gla_wards.geometry.representative_point().to_numpy(), crs=gla_wards.crs)
    probe = hotspot_grid(pts, area=gla_wards, cell_size_m=500)
    candidates = probe.grid.n_rows * probe.grid.n_cols
    monkeypatch.setenv("SNT_GEO_MEMORY_LIMIT_GB", str(200 * candidates / 2**30))
    assert hotspot_grid(pts, area=gla_wards, cell_size_m=500).n_cells == probe.n_cells
    with pytest.raises(ResourceLimitError, match="cell_size_m"):
        find_hotspots(pts, area=gla_wards, cell_size_m=500)
