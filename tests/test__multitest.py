"""snt_geo._multitest against statsmodels' multipletests (an independent implementation)."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from snt_geo._multitest import bh_adjust, holm_adjust


@pytest.mark.parametrize(
    ("ours", "method"), [(bh_adjust, "fdr_bh"), (holm_adjust, "holm")], ids=["bh", "holm"]
)
def test_matches_statsmodels_and_keeps_nan(ours, method):
    rng = np.random.default_rng(7)
    p = rng.uniform(0, 0.2, 300)
    p[[3, 50, 51]] = p[10]  # ties
    p[[5, 77]] = np.nan
    got = ours(p)
    ok = np.isfinite(p)
    want = multipletests(p[ok], method=method)[1]
    np.testing.assert_allclose(got[ok], want, rtol=1e-12, atol=0)
    assert np.isnan(got[~ok]).all()
    assert got.shape == p.shape


@pytest.mark.parametrize("adjust", [bh_adjust, holm_adjust])
def test_empty_and_all_nan(adjust):
    assert adjust(np.array([])).shape == (0,)
    assert np.isnan(adjust(np.array([np.nan, np.nan]))).all()


def test_bh_known_answer():
    # m = 4: sorted p * 4 / rank = 0.04, 0.04, 0.04, 0.04 -> monotone from the top.
    np.testing.assert_allclose(bh_adjust([0.01, 0.02, 0.03, 0.04]), [0.04] * 4)
    np.testing.assert_allclose(holm_adjust([0.01, 0.02, 0.03, 0.04]), [0.04, 0.06, 0.06, 0.06])


def test_holm_against_brute_force():
    p = np.array([0.01, 0.04, 0.03, 0.20, 0.005])
    m = len(p)
    order = np.argsort(p)
    brute = np.empty(m)
    for rank, i in enumerate(order):
        brute[i] = min(1.0, max((m - k) * p[order[k]] for k in range(rank + 1)))
    np.testing.assert_allclose(holm_adjust(p), brute)
    np.testing.assert_allclose(holm_adjust(p), [0.04, 0.09, 0.09, 0.2, 0.025])
