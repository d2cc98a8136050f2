"""Tests for snt_geo.temporal.time_of_day: hour x weekday tables and the no-times state."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from snt_geo.errors import SchemaError
from snt_geo.io import incidents_from_frame, read_police_uk
from snt_geo.temporal import WEEKDAYS, time_of_day


def test_police_uk_months_only_is_no_times_not_zeros(shared_data):
    path = shared_data / "police-uk-city-of-london"
    files = sorted(path.rglob("2023-0[1-2]-city-of-london-street.csv*"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        incidents = read_police_uk(files)
    assert len(incidents) > 0
    result = time_of_day(incidents)
    assert result.state == "no_times" and not result.has_times
    assert result.table.shape == (7, 24)
    assert result.table.isna().all().all()
    assert "months only" in result.method.describe()


def test_exact_times_from_a_biu_extract_tabulate_by_hour_and_weekday():
    df = pd.DataFrame(
        {
            "x": [530_000.0, 530_100.0, 530_200.0, 530_300.0],
            "y": [180_000.0] * 4,
            "when": [
                "2024-03-04 09:10",
                "2024-03-04 09:50",
                "2024-03-09 23:05",
                "2024-03-10 00:30",
            ],
        }
    )
    incidents = incidents_from_frame(
        df, x="x", y="y", crs="EPSG:27700", date="when", crime_type="Robbery"
    )
    result = time_of_day(incidents)
    assert result.state == "times"
    table = result.table
    assert list(table.index) == list(WEEKDAYS)
    assert list(table.columns) == list(range(24))
    assert table.loc["Mon", 9] == 2 and table.loc["Sat", 23] == 1 and table.loc["Sun", 0] == 1
    assert table.to_numpy().sum() == 4
    assert result.to_frame().attrs["method"] is result.method


def test_aoristic_table_total_is_the_number_of_incidents_with_a_window():
    rng = np.random.default_rng(3)
    starts = pd.Timestamp("2024-05-01") + pd.to_timedelta(rng.integers(0, 20_000, 50), "min")
    ends = starts + pd.to_timedelta(rng.integers(0, 3_000, 50), "min")
    df = pd.DataFrame({"found_from": starts, "found_to": ends})
    result = time_of_day(df, start="found_from", end="found_to")
    assert result.table.to_numpy().sum() == pytest.approx(50, abs=1e-9)
    assert result.method.n_counted == 50
    assert "Ratcliffe 2002" in result.method.describe()


def test_dates_without_times_are_no_times():
    df = pd.DataFrame({"date": pd.to_datetime(["2024-03-01", "2024-03-02"])})
    result = time_of_day(df)
    assert result.state == "no_times"
    assert "without a time of day" in result.method.reason


@pytest.mark.parametrize(
    ("frame", "kwargs", "match"),
    [
        (pd.DataFrame({"a": [1]}), {}, "no `date` column and no `month`"),
        (pd.DataFrame({"a": [1]}), {"start": "from"}, "`start` names column 'from'"),
        (pd.DataFrame({"a": [1]}), {"end": "to"}, "`end` was given without `start`"),
    ],
)
def test_bad_columns_are_named(frame, kwargs, match):
    with pytest.raises(SchemaError, match=match):
        time_of_day(frame, **kwargs)
