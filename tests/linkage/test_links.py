"""Tests for snt_geo.linkage.links (ASB around estates -> street-crime clusters)."""

from __future__ import annotations

import itertools
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.stats import false_discovery_control
from shapely.geometry import box

from snt_geo._method import method_of
from snt_geo._multitest import holm_adjust
from snt_geo.errors import CRSError, SchemaError, SntGeoError
from snt_geo.io import read_police_uk, read_wards
from snt_geo.linkage.links import (
    ESTATE_COLUMNS,
    LINK_COLUMNS,
    LinkMethod,
    Links,
    colocation_quotient,
    link_asb_to_street_crime,
)

DATA = Path(__file__).parents[2] / ".." / "shared" / "data"
CITY_STREET = DATA / "police-uk-city-of-london" / "street"
GLA_WARDS = DATA / "gla-statistical-gis-boundaries-london" / "ESRI" / "London_Ward_CityMerged.shp"

# Approximate footprints (EPSG:27700) of three City of London estates, and a quiet spot by the
# Temple with no ASB planted near it.
ESTATES = {
    "middlesex-street": ("Middlesex Street Estate", box(533480, 181440, 533600, 181530)),
    "golden-lane": ("Golden Lane Estate", box(532160, 182060, 532290, 182170)),
    "mansell-street": ("Mansell Street Estate", box(533700, 181050, 533810, 181140)),
    "quiet": ("Quiet Estate", box(531150, 180850, 531250, 180930)),
}
MONTHS = pd.period_range("2019-01", "2019-12", freq="M")
STREET_AND_ASB = ["Anti-social behaviour", "Robbery", "Theft from the person"]


@pytest.fixture(scope="module")
def city() -> gpd.GeoDataFrame:
    with pytest.warns(UserWarning):
        return read_police_uk(CITY_STREET)


@pytest.fixture(scope="module")
def background(city) -> gpd.GeoDataFrame:
    """Real City incidents of every type except ASB and street crime (the planted types)."""
    keep = ~city["crime_type"].isin(STREET_AND_ASB)
    return city.loc[keep, ["crime_type", "month", "geometry"]].reset_index(drop=True)


@pytest.fixture(scope="module")
def city_area() -> shapely.Geometry:
    wards = read_wards(GLA_WARDS)
    return wards.loc["E09000001"].geometry


def make_estates(keys=("middlesex-street", "quiet")) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": [ESTATES[k][0] for k in keys]},
        geometry=[ESTATES[k][1] for k in keys],
        index=pd.Index(list(keys), name="estate_id"),
        crs="EPSG:27700",
    )


def points(crime_type, xy, months) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"crime_type": crime_type, "month": pd.PeriodIndex(months, freq="M")},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs="EPSG:27700",
    )


def asb_around(key, n, rng, *, sd_m=40.0, months=None):
    c = np.asarray(ESTATES[key][1].centroid.coords[0])
    months = rng.choice(MONTHS, n) if months is None else months
    return points("Anti-social behaviour", c + rng.normal(0, sd_m, (n, 2)), months)


def robbery_cluster(key, n, rng, *, offset_m=(330.0, 0.0), months=None):
    c = np.asarray(ESTATES[key][1].centroid.coords[0]) + np.asarray(offset_m)
    months = rng.choice(MONTHS, n) if months is None else months
    return points("Robbery", c + rng.normal(0, 25, (n, 2)), months)


def combine(*frames) -> gpd.GeoDataFrame:
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------------------------------
# the must-show scenarios


@pytest.fixture(scope="module")
def planted(background):
    rng = np.random.default_rng(20240601)
    # The same months for both, with a shared seasonal pattern
    profile = np.array([1, 1, 2, 2, 3, 4, 5, 5, 4, 2, 1, 1], dtype=float)
    asb_months = rng.choice(MONTHS, 120, p=profile / profile.sum())
    rob_months = rng.choice(MONTHS, 60, p=profile / profile.sum())
    asb = asb_around("middlesex-street", 120, rng, months=asb_months)
    rob = robbery_cluster("middlesex-street", 60, rng, months=rob_months)
    return background, asb, rob


