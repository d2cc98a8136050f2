"""Did the response work? Before/after evaluation of an intervention, with displacement.

:func:`evaluate_intervention` counts incidents in the treated area (A), a buffer ring around it
(B) and a control area (C) before and after the response, and reports side by side:

- the Poisson figures: the E-test of the treated area's change (scipy's
  ``poisson_means_test``), the weighted displacement difference (Wheeler & Ratcliffe 2018) and
  the weighted displacement quotient (Bowers & Johnson 2003);
- an inference calibrated on real variation: the same change in ``n_placebo`` untouched copies
  of the treated area (and of its buffer) elsewhere in the same data, with about as many
  incidents before; the treated area's change is judged against their median and spread.

Real police counts vary far more than Poisson: on Met burglary 2024 (January-June against
August-January), the E-test calls 12 of the 41 busiest 600 m squares "significant" with nothing
done there. So the verdict rests on the placebo figures, and the Poisson figures are shown for
comparison only.
"""

from __future__ import annotations

import html
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import stats

from snt_geo._dates import parse_month
from snt_geo._format import format_change, format_pvalue
from snt_geo._method import MethodRecord
from snt_geo._validate import check_fraction, check_positive, check_whole
from snt_geo.crs import to_working_crs
from snt_geo.errors import CRSError, SchemaError
from snt_geo.problem_solving import _evaluation as _engine
from snt_geo.problem_solving import _placebo
from snt_geo.problem_solving.displacement import (
    DisplacementQuotient,
    WDDResult,
)

__all__ = [
    "DEFAULT_BUFFER_WIDTH_M",
    "EvaluationMethod",
    "InterventionEvaluation",
    "evaluate_intervention",
]

#: Default width of the automatic buffer ring: about two street blocks, the catchment within
#: which displacement is most often found (Bowers & Johnson 2003; Weisburd et al. 2006).
DEFAULT_BUFFER_WIDTH_M = 200.0

#: Fewer comparable untouched areas than this and the placebo spread is poorly estimated (warned).
MIN_PLACEBO = 20

#: The POP Center's reading of implementation x outcome (Eck 2002, "Assessing Responses to
#: Problems", Problem-Solving Tools Guide No. 1).
POP_TABLE = {
    (True, True): (
        "implemented as planned and the problem declined: the response may have caused the "
        "decline (check for other causes before crediting it)"
    ),
    (True, False): (
        "implemented as planned but the problem did not decline: the response was not "
        "effective here; revisit the analysis and the choice of response"
    ),
    (False, True): (
        "not implemented as planned, yet the problem declined: the decline is probably due to "
        "something else (or the partial response worked); find out which before repeating it"
    ),
    (False, False): (
        "not implemented as planned and the problem did not decline: an implementation "
        "failure; it is unknown whether the response would work, so fix the implementation"
    ),
}


