import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from snt_geo.errors import CRSError, SchemaError
from snt_geo.io import check_wards, read_report, read_wards, wards_from_frame

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


WARDS_2022 = "london-wards-2022-camden-lewisham"


@pytest.fixture(scope="module")
def mps_2022(shared_data):
    frame = pd.read_csv(
        shared_data / "mps-ward-level-crime-2021-2023/ward_21_23.csv.gz",
        usecols=["WardName", "WardCode", "LookUp_BoroughName"],
    )
    return frame.drop_duplicates("WardCode").set_index("WardCode")


def test_ons_2022_zip_with_nested_folder_and_metadata(shared_data, mps_2022):
    with pytest.warns(UserWarning, match="repaired geometries 1"):
        wards = read_wards(shared_data / WARDS_2022 / "Wards_May_2022_UK_BFC_V2_Camden.zip")
    assert len(wards) == 20
    assert wards.crs.to_epsg() == 27700
    assert set(wards["borough_code"]) == {"E09000007"}
    assert set(wards["borough_name"]) == {"Camden"}
    camden = mps_2022[mps_2022["LookUp_BoroughName"] == "Camden"]
    assert sorted(wards.index) == sorted(camden.index)  # the 2022 codes the Met's data uses
    assert (wards["ward_name"] == camden.loc[wards.index, "WardName"]).all()
    assert "Holborn & Covent Garden" in set(wards["ward_name"])
    report = read_report(wards)
    member = "Wards_(May_2022)_UK_BFC_V2/WD_MAY_2022_UK_BFC_V2.shp"
    assert report.files == {
        f"Wards_May_2022_UK_BFC_V2_Camden.zip!{member}": {
            "rows_read": 20,
            "rows_kept": 20,
            "null_geometry": 0,
        }
    }
    assert abs(wards.area.sum() / 1e6 - 21.8) < 0.1


def test_council_gpkg_with_its_own_headers(shared_data, mps_2022):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wards = read_wards(shared_data / WARDS_2022 / "lbl_wd22_proposed.gpkg")
    assert len(wards) == 19
    lewisham = mps_2022[mps_2022["LookUp_BoroughName"] == "Lewisham"]
    assert sorted(wards.index) == sorted(lewisham.index)
    assert (wards["ward_name"] == lewisham.loc[wards.index, "WardName"]).all()
    assert wards["borough_code"].isna().all()  # the file has no borough columns
    assert (wards["ons_code"] == wards.index).all()  # source columns are kept


def _zip(tmp_path, members):
    path = tmp_path / "wards.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_zip_without_a_single_choice_lists_what_it_found(shared_data, tmp_path):
    source = shared_data / WARDS_2022 / "Wards_May_2022_UK_BFC_V2_Camden.zip"
    with zipfile.ZipFile(source) as zf:
        parts = {Path(n).name: zf.read(n) for n in zf.namelist()}
    shp = {k: v for k, v in parts.items() if k.startswith("WD_MAY")}
    two = {f"a/{k}": v for k, v in shp.items()} | {f"b/{k}": v for k, v in shp.items()}
    path = _zip(tmp_path, two)
    with pytest.raises(
        SchemaError,
        match=r"cannot choose .*'a/WD_MAY_2022_UK_BFC_V2.shp', "
        r"'b/WD_MAY_2022_UK_BFC_V2.shp'.*Pass `layer=`",
    ):
        read_wards(path)
    with pytest.warns(UserWarning, match="repaired"):
        wards = read_wards(path, layer="b/WD_MAY_2022_UK_BFC_V2.shp")
    assert len(wards) == 20
    empty = _zip(tmp_path, {"readme.txt": b"metadata only"})
    with pytest.raises(SchemaError, match="no vector files"):
        read_wards(empty)


def test_gpkg_with_several_polygon_layers_lists_them(shared_data, tmp_path):
    frame = gpd.read_file(shared_data / WARDS_2022 / "lbl_wd22_proposed.gpkg")
    path = tmp_path / "two.gpkg"
    frame.to_file(path, layer="wards_2022")
    frame.to_file(path, layer="wards_draft")
    frame.set_geometry(frame.centroid).to_file(path, layer="ward_centres")
    with pytest.raises(SchemaError, match=r"3 layers and 2 of them are polygons.*wards_draft"):
        read_wards(path)
    assert len(read_wards(path, layer="wards_draft")) == 19
    one_polygon = tmp_path / "one.gpkg"
    frame.to_file(one_polygon, layer="wards_2022")
    frame.set_geometry(frame.centroid).to_file(one_polygon, layer="ward_centres")
    assert len(read_wards(one_polygon)) == 19  # the only polygon layer is chosen


def test_unreadable_file_is_a_clear_error(tmp_path):
    path = tmp_path / "wards.shp"
    path.write_bytes(b"not a shapefile")
    with pytest.raises(SchemaError, match="is not a boundary file that can be read"):
        read_wards(path)


def test_a_table_without_geometry_is_refused_naming_path(tmp_path):
    path = tmp_path / "wards.csv"
    path.write_text("ward_code,ward_name\nE05000001,Aldersgate\n")
    with pytest.raises(SchemaError, match=r"`path` 'wards.csv' is not a boundary file: it has no"):
        read_wards(path)


def test_an_empty_layer_says_so(shared_data, tmp_path):
    frame = gpd.read_file(shared_data / WARDS_2022 / "lbl_wd22_proposed.gpkg")
    path = tmp_path / "empty.gpkg"
    frame.iloc[:0].to_file(path, layer="wards")
    with pytest.raises(SchemaError, match=r"`path` 'empty.gpkg' holds no features \(0 ward"):
        read_wards(path)


def _square_wards(squares, crs="EPSG:27700"):
    return gpd.GeoDataFrame(
        {"ward_code": [f"E0500000{i}" for i in range(len(squares))]}, geometry=squares, crs=crs
    )


def test_points_or_lines_are_not_wards():
    points = _square_wards([shapely.Point(530000, 180000), shapely.Point(530100, 180000)])
    with pytest.raises(SchemaError, match=r"`frame` \(frame\) must hold polygons: 2 of 2 .*Point"):
        wards_from_frame(points)
    polygons = wards_from_frame(_square_wards([shapely.box(530000, 180000, 530100, 180100)]))
    with pytest.raises(SchemaError, match="`wards` .*must hold polygons"):
        check_wards(polygons.set_geometry(polygons.centroid))


def test_overlapping_wards_are_reported_and_counted():
    a, b = shapely.box(530000, 180000, 531000, 181000), shapely.box(530500, 180000, 531500, 181000)
    touching = shapely.box(531500, 180000, 532000, 181000)  # shares an edge with b: no overlap
    with pytest.warns(
        UserWarning, match=r"1 pair\(s\) of wards overlap \(E05000000/E05000001 \(500,000 m2\)"
    ):
        wards = wards_from_frame(_square_wards([a, b, touching]))
    assert read_report(wards).note("overlapping_ward_pairs") == 1
    # independent: the pairwise intersection areas with shapely
    areas = [shapely.intersection(p, q).area for p, q in ((a, b), (a, touching), (b, touching))]
    assert areas == [500_000.0, 0.0, 0.0]
