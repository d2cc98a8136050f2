"""The bad-input matrix for the analysis (issue 16): profile and linkage arguments, empty wards,
outlier months, impossible populations, and the resource guard (grids that would not fit)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from reliability_helpers import quiet

from snt_geo.errors import CRSError, ResourceLimitError, SchemaError
from snt_geo.linkage import (
    cluster_incidents,
    find_hotspots,
    kernel_density,
    make_grid,
    summarise_clusters,
)
from snt_geo.profile import assign_wards, ward_profile


@pytest.fixture(scope="module")
def small(sample):
    return sample.incidents.iloc[:300]


def _no_crs(frame):
    return frame.set_crs(None, allow_override=True)


# (id, call(sample, small), error, match)
ANALYSIS_ERRORS = [
    (
        "hotspots_cell_negative",
        lambda s, i: find_hotspots(i, area=s.wards, cell_size_m=-1),
        ValueError,
        r"`cell_size_m` must be a positive number of metres; got -1",
    ),  # noqa: E501
    (
        "hotspots_cell_nan",
        lambda s, i: find_hotspots(i, area=s.wards, cell_size_m=float("nan")),
        ValueError,
        r"`cell_size_m` must be a positive",
    ),  # noqa: E501
    (
        "hotspots_cell_text",
        lambda s, i: find_hotspots(i, area=s.wards, cell_size_m="big"),
        ValueError,
        r"`cell_size_m` must be a positive.*'big'",
    ),  # noqa: E501
    (
        "hotspots_alpha",
        lambda s, i: find_hotspots(i, area=s.wards, alpha=2),
        ValueError,
        r"`alpha` must be one of",
    ),  # noqa: E501
    (
        "hotspots_neighbour_distance",
        lambda s, i: find_hotspots(i, area=s.wards, neighbour_distance_m=-5),
        ValueError,
        r"`neighbour_distance_m` must be a positive",
    ),  # noqa: E501
    (
        "hotspots_no_crs",
        lambda s, i: find_hotspots(_no_crs(i), area=s.wards),
        CRSError,
        r"`incidents` has no CRS",
    ),  # noqa: E501
    (
        "hotspots_area_no_crs",
        lambda s, i: find_hotspots(i, area=_no_crs(s.wards)),
        CRSError,
        r"`area` has no CRS",
    ),  # noqa: E501
    (
        "hotspots_list",
        lambda s, i: find_hotspots([1, 2], area=s.wards),
        TypeError,
        r"`incidents` must be a GeoDataFrame",
    ),  # noqa: E501
    (
        "hotspots_area_points",
        lambda s, i: find_hotspots(i, area=i),
        SchemaError,
        r"`area` must hold polygons",
    ),  # noqa: E501
    (
        "kde_bandwidth_negative",
        lambda s, i: kernel_density(i, area=s.wards, bandwidth_m=-1),
        ValueError,
        r"`bandwidth_m` must be a positive number of metres",
    ),  # noqa: E501
    (
        "kde_kernel",
        lambda s, i: kernel_density(i, area=s.wards, kernel="gauss"),
        ValueError,
        r"`kernel` must be one of",
    ),  # noqa: E501
    (
        "kde_weight_column",
        lambda s, i: kernel_density(i, area=s.wards, weight_column="nope"),
        SchemaError,
        r"`weight_column` = 'nope'",
    ),  # noqa: E501
    (
        "grid_cell_zero",
        lambda s, i: make_grid(s.wards, cell_size_m=0),
        ValueError,
        r"`cell_size_m` must be a positive",
    ),  # noqa: E501
    (
        "clusters_distance",
        lambda s, i: cluster_incidents(i, distance_m=-1),
        ValueError,
        r"`distance_m` must be a positive number of metres",
    ),  # noqa: E501
    (
        "clusters_min_incidents",
        lambda s, i: cluster_incidents(i, distance_m=50, min_incidents=0),
        ValueError,
        r"`min_incidents` must be a positive whole number",
    ),  # noqa: E501
    (
        "clusters_method",
        lambda s, i: cluster_incidents(i, method="kmeans"),
        ValueError,
        r"`method` must be 'dbscan' or 'hdbscan'",
    ),  # noqa: E501
    (
        "clusters_window_months",
        lambda s, i: cluster_incidents(i, distance_m=50, window_months=-1),
        ValueError,
        r"`window_months` must be a positive number of months",
    ),  # noqa: E501
    (
        "summarise_labels_length",
        lambda s, i: summarise_clusters(i, pd.Series([0, 1])),
        ValueError,
        r"`labels` has 2 rows but `incidents` has 300",
    ),  # noqa: E501
    (
        "assign_wards_no_crs",
        lambda s, i: assign_wards(i, _no_crs(s.wards)),
        CRSError,
        r"`wards` has no CRS",
    ),  # noqa: E501
    (
        "profile_period_word",
        lambda s, i: ward_profile(s.wards, i, period="March"),
        ValueError,
        r"`period` holds 'March', which is not a month",
    ),  # noqa: E501
    (
        "profile_period_backwards",
        lambda s, i: ward_profile(s.wards, i, period=("2020-01", "2019-01")),
        ValueError,
        r"`period` runs backwards",
    ),  # noqa: E501
    (
        "profile_baseline",
        lambda s, i: ward_profile(s.wards, i, baseline="decade"),
        ValueError,
        r"`baseline` names unknown comparisons",
    ),  # noqa: E501
    (
        "profile_min_population",
        lambda s, i: ward_profile(s.wards, i, min_population=-1),
        ValueError,
        r"`min_population` must be a non-negative number",
    ),  # noqa: E501
    (
        "profile_wards_list",
        lambda s, i: ward_profile([1], i),
        TypeError,
        r"`wards` must be a GeoDataFrame",
    ),  # noqa: E501
    (
        "profile_no_month_column",
        lambda s, i: ward_profile(s.wards, i.drop(columns="month")),
        SchemaError,
        r"(?s)`incidents` lacks columns.*`month`",
    ),  # noqa: E501
    (
        "profile_no_month_values",
        lambda s, i: ward_profile(s.wards, i.assign(month=pd.NaT)),
        ValueError,
        r"`incidents` has no rows with a month",
    ),  # noqa: E501
    (
        "profile_duplicate_wards",
        lambda s, i: ward_profile(pd.concat([s.wards, s.wards.iloc[:1]]), i),
        SchemaError,
        r"`wards` must have a unique index",
    ),  # noqa: E501
    (
        "profile_demographics_no_population",
        lambda s, i: ward_profile(
            s.wards, i, demographics=s.demographics.drop(columns="population")
        ),
        SchemaError,
        r"(?s)`demographics` cannot be joined.*population",
    ),  # noqa: E501
    (
        "profile_wards_lonlat_as_bng",
        lambda s, i: ward_profile(s.wards.to_crs(4326).set_crs(27700, allow_override=True), i),
        CRSError,
        r"`wards` is labelled EPSG:27700 .* degrees",
    ),  # noqa: E501
]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [c[1:] for c in ANALYSIS_ERRORS],
    ids=[c[0] for c in ANALYSIS_ERRORS],
)
def test_analysis_refuses(sample, small, call, error, match):
    with pytest.raises(error, match=match):
        quiet(call, sample, small)


# --- issue 16 item 5: empty wards ---


def _empty_geometries(wards):
    return wards.set_geometry([shapely.Polygon()] * len(wards), crs=wards.crs)


EMPTY_WARDS = [
    ("no_rows", lambda w: w.iloc[:0]),
    ("all_empty_polygons", _empty_geometries),
    (
        "one_empty_polygon",
        lambda w: w.set_geometry([shapely.Polygon(), *w.geometry.iloc[1:]], crs=w.crs),
    ),  # noqa: E501
]


@pytest.mark.parametrize("make", [c[1] for c in EMPTY_WARDS], ids=[c[0] for c in EMPTY_WARDS])
def test_empty_wards_never_crash_the_profile(sample, small, make):
    wards = make(sample.wards)
    codes = assign_wards(small, wards)
    profile = quiet(ward_profile, wards, small, period=("2019-01", "2019-12"))
    assert len(profile.wards) == len(wards)
    assert (
        profile.wards["incident_count"].sum()
        == codes.notna().sum()
        - (
            codes.notna()
            & ~small["month"].between(pd.Period("2019-01", "M"), pd.Period("2019-12", "M"))
        ).sum()
    )
    labels = quiet(cluster_incidents, small, distance_m=100, min_incidents=5)
    clusters = quiet(summarise_clusters, small, labels, wards=wards)
    assert len(clusters) == labels[labels >= 0].nunique()


# --- issue 16 item 4: a typo month must not take over the default period ---


def test_outlier_month_kept_out_of_the_default_period(sample):
    incidents = sample.incidents.copy()
    incidents["month"] = incidents["month"].astype(str)
    incidents.loc[incidents.index[0], "month"] = "2203-01"
    with pytest.warns(UserWarning, match="2203-01"):
        profile = ward_profile(sample.wards, incidents)
    first, last = profile.method.period[0], profile.method.period[-1]
    assert str(last) == "2023-06" and str(first) == "2022-07"
    assert profile.wards["incident_count"].sum() > 1000


# --- issue 16 item 8: populations of zero or below ---


def test_zero_population_gives_no_infinite_rate(sample):
    demo = sample.demographics.copy()
    demo.iloc[0, demo.columns.get_loc("population")] = 0
    profile = quiet(
        ward_profile, sample.wards, sample.incidents, demographics=demo, min_population=0
    )
    rates = profile.wards.filter(like="rate_per_1000").to_numpy(dtype=float)
    assert not np.isinf(rates).any()
    assert np.isnan(rates[0]).all()


def test_negative_population_refused(sample):
    demo = sample.demographics.copy()
    demo.iloc[1, demo.columns.get_loc("population")] = -50
    with pytest.raises(SchemaError, match=r"`demographics`.*negative"):
        quiet(ward_profile, sample.wards, sample.incidents, demographics=demo)


# --- issue 16 item 6: the resource guard ---

#: Bounds of the GLA's London wards, EPSG:27700.
LONDON = shapely.box(503568.2, 155850.8, 561957.5, 200933.9)


@pytest.fixture(scope="module")
def london_area():
    return gpd.GeoSeries([LONDON], crs=27700)


@pytest.fixture(scope="module")
def london_points():
    rng = np.random.default_rng(16)
    x = rng.uniform(LONDON.bounds[0], LONDON.bounds[2], 500)
    y = rng.uniform(LONDON.bounds[1], LONDON.bounds[3], 500)
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=27700)


# Unguarded (before issue 16), these ran for minutes and ended in a MemoryError.
@pytest.mark.parametrize("func", [find_hotspots, kernel_density], ids=["find_hotspots", "kde"])
def test_half_metre_grid_over_london_refused(func, london_area, london_points):
    with pytest.raises(
        ResourceLimitError, match=r"`cell_size_m` is too small.*cells.*GiB.*Pass cell_size_m="
    ):  # noqa: E501
        func(london_points, area=london_area, cell_size_m=0.5)


def test_half_metre_grid_without_area_refused(london_points):
    with pytest.raises(ResourceLimitError, match=r"`cell_size_m` is too small"):
        make_grid(gpd.GeoSeries([LONDON], crs=27700), cell_size_m=0.5)


def test_continental_bandwidth_refused(sample, small):
    with pytest.raises(ResourceLimitError, match=r"`bandwidth_m` is too large"):
        kernel_density(small, area=sample.wards, cell_size_m=50, bandwidth_m=1e7)


def test_one_huge_cell_is_not_a_crs_error(sample, small):
    # Issue 16 item 11: cell_size_m=1e6 raised CRSError ("outside Great Britain").
    got = quiet(find_hotspots, small, area=sample.wards, cell_size_m=1e6)
    assert got["incident_count"].sum() == len(small)