@pytest.fixture(scope="module")
def planted_links(planted):
    background, asb, rob = planted
    return link_asb_to_street_crime(combine(background, asb, rob), make_estates(), rng=1)


def test_planted_link_is_significant_and_explained(planted, planted_links):
    _, asb, rob = planted
    assert isinstance(planted_links, Links)
    links = planted_links.links
    assert list(links.columns) == list(LINK_COLUMNS)
    assert links.crs.to_epsg() == 27700
    assert len(links) == 1
    link = links.iloc[0]
    assert link["estate"] == "middlesex-street"
    assert link["significant"]
    assert link["colocation_quotient"] > 2
    assert link["p_value"] == pytest.approx(1 / 1000)
    assert link["p_adjusted"] == pytest.approx(1 / 1000)  # one estate tested
    assert link["asb_count_near"] == (asb.distance(ESTATES["middlesex-street"][1]) <= 100).sum()
    assert link["street_cluster_main_type"] == "Robbery"
    assert link["street_cluster_incidents"] >= 50
    # the cluster centre is 330 m from the estate centre; the hull edge is nearer
    assert 150 < link["distance_m"] < 330
    assert link["centre_distance_m"] == pytest.approx(
        ESTATES["middlesex-street"][1].distance(shapely.Point(rob.union_all().centroid.coords[0])),
        abs=30,
    )
    assert link["street_cluster_weight_share"] == pytest.approx(1.0)
    assert link["temporal_r"] > 0  # same months, same seasonal pattern
    text = link["explanation"]
    assert text.startswith("Significant link: Middlesex Street Estate and street-crime cluster")
    assert "all ASB was used: police.uk publishes no ages" in text
    assert "Holm correction over 1 estate tested" in text
    assert "one strand of the street-crime plan" in text
    line = link.geometry
    assert line.geom_type == "LineString"
    assert ESTATES["middlesex-street"][1].contains(shapely.Point(line.coords[0]))


def test_estate_with_nothing_around_has_no_link(planted_links):
    assert "quiet" not in set(planted_links.links["estate"])
    assert list(planted_links.estates.columns) == list(ESTATE_COLUMNS)
    record = planted_links.estates.loc["quiet"]
    assert record["asb_count_near"] == 0 and not record["tested"]
    assert record["note"] == "no ASB near the estate"


def test_negative_control_uniform_random_robbery(planted, city_area):
    background, asb, rob = planted
    rng = np.random.default_rng(7)
    xmin, ymin, xmax, ymax = city_area.bounds
    xy = rng.uniform((xmin, ymin), (xmax, ymax), (4000, 2))
    xy = xy[shapely.contains_xy(city_area, xy[:, 0], xy[:, 1])][: len(rob) * 5]
    random_rob = points("Robbery", xy, rng.choice(MONTHS, len(xy)))
    links = link_asb_to_street_crime(
        combine(background, asb, random_rob), make_estates(), permutations=199, rng=1
    )
    assert not links.links["significant"].any()
    record = links.estates.iloc[0]
    assert record["tested"] and not record["significant"]
    assert record["p_value"] > 0.05


def test_negative_control_robbery_where_incidents_happen(planted):
    background, asb, _ = planted
    rng = np.random.default_rng(8)
    xy = shapely.get_coordinates(background.geometry.to_numpy())
    random_rob = points("Robbery", xy[rng.choice(len(xy), 300)], rng.choice(MONTHS, 300))
    links = link_asb_to_street_crime(combine(background, asb, random_rob), make_estates(), rng=1)
    assert not links.links["significant"].any()
    assert links.estates["p_value"].iloc[0] > 0.05


