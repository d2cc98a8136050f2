import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from snt_geo.crs import (
    WORKING_CRS,
    check_plausible_xy,
    is_british_national_grid,
    project_xy,
    to_working_crs,
)
from snt_geo.errors import CRSError

GLA_PRJ = "gla-statistical-gis-boundaries-london/ESRI/London_Ward.prj"


def test_gla_esri_prj_is_recognised_as_bng(shared_data):
    wkt = (shared_data / GLA_PRJ).read_text()
    crs = pyproj.CRS(wkt)
    assert crs.to_epsg() is None  # the fact the reader has to cope with
    assert is_british_national_grid(crs)
    assert is_british_national_grid("EPSG:27700")
    assert not is_british_national_grid("EPSG:4326")
    assert not is_british_national_grid("EPSG:32630")
    assert not is_british_national_grid(None)


def test_esri_bng_frame_is_relabelled_without_moving(shared_data):
    wkt = (shared_data / GLA_PRJ).read_text()
    frame = gpd.GeoDataFrame(geometry=[shapely.Point(530000, 180000)], crs=wkt)
    out = to_working_crs(frame, argument="wards")
    assert out.crs.to_epsg() == 27700
    assert out.geometry.iloc[0].equals(frame.geometry.iloc[0])
    assert frame.crs.to_epsg() is None  # input untouched


def test_lonlat_is_projected_like_pyproj():
    lon, lat = np.array([-0.0922, -0.1276]), np.array([51.5155, 51.5072])
    x, y = project_xy(lon, lat, "EPSG:4326")
    ref = pyproj.Transformer.from_crs(4326, 27700, always_xy=True).transform(lon, lat)
    np.testing.assert_allclose(x, ref[0], atol=1e-6)
    np.testing.assert_allclose(y, ref[1], atol=1e-6)
    frame = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
    out = to_working_crs(frame, argument="incidents")
    assert out.crs == WORKING_CRS
    np.testing.assert_allclose(out.geometry.x, ref[0], atol=1e-6)


def test_missing_crs_names_argument_and_both_fixes():
    frame = gpd.GeoDataFrame(geometry=[shapely.Point(-0.1, 51.5)])
    with pytest.raises(CRSError, match=r"`estates` has no CRS.*EPSG:4326.*EPSG:27700"):
        to_working_crs(frame, argument="estates")


def test_swapped_lonlat_raises_with_coordinate_and_hint():
    frame = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy([-0.09, 51.5155], [51.5155, -0.0922]), crs=4326
    )
    with pytest.raises(CRSError, match=r"1 geometries outside Great Britain.*row 1.*swapped"):
        to_working_crs(frame, argument="incidents")


def test_crs_error_is_a_value_error():
    assert issubclass(CRSError, ValueError)


def test_not_a_geodataframe():
    with pytest.raises(TypeError, match="`wards` must be a GeoDataFrame"):
        to_working_crs([1, 2], argument="wards")


# --- issue 16 item 3: coordinates that contradict their CRS label --------------------------------

CITY_LONLAT = (np.array([-0.0922, -0.1124, -0.0781]), np.array([51.5155, 51.5154, 51.5101]))


def _city(kind: str) -> gpd.GeoDataFrame:
    lon, lat = CITY_LONLAT
    e, n = pyproj.Transformer.from_crs(4326, 27700, always_xy=True).transform(lon, lat)
    xy, crs = {
        "lonlat_as_bng": ((lon, lat), 27700),
        "latlon_as_bng": ((lat, lon), 27700),
        "latlon_as_4326": ((lat, lon), 4326),
        "swapped_bng": ((n, e), 27700),
        "metres_as_4326": ((e, n), 4326),
        "wards_swapped_bng": ((n, e), 27700),
    }[kind]
    geom = gpd.points_from_xy(*xy)
    if kind.startswith("wards"):
        geom = geom.buffer(100)
    return gpd.GeoDataFrame({"name": ["a", "b", "c"]}, geometry=geom, crs=crs)


