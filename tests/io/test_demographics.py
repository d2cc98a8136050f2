import contextlib
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from snt_geo.errors import CRSError, SchemaError
from snt_geo.io._accounting import read_report
from snt_geo.io.boundaries import read_wards
from snt_geo.io.demographics import (
    apportion_lsoa_population,
    demographics_from_frame,
    read_demographics,
    read_lsoa_population,
)

GLA = "gla-ward-profiles-2015/ward-profiles-excel-version.csv"
ESRI = "gla-statistical-gis-boundaries-london/ESRI"
LANCS = "police-uk-derived-crimemappingdata"
LSOA_POP = "ons-lsoa-population-mid2019-2020/london-mid2019-pop.csv"


@pytest.fixture(scope="module")
def city(shared_data):
    with _quiet():
        wards = read_wards(shared_data / ESRI / "London_Ward.shp")
    return wards[wards["borough_code"] == "E09000001"]


@pytest.fixture(scope="module")
def lsoas(shared_data):
    return gpd.read_file(shared_data / ESRI / "LSOA_2011_London_gen_MHW.shp")


@contextlib.contextmanager
def _quiet():
    """Silence the readers' expected drop warnings where a test does not assert them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


# --------------------------------------------------------------------------------------------------
# GLA ward profiles (latin-1, aggregate rows)


def test_gla_ward_profiles(shared_data):
    with pytest.warns(UserWarning, match=r"not a ward 34, duplicate code 1"):
        demo = read_demographics(shared_data / GLA)
    raw = pd.read_csv(shared_data / GLA, encoding="latin-1")
    assert len(demo) == 625 and demo.index.name == "ward_code" and demo.index.is_unique
    assert demo.index[0] == "E09000001" and demo.index[1:].str.startswith("E05").all()
    report = read_report(demo)
    assert report.rows_read == 660 == len(raw)
    assert report.rows_kept + sum(report.dropped.values()) == report.rows_read
    assert report.dropped == {"no_code": 0, "not_a_ward": 34, "duplicate_code": 1}
    assert report.encodings == {"ward-profiles-excel-version.csv": "cp1252"}
    # Independent figures from the raw table (SOURCE.md: wards 8,625,450 + City 8,100).
    assert demo["population"].sum() == 8_625_450 + 8_100
    wards_only = raw[raw["New code"].str.startswith("E05")].set_index("New code")
    pd.testing.assert_series_equal(
        demo.loc[wards_only.index, "age_65_plus"],
        wards_only["Older people aged 65+ - 2015"].astype("float64"),
        check_names=False,
        check_index_type=False,
    )
    city = demo.loc["E09000001"]
    assert city["population"] == 8100 and city["age_0_15"] == 650
    assert city["pct_social_rented"] == 16.5
    assert city["share_age_0_15"] == pytest.approx(650 / 8100)
    assert demo["pct_social_rented"].between(1.1, 68.4).all()
    assert (demo["year"] == 2015).all() and "2011 Census" in demo["source"].iloc[0]
    assert "youth" not in demo.columns  # the GLA profiles have no youth band


def test_gla_codes_match_city_merged_wards(shared_data):
    with _quiet():
        wards = read_wards(shared_data / ESRI / "London_Ward_CityMerged.shp")
        demo = read_demographics(shared_data / GLA, wards=wards)
    assert read_report(demo).codes == {
        "codes_without_ward": (),
        "wards_without_demographics": (),
    }


def test_unknown_codes_are_reported_not_dropped(shared_data, city):
    with _quiet():
        wards = read_wards(shared_data / ESRI / "London_Ward.shp")
    with pytest.warns(UserWarning, match=r"1 demographic code\(s\) match no ward.*25 ward\(s\)"):
        demo = read_demographics(shared_data / GLA, wards=wards)
    assert len(demo) == 625  # nothing dropped for not matching
    unmatched = read_report(demo).codes
    assert unmatched["codes_without_ward"] == ("E09000001",)
    assert sorted(unmatched["wards_without_demographics"]) == sorted(city.index)
    assert read_report(demo).note("wards_without_demographics") == 25


def test_extra_columns_are_kept(shared_data):
    with _quiet():
        demo = read_demographics(shared_data / GLA, extra_columns=["% BAME - 2011"])
    assert demo.columns[-1] == "% BAME - 2011"


# --------------------------------------------------------------------------------------------------
# ONS ward population sheets


def test_ons_ward_population_xlsx(shared_data):
    path = shared_data / LANCS / "lancashire_ward_pop.xlsx"
    demo = read_demographics(path, year=2020)
    raw = pd.read_excel(path)
    assert len(demo) == 285 == len(raw)
    assert demo["population"].sum() == raw["population"].sum()
    assert demo.loc["E05001643", "ward_name"] == "Anchorsholme"
    assert (demo["year"] == 2020).all()
    assert list(demo.columns) == ["ward_name", "population", "year", "source"]


def test_ons_codes_checked_against_2022_wards(shared_data):
    with _quiet():
        wards = read_wards(shared_data / LANCS / "lancashire_wards.gpkg")
    path = shared_data / LANCS / "lancashire_ward_pop.xlsx"
    with pytest.warns(UserWarning, match="boundaries changed in 2014"):
        demo = read_demographics(path, wards=wards)
    codes = set(pd.read_excel(path)["gss_code"])
    expected_without_ward = sorted(codes - set(wards.index))
    assert sorted(read_report(demo).codes["codes_without_ward"]) == expected_without_ward
    assert sorted(read_report(demo).codes["wards_without_demographics"]) == sorted(
        set(wards.index) - codes
    )
    assert len(demo) == 285


def test_ons_sheet_with_title_rows_and_single_years(tmp_path):
    rng = np.random.default_rng(7)
    ages = [str(a) for a in range(90)] + ["90+"]
    counts = rng.integers(0, 60, size=(3, 91))
    body = pd.DataFrame(counts, columns=ages)
    body.insert(0, "All Ages", counts.sum(axis=1))
    body.insert(0, "Ward Name 1", ["A", "B", "C"])
    body.insert(0, "Ward Code 1", ["E05000101", "E05000102", "E05000103"])
    path = tmp_path / "sape.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame([["Mid-2020 ward population estimates"], ["All persons"]]).to_excel(
            xl, header=False, index=False
        )
        body.to_excel(xl, startrow=3, index=False)
    demo = read_demographics(path)
    assert list(demo.index) == ["E05000101", "E05000102", "E05000103"]
    np.testing.assert_allclose(demo["population"], counts.sum(axis=1))
    np.testing.assert_allclose(demo["age_0_15"], counts[:, :16].sum(axis=1))
    np.testing.assert_allclose(demo["age_16_64"], counts[:, 16:65].sum(axis=1))
    np.testing.assert_allclose(demo["age_65_plus"], counts[:, 65:].sum(axis=1))
    np.testing.assert_allclose(demo["youth"], counts[:, 10:25].sum(axis=1))
    assert (demo["youth_ages"] == "10-24").all()
    np.testing.assert_allclose(demo["share_youth"], demo["youth"] / demo["population"])


# --------------------------------------------------------------------------------------------------
# Bad inputs


def test_missing_columns_one_schema_error_listing_all(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("area,people_count\nE05000001,10\n")
    with pytest.raises(SchemaError, match="no ward code column") as info:
        read_demographics(path)
    assert len(info.value.problems) == 2
    assert "no population column" in str(info.value)
    assert "people_count" in str(info.value)  # the columns found are listed


def test_named_columns_that_do_not_exist(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("ward_code,population\nE05000001,10\n")
    with pytest.raises(SchemaError) as info:
        read_demographics(path, name_column="Ward", population_column="pop", extra_columns=["z"])
    text = str(info.value)
    assert "`name_column` is 'Ward'" in text and "`population_column` is 'pop'" in text
    assert "`extra_columns`" in text


def test_latin1_file(tmp_path):
    path = tmp_path / "latin1.csv"
    text = "ward_code,ward_name,population,Median price (£)\nE05000001,Hôpital,1200,5\n"
    path.write_bytes(text.encode("latin-1"))
    demo = read_demographics(path, extra_columns=["Median price (£)"])
    assert demo.loc["E05000001", "ward_name"] == "Hôpital"
    assert read_report(demo).encodings == {"latin1.csv": "cp1252"}


def test_blank_codes_duplicates_and_bad_numbers(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(
        "ward_code,population\n"
        'E05000001,"1,200"\n'
        ",50\n"
        'E05000001,"1,200"\n'
        "E05000002,n/a\n"
        "E09000002,9999\n"
    )
    with pytest.warns(UserWarning, match="no code 1, not a ward 1, duplicate code 1"):
        demo = read_demographics(path)
    assert list(demo.index) == ["E05000001", "E05000002"]
    assert demo.loc["E05000001", "population"] == 1200
    assert np.isnan(demo.loc["E05000002", "population"])
    report = read_report(demo)
    assert report.note("unparseable_values") == 1
    assert report.rows_read == 5 == report.rows_kept + sum(report.dropped.values())


def test_conflicting_duplicate_is_an_error(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("ward_code,population\nE05000001,10\nE05000001,11\n")
    with pytest.raises(SchemaError, match=r"more than once with different values: \['E05000001'\]"):
        read_demographics(path)


def test_empty_file_gives_empty_frame(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("ward_code,ward_name,population\n")
    demo = read_demographics(path)
    assert len(demo) == 0 and "population" in demo.columns


def test_zero_byte_file(tmp_path):
    path = tmp_path / "zero.csv"
    path.write_bytes(b"")
    with pytest.raises(SchemaError, match="is empty"):
        read_demographics(path)


def test_missing_path():
    with pytest.raises(FileNotFoundError, match="`path`"):
        read_demographics("/nonexistent/demo.csv")


def test_from_frame_does_not_mutate():
    frame = pd.DataFrame({"gss_code": ["E05000001", "E05000002"], "population": [10, 20]})
    before = frame.copy()
    demo = demographics_from_frame(frame, year=2021)
    pd.testing.assert_frame_equal(frame, before)
    assert demo["population"].tolist() == [10.0, 20.0] and (demo["year"] == 2021).all()


# --------------------------------------------------------------------------------------------------
# LSOA apportionment


def test_lsoa_table_is_not_read_as_wards(shared_data):
    with pytest.raises(SchemaError, match="looks like an LSOA table"):
        read_demographics(shared_data / LSOA_POP)


def test_read_lsoa_population(shared_data):
    pop = read_lsoa_population(shared_data / LSOA_POP)
    raw = pd.read_csv(shared_data / LSOA_POP)
    assert len(pop) == 4835 and pop.index.name == "lsoa_code"
    assert pop["population"].sum() == raw["Persons_All-Ages"].sum() == 8_961_989
    assert (pop["age_0_15"] + pop["age_16_64"] + pop["age_65_plus"] == pop["population"]).all()
    assert (pop["youth"] == raw["Persons_16-29"].to_numpy()).all()
    assert (pop["year"] == 2019).all() and (pop["youth_ages"] == "16-29").all()


def test_apportion_city_matches_overlay_and_preserves_totals(shared_data, city, lsoas):
    pop = read_lsoa_population(shared_data / LSOA_POP)
    codes = lsoas.loc[lsoas["LAD11CD"] == "E09000001", "LSOA11CD"]
    with pytest.warns(UserWarning, match="outside every ward"):
        demo = apportion_lsoa_population(pop.loc[codes], lsoas, city)
    assert list(demo.index) == list(city.index)
    info = demo.attrs["method"]
    for col in ("population", "age_0_15", "age_16_64", "age_65_plus", "youth"):
        assert demo[col].sum() + info.outside_wards[col] == pytest.approx(info.total[col])
    assert info.total["population"] == 9721
    assert info.source == "london-mid2019-pop.csv"
    assert "of 9,721 persons placed in wards" in info.describe()
    assert info.describe().startswith("Residents apportioned from LSOAs (london-mid2019-pop.csv)")

    # Independent computation with geopandas.overlay.
    lsoa = lsoas[lsoas["LSOA11CD"].isin(codes)].set_crs(27700, allow_override=True)
    lsoa = lsoa.assign(geometry=lsoa.geometry.make_valid())
    lsoa = lsoa.assign(lsoa_area=lsoa.area).join(pop["population"], on="LSOA11CD")
    wards = city.reset_index()[["ward_code", "geometry"]]
    pieces = gpd.overlay(lsoa[["LSOA11CD", "lsoa_area", "population", "geometry"]], wards)
    expected = (
        (pieces.area / pieces["lsoa_area"] * pieces["population"])
        .groupby(pieces["ward_code"])
        .sum()
    )
    np.testing.assert_allclose(demo["population"], expected.reindex(demo.index), rtol=1e-9)
    assert demo["population"].sum() == pytest.approx(9659.42, abs=0.01)
    assert (demo["share_age_0_15"] == demo["age_0_15"] / demo["population"]).all()


def test_apportion_known_answer_and_reports():
    # Two 100 m x 100 m LSOAs side by side; ward W1 covers the left LSOA and the left quarter of
    # the right one; ward W2 covers the next half of the right one; its last quarter is outside.
    lsoas = gpd.GeoDataFrame(
        {"LSOA11CD": ["L1", "L2"]},
        geometry=[
            shapely.box(500000, 180000, 500100, 180100),
            shapely.box(500100, 180000, 500200, 180100),
        ],
        crs="EPSG:27700",
    )
    wards = gpd.GeoDataFrame(
        {"ward_name": ["One", "Two", "Far"]},
        index=pd.Index(["W1", "W2", "W3"], name="ward_code"),
        geometry=[
            shapely.box(500000, 180000, 500125, 180100),
            shapely.box(500125, 180000, 500175, 180100),
            shapely.box(510000, 180000, 510100, 180100),
        ],
        crs="EPSG:27700",
    )
    pop = pd.DataFrame(
        {"population": [100.0, 400.0, 7.0], "age_0_15": [10.0, 40.0, 1.0]},
        index=pd.Index(["L1", "L2", "L9"], name="lsoa_code"),
    )
    with pytest.warns(UserWarning, match=r"LSOAs without a polygon \(not placed\): \['L9'\]"):
        demo = apportion_lsoa_population(pop, lsoas, wards)
    assert demo.loc["W1", "population"] == pytest.approx(100 + 100)
    assert demo.loc["W2", "population"] == pytest.approx(200)
    assert np.isnan(demo.loc["W3", "population"])  # no LSOA covers it: unknown, not zero
    assert demo.loc["W3", "lsoa_coverage"] == 0
    info = demo.attrs["method"]
    assert info.outside_wards["population"] == pytest.approx(100)
    assert info.lsoas_without_geometry == ("L9",) and info.lsoas_partly_outside == 1
    report = read_report(demo)
    assert report.rows_read == 3 == report.rows_kept + sum(report.dropped.values())

    # EPSG:4326 input gives the same answer (areas are computed in EPSG:27700 either way).
    with _quiet():
        again = apportion_lsoa_population(pop, lsoas.to_crs(4326), wards.to_crs(4326))
    np.testing.assert_allclose(again["population"], demo["population"], rtol=1e-6)

    with pytest.raises(CRSError, match="`lsoas` has no CRS"):
        apportion_lsoa_population(pop, lsoas.set_crs(None, allow_override=True), wards)


def test_apportion_warns_on_overlapping_wards():
    lsoas = gpd.GeoDataFrame(
        {"lsoa_code": ["L1"]}, geometry=[shapely.box(500000, 180000, 500100, 180100)], crs=27700
    )
    wards = gpd.GeoDataFrame(
        index=pd.Index(["W1", "W2"], name="ward_code"),
        geometry=[shapely.box(500000, 180000, 500100, 180100)] * 2,
        crs=27700,
    )
    pop = pd.DataFrame({"population": [10.0]}, index=["L1"])
    with pytest.warns(UserWarning, match="counted twice"):
        demo = apportion_lsoa_population(pop, lsoas, wards)
    assert demo["population"].tolist() == [10.0, 10.0]