def test_false_link_rate_over_50_negative_controls(background):
    """Robbery placed at random incident locations (the null hypothesis) around 3 estates.

    The false-link rate (significant links over candidate links) must be at most alpha; the share
    of controls with any false link is the family-wise rate, which Holm keeps at most alpha up to
    sampling error (2 binomial standard errors over 50 controls). The raw per-estate p-values must
    be calibrated too: the share at or below alpha over the 150 estate tests is at most alpha plus
    2 standard errors. Street-crime clusters need only 8 incidents here, so that random robbery
    forms some and the link rows are not vacuously empty.
    """
    alpha, runs = 0.05, 50
    keys = ("middlesex-street", "golden-lane", "mansell-street")
    estates = make_estates(keys)
    bg_xy = shapely.get_coordinates(background.geometry.to_numpy())
    candidate_links = false_links = runs_with_false = raw_rejections = raw_tests = 0
    for seed in range(runs):
        rng = np.random.default_rng(1000 + seed)
        bg = background.iloc[rng.choice(len(background), 2500, replace=False)]
        asb = combine(*(asb_around(k, 40, rng) for k in keys))
        pick = rng.choice(len(bg_xy), 400)
        rob = points("Robbery", bg_xy[pick], rng.choice(MONTHS, 400))
        links = link_asb_to_street_crime(
            combine(bg, asb, rob),
            estates,
            permutations=199,
            alpha=alpha,
            street_cluster_min_incidents=8,
            rng=rng,
        )
        candidate_links += len(links.links)
        false_links += int(links.links["significant"].sum())
        runs_with_false += bool(links.links["significant"].any())
        p = links.estates.loc[links.estates["tested"], "p_value"].to_numpy()
        raw_tests += len(p)
        raw_rejections += int((p <= alpha).sum())
    assert candidate_links >= runs  # clusters do form under the null: the check is not vacuous
    assert false_links / candidate_links <= alpha
    assert runs_with_false / runs <= alpha + 2 * np.sqrt(alpha * (1 - alpha) / runs)
    assert raw_tests == 3 * runs
    assert raw_rejections / raw_tests <= alpha + 2 * np.sqrt(alpha * (1 - alpha) / raw_tests)


# ------------------------------------------------------------------------------------------
# statistics against independent references


def brute_clq(fxy, nxy, target, h):
    shares = []
    for p in fxy:
        d = np.sqrt(((nxy - p) ** 2).sum(axis=1))
        w = np.where(d <= h, np.exp(-0.5 * (d / h) ** 2), 0.0)
        if w.sum() > 0:
            shares.append((w * target).sum() / w.sum())
    return np.mean(shares) / target.mean()


def test_colocation_quotient_matches_brute_force(make_points):
    rng = np.random.default_rng(3)
    fxy = rng.uniform(530000, 530500, (40, 2))
    nxy = rng.uniform(529800, 530700, (300, 2))
    nxy[:20] = fxy[:20]  # shared snap points: distance 0
    target = rng.random(300) < 0.3
    res = colocation_quotient(
        make_points(fxy), make_points(nxy), target=target, bandwidth_m=150, permutations=0
    )
    assert res["colocation_quotient"] == pytest.approx(brute_clq(fxy, nxy, target, 150), rel=1e-12)
    assert res["share_area"] == pytest.approx(target.mean())
    assert res["n_focal_used"] == 40 and np.isnan(res["p_value"])


def test_colocation_focal_without_neighbours_left_out(make_points):
    fxy = np.array([[530000.0, 180000.0], [540000.0, 180000.0]])
    nxy = np.array([[530010.0, 180000.0], [530020.0, 180000.0], [530030.0, 180000.0]])
    target = np.array([True, False, False])
    res = colocation_quotient(
        make_points(fxy), make_points(nxy), target=target, bandwidth_m=50, permutations=0
    )
    assert res["n_focal_used"] == 1
    assert res["colocation_quotient"] == pytest.approx(brute_clq(fxy, nxy, target, 50))