@dataclass(frozen=True, repr=False)
class EvaluationMethod(MethodRecord):
    """What :func:`evaluate_intervention` ran, for a method note.

    Attributes
    ----------
    before, after
        The periods compared (``"YYYY-MM..YYYY-MM"``) and their lengths in months.
    themes
        Themes or crime types counted (None: all incidents).
    harm_weights
        Weight per crime type or theme (None: every incident counts 1).
    treated_area_km2, buffer_area_km2
        Areas of the treated polygon and of the buffer ring.
    buffer_rule
        How the buffer was chosen (``"given"`` or the automatic ring and its width).
    control_rule
        How the control was chosen.
    control_wards
        Codes of the wards in a ``"similar_wards"`` control (empty otherwise).
    control_weights
        Divisors of the control's counts in the WDD for the treated area and the buffer (the
        control's before count over theirs, so the control is scaled to each area's level).
    placebo_rule
        How the comparable untouched areas were chosen.
    n_placebo, n_placebo_buffer
        Comparable areas used for the treated area's and the buffer's placebo distributions.
    alpha
        Significance level of the verdict.
    implemented_as_planned
        As given (None: not recorded).
    n_incidents
        Incidents counted: in the themes, with a location, in either period, in the treated
        area, buffer or control.
    n_incidents_no_location
        Incidents in the themes and periods left out for a missing or empty geometry.
    """

    before: str
    after: str
    months_before: int
    months_after: int
    themes: tuple[str, ...] | None
    harm_weights: dict[str, float] | None
    treated_area_km2: float
    buffer_area_km2: float
    buffer_rule: str
    control_rule: str
    control_wards: tuple[str, ...]
    control_weights: tuple[float, float]
    placebo_rule: str
    n_placebo: int
    n_placebo_buffer: int
    alpha: float
    implemented_as_planned: bool | None
    n_incidents: int
    n_incidents_no_location: int

    def describe(self) -> str:
        """One paragraph for a method note."""
        what = "all incidents" if self.themes is None else ", ".join(self.themes)
        harm = "" if self.harm_weights is None else " weighted by harm"
        return (
            f"Before/after evaluation of {what}{harm} ({self.n_incidents:,} incidents), "
            f"{self.before} ({self.months_before} months) against {self.after} "
            f"({self.months_after} months), counts compared per month. Treated area "
            f"{self.treated_area_km2:.2f} km2; buffer {self.buffer_area_km2:.2f} km2 "
            f"({self.buffer_rule}); control: {self.control_rule}. Poisson figures: the E-test "
            "of the treated area's change (Krishnamoorthy & Thomson 2004, scipy "
            "poisson_means_test), the weighted displacement difference (Wheeler & Ratcliffe "
            "2018; control scaled to each area's before count) and the weighted displacement "
            "quotient (Bowers & Johnson 2003). Calibrated inference: the treated area's log "
            f"change against {self.n_placebo} untouched comparable areas "
            f"({self.placebo_rule}), as a robust z: its own Poisson variance plus the "
            "extra-Poisson variance those areas show (squared MAD less their Poisson part), "
            "significant when its p-value is below alpha and its exact rank p-value at most "
            f"twice alpha; the buffer's likewise among {self.n_placebo_buffer}. Verdict at "
            f"alpha {self.alpha:g} on the placebo figures."
        )


@dataclass(frozen=True)
class InterventionEvaluation:
    """Result of :func:`evaluate_intervention`.

    Attributes
    ----------
    counts
        DataFrame indexed by ``area`` (``treated``, ``buffer``, ``control``): ``before``,
        ``after`` (harm-weighted counts), ``before_per_month``, ``after_per_month`` and
        ``change_pct`` (change in the monthly rate).
    tests
        DataFrame indexed by ``test`` (``treated_poisson``, ``wdd_poisson``,
        ``treated_placebo``, ``buffer_placebo``): ``area``, ``basis`` (``"Poisson"`` or
        ``"placebo"``), ``estimate``, ``ci_low``, ``ci_high``, ``p_value``, ``rank_p_value``
        (placebo rows: the exact rank among the untouched areas, conservative with heavy
        tails), ``significant`` (``p_value < alpha``; placebo rows also need ``rank_p_value <=
        2 alpha``) and ``meaning`` (what ``estimate`` is).
    wdd
        :class:`~snt_geo.problem_solving.WDDResult` (treated and buffer against the control).
    wdq
        :class:`~snt_geo.problem_solving.DisplacementQuotient`.
    placebo
        DataFrame, one row per comparable untouched copy of the footprint: ``col``, ``row``
        (tile position; 0, 0 is the treated area), ``treated_before``, ``treated_after``,
        ``buffer_before``, ``buffer_after``, ``log_change``, ``buffer_log_change``,
        ``in_treated_reference``, ``in_buffer_reference`` (bool).
    monthly
        DataFrame indexed by ``month`` (Period), every month from the first before to the last
        after (the months between the periods included, though they are not compared):
        ``treated``, ``buffer``, ``control`` (harm-weighted counts).
    areas
        GeoDataFrame indexed by ``area`` (``treated``, ``buffer``, ``control``), EPSG:27700;
        the control's geometry is None when it is "everything outside the treated area and
        buffer".
    declined
        The treated area fell beyond what comparable untouched areas show (placebo p below
        ``alpha``).
    displaced
        The buffer rose beyond what comparable untouched buffers show.
    diffused
        The buffer fell beyond what comparable untouched buffers show.
    verdict
        The verdict in words for the review.
    method
        :class:`EvaluationMethod`.
    """

    counts: pd.DataFrame
    tests: pd.DataFrame
    wdd: WDDResult
    wdq: DisplacementQuotient
    placebo: pd.DataFrame
    monthly: pd.DataFrame
    areas: gpd.GeoDataFrame
    declined: bool
    displaced: bool
    diffused: bool
    verdict: str
    method: EvaluationMethod

    def to_frame(self) -> pd.DataFrame:
        """Return the ``tests`` table with ``attrs["method"]`` set."""
        frame = self.tests.copy()
        frame.attrs["method"] = self.method
        return frame

    def _repr_html_(self) -> str:
        return (
            f"<p><strong>{html.escape(self.verdict)}</strong></p>"
            + self.counts.to_html(float_format=lambda v: f"{v:,.1f}")
            + self.tests.to_html(float_format=lambda v: f"{v:.3g}")
            + f"<p>{html.escape(self.method.describe())}</p>"
        )


