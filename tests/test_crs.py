import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from snt_geo.crs import (
    WORKING_CRS,
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