def test_permutation_p_value_matches_exact_enumeration(make_points):
    # 9 neighbours, 3 of them targets: 84 equally likely relabellings, enumerated exactly.
    rng = np.random.default_rng(4)
    fxy = rng.uniform(0, 100, (3, 2)) + 530000
    nxy = rng.uniform(-50, 150, (9, 2)) + 530000
    nxy[:, 1] -= 350000
    fxy[:, 1] -= 350000
    target = np.zeros(9, dtype=bool)
    target[[0, 1, 5]] = True
    obs = brute_clq(fxy, nxy, target, 120)
    stats = []
    for combo in itertools.combinations(range(9), 3):
        t = np.zeros(9, dtype=bool)
        t[list(combo)] = True
        stats.append(brute_clq(fxy, nxy, t, 120))
    exact = np.mean(np.array(stats) >= obs - 1e-12)
    res = colocation_quotient(
        make_points(fxy),
        make_points(nxy),
        target=target,
        bandwidth_m=120,
        permutations=20000,
        rng=5,
    )
    assert res["colocation_quotient"] == pytest.approx(obs)
    # Monte Carlo standard error at 20,000 draws is below 0.0036; allow 4 SE
    assert res["p_value"] == pytest.approx(exact, abs=0.015)


def test_fdr_bh_correction_used_across_estates(background):
    rng = np.random.default_rng(11)
    keys = ("middlesex-street", "golden-lane", "mansell-street")
    asb = combine(*(asb_around(k, 50, rng) for k in keys))
    rob = robbery_cluster("golden-lane", 50, rng, offset_m=(0, 250))
    data = combine(background, asb, rob)
    holm = link_asb_to_street_crime(data, make_estates(keys), rng=2, permutations=199)
    bh = link_asb_to_street_crime(
        data, make_estates(keys), rng=2, permutations=199, correction="fdr_bh"
    )
    p = bh.estates["p_value"].to_numpy()
    np.testing.assert_allclose(
        bh.estates["p_adjusted"], false_discovery_control(p, method="bh"), rtol=1e-12
    )
    np.testing.assert_allclose(holm.estates["p_adjusted"], holm_adjust(p), rtol=1e-12)
    assert "Benjamini-Hochberg correction over 3 estates" in bh.links["explanation"].iloc[0]
    assert bh.method.n_estates_tested == 3


# ------------------------------------------------------------------------------------------
# timing


def test_asb_leading_street_crime_is_reported(background):
    rng = np.random.default_rng(13)
    months = pd.period_range("2018-04", "2020-03", freq="M")
    a_counts = rng.integers(1, 12, len(months))
    b_counts = np.roll(a_counts, 2)
    b_counts[:2] = 3
    asb = asb_around(
        "middlesex-street", int(a_counts.sum()), rng, months=np.repeat(months, a_counts)
    )
    rob = robbery_cluster(
        "middlesex-street", int(b_counts.sum()), rng, months=np.repeat(months, b_counts)
    )
    bg = background[background["month"].isin(months)]
    links = link_asb_to_street_crime(combine(bg, asb, rob), make_estates(), permutations=99, rng=3)
    link = links.links.iloc[0]
    near = asb.distance(ESTATES["middlesex-street"][1]) <= 100
    assert link["asb_count_near"] == near.sum()
    assert link["lead_lag_months"] == 2 and link["asb_leads"]
    assert "changes in ASB tend to come 2 month(s) before" in link["explanation"]


# ------------------------------------------------------------------------------------------
# youth selection


def test_youth_column_and_predicate(planted):
    background, asb, rob = planted
    asb = asb.assign(youth=np.arange(len(asb)) % 2 == 0)
    data = combine(background.assign(youth=False), asb, rob.assign(youth=False))
    by_col = link_asb_to_street_crime(
        data, make_estates(), youth="youth", permutations=199, rng=1
    ).links
    by_fn = link_asb_to_street_crime(
        data, make_estates(), youth=lambda d: d["youth"], permutations=199, rng=1
    ).links
    near = asb[asb["youth"]].distance(ESTATES["middlesex-street"][1]) <= 100
    assert by_col["asb_count_near"].iloc[0] == near.sum()
    pd.testing.assert_frame_equal(by_col, by_fn)
    assert by_col["asb_selection"].iloc[0] == "youth"
    assert "youth-related ASB incidents" in by_col["explanation"].iloc[0]
    assert "publishes no ages" not in by_col["explanation"].iloc[0]
    assert by_col.attrs["method"].youth == "youth"