# --------------------------------------------------------------------------------------------------
# Inputs


def _period(name: str, value) -> tuple[int, int, str]:
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) != 2:
        raise ValueError(
            f"`{name}` must be a (first month, last month) pair, e.g. ('2024-01', '2024-06'); "
            f"got {value!r}."
        )
    start = parse_month(value[0], argument=name)
    end = parse_month(value[1], argument=name)
    if end < start:
        raise ValueError(f"`{name}` ends before it starts: {value!r}; give (first, last).")
    return start.ordinal, end.ordinal, f"{start}..{end}"


def _geometry(name: str, value) -> shapely.Geometry:
    if isinstance(value, shapely.Geometry):
        raise CRSError(
            f"`{name}` is a bare shapely geometry with no CRS, and snt_geo never guesses one: "
            f'pass geopandas.GeoSeries([{name}], crs="EPSG:27700") (or the CRS it is in).'
        )
    frame = to_working_crs(value, argument=name)
    geom = shapely.union_all(frame.geometry.to_numpy())
    if geom is None or geom.is_empty or geom.area <= 0:
        raise ValueError(f"`{name}` must hold at least one polygon with an area; got {value!r}.")
    return geom


def _incident_weights(
    incidents: gpd.GeoDataFrame, themes, harm_weights
) -> tuple[np.ndarray, np.ndarray]:
    """(in the themes, harm weight) per incident."""
    keys = [c for c in ("theme", "crime_type") if c in incidents.columns]
    if (themes is not None or harm_weights is not None) and not keys:
        raise SchemaError(
            "`incidents` needs a `theme` or `crime_type` column for `themes` or "
            f"`harm_weights`; columns: {list(incidents.columns)}."
        )
    n = len(incidents)
    if themes is None and harm_weights is None:
        return np.ones(n, dtype=bool), np.ones(n)
    columns = [incidents[k].astype("string").fillna("").to_numpy(dtype=object) for k in keys]
    if themes is None:
        chosen = np.ones(n, dtype=bool)
    else:
        wanted = set(themes)
        chosen = np.zeros(n, dtype=bool)
        for col in columns:
            chosen |= np.isin(col, list(wanted))
        if not chosen.any():
            raise ValueError(
                f"`themes` {list(themes)!r} matches no incident's theme or crime type; e.g. "
                f"themes present: {sorted(set(columns[0]))[:8]}."
            )
    weight = np.ones(n)
    if harm_weights is not None:
        weight = np.full(n, np.nan)
        for col in reversed(columns):  # crime type first, then theme
            mapped = pd.Series(col).map(dict(harm_weights)).to_numpy(dtype=float)
            weight = np.where(np.isnan(mapped), weight, mapped)
        missing = chosen & np.isnan(weight)
        if missing.any():
            names = sorted(set(columns[-1][missing]))
            raise ValueError(
                f"`harm_weights` has no weight for {names[:8]} ({int(missing.sum())} incidents); "
                "give a weight per crime type or theme key."
            )
        if (weight[chosen] < 0).any():
            raise ValueError(f"`harm_weights` must be non-negative; got {dict(harm_weights)!r}.")
    return chosen, weight


