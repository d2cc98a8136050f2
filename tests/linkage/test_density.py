"""Tests for snt_geo.linkage.density: exact kernel sums against brute force and scikit-learn."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

from snt_geo.errors import CRSError, SchemaError
from snt_geo.linkage.density import (
    default_bandwidth_m,
    dual_kernel_density,
    kernel_density,
)


@pytest.fixture(scope="module")
def city_incidents(shared_data):
    from snt_geo.io import read_police_uk

    with pytest.warns(UserWarning):
        return read_police_uk(shared_data / "police-uk-city-of-london/street")


@pytest.fixture(scope="module")
def city_wards(shared_data):
    from snt_geo.io import read_wards

    wards = read_wards(shared_data / "gla-statistical-gis-boundaries-london/ESRI/London_Ward.shp")
    return wards[wards["borough_code"] == "E09000001"]


@pytest.fixture(scope="module")
def burglary_jan_2019(shared_data):
    from snt_geo.io import read_police_uk

    with pytest.warns(UserWarning):
        return read_police_uk(
            shared_data / "police-uk-metropolitan-street-burglary-only", months=["2019-01"]
        )


def _points(xy, crs=27700, **columns):
    return gpd.GeoDataFrame(columns, geometry=shapely.points(np.asarray(xy, float)), crs=crs)


def _brute_force(cells, xy, h, kernel="quartic", weights=None):
    """Direct double loop over cell centres x every incident row (duplicates included)."""
    spec = cells.attrs["method"].grid
    cx, cy = spec.centres(cells["row"].to_numpy(), cells["col"].to_numpy())
    w = np.ones(len(xy)) if weights is None else np.asarray(weights, float)
    out = np.zeros(len(cx))
    for i in range(0, len(cx), 500):
        dx = cx[i : i + 500, None] - xy[None, :, 0]
        dy = cy[i : i + 500, None] - xy[None, :, 1]
        d2 = dx * dx + dy * dy
        r = np.where(d2 < h * h, 1.0 - d2 / (h * h), 0.0)
        profile = r * r if kernel == "quartic" else r
        out[i : i + 500] = profile @ w
    norm = 3 / math.pi if kernel == "quartic" else 2 / math.pi
    return 1e6 * norm / (h * h) * out


def _assert_relative(got, expected, rtol=1e-6):
    got, expected = np.asarray(got), np.asarray(expected)
    assert np.array_equal(got == 0, expected == 0)
    nz = expected != 0
    assert np.max(np.abs(got[nz] / expected[nz] - 1)) < rtol


def test_quartic_equals_brute_force_on_city_of_london(city_incidents, city_wards):
    bandwidth_m = 231.7
    cells = kernel_density(city_incidents, area=city_wards, cell_size_m=25, bandwidth_m=bandwidth_m)
    xy = shapely.get_coordinates(city_incidents.geometry.to_numpy())
    _assert_relative(cells["density_per_km2"], _brute_force(cells, xy, bandwidth_m))
    assert cells.attrs["method"].n_locations < len(xy)  # duplicates summed, not lost


def test_quartic_equals_brute_force_on_met_burglary(burglary_jan_2019):
    area = gpd.GeoSeries([shapely.box(520_000, 176_000, 532_000, 186_000)], crs=27700)
    cells = kernel_density(burglary_jan_2019, area=area, cell_size_m=125, bandwidth_m=900)
    xy = shapely.get_coordinates(burglary_jan_2019.geometry.to_numpy())
    _assert_relative(cells["density_per_km2"], _brute_force(cells, xy, 900.0))


def test_epanechnikov_equals_scikit_learn(burglary_jan_2019):
    from sklearn.neighbors import KernelDensity

    area = gpd.GeoSeries([shapely.box(525_000, 178_000, 533_000, 184_000)], crs=27700)
    cells = kernel_density(
        burglary_jan_2019, area=area, cell_size_m=100, bandwidth_m=600, kernel="epanechnikov"
    )
    xy = shapely.get_coordinates(burglary_jan_2019.geometry.to_numpy())
    centres = np.column_stack([cells.geometry.centroid.x, cells.geometry.centroid.y])
    kde = KernelDensity(kernel="epanechnikov", bandwidth=600).fit(xy)
    expected = 1e6 * len(xy) * np.exp(kde.score_samples(centres))
    got = cells["density_per_km2"].to_numpy()
    # scikit-learn's log-space sums leave ~1e-13 where no incident is within the bandwidth;
    # those cells are exactly zero here.
    empty = expected < 1e-9 * expected.max()
    assert empty.any() and (got[empty] == 0).all()
    _assert_relative(got[~empty], expected[~empty])


def test_surface_integrates_to_the_count_away_from_edges():
    rng = np.random.default_rng(0)
    xy = rng.normal(5000, 300, (500, 2))
    area = gpd.GeoSeries([shapely.box(0, 0, 10_000, 10_000)], crs=27700)
    cells = kernel_density(_points(xy), area=area, cell_size_m=25, bandwidth_m=400)
    total = cells["density_per_km2"].sum() * (25 * 25) / 1e6
    assert total == pytest.approx(500, rel=1e-3)


def test_single_incident_kernel_shape():
    cells = kernel_density(_points([[5013.0, 5004.0]]), cell_size_m=20, bandwidth_m=100)
    assert len(cells) == 1  # the incident's own cell when no area is given
    d = math.hypot(3, 6)  # from the cell centre (5010, 5010)
    expected = 1e6 * 3 / (math.pi * 100**2) * (1 - (d / 100) ** 2) ** 2
    assert cells["density_per_km2"].iloc[0] == pytest.approx(expected, rel=1e-12)


def test_weights_equal_repeated_rows():
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 2000, (60, 2))
    counts = rng.integers(1, 4, 60)
    area = gpd.GeoSeries([shapely.box(0, 0, 2000, 2000)], crs=27700)
    weighted = kernel_density(
        _points(xy, n=counts), area=area, cell_size_m=50, bandwidth_m=300, weight_column="n"
    )
    repeated = kernel_density(
        _points(np.repeat(xy, counts, axis=0)), area=area, cell_size_m=50, bandwidth_m=300
    )
    np.testing.assert_allclose(weighted["density_per_km2"], repeated["density_per_km2"], rtol=1e-9)


def test_default_bandwidth_is_arcgis_rule(burglary_jan_2019):
    xy = shapely.get_coordinates(burglary_jan_2019.geometry.to_numpy())
    centre = xy.mean(axis=0)
    dist = np.hypot(*(xy - centre).T)
    sd = math.sqrt((dist**2).mean())
    dm = np.median(dist)
    expected = 0.9 * min(sd, math.sqrt(1 / math.log(2)) * dm) * len(xy) ** -0.2
    assert default_bandwidth_m(xy) == pytest.approx(expected, rel=1e-3)
    area = gpd.GeoSeries([shapely.box(525_000, 178_000, 530_000, 182_000)], crs=27700)
    cells = kernel_density(burglary_jan_2019, area=area, cell_size_m=250)
    m = cells.attrs["method"]
    assert m.bandwidth_m == pytest.approx(expected, rel=1e-3)
    assert "ArcGIS" in m.bandwidth_rule and "ArcGIS" in m.describe() or "bandwidth" in m.describe()


def test_epsg4326_input_gives_the_same_answer(burglary_jan_2019):
    area = gpd.GeoSeries([shapely.box(525_000, 178_000, 530_000, 182_000)], crs=27700)
    a = kernel_density(burglary_jan_2019, area=area, cell_size_m=100, bandwidth_m=500)
    b = kernel_density(burglary_jan_2019.to_crs(4326), area=area, cell_size_m=100, bandwidth_m=500)
    assert a.index.equals(b.index)
    # The lon/lat round trip moves points by up to 1 mm, which moves a 500 m quartic kernel's
    # value by well under 0.1%.
    top = a["density_per_km2"].max()
    np.testing.assert_allclose(
        a["density_per_km2"], b["density_per_km2"], rtol=1e-3, atol=1e-6 * top
    )


def test_row_order_and_non_unique_index(burglary_jan_2019):
    area = gpd.GeoSeries([shapely.box(525_000, 178_000, 530_000, 182_000)], crs=27700)
    shuffled = burglary_jan_2019.sample(frac=1, random_state=0)
    shuffled.index = np.zeros(len(shuffled), dtype=int)
    a = kernel_density(burglary_jan_2019, area=area, cell_size_m=100, bandwidth_m=500)
    b = kernel_density(shuffled, area=area, cell_size_m=100, bandwidth_m=500)
    # Summation order changes with row order: equal up to rounding.
    np.testing.assert_allclose(a["density_per_km2"], b["density_per_km2"], rtol=1e-9)


def test_empty_incidents_give_zero_density():
    area = gpd.GeoSeries([shapely.box(0, 0, 500, 500)], crs=27700)
    with pytest.warns(UserWarning, match="no incidents to smooth"):
        cells = kernel_density(_points(np.empty((0, 2))), area=area, cell_size_m=100)
    assert len(cells) == 25 and (cells["density_per_km2"] == 0).all()


def test_one_location_needs_a_bandwidth():
    area = gpd.GeoSeries([shapely.box(0, 0, 500, 500)], crs=27700)
    with pytest.raises(ValueError, match="pass `bandwidth_m` in metres"):
        kernel_density(_points([[100, 100], [100, 100]]), area=area, cell_size_m=100)


def test_missing_geometry_warns():
    frame = _points([[100, 100], [200, 200]])
    frame.loc[0, "geometry"] = None
    with pytest.warns(UserWarning, match="1 incidents have no geometry"):
        cells = kernel_density(frame, cell_size_m=10, bandwidth_m=50)
    assert cells.attrs["method"].n_incidents == 1


def test_dual_density_ratio_and_risk(burglary_jan_2019):
    area = gpd.GeoSeries([shapely.box(525_000, 178_000, 530_000, 182_000)], crs=27700)
    half = burglary_jan_2019.iloc[::2]
    cells = dual_kernel_density(
        half, burglary_jan_2019, area=area, cell_size_m=100, bandwidth_m=500
    )
    single = kernel_density(half, area=area, cell_size_m=100, bandwidth_m=500)
    reference = kernel_density(burglary_jan_2019, area=area, cell_size_m=100, bandwidth_m=500)
    np.testing.assert_allclose(cells["density_per_km2"], single["density_per_km2"], rtol=1e-12)
    np.testing.assert_allclose(
        cells["reference_density_per_km2"], reference["density_per_km2"], rtol=1e-12
    )
    ok = reference["density_per_km2"] > 0
    ratio = single["density_per_km2"][ok] / reference["density_per_km2"][ok]
    np.testing.assert_allclose(cells["density_ratio"][ok], ratio, rtol=1e-12)
    share = len(burglary_jan_2019) / len(half)
    np.testing.assert_allclose(cells["risk_ratio"][ok], ratio * share, rtol=1e-12)
    assert cells["density_ratio"][~ok].isna().all()
    same = dual_kernel_density(half, half, area=area, cell_size_m=100, bandwidth_m=500)
    both = same["reference_density_per_km2"] > 0
    np.testing.assert_allclose(same["risk_ratio"][both], 1.0, rtol=1e-12)


def test_dual_with_population_weights():
    pop = _points([[100, 100], [900, 900]], population=[1000, 10])
    inc = _points([[100, 100]] * 5 + [[900, 900]] * 5)
    area = gpd.GeoSeries([shapely.box(0, 0, 1000, 1000)], crs=27700)
    cells = dual_kernel_density(
        inc, pop, area=area, cell_size_m=200, bandwidth_m=300, reference_weight_column="population"
    )
    low = cells.loc[(cells["row"] == 0) & (cells["col"] == 0), "density_ratio"].iloc[0]
    high = cells.loc[(cells["row"] == 4) & (cells["col"] == 4), "density_ratio"].iloc[0]
    assert low == pytest.approx(5 / 1000) and high == pytest.approx(5 / 10)


def test_errors():
    pts = _points([[0, 0], [10, 10]])
    with pytest.raises(ValueError, match="`kernel` must be one of"):
        kernel_density(pts, cell_size_m=10, bandwidth_m=50, kernel="gaussian")
    with pytest.raises(ValueError, match="`bandwidth_m` must be a positive number of metres"):
        kernel_density(pts, cell_size_m=10, bandwidth_m=-1)
    with pytest.raises(SchemaError, match="`weight_column` = 'pop' is not a column"):
        kernel_density(pts, cell_size_m=10, bandwidth_m=50, weight_column="pop")
    with pytest.raises(CRSError, match="`incidents` has no CRS"):
        kernel_density(pts.set_crs(None, allow_override=True), cell_size_m=10, bandwidth_m=50)


def test_density_grid_equals_the_frame_functions(burglary_jan_2019):
    from snt_geo.linkage.density import dual_kernel_density_grid, kernel_density_grid

    pts = burglary_jan_2019.iloc[:3000]
    ref = burglary_jan_2019.iloc[3000:6000]
    kw = dict(cell_size_m=200, bandwidth_m=500)
    result = kernel_density_grid(pts, **kw)
    frame = kernel_density(pts, **kw)
    np.testing.assert_array_equal(result.values["density_per_km2"], frame["density_per_km2"])
    assert result.method == frame.attrs["method"]
    assert result.reference_method is None
    positive = result.to_frame("positive")
    assert positive.index.equals(frame.index[frame["density_per_km2"] > 0])
    dual = dual_kernel_density_grid(pts, ref, **kw)
    dual_frame = dual_kernel_density(pts, ref, **kw)
    got = dual.to_frame()
    pd_cols = ["density_per_km2", "reference_density_per_km2", "density_ratio", "risk_ratio"]
    for col in pd_cols:
        np.testing.assert_array_equal(got[col], dual_frame[col])
    assert got.attrs["reference_method"] == dual_frame.attrs["reference_method"]
    with pytest.raises(ValueError, match="`cells` must be 'all', 'positive'"):
        result.to_frame("significant")


def test_density_geotiff_reopens_with_the_same_values(burglary_jan_2019, tmp_path):
    rasterio = pytest.importorskip("rasterio")
    from snt_geo.linkage.density import kernel_density_grid

    result = kernel_density_grid(burglary_jan_2019.iloc[:2000], cell_size_m=250, bandwidth_m=600)
    path = result.to_geotiff(tmp_path / "kde.tif")
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 27700
        assert src.res == (250.0, 250.0)
        assert (src.bounds.left, src.bounds.bottom) == (result.grid.x0, result.grid.y0)
        band = src.read(1)[::-1]
    np.testing.assert_array_equal(band[result.mask], result.values["density_per_km2"])


def test_area_may_be_an_earlier_grid_result(burglary_jan_2019, shared_data):
    from snt_geo.io import read_wards
    from snt_geo.linkage import hotspot_grid
    from snt_geo.linkage.density import kernel_density_grid

    wards = read_wards(
        shared_data / "gla-statistical-gis-boundaries-london/ESRI/London_Ward_CityMerged.shp"
    )
    wards = wards[wards["borough_code"] == "E09000033"]
    pts = burglary_jan_2019
    with pytest.warns(UserWarning):
        gi = hotspot_grid(pts, area=wards, cell_size_m=100)
    reused = kernel_density_grid(pts, area=gi, bandwidth_m=400)
    direct = kernel_density_grid(pts, area=wards, cell_size_m=100, bandwidth_m=400)
    assert reused.grid == direct.grid
    np.testing.assert_array_equal(reused.mask, direct.mask)
    np.testing.assert_array_equal(
        reused.values["density_per_km2"], direct.values["density_per_km2"]
    )
    with pytest.raises(ValueError, match="`cell_size_m` = 50 differs"):
        kernel_density_grid(pts, area=gi, cell_size_m=50, bandwidth_m=400)
