"""Tests for snt_geo.linkage.cross_border."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from snt_geo.errors import CRSError, SchemaError
from snt_geo.io import read_police_uk, read_wards
from snt_geo.linkage.cross_border import CROSS_BORDER_COLUMNS, flag_cross_border_hotspots

DATA = Path(__file__).parents[2] / ".." / "shared" / "data"
LONDON_WARD = DATA / "gla-statistical-gis-boundaries-london" / "ESRI" / "London_Ward.shp"
CITY_STREET = DATA / "police-uk-city-of-london" / "street"

X0, Y0 = 530000.0, 180000.0


@pytest.fixture
def wards() -> gpd.GeoDataFrame:
    """Three 100 m wards in a row: A and B in borough B1, C in borough B2."""
    return gpd.GeoDataFrame(
        {
            "ward_name": ["Alpha", "Beta", "Gamma"],
            "borough_code": ["B1", "B1", "B2"],
            "borough_name": ["One", "One", "Two"],
        },
        geometry=[box(X0 + 100 * i, Y0, X0 + 100 * (i + 1), Y0 + 100) for i in range(3)],
        index=pd.Index(["A", "B", "C"], name="ward_code"),
        crs="EPSG:27700",
    )


def polys(*geoms, index=None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=list(geoms), index=index, crs="EPSG:27700")


def test_area_shares_known_answer(wards):
    hotspots = polys(
        box(X0 + 10, Y0 + 10, X0 + 90, Y0 + 90),  # inside A
        box(X0 + 140, Y0, X0 + 240, Y0 + 50),  # 60% B, 40% C: crosses the borough boundary
        box(X0 + 20, Y0, X0 + 102, Y0 + 50),  # 2/82 in B: below min_share
        box(X0 + 250, Y0 + 50, X0 + 350, Y0 + 150),  # 1/4 in C, 3/4 outside every ward
        index=pd.Index([10, 11, 12, 13], name="cluster"),
    )
    out = flag_cross_border_hotspots(hotspots, wards)
    assert list(out.index) == [10, 11, 12, 13] and out.index.name == "cluster"
    assert list(out.columns) == [*CROSS_BORDER_COLUMNS, "geometry"]
    assert out.loc[10, "ward_shares"] == {"A": pytest.approx(1.0)}
    assert not out.loc[10, "cross_ward"] and out.loc[10, "n_wards"] == 1
    assert out.loc[11, "ward_shares"] == {"B": pytest.approx(0.6), "C": pytest.approx(0.4)}
    assert out.loc[11, "borough_shares"] == {"B1": pytest.approx(0.6), "B2": pytest.approx(0.4)}
    assert out.loc[11, "cross_ward"] and out.loc[11, "cross_borough"]
    assert out.loc[11, "wards"] == ("B", "C") and out.loc[11, "main_ward"] == "B"
    assert out.loc[11, "explanation"] == (
        "Crosses 2 wards: Beta (60%), Gamma (40%) of its area; crosses a borough boundary: "
        "One (60%), Two (40%)."
    )
    assert set(out.loc[12, "ward_shares"]) == {"A", "B"}
    assert out.loc[12, "ward_shares"]["B"] == pytest.approx(2 / 82)
    assert out.loc[12, "wards"] == ("A",) and not out.loc[12, "cross_ward"]
    assert out.loc[13, "outside_share"] == pytest.approx(0.75)
    assert out.loc[13, "ward_shares"] == {"C": pytest.approx(0.25)}
    assert out["share_basis"].eq("area").all() and out["incident_count"].isna().all()
    assert out.loc[11, "area_km2"] == pytest.approx(0.005)
    assert out.attrs["method"].n_cross_borough == 1
    assert out.attrs["method"].input_kind == "polygons"
    assert "1 a borough boundary" in out.attrs["method"].describe()


def test_min_share_zero_counts_every_ward(wards):
    hotspots = polys(box(X0 + 20, Y0, X0 + 102, Y0 + 50))
    out = flag_cross_border_hotspots(hotspots, wards, min_share=0.0)
    assert out.iloc[0]["cross_ward"] and out.iloc[0]["n_wards"] == 2


def test_gi_star_cells_are_merged_when_touching(wards):
    cells = gpd.GeoDataFrame(
        {
            "incident_count": [5, 7, 1, 9, 4],
            "hotspot_class": pd.Categorical(
                ["hot_95", "hot_99", "not_significant", "hot_90", "hot_90"]
            ),
        },
        geometry=[
            box(X0 + 50, Y0, X0 + 100, Y0 + 50),  # A
            box(X0 + 100, Y0 + 50, X0 + 150, Y0 + 100),  # B, touches the first at a corner
            box(X0 + 150, Y0, X0 + 200, Y0 + 50),  # not hot
            box(X0 + 250, Y0, X0 + 300, Y0 + 50),  # C, alone
            box(X0 + 0, Y0 + 150, X0 + 50, Y0 + 200),  # outside every ward
        ],
        index=pd.Index([3, 4, 5, 6, 7], name="cell_id"),
        crs="EPSG:27700",
    )
    out = flag_cross_border_hotspots(cells, wards)
    assert out.index.name == "hotspot" and len(out) == 3
    first = out.iloc[0]
    assert first["cell_ids"] == (3, 4) and first["n_cells"] == 2
    assert first["hotspot_class"] == "hot_99" and first["cell_incident_count"] == 12
    assert first["ward_shares"] == {"A": pytest.approx(0.5), "B": pytest.approx(0.5)}
    assert first["cross_ward"] and not first["cross_borough"]
    assert out.iloc[1]["cell_ids"] == (6,) and out.iloc[1]["wards"] == ("C",)
    assert out.iloc[2]["outside_share"] == pytest.approx(1.0)
    assert out.iloc[2]["explanation"] == "Outside every ward."
    assert out.attrs["method"].n_input_rows == 5
    # hot_classes narrows the selection
    only99 = flag_cross_border_hotspots(cells, wards, hot_classes=("hot_99",))
    assert len(only99) == 1 and only99.iloc[0]["cell_ids"] == (4,)


def incident_points(xy, index=None):
    xy = np.asarray(xy, dtype=float)
    return gpd.GeoDataFrame(
        {"crime_type": ["Robbery"] * len(xy)},
        geometry=[Point(X0 + x, Y0 + y) for x, y in xy],
        index=index,
        crs="EPSG:27700",
    )


def test_incident_shares_by_membership(wards):
    inc = incident_points(
        [(10, 10), (20, 10), (30, 10), (150, 10), (50, 50), (250, 50), (260, 500)],
        index=pd.Index([5, 5, 6, 7, 8, 9, 10]),  # non-unique index
    )
    labels = pd.Series([0, 0, 0, 0, -1, 1, 1], index=inc.index)
    hulls = polys(
        box(X0, Y0, X0 + 160, Y0 + 20),
        box(X0 + 240, Y0 + 40, X0 + 270, Y0 + 510),
        index=pd.Index([0, 1], name="cluster"),
    )
    out = flag_cross_border_hotspots(hulls, wards, incidents=inc, labels=labels)
    assert out.loc[0, "ward_shares"] == {"A": pytest.approx(0.75), "B": pytest.approx(0.25)}
    assert out.loc[0, "incident_count"] == 4 and out.loc[0, "share_basis"] == "incidents"
    assert (
        out.loc[0, "explanation"] == "Crosses 2 wards: Alpha (75%), Beta (25%) of its 4 incidents."
    )
    assert out.loc[1, "ward_shares"] == {"C": pytest.approx(0.5)}
    assert out.loc[1, "outside_share"] == pytest.approx(0.5)


def test_incident_shares_inside_polygons(wards):
    inc = incident_points([(10, 10), (20, 10), (150, 10), (500, 500)])
    out = flag_cross_border_hotspots(
        polys(box(X0, Y0, X0 + 200, Y0 + 20), box(X0 + 400, Y0 + 400, X0 + 410, Y0 + 410)),
        wards,
        incidents=inc,
    )
    assert out.iloc[0]["ward_shares"] == {"A": pytest.approx(2 / 3), "B": pytest.approx(1 / 3)}
    assert out.iloc[1]["incident_count"] == 0 and np.isnan(out.iloc[1]["outside_share"])
    assert out.iloc[1]["explanation"] == "No incidents in this hotspot."


@pytest.fixture(scope="module")
def city_wards() -> gpd.GeoDataFrame:
    w = read_wards(LONDON_WARD)
    return w[w["borough_code"].isin(["E09000001", "E09000030", "E09000028", "E09000019"])]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_real_city_hulls_against_geopandas_overlay(city_wards):
    inc = read_police_uk(CITY_STREET, crime_types=["Robbery", "Theft from the person"])
    # hulls of the incidents around three real places, on the real 2014 ward boundaries
    centres = {"bank": (532700, 181150), "aldgate": (533500, 181300), "tower": (533600, 180700)}
    hulls = []
    for x, y in centres.values():
        near = inc[inc.distance(Point(x, y)) < 250]
        hulls.append(near.union_all().convex_hull)
    hotspots = polys(*hulls, index=pd.Index(list(centres), name="place"))
    out = flag_cross_border_hotspots(hotspots, city_wards)
    ref = gpd.overlay(hotspots.reset_index(), city_wards.reset_index(), how="intersection")
    ref["share"] = ref.area / ref["place"].map(hotspots.area)
    for place, row in out.iterrows():
        expected = ref[ref["place"] == place].groupby("ward_code")["share"].sum()
        got = pd.Series(row["ward_shares"])
        expected = expected[expected > 0].sort_index()
        pd.testing.assert_series_equal(
            got.sort_index(),
            expected,
            check_names=False,
            check_index_type=False,
            rtol=1e-9,
            atol=1e-12,
        )
        assert sum(row["ward_shares"].values()) + row["outside_share"] == pytest.approx(1)
    assert out["cross_ward"].all()  # each 250 m hull in the City spans several small wards
    assert out.loc["tower", "cross_borough"]  # Tower Hill: City of London and Tower Hamlets
    # incident membership: shares agree with a spatial join
    members = inc[inc.distance(Point(*centres["aldgate"])) < 250]
    by_inc = flag_cross_border_hotspots(hotspots.loc[["aldgate"]], city_wards, incidents=members)
    joined = gpd.sjoin(members, city_wards, predicate="within")
    expected = joined["ward_code"].value_counts(normalize=False) / len(members)
    got = pd.Series(by_inc.iloc[0]["ward_shares"])
    pd.testing.assert_series_equal(
        got.sort_index(),
        expected.sort_index(),
        check_names=False,
        check_index_type=False,
        check_dtype=False,
        atol=1e-12,
    )


def test_wgs84_input_same_answer(wards):
    hotspots = polys(box(X0 + 140, Y0, X0 + 240, Y0 + 50))
    a = flag_cross_border_hotspots(hotspots, wards)
    b = flag_cross_border_hotspots(hotspots.to_crs("EPSG:4326"), wards.to_crs("EPSG:4326"))
    assert b.crs.to_epsg() == 27700
    for k, v in a.iloc[0]["ward_shares"].items():
        assert b.iloc[0]["ward_shares"][k] == pytest.approx(v, abs=1e-6)
    assert b.iloc[0]["cross_borough"]


def test_empty_input(wards):
    out = flag_cross_border_hotspots(polys(), wards)
    assert len(out) == 0 and list(out.columns) == [*CROSS_BORDER_COLUMNS, "geometry"]
    cells = gpd.GeoDataFrame(
        {"hotspot_class": pd.Categorical(["not_significant"])},
        geometry=[box(X0, Y0, X0 + 50, Y0 + 50)],
        crs="EPSG:27700",
    )
    assert len(flag_cross_border_hotspots(cells, wards)) == 0


def test_keeps_other_columns(wards):
    hotspots = polys(box(X0 + 140, Y0, X0 + 240, Y0 + 50)).assign(incident_total=12, wards="x")
    out = flag_cross_border_hotspots(hotspots, wards)
    assert out.iloc[0]["incident_total"] == 12
    assert out.iloc[0]["wards"] == ("B", "C")  # a clashing input column is replaced


def test_errors(wards):
    hot = polys(box(X0, Y0, X0 + 50, Y0 + 50))
    with pytest.raises(ValueError, match=r"`min_share` must be a fraction in \[0, 1\); got 1.5"):
        flag_cross_border_hotspots(hot, wards, min_share=1.5)
    with pytest.raises(SchemaError, match="borough_code"):
        flag_cross_border_hotspots(hot, wards.drop(columns="borough_code"))
    with pytest.raises(SchemaError, match="must hold polygons"):
        flag_cross_border_hotspots(polys(Point(X0, Y0)), wards)
    with pytest.raises(ValueError, match="`labels` needs `incidents`"):
        flag_cross_border_hotspots(hot, wards, labels=pd.Series([0]))
    inc = incident_points([(1, 1), (2, 2)])
    with pytest.raises(SchemaError, match="`labels` must be indexed like `incidents`"):
        flag_cross_border_hotspots(hot, wards, incidents=inc, labels=pd.Series([0]))
    with pytest.raises(CRSError, match="`clusters_or_cells` has no CRS"):
        flag_cross_border_hotspots(hot.set_crs(None, allow_override=True), wards)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_cluster_summaries_membership_shares_agree_with_summarise_clusters():
    from snt_geo.datasets import load_sample
    from snt_geo.linkage.clusters import cluster_incidents, summarise_clusters

    sample = load_sample()
    street = sample.incidents[sample.incidents["theme"] == "street_crime"]
    labels = cluster_incidents(street, method="dbscan", distance_m=50, min_incidents=15)
    summaries = summarise_clusters(street, labels, wards=sample.wards)
    out = flag_cross_border_hotspots(summaries, sample.wards, incidents=street, labels=labels)
    assert out.attrs["method"].input_kind == "cluster_summaries"
    assert out.index.equals(summaries.index) and len(out) > 20
    # summarise_clusters shares out the incidents inside wards (summing to 1) and counts the rest
    # in `outside_wards`; ours are shares of all the cluster's incidents, plus `outside_share`.
    for k in out.index:
        ours, theirs = out.loc[k, "ward_shares"], summaries.loc[k, "ward_shares"]
        n, outside = out.loc[k, "incident_count"], out.loc[k, "outside_share"]
        assert set(ours) == set(theirs)
        for code in ours:
            assert ours[code] / (1 - outside) == pytest.approx(theirs[code], abs=1e-12)
        assert outside * n == pytest.approx(summaries.loc[k, "outside_wards"], abs=1e-9)
    assert (out["outside_share"] > 0).any()  # the comparison covers clusters partly outside
    assert (out["incident_count"] == summaries["incident_count"]).all()
    assert out["cross_ward"].sum() >= 1
    assert not out["cross_borough"].any()  # only the City's wards were given