# ------------------------------------------------------------------------------------------
# invariants and edge cases


def test_wgs84_input_same_answer(planted):
    background, asb, rob = planted
    data = combine(background, asb, rob)
    a = link_asb_to_street_crime(data, make_estates(), permutations=199, rng=1).links
    b = link_asb_to_street_crime(
        data.to_crs("EPSG:4326"), make_estates().to_crs("EPSG:4326"), permutations=199, rng=1
    ).links
    num = [
        "asb_count_near",
        "street_cluster_incidents",
        "distance_m",
        "colocation_quotient",
        "p_value",
    ]
    pd.testing.assert_frame_equal(a[num], b[num], rtol=1e-6)
    assert b.crs.to_epsg() == 27700


def test_same_rng_same_result_and_row_order(planted):
    background, asb, rob = planted
    data = combine(background, asb, rob)
    a = link_asb_to_street_crime(data, make_estates(), permutations=199, rng=5).links
    b = link_asb_to_street_crime(data, make_estates(), permutations=199, rng=5).links
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs["method"] == b.attrs["method"]
    shuffled = data.sample(frac=1, random_state=2).set_axis(np.zeros(len(data), dtype=int))
    c = link_asb_to_street_crime(shuffled, make_estates(), permutations=199, rng=5).links
    cols = ["asb_count_near", "street_cluster_incidents", "distance_m", "colocation_quotient"]
    pd.testing.assert_frame_equal(a[cols], c[cols])  # non-unique index and any order


def test_duplicate_locations(background):
    # every ASB on one snap point, every robbery on another: zero distances count fully
    rng = np.random.default_rng(9)
    c = np.asarray(ESTATES["middlesex-street"][1].centroid.coords[0])
    asb = points("Anti-social behaviour", np.tile(c, (30, 1)), rng.choice(MONTHS, 30))
    rob = points("Robbery", np.tile(c + [250, 0], (30, 1)), rng.choice(MONTHS, 30))
    links = link_asb_to_street_crime(
        combine(background, asb, rob), make_estates(), permutations=199, rng=1
    )
    assert len(links.links) == 1 and links.links["significant"].iloc[0]
    assert links.links["street_cluster_incidents"].iloc[0] == 30


def test_empty_and_single_incident():
    empty = points("Robbery", np.zeros((0, 2)), [])
    out = link_asb_to_street_crime(empty, make_estates())
    assert len(out.links) == 0 and list(out.links.columns) == list(LINK_COLUMNS)
    assert out.estates["note"].tolist() == ["no ASB near the estate"] * 2
    one = points("Anti-social behaviour", np.array([[533540.0, 181485.0]]), ["2019-01"])
    out = link_asb_to_street_crime(one, make_estates())
    assert len(out.links) == 0
    assert out.estates["asb_count_near"].iloc[0] == 1
    assert not out.estates["tested"].iloc[0]


def test_unlocated_incidents_warn_and_are_counted(planted):
    background, asb, rob = planted
    data = combine(background, asb, rob)
    data.loc[[0, 1], "geometry"] = None
    with pytest.warns(UserWarning, match="2 of .* incidents have no location"):
        out = link_asb_to_street_crime(data, make_estates(), permutations=19, rng=1)
    assert out.method.n_incidents_without_location == 2


def test_no_crs_raises(planted):
    background, asb, rob = planted
    data = combine(background, asb, rob).set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="`incidents` has no CRS"):
        link_asb_to_street_crime(data, make_estates())
    with pytest.raises(CRSError, match="`estates` has no CRS"):
        link_asb_to_street_crime(asb, make_estates().set_crs(None, allow_override=True))


