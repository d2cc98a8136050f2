import geopandas as gpd
import pandas as pd
import pytest
import shapely

from snt_geo.errors import CRSError, SchemaError
from snt_geo.io import read_report, read_wards, wards_from_frame

ESRI = "gla-statistical-gis-boundaries-london/ESRI"


def test_gla_city_merged_wards(shared_data):
    wards = read_wards(shared_data / ESRI / "London_Ward_CityMerged.shp")
    assert len(wards) == 625
    assert wards.index.name == "ward_code" and wards.index.is_unique
    assert wards.crs.to_epsg() == 27700  # the ESRI .prj is recognised, not carried
    assert list(wards.columns[:3]) == ["ward_name", "borough_code", "borough_name"]
    assert wards["borough_code"].nunique() == 33
    assert wards.loc["E09000001", "borough_name"] == "City of London"
    assert shapely.is_valid(wards.geometry.to_numpy()).all()
    raw = gpd.read_file(shared_data / ESRI / "London_Ward_CityMerged.shp")
    assert wards.geometry.iloc[0].equals(raw.geometry.iloc[0])  # relabelled, never moved
    report = read_report(wards)
    assert report.rows_read == report.rows_kept == 625


def test_zipped_2014_wards_and_ons_like_gpkg(shared_data):
    with pytest.warns(UserWarning, match="repaired geometries 2"):
        wards = read_wards(shared_data / "gla-london-wards-2014/London_Ward_Boundaries.zip")
    assert len(wards) == 654 and wards.crs.to_epsg() == 27700
    lancs = read_wards(shared_data / "police-uk-derived-crimemappingdata/lancashire_wards.gpkg")
    assert len(lancs) == 271 and lancs["borough_code"].isna().all()
    notts = read_wards(shared_data / "police-uk-derived-crimemappingdata/nottingham_wards.gpkg")
    assert notts.crs.to_epsg() == 27700  # reprojected from EPSG:4326
    assert notts.total_bounds[0] > 400_000


def test_ons_layout_is_recognised():
    frame = gpd.GeoDataFrame(
        {
            "WD22CD": ["E05000001"],
            "WD22NM": ["Aldersgate"],
            "LAD22CD": ["E09000001"],
            "LAD22NM": ["City of London"],
        },
        geometry=[shapely.box(532000, 181000, 532500, 181500)],
        crs=27700,
    )
    wards = wards_from_frame(frame)
    assert wards.loc["E05000001"].tolist()[:3] == ["Aldersgate", "E09000001", "City of London"]


def test_invalid_geometry_repaired_and_counted():
    bowtie = shapely.Polygon([(0, 0), (100, 100), (100, 0), (0, 100)])
    frame = gpd.GeoDataFrame(
        {"ward_code": ["A", "B", "C"]},
        geometry=[shapely.box(0, 0, 10, 10), bowtie, None],
        crs=27700,
    ).translate(530000, 180000)
    frame = gpd.GeoDataFrame({"ward_code": ["A", "B", "C"]}, geometry=frame, crs=27700)
    with pytest.warns(UserWarning, match=r"null geometry 1.*repaired geometries 1"):
        wards = wards_from_frame(frame)
    assert list(wards.index) == ["A", "B"]
    assert wards.geometry.is_valid.all()
    assert wards.loc["B"].geometry.area == pytest.approx(5000)


def test_duplicate_and_missing_codes_listed_together():
    frame = gpd.GeoDataFrame(
        {"ward_code": ["A", "A", None]},
        geometry=[shapely.box(530000, 180000, 530010, 180010)] * 3,
        crs=27700,
    )
    with pytest.raises(SchemaError) as info:
        wards_from_frame(frame)
    assert len(info.value.problems) == 2
    assert "appear more than once" in str(info.value)


def test_unrecognised_layout_names_the_fix():
    frame = gpd.GeoDataFrame({"zone": ["A"]}, geometry=[shapely.box(0, 0, 1, 1)], crs=27700)
    with pytest.raises(SchemaError, match="name it with `code_column=`"):
        wards_from_frame(frame)
    with pytest.raises(SchemaError, match="`code_column` is 'zonez'"):
        wards_from_frame(frame, code_column="zonez")
    wards = wards_from_frame(
        frame.translate(530000, 180000).to_frame("geometry").assign(zone="A"), code_column="zone"
    )
    assert list(wards.index) == ["A"]


def test_no_crs_refused():
    frame = gpd.GeoDataFrame({"ward_code": ["A"]}, geometry=[shapely.box(0, 0, 1, 1)])
    with pytest.raises(CRSError, match="has no CRS"):
        wards_from_frame(frame)


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="`path`"):
        read_wards("no/such/wards.shp")


def test_input_not_mutated(shared_data):
    raw = gpd.read_file(shared_data / "police-uk-derived-crimemappingdata/nottingham_wards.gpkg")
    before = raw.copy()
    wards_from_frame(raw)
    pd.testing.assert_frame_equal(pd.DataFrame(raw), pd.DataFrame(before))


def test_check_wards_lists_every_problem():
    from snt_geo.io import check_wards

    frame = gpd.GeoDataFrame(
        geometry=[shapely.box(530000, 180000, 530010, 180010)] * 2, index=["A", "A"], crs=27700
    )
    with pytest.raises(SchemaError, match="`zones` must have a unique index") as info:
        check_wards(frame, argument="zones", columns=("borough_code",))
    assert info.value.problems == [
        "missing column 'borough_code'",
        "the index (ward codes) is not unique",
    ]
    ok = check_wards(frame.iloc[:1].to_crs(4326))
    assert ok.crs.to_epsg() == 27700
