"""The steps of :func:`snt_geo.problem_solving.evaluate_intervention`, on plain arrays."""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import stats

from snt_geo._dates import NO_MONTH, month_ordinals
from snt_geo.problem_solving import _placebo
from snt_geo.problem_solving.displacement import (
    DisplacementQuotient,
    WDDResult,
    contrast,
    displacement_quotient,
)


@dataclass(frozen=True)
class Points:
    """Located incidents in the themes, from the first month before to the last after.

    ``period`` is 0 before, 1 after and -1 for the months between (kept for the monthly chart,
    never compared); ``ords`` are month ordinals; ``weight`` the harm weights (1 without).
    """

    x: np.ndarray
    y: np.ndarray
    weight: np.ndarray
    period: np.ndarray
    ords: np.ndarray
    n_no_location: int

    def pair(self, mask: np.ndarray, *, squared: bool = False) -> np.ndarray:
        """(before, after) sums of the weights (or squared weights) under ``mask``."""
        w = self.weight**2 if squared else self.weight
        return np.array([w[mask & (self.period == p)].sum() for p in (0, 1)])


@dataclass(frozen=True)
class Areas:
    """Masks of the treated area, buffer and control over the points, and the control's rule."""

    masks: dict[str, np.ndarray]
    control_geom: shapely.Geometry | None
    control_rule: str
    control_codes: tuple[str, ...]


@dataclass(frozen=True)
class PlaceboFigures:
    """The treated area's and the buffer's placebo tests and the reference table."""

    treated: _placebo.PlaceboTest
    buffer: _placebo.PlaceboTest
    table: pd.DataFrame
    n_treated: int
    n_buffer: int
    tile_width_m: float
    tile_height_m: float


def located_points(
    incidents: gpd.GeoDataFrame,
    chosen: np.ndarray,
    weight: np.ndarray,
    before: tuple[int, int],
    after: tuple[int, int],
) -> Points:
    """Return the chosen incidents with a location, in the months from ``before`` to ``after``."""
    (b0, b1), (a0, a1) = before, after
    ords = month_ordinals(incidents["month"], argument="incidents['month']")
    period = np.full(len(incidents), -1, dtype=np.int64)
    period[(ords >= b0) & (ords <= b1) & (ords != NO_MONTH)] = 0
    period[(ords >= a0) & (ords <= a1)] = 1
    geoms = incidents.geometry.to_numpy()
    located = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    in_range = (ords >= min(b0, a0)) & (ords <= max(b1, a1)) & (ords != NO_MONTH)
    use = chosen & in_range & located
    return Points(
        x=shapely.get_x(geoms[use]),
        y=shapely.get_y(geoms[use]),
        weight=weight[use],
        period=period[use],
        ords=ords[use],
        n_no_location=int((chosen & (period >= 0) & ~located).sum()),
    )


def poisson_figures(
    counts: dict[str, np.ndarray],
    counts_sq: dict[str, np.ndarray],
    months: tuple[int, int],
    alpha: float,
    *,
    weighted: bool,
) -> tuple[DisplacementQuotient, WDDResult, float, tuple[float, float]]:
    """WDQ, WDD (treated and buffer against one shared control) and the E-test p-value.

    The control is scaled to the treated area's and to the buffer's before count (area weights
    ``C0 / A0`` and ``C0 / B0``, at least 1 incident in the divisor); as it is shared, it enters
    the WDD once with the summed coefficient.
    """
    wdq = displacement_quotient(counts["treated"], counts["buffer"], counts["control"])
    c_before = counts["control"][0]
    w_t = float(c_before / max(counts["treated"][0], 1.0))
    w_b = float(c_before / max(counts["buffer"][0], 1.0))
    wdd = contrast(
        [
            (1.0, counts["treated"], counts_sq["treated"]),
            (1.0, counts["buffer"], counts_sq["buffer"]),
            (-(1 / w_t + 1 / w_b), counts["control"], counts_sq["control"]),
        ],
        (float(months[0]), float(months[1])),
        alpha,
        (1.0, w_t, 1.0, w_b),
    )
    if weighted:  # the E-test needs whole counts
        e_p = math.nan
    else:
        e_p = float(
            stats.poisson_means_test(
                int(counts["treated"][1]), months[1], int(counts["treated"][0]), months[0]
            ).pvalue
        )
    return wdq, wdd, e_p, (w_t, w_b)