@pytest.mark.parametrize(
    ("kind", "match"),
    [
        (
            "lonlat_as_bng",
            r'labelled EPSG:27700 .* longitude/latitude degrees.*set_crs\("EPSG:4326"',
        ),
        ("latlon_as_bng", r"latitude/longitude degrees in the wrong order.*EPSG:4326"),
        ("latlon_as_4326", r"latitude first and longitude second.*swapped"),
        ("swapped_bng", r"easting and northing swapped: every point lies out at sea"),
        ("wards_swapped_bng", r"easting and northing swapped"),
        ("metres_as_4326", r'labelled EPSG:4326 \(degrees\) but .* metres.*set_crs\("EPSG:27700"'),
    ],
)
@pytest.mark.parametrize("check_bounds", [True, False])
def test_crs_contradicted_by_coordinates(kind, match, check_bounds):
    with pytest.raises(CRSError, match=rf"`places` .*{match}"):
        to_working_crs(_city(kind), argument="places", check_bounds=check_bounds)


def test_real_data_is_never_called_swapped(shared_data):
    # Coastal data (Northumbria, Lancashire) lies within 9 km of the coarse outline: accepted.
    for name in ("northumbria_asb.tab", "lancashire_asb.tab"):
        df = pd.read_csv(shared_data / "police-uk-derived-crimemappingdata" / name, sep="\t")
        frame = gpd.GeoDataFrame(
            geometry=gpd.points_from_xy(df["longitude"], df["latitude"]), crs=4326
        )
        out = to_working_crs(frame, argument="incidents")
        # The same points labelled correctly in metres are accepted too.
        to_working_crs(out, argument="incidents")


@pytest.mark.parametrize(
    "geom",
    [shapely.box(0, 0, 100, 100), shapely.Point(0, 0), shapely.box(530000, 180000, 531000, 181000)],
)
def test_small_synthetic_frames_in_metres_are_accepted(geom):
    to_working_crs(gpd.GeoSeries([geom], crs=27700), argument="area")


def test_check_plausible_xy_messages_use_the_callers_fix():
    lon, lat = CITY_LONLAT
    with pytest.raises(CRSError, match=r"`df\[\['lon', 'lat'\]\]`.*pass crs=\"EPSG:4326\""):
        check_plausible_xy(
            lon, lat, crs=27700, argument="df[['lon', 'lat']]", relabel='pass crs="{crs}"'
        )


def test_large_arrays_are_projected_on_every_core_with_the_same_result():
    # Above _POINTS_PER_THREAD per core the projection is split across threads: bit for bit the
    # same as one pyproj call, NaN kept in place.
    rng = np.random.default_rng(5)
    n = 2 * 100_000 + 7
    lon, lat = rng.uniform(-0.5, 0.3, n), rng.uniform(51.3, 51.7, n)
    lon[[0, n // 2, n - 1]] = np.nan
    x, y = project_xy(lon, lat, "EPSG:4326")
    ref = pyproj.Transformer.from_crs(4326, 27700, always_xy=True).transform(lon, lat)
    np.testing.assert_array_equal(x, ref[0])
    np.testing.assert_array_equal(y, ref[1])


def _project_in_child(lon, lat):
    x, y = project_xy(lon, lat, "EPSG:4326")
    raise SystemExit(0 if np.isfinite(x).all() and np.isfinite(y).all() else 3)


def test_large_projection_in_a_forked_child_does_not_hang():
    # The projection threads live in a pool kept for the process; a forked child inherits the
    # pool without its threads, and used to wait forever for them.
    import multiprocessing

    rng = np.random.default_rng(6)
    lon, lat = rng.uniform(-0.5, 0.3, 250_000), rng.uniform(51.3, 51.7, 250_000)
    project_xy(lon, lat, "EPSG:4326")  # the parent's pool exists now
    child = multiprocessing.get_context("fork").Process(target=_project_in_child, args=(lon, lat))
    child.start()
    child.join(60)
    hung = child.is_alive()
    if hung:
        child.kill()
        child.join()
    assert not hung and child.exitcode == 0
