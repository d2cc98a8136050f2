"""Tests for snt_geo.temporal.aoristic: aoristic weights over the hours of the week."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from snt_geo.errors import SchemaError
from snt_geo.temporal import aoristic_weights


def _weights_dict(frame):
    return {(int(d), int(h)): w for d, h, w in frame[["weekday", "hour", "weight"]].to_numpy()}


def test_hand_computed_window_across_midnight_and_the_week_boundary():
    # Sunday 10 March 2024 22:30 to Monday 11 March 01:30: three hours, across midnight and
    # from the last day of one ISO week into the first day of the next.
    df = pd.DataFrame({"from": ["2024-03-10 22:30"], "to": ["2024-03-11 01:30"]})
    got = _weights_dict(aoristic_weights(df, start="from", end="to"))
    want = {(6, 22): 0.5 / 3, (6, 23): 1 / 3, (0, 0): 1 / 3, (0, 1): 0.5 / 3}
    assert got.keys() == want.keys()
    for key, value in want.items():
        assert got[key] == pytest.approx(value, abs=1e-12)


def test_exact_time_has_all_its_weight_in_one_hour():
    df = pd.DataFrame({"at": pd.to_datetime(["2024-03-01 10:15:00", "2024-03-03 23:59:59"])})
    out = aoristic_weights(df, start="at")
    assert _weights_dict(out) == {(4, 10): 1.0, (6, 23): 1.0}
    assert out.attrs["method"].n_exact == 2


def _brute_force(start, end):
    """Minute-by-minute count of a window's minutes per (weekday, hour), divided by its length."""
    minutes = pd.date_range(start, end, freq="min", inclusive="left")
    counts = pd.Series(1.0, index=minutes).groupby([minutes.day_of_week, minutes.hour]).sum()
    return {(int(d), int(h)): c / len(minutes) for (d, h), c in counts.items()}


def test_weights_sum_to_one_and_match_minute_by_minute_counting():
    rng = np.random.default_rng(7)
    base = pd.Timestamp("2024-01-01")
    starts = base + pd.to_timedelta(rng.integers(0, 60 * 24 * 60, 40), unit="min")
    # Lengths from one minute to 17 days: several windows longer than a week.
    lengths = pd.to_timedelta(rng.integers(1, 60 * 24 * 17, 40), unit="min")
    df = pd.DataFrame({"from": starts, "to": starts + lengths}, index=np.arange(100, 140))
    out = aoristic_weights(df, start="from", end="to")
    sums = out.groupby(level=0)["weight"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-12)
    assert list(sums.index) == list(df.index)
    for label in df.index[:12]:
        got = _weights_dict(out.loc[[label]])
        want = _brute_force(df.at[label, "from"], df.at[label, "to"])
        assert got.keys() == want.keys()
        np.testing.assert_allclose([got[k] for k in want], list(want.values()), atol=1e-9)


def test_missing_start_and_reversed_windows_are_counted_and_warned():
    df = pd.DataFrame(
        {"from": ["2024-03-01 10:00", None, "2024-03-05 10:00"], "to": [None, None, "2024-03-04"]}
    )
    with pytest.warns(UserWarning, match="1 incident\\(s\\) without a readable `start` and 1"):
        out = aoristic_weights(df, start="from", end="to")
    m = out.attrs["method"]
    assert (m.n_exact, m.n_windowed, m.n_no_start, m.n_reversed) == (1, 0, 1, 1)
    assert list(out.index) == [0]
    assert "not counted" in m.describe()


def test_input_is_not_modified():
    df = pd.DataFrame({"from": ["2024-03-10 22:30"], "to": ["2024-03-11 01:30"]})
    before = df.copy()
    aoristic_weights(df, start="from", end="to")
    pd.testing.assert_frame_equal(df, before)


def test_missing_column_names_the_argument():
    df = pd.DataFrame({"from": ["2024-03-10 22:30"]})
    with pytest.raises(SchemaError, match="`end` names column 'date_to'"):
        aoristic_weights(df, start="from", end="date_to")
