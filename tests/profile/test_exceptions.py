"""Tests for snt_geo.profile.exceptions: seasonal expected counts and ward exceptions."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import statsmodels.api as sm
import statsmodels.formula.api as smf

from snt_geo.errors import SchemaError
from snt_geo.io import read_police_uk, read_wards
from snt_geo.profile.exceptions import EXCEPTION_CLASSES, find_exceptions

MONTHS = [f"2024-{m:02d}" for m in range(1, 13)] + ["2025-01", "2025-02"]


@pytest.fixture(scope="module")
def met(shared_data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the reader's drop account
        incidents = read_police_uk(
            shared_data / "police-uk-metropolitan-street-burglary-only", months=MONTHS
        )
        wards = read_wards(
            shared_data / "gla-statistical-gis-boundaries-london/ESRI/London_Ward_CityMerged.shp"
        )
    return incidents, wards


def _reference_counts(incidents, wards):
    """Counts per (ward, month) by a geopandas spatial join: first ward in order on a boundary."""
    polygons = wards[["geometry"]].reset_index(drop=True)  # index_right = position in order
    joined = gpd.sjoin(incidents[["month", "geometry"]], polygons, predicate="intersects")
    joined = joined.sort_values("index_right", kind="stable")
    joined = joined[~joined.index.duplicated(keep="first")]
    joined["ward"] = wards.index.to_numpy()[joined["index_right"].to_numpy()]
    grid = pd.MultiIndex.from_product(
        [wards.index, pd.PeriodIndex(MONTHS, freq="M")], names=["ward", "month"]
    )
    counts = joined.groupby(["ward", "month"]).size()
    return counts.reindex(grid, fill_value=0).rename("y").reset_index()


def test_expected_counts_equal_statsmodels_glm_with_ward_dummies(met):
    incidents, london = met
    wards = london[london["borough_name"] == "Barnet"]
    result = find_exceptions(incidents, wards, theme_keys=["burglary"])
    assert result.method.seasonal and result.method.n_history_months == 13

    data = _reference_counts(incidents, wards)
    data["t"] = [(m - pd.Period("2024-01", "M")).n for m in data["month"]]
    data["moy"] = [m.month for m in data["month"]]
    history = data[data["month"] < pd.Period("2025-02", "M")]
    fit = smf.glm("y ~ C(ward) + C(moy) + t", history, family=sm.families.Poisson()).fit()
    predicted = fit.predict(data)

    got = result.monthly.xs("burglary", level="theme")["expected_count"]
    want = pd.Series(predicted.to_numpy(), index=pd.MultiIndex.from_frame(data[["ward", "month"]]))
    got.index.names = ["ward", "month"]
    np.testing.assert_allclose(got.loc[want.index], want, rtol=1e-6)
    counts = result.monthly.xs("burglary", level="theme")["incident_count"]
    counts.index.names = ["ward", "month"]
    want_counts = data.set_index(["ward", "month"])["y"]
    np.testing.assert_array_equal(counts.loc[want_counts.index], want_counts)


def test_planted_threefold_surge_is_flagged_and_few_unplanted_wards_are(met):
    incidents, wards = met
    alpha = 0.05
    before = find_exceptions(incidents, wards, theme_keys=["burglary"], alpha=alpha)
    feb = before.wards.xs("burglary", level="theme")
    # The ward with the largest expected count: a monthly count test sees a 3x surge there.
    target = feb["expected_count"].idxmax()
    assert before.wards.loc[(target, "burglary"), "exception"] == "as_expected"

    from snt_geo.profile.assignment import assign_wards

    in_ward = assign_wards(incidents, wards).eq(target).fillna(False).to_numpy(bool)
    last = incidents[in_ward & (incidents["month"] == pd.Period("2025-02", "M")).to_numpy()]
    planted = pd.concat([incidents, last, last], ignore_index=True)
    after = find_exceptions(planted, wards, theme_keys=["burglary"], alpha=alpha)
    row = after.wards.loc[(target, "burglary")]
    assert row["incident_count"] == 3 * len(last)
    assert row["exception"] == "above"
    assert row["incident_count"] > row["expected_upper"]

    others = after.wards.drop(index=(target, "burglary"))
    flagged_share = others["exception"].isin(["above", "below"]).mean()
    assert flagged_share < alpha


def test_columns_classes_and_method_record(met):
    incidents, london = met
    wards = london[london["borough_name"].isin(["Barnet", "Camden"])]
    result = find_exceptions(incidents, wards, theme_keys=["burglary"], interval_level=0.9)
    table = result.to_frame()
    assert list(table.index.names) == ["ward_code", "theme"]
    assert list(table.columns) == [
        "ward_name",
        "borough_code",
        "borough_name",
        "incident_count",
        "expected_count",
        "expected_lower",
        "expected_upper",
        "ratio",
        "p_value_above",
        "p_value_below",
        "p_value",
        "p_value_fdr",
        "exception",
    ]
    assert list(table["exception"].cat.categories) == list(EXCEPTION_CLASSES)
    assert (table["expected_lower"] <= table["expected_count"]).all()
    assert (table["expected_count"] <= table["expected_upper"] + 1).all()
    assert table.attrs["method"] is result.method
    m = result.method.to_dict()
    assert m["month"] == "2025-02" and m["interval_level"] == 0.9
    assert m["scale"]["burglary"] >= 1
    text = result.method.describe()
    assert "month-of-year" in text and "Benjamini-Hochberg" in text
    # Every incident is accounted for: counted, outside the wards, or in another month.
    assert m["n_incidents"] + m["n_incidents_outside"] + m["n_incidents_other_months"] == len(
        incidents
    )
    assert result.flagged.index.names == ["ward_code", "theme"]
    assert "<p>" in result._repr_html_()


def test_row_order_does_not_matter(met):
    incidents, london = met
    wards = london[london["borough_name"] == "Camden"]
    a = find_exceptions(incidents, wards, theme_keys=["burglary"]).wards
    shuffled = incidents.sample(frac=1.0, random_state=1)
    b = find_exceptions(shuffled, wards, theme_keys=["burglary"]).wards
    pd.testing.assert_frame_equal(a, b)


def _grid_wards():
    boxes = [shapely.box(i * 100, 0, (i + 1) * 100, 100) for i in range(3)]
    return gpd.GeoDataFrame(
        {"ward_name": ["A", "B", "C"]},
        geometry=boxes,
        index=pd.Index(["W1", "W2", "W3"], name="ward_code"),
        crs=27700,
    )


def _grid_incidents(per_month):
    """``per_month``: {ward position: [count per month]} for months 2023-01 onwards."""
    rows = []
    for ward, counts in per_month.items():
        for m, c in enumerate(counts):
            rows += [(ward * 100 + 50, 50, str(pd.Period("2023-01", "M") + m))] * c
    xs, ys, months = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {"month": pd.PeriodIndex(months, freq="M"), "crime_type": "Burglary"},
        geometry=shapely.points(np.column_stack([xs, ys])),
        crs=27700,
    )


def test_ward_without_history_is_not_tested_and_short_history_has_no_season():
    incidents = _grid_incidents({0: [5, 6, 4, 5, 7, 5, 6, 5], 1: [0] * 7 + [3]})
    result = find_exceptions(incidents, _grid_wards(), theme_keys=["burglary"])
    assert not result.method.seasonal
    assert "cannot separate season" in result.method.seasonal_rule
    w2 = result.wards.loc[("W2", "burglary")]
    assert w2["exception"] == "no_history" and np.isnan(w2["p_value"])
    assert result.wards.loc[("W3", "burglary"), "exception"] == "no_history"


def test_months_with_no_data_are_not_zeros():
    counts = [5, 6, 4, 5, 0, 0, 7, 5, 6, 5, 6]
    incidents = _grid_incidents({0: counts, 2: [2 if c else 0 for c in counts]})
    result = find_exceptions(incidents, _grid_wards(), theme_keys=["burglary"])
    assert result.method.months_not_covered == ("2023-05", "2023-06")
    assert result.method.n_history_months == 8
    months = result.monthly.index.get_level_values("month").unique().astype(str)
    assert "2023-05" not in set(months)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"month": "2021-01"}, "`month` '2021-01' has no incident"),
        ({"month": "2023-03"}, "needs at least 6"),
        ({"alpha": 1.5}, r"`alpha` must be a false discovery rate in \(0, 1\); got 1.5"),
        ({"interval_level": 0}, r"`interval_level` must be a probability in \(0, 1\)"),
        ({"theme_keys": ["burglery"]}, "`theme_keys` names unknown theme"),
        ({"history_months": 2}, "`history_months` must be a whole number >= 6; got 2. Pass None"),
        ({"seasonal": True}, "`seasonal=True` needs at least 13 months"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    incidents = _grid_incidents({0: [5, 6, 4, 5, 7, 5, 6, 5]})
    with pytest.raises(ValueError, match=match):
        find_exceptions(incidents, _grid_wards(), **kwargs)


def test_missing_columns_raise_schema_error():
    incidents = _grid_incidents({0: [5] * 8}).drop(columns="crime_type")
    with pytest.raises(SchemaError, match="needs the columns month and crime_type"):
        find_exceptions(incidents, _grid_wards())


def test_4326_input_and_string_months_give_the_same_answer():
    counts = {0: [5, 6, 4, 5, 7, 5, 6, 5, 9], 1: [2, 3, 2, 1, 2, 3, 2, 2, 2]}
    wards = _grid_wards().set_geometry(_grid_wards().translate(530_000, 180_000))
    incidents = _grid_incidents(counts)
    incidents = incidents.set_geometry(incidents.translate(530_000, 180_000))
    a = find_exceptions(incidents, wards, theme_keys=["burglary"]).wards
    other = incidents.to_crs(4326)
    other["month"] = other["month"].astype(str).astype("category")
    b = find_exceptions(other, wards.to_crs(4326), theme_keys=["burglary"]).wards
    pd.testing.assert_frame_equal(a, b)
