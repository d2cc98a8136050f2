"""snt_geo._format: one display rule per kind of number; missing values read "n/a" everywhere."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from snt_geo._format import (
    NA_TEXT,
    format_change,
    format_count,
    format_number,
    format_percent,
    format_pvalue,
    format_rate,
    format_value,
)

MISSING = [None, pd.NA, pd.NaT, np.nan, float("nan"), np.float32("nan")]


@pytest.mark.parametrize(
    "formatter",
    [format_count, format_number, format_rate, format_pvalue, format_percent, format_change,
     format_value],
)  # fmt: skip
@pytest.mark.parametrize("value", MISSING, ids=repr)
def test_missing_is_one_text_everywhere(formatter, value):
    assert formatter(value) == NA_TEXT == "n/a"


@pytest.mark.parametrize(
    ("p", "table", "sentence"),
    [
        (0.0, "< 0.001", "p < 0.001"),
        (0.0004, "< 0.001", "p < 0.001"),
        (0.000999, "< 0.001", "p < 0.001"),
        (0.001, "0.001", "p = 0.001"),
        (0.0123, "0.012", "p = 0.012"),
        (0.05, "0.050", "p = 0.050"),
        (1.0, "1.000", "p = 1.000"),
    ],
)
def test_one_p_value_rule(p, table, sentence):
    assert format_pvalue(p) == table
    assert format_pvalue(np.float64(p), prefix=True) == sentence


def test_p_value_text_round_trips_within_half_a_thousandth():
    for p in np.linspace(0.001, 1, 97):
        assert abs(float(format_pvalue(p)) - p) <= 0.0005 + 1e-12


def test_counts_rates_percents_changes():
    assert format_count(1234567) == "1,234,567"
    assert format_count(np.int64(12)) == "12"
    assert format_count(12.0) == "12"
    assert format_rate(12.345) == "12.3"
    assert format_rate(1234.5, digits=0) == "1,234"  # banker's rounding of .5 to even
    assert format_percent(0.123) == "12%"
    assert format_percent(1) == "100%"
    assert format_change(12.4) == "+12%"
    assert format_change(-3.0) == "-3%"
    assert format_change(math.inf) == "new"


def test_numbers_and_values():
    assert format_number(1234567) == "1,234,567"
    assert format_number(12.3456) == "12.35"
    assert format_number(0.00012) == "0.00012"
    assert format_number(0.5) == "0.5"
    assert format_number(2500.4) == "2,500"
    assert format_value(True) == "yes" and format_value(np.bool_(False)) == "no"
    assert format_value(["a", "b"]) == "a, b"
    assert format_value([1, np.nan]) == "1, n/a"
    assert format_value({"a": 1}) == "a 1"
    assert format_value("text") == "text"


def test_module_examples_run_as_doctests():
    import doctest

    import snt_geo._format as module

    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 3 and result.failed == 0
