"""Tests for snt_geo/_dates.py: the one month and date parser."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from snt_geo._dates import (
    NO_MONTH,
    find_outlier_months,
    month_ordinals,
    months_from_ordinals,
    parse_dates,
    parse_month,
    to_months,
)
from snt_geo.errors import SchemaError


def _p(text: str) -> int:
    return pd.Period(text, freq="M").ordinal


@pytest.mark.parametrize(
    ("value", "month"),
    [
        ("2023-02", "2023-02"),
        ("2023-2", "2023-02"),
        (" 2023-02 ", "2023-02"),
        ("2023-02-01", "2023-02"),
        ("2023-02-28T23:59:59", "2023-02"),
        ("2023-02-28 23:59", "2023-02"),
        ("01/02/2023", "2023-02"),  # UK: 1 February, not 2 January
        ("05/02/2023", "2023-02"),
        ("12/02/2023", "2023-02"),
        ("13/02/2023", "2023-02"),
        ("1/2/2023", "2023-02"),
        ("01-02-2023", "2023-02"),
        ("01.02.2023", "2023-02"),
        ("01/02/2023 14:30", "2023-02"),
        ("01/02/2023 14:30:05", "2023-02"),
        # A UTC offset is converted to London time before the month is taken (BST in June).
        ("2023-06-30T23:30:00Z", "2023-07"),
        ("2023-06-30T23:30:00+01:00", "2023-06"),
        ("2203-01", "2203-01"),
        ("9999-12", "9999-12"),
        ("1969-12", "1969-12"),
    ],
)
def test_month_of_text(value, month):
    assert month_ordinals([value], argument="month")[0] == _p(month)


@pytest.mark.parametrize(
    "value", ["", "soon", "March", "2023-13", "2023-00", "31/02/2023", "01/02/23", "2023/02/01x"]
)
def test_unparseable_text_is_no_month(value):
    assert month_ordinals([value], argument="month")[0] == NO_MONTH


def test_uk_dates_regression_issue_16_item_1():
    # Before: 2023-01, 2023-05, 2023-12 and a drop.
    got = to_months(
        pd.Series(["01/02/2023", "05/02/2023", "12/02/2023", "13/02/2023"]), argument="date"
    )
    assert list(got.astype(str)) == ["2023-02"] * 4


def test_us_dates_only_when_told():
    values = pd.Series(["02/13/2023", "01/02/2023"])
    with pytest.raises(SchemaError, match=r"`date` holds month-first \(US\).*dayfirst=False"):
        month_ordinals(values, argument="date")
    got = to_months(values, argument="date", dayfirst=False)
    assert list(got.astype(str)) == ["2023-02", "2023-01"]


def test_dayfirst_false_refuses_uk_only_dates():
    with pytest.raises(SchemaError, match=r"`when` holds day-first \(UK\).*dayfirst=True"):
        month_ordinals(["13/02/2023", "01/02/2023"], argument="when", dayfirst=False)


@pytest.mark.parametrize("dayfirst", [True, False])
def test_mixed_day_and_month_first_refused(dayfirst):
    with pytest.raises(SchemaError, match=r"`date` mixes day-first and month-first.*'13/02/2023'"):
        month_ordinals(
            ["13/02/2023", "02/13/2023", "01/02/2023"], argument="date", dayfirst=dayfirst
        )


def test_iso_and_uk_in_one_column_agree():
    got = to_months(["2023-02-01", "01/02/2023", "2023-02"], argument="date")
    assert list(got.astype(str)) == ["2023-02"] * 3


def test_typed_values():
    values = pd.Series(
        [
            pd.Period("2020-03", freq="M"),
            pd.Period("2020-03-05", freq="D"),
            pd.Timestamp("2021-01-05"),
            pd.Timestamp("2021-06-30 23:30", tz="UTC"),
            dt.date(2022, 4, 1),
            np.datetime64("2022-05-01"),
            None,
            np.nan,
            pd.NaT,
            3.5,
        ],
        dtype="object",
    )
    got = month_ordinals(values, argument="month")
    want = ["2020-03", "2020-03", "2021-01", "2021-07", "2022-04", "2022-05"]
    assert list(got[:6]) == [_p(m) for m in want]
    assert (got[6:] == NO_MONTH).all()


@pytest.mark.parametrize(
    "series",
    [
        pd.Series(pd.period_range("2020-01-30", periods=3, freq="D")),
        pd.Series(pd.date_range("2020-01-30", periods=3, freq="D")),
        pd.Series(pd.date_range("2020-01-30", periods=3, freq="D", tz="Europe/London")),
        pd.Series(["2020-01-30", "2020-01-31", "2020-02-01"], dtype="category"),
        pd.Series(["2020-01-30", "2020-01-31", "2020-02-01"], dtype="string[pyarrow]"),
    ],
)
def test_dtypes_agree(series):
    got = month_ordinals(series, argument="month")
    assert list(got) == [_p("2020-01"), _p("2020-01"), _p("2020-02")]


def test_missing_period_and_datetime():
    per = pd.Series(pd.PeriodIndex(["2020-01", None], freq="M"))
    assert month_ordinals(per, argument="m")[1] == NO_MONTH
    dts = pd.Series(pd.to_datetime(["2020-01-01", None]))
    assert month_ordinals(dts, argument="m")[1] == NO_MONTH


def test_empty():
    assert len(month_ordinals(pd.Series([], dtype=object), argument="m")) == 0
    assert len(to_months([], argument="m")) == 0


def test_parse_dates_keeps_index_and_time():
    s = pd.Series(["01/02/2023 14:30", "2023-02-05", "", "2023-02"], index=[10, 11, 12, 13])
    got = parse_dates(s, argument="date")
    assert list(got.index) == [10, 11, 12, 13]
    assert got[10] == pd.Timestamp("2023-02-01 14:30")
    assert got[11] == pd.Timestamp("2023-02-05")
    assert got[[12, 13]].isna().all()
    assert got.dtype == "datetime64[ns]"


def test_months_from_ordinals_round_trip():
    ords = np.array([_p("2020-01"), NO_MONTH, _p("1969-12")])
    arr = months_from_ordinals(ords)
    assert [str(p) for p in arr] == ["2020-01", "NaT", "1969-12"]
    assert (month_ordinals(pd.Series(arr), argument="m") == ords).all()


def test_to_months_allow_missing_false():
    with pytest.raises(SchemaError, match=r"`incidents\['month'\]` has 1 rows.*'soon'"):
        to_months(["2020-01", "soon"], argument="incidents['month']", allow_missing=False)


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("2019-01", "2019-01"),
        (pd.Period("2019-01-05", freq="D"), "2019-01"),
        (pd.Timestamp("2020-05-04"), "2020-05"),
        ("01/02/2023", "2023-02"),
    ],
)
def test_parse_month(value, want):
    assert parse_month(value, argument="period") == pd.Period(want, freq="M")


@pytest.mark.parametrize("value", ["March", "", 2019, None, "2019-13"])
def test_parse_month_refuses(value):
    with pytest.raises(ValueError, match="`period` holds .* not a month"):
        parse_month(value, argument="period")


def test_outlier_month_regression_issue_16_item_4():
    ords = month_ordinals(["2022-01"] * 100 + ["2022-06"] * 100 + ["2203-01"], argument="m")
    out = find_outlier_months(ords)
    assert (out.first, out.last) == (_p("2022-01"), _p("2022-06"))
    assert out.outliers == {pd.Period("2203-01", freq="M"): 1}
    assert out.outlier_rows == 1
    assert out.is_outlier(ords).sum() == 1
    assert "2203-01 (1 rows)" in out.describe()


def test_outliers_both_sides_and_real_gaps_kept():
    months = ["1923-01"] * 2 + ["2019-01"] * 300 + ["2021-06"] * 300 + ["2203-01"]
    out = find_outlier_months(month_ordinals(months, argument="m"))
    # A two-year gap in real data is not an outlier: the later run is large.
    assert (out.first, out.last) == (_p("2019-01"), _p("2021-06"))
    assert set(out.outliers) == {pd.Period("1923-01", "M"), pd.Period("2203-01", "M")}


def test_no_outliers_and_no_months():
    out = find_outlier_months(np.array([_p("2020-01"), _p("2020-02"), NO_MONTH]))
    assert out.outliers == {} and out.describe() == ""
    none = find_outlier_months(np.array([NO_MONTH]))
    assert (none.first, none.last) == (NO_MONTH, NO_MONTH)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_gap_months": 0}, "`max_gap_months` must be a whole number"),
        ({"max_gap_months": 1.5}, "`max_gap_months` must be a whole number"),
        ({"max_share": 1.0}, r"`max_share` must be a share in \[0, 1\)"),
        ({"max_share": -0.1}, r"`max_share` must be a share"),
    ],
)
def test_outlier_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        find_outlier_months(np.array([1]), **kwargs)


@pytest.mark.parametrize(
    ("value", "month"),
    [
        ("15 Jan 2024", "2024-01"),
        ("15 January 2024", "2024-01"),
        ("15-Jan-2024", "2024-01"),
        ("1st March 2024", "2024-03"),
        ("15 Jan 2024 10:30", "2024-01"),
        ("January 2024", "2024-01"),
        ("Sept 2023", "2023-09"),
    ],
)
def test_month_names(value, month):
    assert month_ordinals([value], argument="set_on")[0] == _p(month)


@pytest.mark.parametrize("value", ["30 Feb 2024", "15 Foo 2024", "Foo 2024"])
def test_bad_month_names_are_no_month(value):
    assert month_ordinals([value], argument="set_on")[0] == NO_MONTH


def test_named_dates_keep_the_day():
    got = parse_dates(pd.Series(["15 Jan 2024", "15 Jan 2024 10:30"]), argument="set_on")
    assert list(got) == [pd.Timestamp("2024-01-15"), pd.Timestamp("2024-01-15 10:30")]


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("06/01/2019 12:00:00 AM", "2019-06-01 00:00"),
        ("06/01/2019 12:30:00 PM", "2019-06-01 12:30"),
        ("06/01/2019 01:15 pm", "2019-06-01 13:15"),
        ("06/30/2019 11:59:59 P.M.", "2019-06-30 23:59:59"),
    ],
)
def test_twelve_hour_times_us_export(value, want):
    # Camden's open-data export: US month-first dates with AM/PM times.
    got = parse_dates(pd.Series([value, "06/30/2019 01:00:00 AM"]), argument="date", dayfirst=False)
    assert got[0] == pd.Timestamp(want)


def test_impossible_twelve_hour_time_is_unparseable():
    assert month_ordinals(["01/02/2023 13:00 PM"], argument="date")[0] == NO_MONTH


@pytest.mark.parametrize("value", ["01/02/2023 25:00", "01/02/2023 10:75", "1 Feb 2023 24:00"])
def test_impossible_times_do_not_roll_over(value):
    assert month_ordinals([value], argument="date")[0] == NO_MONTH
