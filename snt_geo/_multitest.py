"""Multiple-testing adjustments, written once: Benjamini-Hochberg (scipy's) and Holm.

Both take any array of p-values in [0, 1] and return adjusted p-values of the same shape. Non-finite
entries (NaN: no test was possible) are left out of the family and stay NaN, so a cell or link
that could not be tested neither counts towards ``m`` nor gets a q-value.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import false_discovery_control

__all__ = ["bh_adjust", "holm_adjust"]


def _over_finite(p, adjust) -> np.ndarray:
    """``adjust`` applied to the finite entries of ``p`` (one family); NaN elsewhere."""
    p = np.asarray(p, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = adjust(p[ok])
    return out


def _holm(pv: np.ndarray) -> np.ndarray:
    m = len(pv)
    order = np.argsort(pv, kind="stable")
    adjusted = np.maximum.accumulate((m - np.arange(m)) * pv[order])
    ranked = np.empty(m)
    ranked[order] = np.minimum(adjusted, 1.0)
    return ranked


def bh_adjust(p: np.ndarray) -> np.ndarray:
    """Return Benjamini-Hochberg (1995) q-values of the finite entries of ``p``.

    ``scipy.stats.false_discovery_control``, as a float array shaped like ``p`` (NaN stays NaN).
    """
    return _over_finite(p, false_discovery_control)


def holm_adjust(p: np.ndarray) -> np.ndarray:
    """Return Holm (1979) step-down adjusted p-values of the finite entries of ``p``.

    ``min(1, max_{j <= i} (m - j + 1) p_(j))`` for the i-th smallest (ties keep input order), as
    a float array shaped like ``p`` (NaN stays NaN).
    """
    return _over_finite(p, _holm)
