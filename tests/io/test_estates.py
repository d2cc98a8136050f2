import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from snt_geo.datasets import sample_paths
from snt_geo.errors import CRSError, SchemaError
from snt_geo.io._accounting import read_report
from snt_geo.io.estates import estates_from_frame, read_estates

SQUARE = shapely.box(532100, 182000, 532200, 182100)
POINT = shapely.Point(533800, 181050)


def _places(**columns) -> gpd.GeoDataFrame:
    data = {"name": ["Golden Lane Estate", "Mansell Street Estate"], **columns}
    return gpd.GeoDataFrame(data, geometry=[SQUARE, POINT], crs="EPSG:27700")


def test_sample_estates_file():
    estates = read_estates(sample_paths().estates, layer="estates")
    assert estates.crs.to_epsg() == 27700
    assert estates.index.name == "estate_id" and estates.index.is_unique
    assert list(estates.index) == [
        "golden-lane-estate",
        "middlesex-street-estate",
        "mansell-street-estate",
    ]
    assert estates.loc["golden-lane-estate", "name"] == "Golden Lane Estate"
    assert set(estates.geom_type) == {"Polygon", "Point"}
    assert "construction" in estates.columns and estates["social_housing"].all()
    report = read_report(estates)
    assert report.rows_read == report.rows_kept == 3


def test_polygons_and_points_with_generated_ids():
    estates = estates_from_frame(_places(landlord=["CoL", "Guinness"]))
    assert list(estates.index) == ["golden-lane-estate", "mansell-street-estate"]
    assert list(estates.columns) == ["name", "landlord", "geometry"]
    assert estates.geometry.iloc[0].equals(SQUARE)  # valid input never moves


def test_epsg4326_and_27700_give_the_same_places():
    a = estates_from_frame(_places())
    b = estates_from_frame(_places().to_crs("EPSG:4326"))
    assert b.crs.to_epsg() == 27700
    np.testing.assert_allclose(b.total_bounds, a.total_bounds, atol=0.01)
    assert b.geometry.iloc[0].area == pytest.approx(SQUARE.area, rel=1e-6)


def test_no_crs_is_refused():
    frame = _places().set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match=r"`frame` has no CRS.*set_crs\(\"EPSG:27700\"\)"):
        estates_from_frame(frame)


def test_swapped_coordinates_are_refused():
    frame = gpd.GeoDataFrame({"name": ["x"]}, geometry=[shapely.Point(51.52, -0.09)], crs=4326)
    with pytest.raises(CRSError, match="outside Great Britain"):
        estates_from_frame(frame)


def test_missing_name_column_lists_columns():
    frame = _places().rename(columns={"name": "site"}).assign(ward=["a", "b"])
    with pytest.raises(SchemaError, match=r"no name column recognised.*\['site', 'ward'\]"):
        estates_from_frame(frame)
    with pytest.raises(SchemaError, match="`name_column` is 'nom'"):
        estates_from_frame(frame, name_column="nom")
    assert estates_from_frame(frame, name_column="site")["name"].iloc[0] == "Golden Lane Estate"


def test_all_schema_problems_in_one_error():
    frame = gpd.GeoDataFrame(
        {"site": ["a", "b"], "estate_id": ["e1", "e1"]},
        geometry=[shapely.LineString([(530000, 180000), (530100, 180000)]), POINT],
        crs=27700,
    )
    with pytest.raises(SchemaError) as info:
        estates_from_frame(frame)
    assert len(info.value.problems) == 3
    text = str(info.value)
    assert "no name column" in text and "Linestring" in text and "repeats ['e1']" in text


def test_null_and_empty_geometries_are_dropped_and_counted():
    frame = gpd.GeoDataFrame(
        {"name": ["a", "b", "c"]},
        geometry=[SQUARE, None, shapely.Polygon()],
        crs=27700,
    )
    with pytest.warns(UserWarning, match="null geometry 2"):
        estates = estates_from_frame(frame)
    assert list(estates["name"]) == ["a"]
    report = read_report(estates)
    assert report.rows_read == 3 and report.dropped == {"null_geometry": 2}


def test_invalid_polygon_is_repaired_and_counted():
    bowtie = shapely.Polygon(
        [(530000, 180000), (530100, 180100), (530100, 180000), (530000, 180100)]
    )
    frame = gpd.GeoDataFrame({"name": ["bow"]}, geometry=[bowtie], crs=27700)
    with pytest.warns(UserWarning, match="repaired geometries 1"):
        estates = estates_from_frame(frame)
    geom = estates.geometry.iloc[0]
    assert geom.is_valid and geom.geom_type in ("Polygon", "MultiPolygon")
    assert geom.area == pytest.approx(5000)


def test_duplicate_and_missing_names():
    frame = gpd.GeoDataFrame(
        {"name": ["Block A", "Block A", None, " "]},
        geometry=[SQUARE, SQUARE.buffer(5), POINT, POINT],
        crs=27700,
    )
    with pytest.warns(UserWarning, match="unnamed 2"):
        estates = estates_from_frame(frame)
    assert list(estates.index) == ["block-a", "block-a-2", "estate-2", "estate-3"]
    assert list(estates["name"]) == ["Block A", "Block A", "estate-2", "estate-3"]


def test_id_column_is_the_index():
    estates = estates_from_frame(_places(id=[11, 12]))
    assert list(estates.index) == ["11", "12"] and "id" not in estates.columns


def test_read_from_geojson_file_and_input_untouched(tmp_path):
    frame = _places().to_crs(4326)
    before = frame.copy()
    path = tmp_path / "places.geojson"
    frame.to_file(path, driver="GeoJSON")
    estates = read_estates(path)
    pd.testing.assert_frame_equal(
        pd.DataFrame(frame.drop(columns="geometry")), pd.DataFrame(before.drop(columns="geometry"))
    )
    assert estates.crs.to_epsg() == 27700 and len(estates) == 2
    with pytest.raises(FileNotFoundError, match="`path`"):
        read_estates(tmp_path / "missing.gpkg")


def test_empty_layer():
    frame = gpd.GeoDataFrame({"name": []}, geometry=[], crs=27700)
    estates = estates_from_frame(frame)
    assert len(estates) == 0 and estates.index.name == "estate_id"
