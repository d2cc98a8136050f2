"""Tests for snt_geo.io.deprivation: the IoD 2019 reader and the apportionment to wards.

The ward means are checked against an independent computation with ``geopandas.overlay``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from snt_geo.io import read_report
from snt_geo.io.deprivation import apportion_deprivation, read_deprivation

IMD = "london-lsoa-imd-2019/ID_2019_for_London_subset.xlsx"
ESRI = "gla-statistical-gis-boundaries-london/ESRI"


@pytest.fixture(scope="module")
def deprivation(shared_data):
    return read_deprivation(shared_data / IMD)


@pytest.fixture(scope="module")
def geography(shared_data):
    from snt_geo.io import read_wards

    lsoas = gpd.read_file(shared_data / ESRI / "LSOA_2011_London_gen_MHW.shp")
    wards = read_wards(shared_data / ESRI / "London_Ward_CityMerged.shp")
    return lsoas, wards


def test_reader_keeps_every_lsoa_with_short_names(deprivation, shared_data):
    raw = pd.read_excel(shared_data / IMD, sheet_name="IMD 2019")
    assert len(deprivation) == len(raw) == 4835
    assert deprivation.index.name == "lsoa_code" and deprivation.index.is_unique
    np.testing.assert_allclose(
        deprivation["imd_score"], raw["Index of Multiple Deprivation (IMD) Score"]
    )
    assert (
        deprivation["crime_decile"].tolist()
        == raw["Crime Decile (where 1 is most deprived 10% of LSOAs)"].tolist()
    )
    assert deprivation.loc["E01000001", "population"] == 1296
    report = read_report(deprivation)
    assert report.rows_read == report.rows_kept == 4835


def test_ward_means_equal_an_independent_overlay(deprivation, geography):
    lsoas, wards = geography
    out = apportion_deprivation(deprivation, lsoas=lsoas, wards=wards)

    # Independent: geopandas overlay of the two layers, area shares, weighted means.
    # The GLA .prj is BNG with a rounded scale factor: label it EPSG:27700 for the overlay.
    left = lsoas[["LSOA11CD", "geometry"]].set_crs(27700, allow_override=True)
    left["lsoa_area"] = left.area
    right = wards.reset_index()[["ward_code", "geometry"]]
    pieces = gpd.overlay(left, right, how="intersection", keep_geom_type=True)
    pieces = pieces.join(deprivation, on="LSOA11CD")
    pieces["w"] = pieces["population"] * pieces.area / pieces["lsoa_area"]
    grouped = (
        pieces.assign(
            ws=pieces["w"] * pieces["imd_score"],
            wc=pieces["w"] * pieces["crime_score"],
            wt=pieces["w"] * (pieces["imd_decile"] == 1),
        )
        .groupby("ward_code")[["w", "ws", "wc", "wt"]]
        .sum()
    )
    ref = grouped.reindex(wards.index)
    np.testing.assert_allclose(out["imd_score"], ref["ws"] / ref["w"], rtol=1e-9)
    np.testing.assert_allclose(out["crime_score"], ref["wc"] / ref["w"], rtol=1e-9)
    np.testing.assert_allclose(out["share_most_deprived_decile"], ref["wt"] / ref["w"], atol=1e-9)
    np.testing.assert_allclose(out["population_weight"], ref["w"], rtol=1e-9)
    # Residents are conserved: the London total lands in London's wards.
    assert out["population_weight"].sum() == pytest.approx(
        deprivation["population"].sum(), rel=1e-3
    )
    assert out.attrs["method"].n_lsoas == 4835
    assert "population-weighted mean" in out.attrs["method"].describe()


def test_an_lsoa_split_between_two_wards_is_weighted_by_area():
    lsoas = gpd.GeoDataFrame(
        {"LSOA11CD": ["L1", "L2"]},
        geometry=[shapely.box(0, 0, 200, 100), shapely.box(200, 0, 300, 100)],
        crs=27700,
    ).translate(530_000, 180_000)
    lsoas = gpd.GeoDataFrame({"LSOA11CD": ["L1", "L2"]}, geometry=lsoas, crs=27700)
    wards = gpd.GeoDataFrame(
        geometry=[shapely.box(0, 0, 100, 100), shapely.box(100, 0, 300, 100)],
        index=pd.Index(["W1", "W2"], name="ward_code"),
        crs=27700,
    ).translate(530_000, 180_000)
    wards = gpd.GeoDataFrame(geometry=wards, crs=27700)
    dep = pd.DataFrame(
        {"imd_score": [40.0, 10.0], "imd_decile": pd.array([1, 6], "Int64"),
         "population": [1000.0, 3000.0]},
        index=pd.Index(["L1", "L2"], name="lsoa_code"),
    )  # fmt: skip
    out = apportion_deprivation(dep, lsoas=lsoas, wards=wards)
    # W1 holds half of L1 (500 residents); W2 the other half of L1 and all of L2.
    assert out.loc["W1", "imd_score"] == pytest.approx(40.0)
    assert out.loc["W2", "imd_score"] == pytest.approx((500 * 40 + 3000 * 10) / 3500)
    assert out.loc["W2", "share_most_deprived_decile"] == pytest.approx(500 / 3500)
    assert out["n_lsoas"].tolist() == [1, 2]


def test_missing_population_is_refused_with_the_fix(deprivation, geography):
    lsoas, wards = geography
    with pytest.raises(ValueError, match="pass `population`"):
        apportion_deprivation(deprivation.drop(columns="population"), lsoas=lsoas, wards=wards)


def test_reader_refuses_a_file_without_lsoa_codes(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="LSOA code \\(2011\\)"):
        read_deprivation(path)
