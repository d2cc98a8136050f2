"""snt_geo.profile._profile_engine: the window of months and the location quotient, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from snt_geo._dates import NO_MONTH
from snt_geo.profile._profile_engine import _lq, choose_window


def _ords(*months):
    return np.array([pd.Period(m, "M").ordinal if m else NO_MONTH for m in months])


def test_window_with_a_gap_and_missing_months():
    # 2023-01..2023-03 and 2024-01..2024-03 in the data, nothing in between, one row without month.
    months = _ords("2023-01", "2023-02", "2023-03", "2024-01", "2024-02", "2024-03", None)
    incidents = pd.DataFrame({"month": range(len(months))})
    w = choose_window(months, ("2024-02", "2024-03"), ("previous", "year_earlier"), incidents)
    p = lambda m: pd.Period(m, "M").ordinal  # noqa: E731
    assert (w.start, w.end, w.rule) == (p("2024-02"), p("2024-03"), "given")
    # previous = 2023-12..2024-01: 2023-12 is not in the data, so not covered
    assert w.base_ranges["previous"] == (p("2023-12"), p("2024-01"), False)
    assert w.base_ranges["year_earlier"] == (p("2023-02"), p("2023-03"), True)
    assert w.win_start == p("2023-02") and w.win_len == 14
    assert w.in_window.tolist() == [False, True, True, True, True, True, False]  # 2023-02..2024-03
    assert (w.data_first, w.data_last) == (p("2023-01"), p("2024-03"))
    assert len(w.period_gaps) == 0


def test_default_period_is_the_last_twelve_months():
    months = _ords(*[str(pd.Period("2022-01", "M") + k) for k in range(20)])
    w = choose_window(months, None, ("previous",), pd.DataFrame({"month": months}))
    assert pd.Period(ordinal=w.start, freq="M") == pd.Period("2022-09", "M")
    assert w.end - w.start == 11 and w.rule.startswith("default: the last 12")
    assert w.base_ranges["previous"][2] is False  # 2021-09..2022-08 partly before the data


def test_location_quotient_against_brute_force():
    rng = np.random.default_rng(3)
    c = rng.integers(0, 20, 12).astype(float)
    tot = c + rng.integers(0, 30, 12)
    tot[4] = 0.0
    c[4] = 0.0
    groups = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, -1, 0, 1])
    ref_all = c.sum() / tot.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        want_all = np.where(tot > 0, c / tot, np.nan) / ref_all
    np.testing.assert_allclose(_lq(c, tot, None, 0), want_all, equal_nan=True, rtol=1e-12)
    got = _lq(c, tot, groups, 3)
    for k in range(len(c)):
        g = groups[k]
        if g < 0 or tot[k] == 0:
            assert np.isnan(got[k])
            continue
        in_g = groups == g
        want = (c[k] / tot[k]) / (c[in_g].sum() / tot[in_g].sum())
        assert got[k] == pytest.approx(want, rel=1e-12)