def placebo_figures(
    points: Points,
    treated: shapely.Geometry,
    buffer: shapely.Geometry,
    area: shapely.Geometry | None,
    counts: dict[str, np.ndarray],
    counts_sq: dict[str, np.ndarray],
    months: tuple[int, int],
    n_placebo: int,
) -> PlaceboFigures:
    """Placebo tests of the treated area and the buffer against untouched copies of both."""
    tiles = _placebo.count_tiles(
        points.x,
        points.y,
        points.weight,
        points.period,
        treated=treated,
        buffer=buffer,
        within=area,
    )
    ref_t = _placebo.reference(
        tiles, centre=(0.0, 0.0), target_before=counts["treated"][0], n=n_placebo, which="treated"
    )
    ref_b = _placebo.reference(
        tiles, centre=(0.0, 0.0), target_before=counts["buffer"][0], n=n_placebo, which="buffer"
    )
    log_t = _placebo.log_change(tiles.treated, months)
    log_b = _placebo.log_change(tiles.buffer, months)
    var_t = _placebo.log_change_variance(tiles.treated, tiles.treated_sq)
    var_b = _placebo.log_change_variance(tiles.buffer, tiles.buffer_sq)

    def test(area_name: str, logs, variances, ref):
        return _placebo.placebo_test(
            float(_placebo.log_change(counts[area_name], months)[0]),
            float(_placebo.log_change_variance(counts[area_name], counts_sq[area_name])[0]),
            logs[ref],
            variances[ref],
        )

    keep = np.union1d(ref_t, ref_b)
    table = pd.DataFrame(
        {
            "col": tiles.col[keep],
            "row": tiles.row[keep],
            "treated_before": tiles.treated[keep, 0],
            "treated_after": tiles.treated[keep, 1],
            "buffer_before": tiles.buffer[keep, 0],
            "buffer_after": tiles.buffer[keep, 1],
            "log_change": log_t[keep],
            "buffer_log_change": log_b[keep],
            "in_treated_reference": np.isin(keep, ref_t),
            "in_buffer_reference": np.isin(keep, ref_b),
        }
    )
    return PlaceboFigures(
        treated=test("treated", log_t, var_t, ref_t),
        buffer=test("buffer", log_b, var_b, ref_b),
        table=table,
        n_treated=len(ref_t),
        n_buffer=len(ref_b),
        tile_width_m=tiles.tile_width_m,
        tile_height_m=tiles.tile_height_m,
    )


def counts_table(counts: dict[str, np.ndarray], months: tuple[int, int]) -> pd.DataFrame:
    """Before and after counts per area, per month, and the change in the monthly rate (%)."""
    frame = pd.DataFrame(counts, index=["before", "after"]).T.rename_axis("area")
    frame["before_per_month"] = frame["before"] / months[0]
    frame["after_per_month"] = frame["after"] / months[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["change_pct"] = 100 * (frame["after_per_month"] / frame["before_per_month"] - 1)
    return frame


def monthly_counts(
    points: Points,
    masks: dict[str, np.ndarray],
    before: tuple[int, int],
    after: tuple[int, int],
) -> pd.DataFrame:
    """Weighted counts per month and area, every month from the first before to the last after."""
    first, last = min(before[0], after[0]), max(before[1], after[1])
    month_index = pd.period_range(
        pd.Period(ordinal=first, freq="M"), pd.Period(ordinal=last, freq="M"), name="month"
    )
    columns = {}
    for name, mask in masks.items():
        sums = np.bincount(
            points.ords[mask] - first, weights=points.weight[mask], minlength=last - first + 1
        )
        columns[name] = sums
    return pd.DataFrame(columns, index=month_index)