def _similar_wards(
    wards, x, y, weight, period, *, exclude: shapely.Geometry, target: float, n: int
) -> tuple[shapely.Geometry, tuple[str, ...]]:
    frame = to_working_crs(wards, argument="wards")
    geoms = frame.geometry.to_numpy()
    candidates = ~shapely.intersects(geoms, exclude) & ~shapely.is_empty(geoms)
    before = period == 0
    tree = shapely.STRtree(geoms)
    pts, ward = tree.query(shapely.points(x[before], y[before]), predicate="within")
    pre = np.bincount(ward, weights=weight[before][pts], minlength=len(geoms))
    pool = np.flatnonzero(candidates)
    if len(pool) < n:
        raise ValueError(
            f"`wards` has {len(pool)} wards clear of the treated area and buffer; "
            f"`n_control_wards` is {n}. Pass more wards or a smaller `n_control_wards`."
        )
    chosen = pool[_placebo.nearest_by_count(pre[pool], target, n)]
    codes = tuple(str(c) for c in frame.index[chosen])
    return shapely.union_all(geoms[chosen]), codes


# --------------------------------------------------------------------------------------------------
# The evaluation


def evaluate_intervention(
    incidents: gpd.GeoDataFrame,
    *,
    treated,
    before: Sequence,
    after: Sequence,
    buffer=None,
    buffer_width_m: float = DEFAULT_BUFFER_WIDTH_M,
    control="rest",
    area=None,
    wards=None,
    n_control_wards: int = 5,
    themes: Sequence[str] | None = None,
    harm_weights: Mapping[str, float] | None = None,
    implemented_as_planned: bool | None = None,
    n_placebo: int = 99,
    alpha: float = 0.05,
) -> InterventionEvaluation:
    """Evaluate a response: treated area against buffer and control, before against after.

    Parameters
    ----------
    incidents
        Incidents with a ``month`` column (e.g. from :func:`snt_geo.io.read_police_uk`), any
        labelled CRS. Never modified.
    treated
        Where the response ran: a GeoSeries or GeoDataFrame of polygons (unioned), any labelled
        CRS.
    before, after
        ``(first month, last month)`` of each period, inclusive (``('2024-01', '2024-06')``).
        The periods may differ in length (counts are compared per month) but must not overlap;
        leave the implementation month out of both.
    buffer
        The displacement area (polygons; the treated area is cut out of it). Default None: a
        ring ``buffer_width_m`` wide around the treated area.
    buffer_width_m
        Width of the automatic ring, metres (default :data:`DEFAULT_BUFFER_WIDTH_M`, 200 m).
    control
        ``"rest"`` (default): every incident outside the treated area and buffer (inside
        ``area`` when given). ``"similar_wards"``: the ``n_control_wards`` wards of ``wards``
        clear of the treated area and buffer whose before-period count is closest to the
        treated area's (on a log scale). Or polygons (GeoSeries / GeoDataFrame).
    area
        The study area (e.g. the borough, polygons): bounds the ``"rest"`` control and the
        placebo areas. Default None: all of ``incidents``.
    wards
        Wards GeoDataFrame, for ``control="similar_wards"``.
    n_control_wards
        Wards in the ``"similar_wards"`` control (default 5).
    themes
        Theme keys or police.uk crime types to count (matched against the ``theme`` and
        ``crime_type`` columns). Default None: every incident.
    harm_weights
        Weight per crime type or theme key (a crime type's weight wins), e.g. from a crime harm
        index. Default None: every incident counts 1. With weights the E-test is not defined
        (NaN); the WDD and placebo figures use the weighted counts.
    implemented_as_planned
        Whether the response ran as planned (from the plan's review). Default None: the verdict
        gives both readings.
    n_placebo
        Comparable untouched areas in each placebo distribution (default 99; fewer than 20
        found gives a warning).
    alpha
        Significance level of the verdict (default 0.05).

    Returns
    -------
    InterventionEvaluation

    Raises
    ------
    SchemaError
        ``incidents`` lacks ``month``.
    CRSError
        An unlabelled GeoDataFrame / GeoSeries, or a bare shapely geometry (no CRS).
    ValueError
        Overlapping or reversed periods, no incidents in the themes, an empty treated area, a
        missing harm weight, or too few wards for the similar-wards control.

    Notes
    -----
    *Placebo areas.* The treated area and its buffer fit in a bounding box (the footprint);
    copies of the footprint tile the data. Each copy whose centre is inside ``area`` and which
    does not touch the treated footprint (the 3 x 3 tiles around it are left out) is an
    untouched area of the same shape and size. Of those, the ``n_placebo`` with the before count
    closest to the treated area's (log scale; the buffer's likewise) form the reference; matching
    on the before count lets the reference share the treated area's regression to the mean. The
    statistic is the log ratio of the after to the before monthly rate (0.5 added to each
    count). The reference's spread is Poisson noise plus real extra-Poisson variation (bursts,
    series, local trends); the extra part is estimated robustly (squared normal-consistent
    median absolute deviation of the reference, minus its median Poisson variance, at least 0)
    and added to the treated area's own Poisson variance: ``z = (log change - reference median)
    / sqrt(own Poisson variance + extra)``, two-sided normal p-value. The exact rank of the
    treated change among the reference is also given (``rank_p_value``); with the heavy tails
    of real counts it is conservative. On Met burglary 2024 (January-June against
    August-January), 200 random placements among busy untouched 600 m squares: the placebo
    figures call 7.5% significant at 0.05, the E-test 13%; of the 41 busiest, 2 against 8.

    A placebo figure is *significant* when its robust z p-value is below ``alpha`` and its rank
    p-value at most ``2 alpha``: the robust z carries the power, the exact rank guards against a
    reference whose median absolute deviation understates its tails (the copies overlap, and in
    a small study area they share most incidents). On Met burglary the two agree in all but a
    few of 200 placements; in one City of London square they did not (z p 0.047, rank p 0.35).

    The verdict: the problem *declined* when the treated area's placebo figure is significant
    and its z negative; the buffer shows *displacement* (or *diffusion*) when its placebo
    figure is significant and its z positive (negative). The
    implementation-by-outcome reading is the POP Center's (Eck 2002).

    Examples
    --------
    >>> from snt_geo.datasets import load_sample
    >>> sample = load_sample()
    >>> result = evaluate_intervention(
    ...     sample.incidents,
    ...     treated=sample.wards.loc[["E05000005"]],
    ...     before=("2022-07", "2022-12"),
    ...     after=("2023-01", "2023-06"),
    ... )
    >>> result.counts.loc["treated", ["before", "after"]].tolist()
    [826.0, 816.0]
    >>> round(result.wdd.estimate, 1), result.method.n_placebo, result.declined
    (-4.8, 99, False)
    """
    n_placebo = check_whole("n_placebo", n_placebo, minimum=1)
    alpha = check_fraction("alpha", alpha)
    buffer_width_m = check_positive("buffer_width_m", buffer_width_m, unit="metres")
    b0, b1, before_text = _period("before", before)
    a0, a1, after_text = _period("after", after)
    if not (b1 < a0 or a1 < b0):
        raise ValueError(
            f"`before` ({before_text}) and `after` ({after_text}) overlap; the periods must be "
            "separate (leave the implementation month out of both)."
        )
    months = (b1 - b0 + 1, a1 - a0 + 1)
    incidents = to_working_crs(incidents, argument="incidents", check_bounds=False)
    if "month" not in incidents.columns:
        raise SchemaError(
            "`incidents` needs a `month` column; read incidents with snt_geo.io.read_police_uk "
            "or incidents_from_frame(..., month=...)."
        )
    treated_geom = _geometry("treated", treated)
    if buffer is None:
        buffer_geom = shapely.difference(treated_geom.buffer(buffer_width_m), treated_geom)
        buffer_rule = f"a ring {buffer_width_m:g} m wide around the treated area"
    else:
        buffer_geom = shapely.difference(_geometry("buffer", buffer), treated_geom)
        buffer_rule = "given"
    area_geom = None if area is None else _geometry("area", area)

    chosen, weight = _incident_weights(incidents, themes, harm_weights)
    points = _engine.located_points(incidents, chosen, weight, (b0, b1), (a0, a1))
    if points.n_no_location:
        warnings.warn(
            f"{points.n_no_location} incidents in the periods have no location and are not "
            "counted.",
            UserWarning,
            stacklevel=2,
        )
    areas = _choose_areas(
        points,
        treated_geom,
        buffer_geom,
        area_geom,
        control=control,
        wards=wards,
        n_control_wards=n_control_wards,
    )
    counts = {k: points.pair(m) for k, m in areas.masks.items()}
    counts_sq = {k: points.pair(m, squared=True) for k, m in areas.masks.items()}
    if counts["control"].min() <= 0:
        raise ValueError(
            f"the control area has counts {tuple(counts['control'])} (before, after); it needs "
            "incidents in both periods. Choose a larger `control` or `area`."
        )
    wdq, wdd, e_p, control_weights = _engine.poisson_figures(
        counts, counts_sq, months, alpha, weighted=harm_weights is not None
    )
    placebo = _engine.placebo_figures(
        points, treated_geom, buffer_geom, area_geom, counts, counts_sq, months, n_placebo
    )
    if min(placebo.n_treated, placebo.n_buffer) < MIN_PLACEBO:
        warnings.warn(
            f"only {min(placebo.n_treated, placebo.n_buffer)} comparable untouched areas were "
            f"found (fewer than {MIN_PLACEBO}), so the placebo spread is poorly estimated; give "
            "a larger `area`, or read the placebo figures with care.",
            UserWarning,
            stacklevel=2,
        )
    t, b = placebo.treated, placebo.buffer
    declined = _placebo.is_significant(t, alpha) and t.z < 0
    displaced = _placebo.is_significant(b, alpha) and b.z > 0
    diffused = _placebo.is_significant(b, alpha) and b.z < 0

    per_month = _engine.counts_table(counts, months)
    tests = _tests_table(counts, months, e_p, wdd, t, b, alpha)
    method = EvaluationMethod(
        before=before_text,
        after=after_text,
        months_before=months[0],
        months_after=months[1],
        themes=None if themes is None else tuple(themes),
        harm_weights=None
        if harm_weights is None
        else {str(k): float(v) for k, v in dict(harm_weights).items()},
        treated_area_km2=treated_geom.area / 1e6,
        buffer_area_km2=buffer_geom.area / 1e6,
        buffer_rule=buffer_rule,
        control_rule=areas.control_rule,
        control_wards=areas.control_codes,
        control_weights=control_weights,
        placebo_rule=(
            f"copies of the {placebo.tile_width_m:,.0f} x {placebo.tile_height_m:,.0f} m "
            "footprint tiled over the data, clear of the treated footprint"
            + ("" if area_geom is None else ", centre inside the study area")
            + ", closest in before count"
        ),
        n_placebo=placebo.n_treated,
        n_placebo_buffer=placebo.n_buffer,
        alpha=alpha,
        implemented_as_planned=implemented_as_planned,
        n_incidents=int(
            ((points.period >= 0) & np.logical_or.reduce(list(areas.masks.values()))).sum()
        ),
        n_incidents_no_location=points.n_no_location,
    )
    return InterventionEvaluation(
        counts=per_month,
        tests=tests,
        wdd=wdd,
        wdq=wdq,
        placebo=placebo.table,
        monthly=_engine.monthly_counts(points, areas.masks, (b0, b1), (a0, a1)),
        areas=gpd.GeoDataFrame(
            {"area": ["treated", "buffer", "control"]},
            geometry=[treated_geom, buffer_geom, areas.control_geom],
            crs="EPSG:27700",
        ).set_index("area"),
        declined=declined,
        displaced=displaced,
        diffused=diffused,
        verdict=_verdict(per_month, tests, wdq, declined, displaced, diffused, method),
        method=method,
    )


