"""Displacement statistics on before/after counts: the WDD test and the WDQ.

Both work on counts of incidents in a treated area, a displacement (buffer) area around it and a
control area, before and after a response. :func:`snt_geo.problem_solving.evaluate_intervention`
counts real incidents into these areas and calls them; they can also be used on their own with
counts from a report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from snt_geo._format import format_pvalue
from snt_geo._method import MethodRecord

__all__ = ["WDDResult", "DisplacementQuotient", "wdd_test", "displacement_quotient"]


@dataclass(frozen=True, repr=False)
class WDDResult(MethodRecord):
    """Result of :func:`wdd_test` (Wheeler & Ratcliffe 2018).

    Attributes
    ----------
    estimate
        The weighted displacement difference: negative means fewer incidents than the controls
        predict (in incidents per unit of time weight, harm-weighted when harm weights are given).
    variance, se
        Its Poisson variance (the weighted sum of the counts) and standard error.
    z, p_value
        ``estimate / se`` and the two-sided normal p-value.
    ci_low, ci_high
        ``1 - alpha`` confidence interval of the estimate.
    alpha
        Level of the interval.
    time_weights, area_weights
        The weights used (before, after) and (treated, control, displacement, displacement
        control).
    """

    estimate: float
    variance: float
    se: float
    z: float
    p_value: float
    ci_low: float
    ci_high: float
    alpha: float
    time_weights: tuple[float, float]
    area_weights: tuple[float, float, float, float]

    def describe(self) -> str:
        """One sentence with the estimate, its standard error, z and p."""
        level = round(100 * (1 - self.alpha))
        return (
            f"Weighted displacement difference (Wheeler & Ratcliffe 2018) {self.estimate:+.1f} "
            f"(se {self.se:.1f}, z {self.z:.2f}, two-sided "
            f"{format_pvalue(self.p_value, prefix=True)}; {level}% CI "
            f"{self.ci_low:.1f} to {self.ci_high:.1f}), assuming Poisson counts."
        )


@dataclass(frozen=True, repr=False)
class DisplacementQuotient(MethodRecord):
    """Result of :func:`displacement_quotient` (Bowers & Johnson 2003).

    Attributes
    ----------
    success_measure
        ``A1/C1 - A0/C0``: negative when the treated area improved relative to the control.
    buffer_measure
        ``B1/C1 - B0/C0``: positive when the buffer worsened relative to the control.
    wdq
        ``buffer_measure / success_measure``; NaN when ``success_measure >= 0`` (the quotient is
        only read when the treated area improved).
    reading
        The documented reading of ``wdq`` in words.
    gross_effect
        ``A0 - A1``: incidents fewer in the treated area.
    net_effect
        ``A0 * C1 / C0 - A1``: incidents fewer than the control's trend predicts.
    buffer_net_effect
        ``B1 - B0 * C1 / C0``: incidents more in the buffer than the control's trend predicts
        (displaced incidents; negative means a diffusion of benefits).
    total_net_effect
        ``net_effect - buffer_net_effect``: incidents prevented, net of displacement.
    """

    success_measure: float
    buffer_measure: float
    wdq: float
    reading: str
    gross_effect: float
    net_effect: float
    buffer_net_effect: float
    total_net_effect: float

    def describe(self) -> str:
        """One sentence: WDQ, its reading and the total net effect."""
        wdq = "not read" if math.isnan(self.wdq) else f"{self.wdq:.2f}"
        return (
            f"Weighted displacement quotient (Bowers & Johnson 2003) {wdq}: {self.reading}. "
            f"Net effect in the treated area {self.net_effect:+.1f} incidents prevented, in the "
            f"buffer {self.buffer_net_effect:+.1f} displaced; total net effect "
            f"{self.total_net_effect:+.1f}."
        )


def _pair(name: str, value, harm: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(weighted counts, weighted variances) as two length-2 arrays (before, after)."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 2 or not np.isfinite(arr).all() or (arr < 0).any():
        raise ValueError(
            f"`{name}` must be a (before, after) pair of non-negative counts, or one such pair "
            f"per crime type (shape (k, 2)); got {value!r}."
        )
    h = np.ones(arr.shape[0]) if harm is None else harm
    if len(h) != arr.shape[0]:
        raise ValueError(
            f"`harm_weights` has {len(h)} weights but `{name}` has {arr.shape[0]} crime types; "
            "give one weight per row."
        )
    return h @ arr, (h**2) @ arr


def _positive_pair(name: str, value, size: int) -> tuple[float, ...]:
    out = tuple(float(v) for v in value)
    if len(out) != size or not all(math.isfinite(v) and v > 0 for v in out):
        raise ValueError(f"`{name}` must be {size} positive numbers; got {value!r}.")
    return out


def contrast(
    parts: Sequence[tuple[float, np.ndarray, np.ndarray]],
    time_weights: tuple[float, float],
    alpha: float,
    area_weights: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0),
) -> WDDResult:
    """Compute the WDD engine: ``sum(coef * (x_after / t1 - x_before / t0))``, Poisson variance.

    ``parts`` holds ``(coef, counts, variances)`` with counts and variances as (before, after)
    arrays, so a control shared by the treated and the buffer area enters once with the summed
    coefficient (its variance is then counted once, not twice).
    """
    t0, t1 = time_weights
    estimate = 0.0
    variance = 0.0
    for coef, x, v in parts:
        estimate += coef * (x[1] / t1 - x[0] / t0)
        variance += coef**2 * (v[1] / t1**2 + v[0] / t0**2)
    se = math.sqrt(variance)
    z = estimate / se if se > 0 else math.nan
    p = float(2 * stats.norm.sf(abs(z))) if se > 0 else math.nan
    q = float(stats.norm.ppf(1 - alpha / 2))
    return WDDResult(
        estimate=float(estimate),
        variance=float(variance),
        se=se,
        z=float(z),
        p_value=p,
        ci_low=float(estimate - q * se),
        ci_high=float(estimate + q * se),
        alpha=alpha,
        time_weights=(float(t0), float(t1)),
        area_weights=area_weights,
    )


def wdd_test(
    treated,
    control,
    displacement=None,
    displacement_control=None,
    *,
    time_weights: Sequence[float] = (1.0, 1.0),
    area_weights: Sequence[float] = (1.0, 1.0, 1.0, 1.0),
    harm_weights: Sequence[float] | None = None,
    alpha: float = 0.05,
) -> WDDResult:
    """Run the weighted displacement difference test (Wheeler & Ratcliffe 2018).

    Parameters
    ----------
    treated, control
        Counts ``(before, after)`` in the treated area and its control area; or one such pair
        per crime type (an array of shape ``(k, 2)``) combined with ``harm_weights``.
    displacement, displacement_control
        Counts in the displacement (buffer) area and its control, in the same form. Default None:
        the test without a displacement area.
    time_weights
        Length of the before and after periods (any unit, e.g. months); counts are divided by
        them. Default ``(1, 1)``: periods of equal length.
    area_weights
        Divisors for the counts of the treated, control, displacement and displacement-control
        areas (e.g. each area's size relative to the treated area). Default all 1.
    harm_weights
        One weight per crime type (e.g. a crime harm index) when the counts are given per type.
        Default None: every incident counts 1.
    alpha
        Level of the confidence interval (default 0.05: a 95% interval).

    Returns
    -------
    WDDResult
        ``estimate = dT/aT - dC/aC + dD/aD - dCd/aCd`` where ``dX = X_after / t_after -
        X_before / t_before``; ``variance`` is the sum of each count times its squared weight
        (``h**2 / (t * a)**2``).

    Notes
    -----
    Counts are assumed Poisson (variance equal to the count). Real police counts are
    overdispersed, so the p-value is too small; :func:`evaluate_intervention` shows a placebo
    distribution beside it.

    Examples
    --------
    The published example (Wheeler & Ratcliffe 2018):

    >>> r = wdd_test((207, 110), (308, 318), (178, 157), (150, 140))
    >>> r.estimate, r.variance, round(r.z, 2)
    (-118.0, 1568.0, -2.98)
    """
    harm = None if harm_weights is None else np.asarray(harm_weights, dtype=float)
    if harm is not None and (harm.ndim != 1 or not np.isfinite(harm).all() or (harm < 0).any()):
        raise ValueError(
            f"`harm_weights` must be one non-negative number per crime type; got {harm_weights!r}."
        )
    tw = _positive_pair("time_weights", time_weights, 2)
    aw = _positive_pair("area_weights", area_weights, 4)
    if not 0 < alpha < 1:
        raise ValueError(f"`alpha` must be a fraction in (0, 1); got {alpha!r}.")
    if (displacement is None) != (displacement_control is None):
        raise ValueError(
            "`displacement` and `displacement_control` go together: give both or neither; got "
            f"displacement={displacement!r}, displacement_control={displacement_control!r}."
        )
    areas = [("treated", treated, 1.0, aw[0]), ("control", control, -1.0, aw[1])]
    if displacement is not None:
        areas += [
            ("displacement", displacement, 1.0, aw[2]),
            ("displacement_control", displacement_control, -1.0, aw[3]),
        ]
    parts = [(sign / a, *_pair(name, value, harm)) for name, value, sign, a in areas]
    return contrast(parts, (tw[0], tw[1]), alpha, (aw[0], aw[1], aw[2], aw[3]))


def _wdq_reading(sm: float, wdq: float) -> str:
    if not sm < 0:
        return (
            "not read: the treated area did not improve relative to the control (success "
            "measure >= 0)"
        )
    if wdq > 1:
        return "diffusion of benefits greater than the direct effect"
    if wdq > 0:
        return "diffusion of benefits into the buffer"
    if wdq == 0:
        return "no displacement or diffusion"
    if wdq > -1:
        return "partial displacement: some incidents moved to the buffer, fewer than prevented"
    if wdq == -1:
        return "displacement equal to the gain: no net effect"
    return "displacement exceeding the gain: more incidents moved to the buffer than prevented"


def displacement_quotient(treated, buffer, control) -> DisplacementQuotient:
    """Compute the weighted displacement quotient (Bowers & Johnson 2003).

    Parameters
    ----------
    treated, buffer, control
        Counts ``(before, after)`` in the treated area (A), the buffer around it (B) and the
        control area (C). Every measure except ``gross_effect`` is a ratio to the control's
        count in the same period, so periods of different length are fine; ``gross_effect``
        assumes equal periods (scale the before counts to the after period's length first).

    Returns
    -------
    DisplacementQuotient

    Notes
    -----
    ``SM = A1/C1 - A0/C0``, ``BDM = B1/C1 - B0/C0``, ``WDQ = BDM / SM``, read only when
    ``SM < 0`` (the treated area improved relative to the control). Reading (Bowers & Johnson
    2003): ``WDQ > 1`` diffusion of benefits greater than the direct effect; ``0 < WDQ <= 1``
    diffusion of benefits; ``WDQ = 0`` neither; ``-1 < WDQ < 0`` partial displacement (less than
    the gain); ``WDQ = -1`` displacement cancels the gain; ``WDQ < -1`` displacement exceeding
    the gain. The quotient says nothing about significance: read it beside the tests of
    :func:`evaluate_intervention`.

    Examples
    --------
    >>> displacement_quotient((100, 50), (100, 150), (100, 100)).wdq
    -1.0
    """
    (a0, a1), (b0, b1), (c0, c1) = (
        _pair(name, value, None)[0]
        for name, value in (("treated", treated), ("buffer", buffer), ("control", control))
    )
    if c0 <= 0 or c1 <= 0:
        raise ValueError(
            f"`control` needs incidents in both periods to scale by; got ({c0:g}, {c1:g}). "
            "Choose a larger control area."
        )
    sm = a1 / c1 - a0 / c0
    bdm = b1 / c1 - b0 / c0
    wdq = bdm / sm if sm < 0 else math.nan
    trend = c1 / c0
    net = a0 * trend - a1
    buffer_net = b1 - b0 * trend
    return DisplacementQuotient(
        success_measure=float(sm),
        buffer_measure=float(bdm),
        wdq=float(wdq),
        reading=_wdq_reading(sm, wdq),
        gross_effect=float(a0 - a1),
        net_effect=float(net),
        buffer_net_effect=float(buffer_net),
        total_net_effect=float(net - buffer_net),
    )
