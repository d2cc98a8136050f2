"""Tests for snt_geo.profile.repeats: the borough repeat-location table keyed by snap point."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from snt_geo.errors import SchemaError
from snt_geo.io import read_police_uk, read_wards
from snt_geo.profile.repeats import REPEAT_COLUMNS, find_repeat_locations


def _wards():
    boxes = [shapely.box(i * 100, 0, (i + 1) * 100, 100) for i in range(3)]
    return gpd.GeoDataFrame(
        {
            "ward_name": ["A", "B", "C"],
            "borough_code": ["B1", "B1", "B2"],
            "borough_name": ["North", "North", "South"],
        },
        geometry=boxes,
        index=pd.Index(["W1", "W2", "W3"], name="ward_code"),
        crs=27700,
    )


def _incidents(rows):
    """rows: (x, y, month, crime_type, location)."""
    xs, ys, months, types, locs = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {
            "month": pd.PeriodIndex(months, freq="M"),
            "crime_type": types,
            "location": locs,
        },
        geometry=shapely.points(np.column_stack([xs, ys])),
        crs=27700,
    )


def test_known_answer_on_a_three_ward_grid():
    shop = (50, 50)
    rows = [
        (*shop, "2024-01", "Shoplifting", "On or near Supermarket"),
        (*shop, "2024-01", "Shoplifting", "On or near Supermarket"),
        (*shop, "2024-03", "Burglary", "On or near Supermarket"),
        (150, 50, "2024-02", "Robbery", "On or near Supermarket"),  # same text, other point
        (150, 50, "2024-02", "Robbery", "On or near Supermarket"),
        (160, 60, "2024-02", "Robbery", "On or near High Street"),  # single: not a repeat
        (250, 50, "2024-05", "Burglary", "On or near Park"),
        (250, 50, "2024-06", "Burglary", "On or near Park"),
        (999, 999, "2024-06", "Burglary", "Outside"),  # outside every ward
    ]
    out = find_repeat_locations(_incidents(rows), _wards())
    assert list(out.columns) == list(REPEAT_COLUMNS)
    assert out.index.name == "location_id"
    assert len(out) == 3
    first = out.iloc[0]
    assert first["borough_name"] == "North" and first["ward_code"] == "W1"
    assert first["incident_count"] == 3 and first["months_active"] == 2
    assert str(first["first_month"]) == "2024-01" and str(first["last_month"]) == "2024-03"
    assert first["main_crime_type"] == "Shoplifting"
    assert first["main_crime_share"] == pytest.approx(2 / 3)
    assert first["crime_mix"] == "Shoplifting 2; Burglary 1"
    assert first["borough_share"] == pytest.approx(3 / 6)  # North has 6 incidents in its wards
    assert list(out["rank_in_borough"]) == [1, 2, 1]
    south = out[out["borough_name"] == "South"].iloc[0]
    assert south["borough_share"] == 1.0 and south["location"] == "On or near Park"
    m = out.attrs["method"]
    assert (m.n_incidents, m.n_incidents_outside, m.n_locations, m.n_listed) == (8, 1, 4, 3)
    assert "not location descriptions" in m.describe()
    limited = find_repeat_locations(_incidents(rows), _wards(), top=1, min_count=1)
    assert list(limited["rank_in_borough"]) == [1, 1]


def test_counts_equal_a_groupby_on_coordinates_for_the_city(shared_data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        files = sorted((shared_data / "police-uk-city-of-london").rglob("2023-0*-street.csv*"))
        incidents = read_police_uk(files)
        wards = read_wards(
            shared_data / "gla-statistical-gis-boundaries-london/ESRI/London_Ward_CityMerged.shp"
        )
    city = wards[wards["borough_name"] == "City of London"]
    out = find_repeat_locations(incidents, city, min_count=1)
    inside = incidents[incidents.intersects(city.union_all())]
    ref = inside.groupby([inside.geometry.x, inside.geometry.y]).size().sort_values()
    got = out.groupby([out.geometry.x, out.geometry.y])["incident_count"].sum()
    pd.testing.assert_series_equal(got.loc[ref.index], ref, check_names=False)
    np.testing.assert_allclose(out["borough_share"].sum(), 1.0)
    months = inside.groupby([inside.geometry.x, inside.geometry.y])["month"].nunique()
    got_months = out.set_index([out.geometry.x, out.geometry.y])["months_active"]
    pd.testing.assert_series_equal(
        got_months.loc[months.index], months, check_names=False, check_dtype=False
    )


def test_input_is_not_modified_and_4326_gives_the_same_table():
    rows = [(50, 50, "2024-01", "Burglary", "X")] * 3 + [(150, 50, "2024-01", "Robbery", "Y")] * 2
    incidents = _incidents([(r[0] + 530_000, r[1] + 180_000, *r[2:]) for r in rows])
    wards = _wards()
    wards = wards.set_geometry(wards.translate(530_000, 180_000))
    before = incidents.copy()
    a = find_repeat_locations(incidents, wards)
    pd.testing.assert_frame_equal(incidents, before)
    b = find_repeat_locations(incidents.to_crs(4326), wards)
    assert list(a["incident_count"]) == list(b["incident_count"])
    np.testing.assert_allclose(
        shapely.get_coordinates(a.geometry), shapely.get_coordinates(b.geometry), atol=1e-3
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"min_count": 0}, "`min_count` must be a whole number >= 1; got 0"),
        ({"top": 2.5}, "`top` must be a whole number >= 1; got 2.5"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    incidents = _incidents([(50, 50, "2024-01", "Burglary", "X")])
    with pytest.raises(ValueError, match=match):
        find_repeat_locations(incidents, _wards(), **kwargs)


def test_missing_columns_raise_schema_error():
    incidents = _incidents([(50, 50, "2024-01", "Burglary", "X")]).drop(columns="month")
    with pytest.raises(SchemaError, match="needs the columns month and crime_type"):
        find_repeat_locations(incidents, _wards())