def _choose_areas(
    points, treated_geom, buffer_geom, area_geom, *, control, wards, n_control_wards
) -> _engine.Areas:
    """Return the treated, buffer and control masks over ``points``, and the control's rule."""
    x, y = points.x, points.y
    in_t = shapely.contains_xy(treated_geom, x, y)
    in_b = shapely.contains_xy(buffer_geom, x, y) & ~in_t
    outside = ~(in_t | in_b)
    if area_geom is not None:
        outside &= shapely.contains_xy(area_geom, x, y)
    footprint = shapely.union(treated_geom, buffer_geom)
    codes: tuple[str, ...] = ()
    if isinstance(control, str) and control == "rest":
        in_c = outside
        control_geom = None if area_geom is None else area_geom.difference(footprint)
        rule = "every incident outside the treated area and buffer" + (
            "" if area_geom is None else " within the study area"
        )
    elif isinstance(control, str) and control == "similar_wards":
        if wards is None:
            raise ValueError('`control="similar_wards"` needs `wards` (a wards GeoDataFrame).')
        n_control_wards = check_whole("n_control_wards", n_control_wards, minimum=1)
        control_geom, codes = _similar_wards(
            wards,
            x,
            y,
            points.weight,
            points.period,
            exclude=footprint,
            target=points.pair(in_t)[0],
            n=n_control_wards,
        )
        in_c = shapely.contains_xy(control_geom, x, y) & outside
        rule = (
            f"the {n_control_wards} wards clear of the treated area and buffer with the before "
            f"count closest to the treated area's ({', '.join(codes)})"
        )
    elif isinstance(control, str):
        raise ValueError(f'`control` must be "rest", "similar_wards" or polygons; got {control!r}.')
    else:
        control_geom = _geometry("control", control).difference(footprint)
        in_c = shapely.contains_xy(control_geom, x, y)
        rule = "given (the treated area and buffer cut out)"
    return _engine.Areas(
        masks={"treated": in_t, "buffer": in_b, "control": in_c},
        control_geom=control_geom,
        control_rule=rule,
        control_codes=codes,
    )


