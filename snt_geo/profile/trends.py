"""Change in incident counts between two periods: percentage change and an exact Poisson test.

BIU tactical assessments compare the current period with the previous period of equal length and
with the same period a year earlier. Monthly police.uk counts are small, so a rise from 4 to 9 is
as likely to be noise as a trend; :func:`poisson_change_test` says how likely.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from snt_geo._validate import check_positive

__all__ = ["percent_change", "poisson_change_test"]

# scipy.stats.binomtest's tolerance when collecting outcomes "as or less likely" than the observed.
_RERR = 1 + 1e-7


def percent_change(count, baseline_count) -> np.ndarray:
    """Percentage change from ``baseline_count`` to ``count``.

    Parameters
    ----------
    count, baseline_count
        Counts (array-likes of the same shape; NaN allowed for "not available").

    Returns
    -------
    numpy.ndarray
        ``100 * (count - baseline_count) / baseline_count`` as float; NaN where the baseline is 0
        (a change from nothing has no percentage) or either value is NaN.

    Examples
    --------
    >>> percent_change([12, 5, 3], [10, 0, 6]).tolist()
    [20.0, nan, -50.0]
    """
    c = np.asarray(count, dtype="float64")
    b = np.asarray(baseline_count, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 100.0 * (c - b) / b
    return np.where(b > 0, out, np.nan)


def poisson_change_test(count, baseline_count, *, exposure_ratio: float = 1.0) -> np.ndarray:
    """Two-sided exact p-value for a change between two Poisson counts.

    Parameters
    ----------
    count, baseline_count
        Non-negative whole counts for the current and the baseline period (array-likes of the
        same shape). NaN in either gives NaN.
    exposure_ratio
        Length (or population-time) of the current period divided by that of the baseline.
        Default 1: periods of equal length, as in a 12-month vs previous 12-month comparison.

    Returns
    -------
    numpy.ndarray
        p-values in [0, 1] (float, same shape as the inputs). 1 where both counts are 0.

    Notes
    -----
    The conditional (binomial) test of two Poisson rates (Przyborowski & Wilenski 1940; Cox 1953):
    given the total ``n = count + baseline_count``, under the null of equal rates ``count`` is
    Binomial(``n``, ``r / (1 + r)``) with ``r = exposure_ratio``. The two-sided p-value sums the
    probabilities of every outcome no more likely than the one observed, exactly as
    ``scipy.stats.binomtest(count, n, r / (1 + r)).pvalue``; it is computed here for whole arrays
    (one probability vector per distinct ``n``) rather than one call per ward. For equal exposure
    the null distribution is symmetric and the p-value is ``min(1, 2 * F(min(k, n - k)))``.

    Small counts give large p-values: the test cannot see a change in a handful of incidents,
    which is the honest answer; see the ``<theme>_small_number`` flag of
    :func:`snt_geo.profile.profile.ward_profile`.

    Examples
    --------
    >>> poisson_change_test([30, 10], [15, 10]).round(4).tolist()
    [0.0357, 1.0]
    """
    exposure_ratio = check_positive(
        "exposure_ratio", exposure_ratio, hint="It is the current / baseline length."
    )
    c = np.asarray(count, dtype="float64")
    b = np.asarray(baseline_count, dtype="float64")
    c, b = np.broadcast_arrays(c, b)
    out = np.full(c.shape, np.nan)
    ok = ~(np.isnan(c) | np.isnan(b))
    if np.any((c[ok] < 0) | (b[ok] < 0) | (c[ok] % 1 != 0) | (b[ok] % 1 != 0)):
        raise ValueError(
            "`count` and `baseline_count` must be non-negative whole numbers (incident counts)."
        )
    k = c[ok].astype(np.int64)
    n = k + b[ok].astype(np.int64)
    p = exposure_ratio / (1.0 + exposure_ratio)
    if exposure_ratio == 1.0:
        res = np.minimum(1.0, 2.0 * stats.binom.cdf(np.minimum(k, n - k), n, 0.5))
    else:
        res = np.empty(len(k))
        for total in np.unique(n):
            at = n == total
            pmf = stats.binom.pmf(np.arange(total + 1), total, p)
            ordered = np.sort(pmf)
            cum = np.cumsum(ordered)
            # Sum of every pmf value <= pmf(k) * (1 + 1e-7), as scipy's binomtest does.
            idx = np.searchsorted(ordered, pmf[k[at]] * _RERR, side="right")
            res[at] = np.minimum(1.0, cum[idx - 1])
    res[n == 0] = 1.0
    out[ok] = res
    return out