def test_schema_errors(planted):
    _, asb, _ = planted
    with pytest.raises(SchemaError, match="missing column 'month'"):
        link_asb_to_street_crime(asb.drop(columns="month"), make_estates())
    with pytest.raises(SchemaError, match="'youngsters'"):
        link_asb_to_street_crime(asb, make_estates(), youth="youngsters")
    with pytest.raises(SchemaError, match="'knife_crime' is not a theme"):
        link_asb_to_street_crime(asb, make_estates(), street_crime_theme="knife_crime")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"near_m": -5}, "`near_m` must be a positive number of metres; got -5"),
        ({"link_m": 0}, "`link_m` must be a positive number of metres; got 0"),
        ({"permutations": 9.5}, "`permutations` must be a whole number"),
        ({"alpha": 1.5}, "`alpha` must be a probability"),
        ({"correction": "bonferroni"}, "`correction` must be 'holm' or 'fdr_bh'"),
        ({"min_asb": 0}, "`min_asb` must be a whole number >= 1"),
    ],
)
def test_bad_options(planted, kwargs, match):
    _, asb, _ = planted
    with pytest.raises(ValueError, match=match):
        link_asb_to_street_crime(asb, make_estates(), **kwargs)


def test_parameters_recorded(planted, planted_links):
    _, asb, rob = planted
    out = planted_links
    p = out.method
    assert isinstance(p, LinkMethod)
    assert out.links.attrs["method"] is p and out.estates.attrs["method"] is p
    assert p.near_m == 100 and p.link_m == 400 and p.permutations == 999
    assert p.street_crime_types == ("Robbery", "Theft from the person")
    assert p.n_asb == len(asb) and p.n_street_crime == len(rob)
    assert p.n_street_clusters == 1 and p.n_estates_tested == 1
    assert p.months[0] == "2018-04"
    assert p.to_dict()["street_cluster_distance_m"] == 50
    text = p.describe()
    assert "1 DBSCAN street-crime clusters (50 m, at least 15 incidents)" in text
    assert "Holm correction over 1 estates tested" in text
    assert "Links(1 candidate links, 1 significant" in repr(out)
    assert "<table" in out._repr_html_()
    assert out.to_frame() is out.links


def test_string_months_accepted(planted, planted_links):
    background, asb, rob = planted
    data = combine(background, asb, rob)
    data["month"] = data["month"].astype(str)
    out = link_asb_to_street_crime(data, make_estates(), rng=1)
    pd.testing.assert_frame_equal(out.links, planted_links.links)
    pd.testing.assert_frame_equal(out.estates, planted_links.estates)


def test_colocation_quotient_target_shape(make_points):
    xy = np.array([[530000.0, 180000.0]])
    with pytest.raises(ValueError, match="`target` must hold one boolean per row of `neighbours`"):
        colocation_quotient(make_points(xy), make_points(xy), target=[True, False], bandwidth_m=10)
    with pytest.raises(ValueError, match="`bandwidth_m` must be a positive number of metres"):
        colocation_quotient(make_points(xy), make_points(xy), target=[True], bandwidth_m=-1)


def test_missing_month_left_out_of_timing_only(planted, planted_links):
    background, asb, rob = planted
    data = combine(background, asb, rob)
    data.loc[[0, len(background) + 1], "month"] = pd.NaT  # one background row, one planted ASB
    out = link_asb_to_street_crime(data, make_estates(), rng=1)
    assert out.method.n_incidents_without_month == 2
    assert (
        out.links["colocation_quotient"].iloc[0]
        == planted_links.links["colocation_quotient"].iloc[0]
    )
    assert out.method.months == planted_links.method.months


def test_concat_of_two_runs_says_what_to_do(planted_links, background):
    """pd.concat keeps the method of one run's slices and explains the loss across runs."""
    links = planted_links.links
    same = pd.concat([links.iloc[:1], links.iloc[1:]])
    assert same.attrs["method"].describe() == planted_links.method.describe()
    other = link_asb_to_street_crime(background, make_estates(), permutations=9, rng=1).links
    mixed = pd.concat([links, other])
    with pytest.raises(SntGeoError, match="concat_results"):
        method_of(mixed)