def _tests_table(counts, months, e_p, wdd, placebo_t, placebo_b, alpha) -> pd.DataFrame:
    rate = counts["treated"] / np.array(months, dtype=float)
    nan = math.nan
    rows = {
        "treated_poisson": (
            "treated",
            "Poisson",
            rate[1] / rate[0] if rate[0] > 0 else nan,
            nan,
            nan,
            e_p,
            nan,
            "after/before monthly rate ratio; E-test (scipy poisson_means_test)",
        ),
        "wdd_poisson": (
            "treated+buffer",
            "Poisson",
            wdd.estimate,
            wdd.ci_low,
            wdd.ci_high,
            wdd.p_value,
            nan,
            "weighted displacement difference, incidents per month (negative = fewer than the "
            "control predicts)",
        ),
    }
    q = float(stats.norm.ppf(1 - alpha / 2))
    for name, area, t in (
        ("treated_placebo", "treated", placebo_t),
        ("buffer_placebo", "buffer", placebo_b),
    ):
        rows[name] = (
            area,
            "placebo",
            100 * math.expm1(t.estimate),
            100 * math.expm1(t.estimate - q * t.se),
            100 * math.expm1(t.estimate + q * t.se),
            t.p_value,
            t.rank_p_value,
            "change beyond the median change of comparable untouched areas, %; robust placebo "
            "z (Poisson variance plus the extra variation the untouched areas show)",
        )
    frame = pd.DataFrame.from_dict(
        rows,
        orient="index",
        columns=[
            "area",
            "basis",
            "estimate",
            "ci_low",
            "ci_high",
            "p_value",
            "rank_p_value",
            "meaning",
        ],
    ).rename_axis("test")
    significant = frame["p_value"] < alpha
    placebo_rows = frame["basis"] == "placebo"
    significant[placebo_rows] &= frame.loc[placebo_rows, "rank_p_value"] <= 2 * alpha
    frame.insert(7, "significant", significant)
    return frame


def _verdict(counts, tests, wdq, declined, displaced, diffused, method) -> str:
    change = counts.loc["treated", "change_pct"]
    t = tests.loc["treated_placebo"]
    poisson = tests.loc["treated_poisson"]
    outcome = (
        "declined"
        if declined
        else (
            "rose"
            if t["significant"] and t["estimate"] > 0
            else "did not change beyond normal variation"
        )
    )
    parts = [
        f"Treated area: {format_change(change)} per month ({format_change(t['estimate'])} "
        f"against {method.n_placebo} comparable untouched areas, placebo "
        f"{format_pvalue(t['p_value'], prefix=True)}, rank {format_pvalue(t['rank_p_value'])}): "
        f"the problem {outcome}."
    ]
    if min(method.n_placebo, method.n_placebo_buffer) < MIN_PLACEBO:
        parts.append(
            f"(Only {min(method.n_placebo, method.n_placebo_buffer)} comparable areas were "
            "found, so normal variation is poorly known: read this with care.)"
        )
    if not math.isnan(poisson["p_value"]) and (poisson["p_value"] < method.alpha) != bool(
        t["significant"]
    ):
        parts.append(
            f"(A Poisson test alone would say {format_pvalue(poisson['p_value'], prefix=True)}; "
            "real counts vary more than Poisson, so the placebo figure is the one to read.)"
        )
    b = tests.loc["buffer_placebo"]
    if displaced:
        where = (
            f"displacement into the buffer likely ({format_change(b['estimate'])} against "
            f"comparable buffers, placebo {format_pvalue(b['p_value'], prefix=True)})"
        )
    elif diffused:
        where = (
            f"a diffusion of benefits into the buffer ({format_change(b['estimate'])} against "
            f"comparable buffers, placebo {format_pvalue(b['p_value'], prefix=True)})"
        )
    elif b["p_value"] < method.alpha:
        # The robust z alone says unusual, but as large a change is common among comparable
        # buffers (the rank test): say both, so the reader sees why nothing is read.
        where = (
            f"no displacement or diffusion beyond normal variation: the buffer changed "
            f"{format_change(b['estimate'])} against comparable buffers (placebo "
            f"{format_pvalue(b['p_value'], prefix=True)}), but changes as large are common "
            f"among them (rank {format_pvalue(b['rank_p_value'])})"
        )
    else:
        where = (
            "no displacement or diffusion beyond normal variation "
            f"(placebo {format_pvalue(b['p_value'], prefix=True)})"
        )
    if math.isnan(wdq.wdq):
        wdq_text = ""
    elif displaced or diffused:
        wdq_text = f"; WDQ {wdq.wdq:.2f}: {wdq.reading}"
    else:
        wdq_text = (
            f"; the WDQ ({wdq.wdq:.2f}) is not read, as the buffer moved within normal variation"
        )
    parts.append(f"Buffer: {where}{wdq_text}.")
    if method.implemented_as_planned is None:
        parts.append(
            "Implementation not recorded: if implemented as planned, "
            + POP_TABLE[(True, declined)].split(": ", 1)[1]
            + "; if not, "
            + POP_TABLE[(False, declined)].split(": ", 1)[1]
            + "."
        )
    else:
        text = POP_TABLE[(bool(method.implemented_as_planned), declined)]
        parts.append(text[0].upper() + text[1:] + ".")
    return " ".join(parts)
