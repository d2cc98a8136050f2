"""Emerging hot spots: space-time Gi* per cell and period, Mann-Kendall trends, ESRI's categories.

Follows ArcGIS Pro's Emerging Hot Spot Analysis ("How Emerging Hot Spot Analysis works"): the
incidents are counted in a space-time cube of square cells x periods; each bin gets a Gi* z-score
whose neighbourhood is the cells within ``neighbour_distance_m`` in the same period and the
``neighbour_periods`` periods before it (the cube's global mean and variance); bins are
significant after Benjamini-Hochberg FDR control across the cube; each cell's z-score series is
tested for a monotonic trend with Mann-Kendall; and the cell's history is named by ESRI's
categories.
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from snt_geo._dates import to_months
from snt_geo._method import MethodRecord
from snt_geo._multitest import bh_adjust
from snt_geo.errors import SchemaError
from snt_geo.linkage.grid import GridResult, GridSpec, _grid_for, _incident_xy
from snt_geo.linkage.hotspots import (
    _check_distance,
    _disc_half_widths,
    _disc_sum,
    _gi_star_z,
    _neighbour_rule,
    _two_sided_p,
    _warn_dropped,
)

__all__ = [
    "emerging_hotspots",
    "mann_kendall",
    "EmergingHotspots",
    "EmergingMethod",
    "EMERGING_CLASSES",
]

_KINDS = (
    "new",
    "consecutive",
    "intensifying",
    "persistent",
    "diminishing",
    "sporadic",
    "oscillating",
    "historical",
)

#: Values of ``emerging_class``: ESRI's eight hot-spot patterns, their cold equivalents, and
#: ``no_pattern``.
EMERGING_CLASSES = (
    tuple(f"{k}_hot_spot" for k in _KINDS)
    + tuple(f"{k}_cold_spot" for k in _KINDS)
    + ("no_pattern",)
)

#: Share of periods a location must be significant in to count as "persistently" hot or cold.
PERSISTENT_SHARE = 0.9

_PERIODS = {"month": "M", "quarter": "Q", "year": "Y"}


def mann_kendall(series: np.ndarray) -> pd.DataFrame:
    """Mann-Kendall trend test of each row of a 2-D array (rows are locations, columns time).

    Parameters
    ----------
    series
        Array of shape (n_locations, n_periods), oldest period first. Rows with any NaN get NaN
        results.

    Returns
    -------
    pandas.DataFrame
        One row per input row with ``trend_s`` (Kendall's S, the number of increasing minus
        decreasing pairs), ``trend_variance`` (variance of S under no trend, corrected for tied
        values), ``trend_z`` (with the continuity correction: ``(S - sign(S)) / sqrt(var)``) and
        ``trend_p_value`` (two-sided normal).

    Notes
    -----
    Mann (1945), Kendall (1975); the tie correction is
    ``var(S) = [n(n-1)(2n+5) - sum_t t(t-1)(2t+5)] / 18`` over groups of ``t`` tied values.
    Without the continuity correction ``S / sqrt(var)`` equals the asymptotic z of
    ``scipy.stats.kendalltau(range(n), x)``.
    """
    x = np.asarray(series, dtype="float64")
    if x.ndim != 2:
        raise ValueError(
            f"`series` must be a 2-D array (locations x periods); got {x.ndim} dimension(s)."
        )
    n_loc, n = x.shape
    s = np.zeros(n_loc)
    for i in range(n - 1):
        s += np.sign(x[:, i + 1 :] - x[:, i : i + 1]).sum(axis=1)
    ordered = np.sort(x, axis=1)
    ties = np.zeros(n_loc)
    if n > 1:
        new_group = np.ones((n_loc, n), dtype=bool)
        new_group[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
        group = np.cumsum(new_group, axis=1) - 1
        flat = (np.arange(n_loc)[:, None] * n + group).ravel()
        t = np.bincount(flat, minlength=n_loc * n).reshape(n_loc, n).astype("float64")
        ties = (t * (t - 1) * (2 * t + 5)).sum(axis=1)
    var = (n * (n - 1) * (2 * n + 5) - ties) / 18.0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, (s - np.sign(s)) / np.sqrt(var), 0.0)
    p = _two_sided_p(z)
    bad = np.isnan(x).any(axis=1)
    out = pd.DataFrame(
        {"trend_s": s, "trend_variance": var, "trend_z": z, "trend_p_value": p},
    )
    out.loc[bad, :] = np.nan
    return out


def _classify_histories(
    hot: np.ndarray, cold: np.ndarray, trend_z: np.ndarray, trend_significant: np.ndarray
) -> np.ndarray:
    """ESRI Emerging Hot Spot categories from per-period significance (locations x periods).

    ``hot`` / ``cold``: significant hot / cold bins; ``trend_z``: sign of the trend;
    ``trend_significant``: the Mann-Kendall test rejects "no trend". Returns an array of codes
    into :data:`EMERGING_CLASSES`.
    """
    n_loc, n = hot.shape
    codes = np.full(n_loc, EMERGING_CLASSES.index("no_pattern"), dtype=np.int8)
    if n == 0:
        return codes
    up = trend_significant & (trend_z > 0)
    down = trend_significant & (trend_z < 0)
    # Assign in reverse priority so that the more specific pattern wins; historical (>= 90% of
    # periods) is assigned last for both signs, so it beats a final bin of the other sign.
    historical = []
    for sign, this, other, rising, falling in (
        ("cold", cold, hot, down, up),
        ("hot", hot, cold, up, down),
    ):
        final = this[:, -1]
        n_this = this.sum(axis=1)
        mostly = n_this >= PERSISTENT_SHARE * n - 1e-9
        other_before = other[:, :-1].any(axis=1)
        # Length of the final uninterrupted run of significant bins.
        run = np.zeros(n_loc, dtype=np.int64)
        alive = np.ones(n_loc, dtype=bool)
        for t in range(n - 1, -1, -1):
            alive &= this[:, t]
            run += alive
        rules = [
            ("sporadic", final & ~mostly & ~other_before),
            ("consecutive", final & ~mostly & ~other_before & (run >= 2) & (n_this == run)),
            ("new", final & ~other_before & (n_this == 1)),
            ("oscillating", final & ~mostly & other_before),
            ("persistent", final & mostly),
            ("diminishing", final & mostly & falling),
            ("intensifying", final & mostly & rising),
        ]
        for kind, where in rules:
            codes[where] = EMERGING_CLASSES.index(f"{kind}_{sign}_spot")
        historical.append((f"historical_{sign}_spot", ~final & mostly))
    for name, where in historical:
        codes[where] = EMERGING_CLASSES.index(name)
    return codes


@dataclass(frozen=True, repr=False)
class EmergingMethod(MethodRecord):
    """What :func:`emerging_hotspots` ran, for a method note.

    Attributes
    ----------
    period, periods
        Period length (``"month"``, ``"quarter"``, ``"year"``) and the periods analysed (first
        and last, inclusive, with empty periods kept).
    cell_size_m, cell_size_rule, neighbour_distance_m, neighbour_rule
        As for :class:`~snt_geo.linkage.hotspots.HotspotMethod`.
    neighbour_periods
        Earlier periods in each bin's neighbourhood (ArcGIS's Neighborhood Time Step).
    alpha, fdr
        Significance level for bins and trends; whether bins use Benjamini-Hochberg FDR across
        the cube.
    n_cells, n_incidents, n_incidents_outside, n_incidents_no_geometry, n_incidents_no_period
        Cells analysed and the account of incidents counted / not counted.
    area, grid
        What the cells cover; the grid.
    """

    period: str
    periods: tuple[str, ...]
    cell_size_m: float
    cell_size_rule: str
    neighbour_distance_m: float
    neighbour_rule: str
    neighbour_periods: int
    alpha: float
    fdr: bool
    n_cells: int
    n_incidents: int
    n_incidents_outside: int
    n_incidents_no_geometry: int
    n_incidents_no_period: int
    area: str
    grid: GridSpec

    def describe(self) -> str:
        """One paragraph for a method note."""
        fdr = "with Benjamini-Hochberg FDR control across the cube" if self.fdr else "uncorrected"
        return (
            f"Emerging hot spot analysis (after ArcGIS Pro) of {self.n_incidents:,} incidents in "
            f"{self.n_cells:,} cells of {self.cell_size_m:g} m over {len(self.periods)} "
            f"{self.period}s ({self.periods[0]} to {self.periods[-1]}). Space-time Gi* per "
            f"bin with neighbours within {self.neighbour_distance_m:g} m in the same and "
            f"{self.neighbour_periods} previous {self.period}(s), significant at "
            f"{self.alpha:g} {fdr}; Mann-Kendall trend of each cell's z-scores at {self.alpha:g}; "
            "ESRI's pattern definitions (90% rule for persistent, intensifying, diminishing and "
            "historical)."
        )


@dataclass(frozen=True, eq=False, repr=False)
class EmergingHotspots(GridResult):
    """Result of :func:`emerging_hotspots`, held as arrays (cell polygons built on request).

    Attributes
    ----------
    grid, mask
        The grid (:class:`~snt_geo.linkage.grid.GridSpec`) and its analysed cells.
    values
        Per analysed cell (increasing ``cell_id``): ``incident_count`` (all periods),
        ``hot_periods``, ``cold_periods`` (significant bins), ``trend_z``, ``trend_p_value``
        (Mann-Kendall on the cell's z-scores) and ``emerging_class`` (categorical,
        :data:`EMERGING_CLASSES`).
    method
        :class:`EmergingMethod`.
    periods
        The periods of the cube, oldest first (``pandas.PeriodIndex``).
    bin_values
        Per bin, arrays of shape ``(n_cells, n_periods)``: ``incident_count``, ``gi_star_z``,
        ``p_value``, ``p_value_fdr`` and ``bin_class`` (int8 codes into
        ``("hot", "cold", "not_significant")``).
    """

    method: EmergingMethod
    periods: pd.PeriodIndex = field(default_factory=lambda: pd.PeriodIndex([], freq="M"))
    bin_values: Mapping[str, np.ndarray] = field(default_factory=dict)

    def _named_selection(self, name: str) -> np.ndarray:
        if name == "pattern":
            classes = self.values["emerging_class"]
            assert isinstance(classes, pd.Categorical)  # built by emerging_hotspots
            return classes.codes != EMERGING_CLASSES.index("no_pattern")
        raise ValueError(
            f"`cells` must be 'all', 'pattern' (cells with an emerging class other than "
            f"no_pattern), study-area polygons or a boolean array over the {self.n_cells:,} "
            f"cells; got {name!r}."
        )

    @property
    def cells(self) -> gpd.GeoDataFrame:
        """GeoDataFrame, one row per cell, indexed by ``cell_id``.

        Columns ``row``, ``col``, the ``values`` columns and ``geometry`` (EPSG:27700); built on
        each access (prefer ``to_frame(cells=...)`` for a subset).
        """
        return self.to_frame()

    @property
    def bins(self) -> pd.DataFrame:
        """DataFrame indexed by (``cell_id``, ``period``).

        Columns ``incident_count``, ``gi_star_z``, ``p_value``, ``p_value_fdr`` and ``bin_class``
        (``hot``, ``cold``, ``not_significant``).
        """
        data: dict[str, object] = {
            name: np.asarray(arr).ravel()
            for name, arr in self.bin_values.items()
            if name != "bin_class"
        }
        data["bin_class"] = pd.Categorical.from_codes(
            np.asarray(self.bin_values["bin_class"]).ravel(),
            categories=pd.Index(["hot", "cold", "not_significant"]),
        )
        index = pd.MultiIndex.from_product(
            [pd.Index(self.cell_ids, name="cell_id"), self.periods], names=["cell_id", "period"]
        )
        return pd.DataFrame(data, index=index)

    def _repr_html_(self) -> str:
        classes = self.values["emerging_class"]
        assert isinstance(classes, pd.Categorical)  # built by emerging_hotspots
        counts = pd.Series(
            np.bincount(classes.codes, minlength=len(EMERGING_CLASSES)), index=EMERGING_CLASSES
        )
        table = counts[counts > 0].to_frame("cells")
        return f"<p>{html.escape(self.method.describe())}</p>" + table.to_html()


def _period_codes(
    incidents: gpd.GeoDataFrame | gpd.GeoSeries, has_point: np.ndarray, period: str
) -> tuple[np.ndarray, pd.PeriodIndex]:
    """Period position of each located incident (-1 when unknown) and the periods spanned."""
    if period not in _PERIODS:
        raise ValueError(
            f"`period` must be one of {sorted(_PERIODS)}; got {period!r}. police.uk dates are "
            "months, so 'month' is the finest period available for them."
        )
    if not isinstance(incidents, gpd.GeoDataFrame) or not (
        "month" in incidents.columns or "date" in incidents.columns
    ):
        raise SchemaError(
            "`incidents` needs a `month` (pandas Period) or `date` (datetime) column to place "
            "incidents in periods; read them with snt_geo.io.read_police_uk or "
            "incidents_from_frame(..., month=...)."
        )
    freq = _PERIODS[period]
    # One month parser for the whole package (UK day-first dates, Periods, 'YYYY-MM' text).
    column = "month" if "month" in incidents.columns else "date"
    p = to_months(incidents[column], argument="incidents").asfreq(freq)
    p = p[has_point]
    known = p.notna()
    if not known.any():
        return np.full(len(p), -1), pd.period_range("2000-01", periods=0, freq=freq)
    span = pd.period_range(p[known].min(), p[known].max(), freq=freq)
    codes = np.full(len(p), -1, dtype=np.int64)
    codes[known] = span.get_indexer(p[known])
    return codes, span


def emerging_hotspots(
    incidents: gpd.GeoDataFrame,
    *,
    area: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    cell_size_m: float | None = None,
    neighbour_distance_m: float | None = None,
    neighbour_periods: int = 1,
    period: str = "month",
    alpha: float = 0.05,
    fdr: bool = True,
) -> EmergingHotspots:
    """Emerging hot and cold spots: how each cell's Gi* hot-spot status changes over time.

    Parameters
    ----------
    incidents
        Incident points with a CRS and a ``month`` (Period) or ``date`` (datetime) column (the
        incidents schema).
    area
        Study-area polygons; cells overlapping them are analysed. Default None: the incidents'
        bounding box.
    cell_size_m
        Cell side in metres. Default None: the shorter side of the area's bounding box / 50,
        rounded down to 10 m.
    neighbour_distance_m
        Spatial neighbourhood (cell centres within this distance, inclusive). Default None:
        1.5 x ``cell_size_m`` (the 3 x 3 block).
    neighbour_periods
        Earlier periods included in each bin's neighbourhood (ArcGIS's Neighborhood Time Step;
        default 1). 0 gives a purely spatial Gi* per period.
    period
        ``"month"`` (default), ``"quarter"`` or ``"year"``. All periods from the first to the last
        incident are analysed, empty ones included.
    alpha
        Significance level of the bins (after FDR when ``fdr``) and of the Mann-Kendall trend.
    fdr
        Benjamini-Hochberg FDR control across all bins of the cube (as ArcGIS does).

    Returns
    -------
    EmergingHotspots
        ``.cells`` (GeoDataFrame indexed by ``cell_id`` with ``emerging_class``), ``.bins``
        (per cell and period) and ``.method``; see :class:`EmergingHotspots`.

    Notes
    -----
    The space-time Gi* of bin (i, t) is the Gi* formula of
    :func:`~snt_geo.linkage.hotspots.find_hotspots` with the cube as the set of units (global
    mean and variance over all bins) and the binary neighbourhood {cells within the distance} x
    {periods t - neighbour_periods .. t}. The trend is Mann-Kendall on the cell's z-scores
    (:func:`mann_kendall`). Categories follow ArcGIS Pro's published definitions, where "90%"
    means at least 90% of the periods:

    - new: significant hot in the final period only (and never cold before).
    - consecutive: one uninterrupted run of >= 2 hot periods ending in the final period, never
      hot (or cold) before it, less than 90% of periods hot.
    - intensifying / diminishing: hot in >= 90% of periods including the final one, with a
      significant increasing / decreasing trend in z.
    - persistent: hot in >= 90% of periods including the final one, no significant trend.
    - sporadic: hot in the final period, on and off before, less than 90% hot, never cold.
    - oscillating: hot in the final period, cold in some earlier period, less than 90% hot.
    - historical: hot in >= 90% of periods but not in the final one.
    - The cold patterns mirror these; ``no_pattern`` otherwise.

    ESRI's text leaves the overlaps open; here a prior cold period makes a final hot spot
    oscillating (not new or consecutive), and historical (>= 90% of periods hot, not the final)
    wins over a pattern of the other sign ending in the final period.
    """
    if isinstance(neighbour_periods, bool) or not (
        isinstance(neighbour_periods, (int, np.integer)) and neighbour_periods >= 0
    ):
        raise ValueError(
            f"`neighbour_periods` must be a whole number of periods >= 0; got "
            f"{neighbour_periods!r}. ArcGIS's default is 1."
        )
    if not (isinstance(alpha, (int, float)) and 0 < float(alpha) < 1) or isinstance(alpha, bool):
        raise ValueError(f"`alpha` must be a probability between 0 and 1; got {alpha!r}.")
    alpha = float(alpha)
    xy, has_point = _incident_xy(incidents)
    codes, span = _period_codes(incidents, has_point, period)
    grid = _grid_for(area, xy, cell_size_m)
    spec, mask = grid.spec, grid.mask
    if neighbour_distance_m is not None:
        _check_distance(neighbour_distance_m, "neighbour_distance_m")
    distance_m, rule = _neighbour_rule(neighbour_distance_m, spec.cell_size_m)
    half = _disc_half_widths(distance_m, spec.cell_size_m)
    n_t = len(span)
    if n_t < 10:
        warnings.warn(
            f"only {n_t} {period}s of data: ArcGIS asks for at least 10 periods, and the "
            "Mann-Kendall trend test has little power below that.",
            UserWarning,
            stacklevel=2,
        )

    row, col = spec.locate(xy[:, 0], xy[:, 1])
    flat = row * spec.n_cols + col
    in_cell = row >= 0
    in_cell[in_cell] = mask.ravel()[flat[in_cell]]
    dated = codes >= 0
    use = in_cell & dated
    size = spec.n_rows * spec.n_cols
    cube = np.bincount(codes[use] * size + flat[use], minlength=n_t * size)
    cube = cube.reshape(n_t, spec.n_rows, spec.n_cols)

    spatial = _disc_sum(cube, half)[:, mask]  # (n_t, n_cells)
    card_space = _disc_sum(mask.astype(np.int64), half)[mask]
    window = np.cumsum(spatial, axis=0)
    k = int(neighbour_periods)
    if k + 1 < n_t:
        window[k + 1 :] -= window[: n_t - k - 1].copy()
    n_window = np.minimum(np.arange(n_t), k) + 1
    cardinality = n_window[:, None] * card_space[None, :]
    y = cube[:, mask]
    n_cells = int(mask.sum())
    n_bins = n_cells * n_t
    z = _gi_star_z(
        y.astype("float64").ravel(),
        window.astype("float64").ravel(),
        cardinality.ravel(),
        n_bins,
    ).reshape(n_t, n_cells)
    p = _two_sided_p(z)
    p_fdr = bh_adjust(p.ravel()).reshape(n_t, n_cells)
    test = p_fdr if fdr else p
    significant = test <= alpha
    hot = (significant & (z > 0)).T
    cold = (significant & (z < 0)).T

    trend = mann_kendall(z.T)
    trend_sig = (trend["trend_p_value"] <= alpha).to_numpy()
    classes = _classify_histories(hot, cold, trend["trend_z"].to_numpy(), trend_sig)

    n_missing = int((~has_point).sum())
    _warn_dropped(int((~in_cell).sum()), n_missing, grid.area_source)
    n_undated = int((in_cell & ~dated).sum())
    if n_undated:
        warnings.warn(
            f"{n_undated:,} incidents have no month/date and are not counted.",
            UserWarning,
            stacklevel=2,
        )
    cell_values = {
        "incident_count": y.sum(axis=0),
        "hot_periods": hot.sum(axis=1),
        "cold_periods": cold.sum(axis=1),
        "trend_z": trend["trend_z"].to_numpy(),
        "trend_p_value": trend["trend_p_value"].to_numpy(),
        "emerging_class": pd.Categorical.from_codes(classes, categories=pd.Index(EMERGING_CLASSES)),
    }
    bin_values = {
        "incident_count": np.ascontiguousarray(y.T),
        "gi_star_z": np.ascontiguousarray(z.T),
        "p_value": np.ascontiguousarray(p.T),
        "p_value_fdr": np.ascontiguousarray(p_fdr.T),
        "bin_class": np.where(hot, 0, np.where(cold, 1, 2)).astype(np.int8),
    }
    method = EmergingMethod(
        period=period,
        periods=tuple(str(s) for s in span),
        cell_size_m=spec.cell_size_m,
        cell_size_rule=spec.cell_size_rule,
        neighbour_distance_m=distance_m,
        neighbour_rule=rule,
        neighbour_periods=k,
        alpha=alpha,
        fdr=bool(fdr),
        n_cells=n_cells,
        n_incidents=int(y.sum()),
        n_incidents_outside=int((~in_cell).sum()),
        n_incidents_no_geometry=n_missing,
        n_incidents_no_period=n_undated,
        area=grid.area_source,
        grid=spec,
    )
    return EmergingHotspots(
        grid=spec,
        mask=mask,
        values=cell_values,
        method=method,
        periods=span,
        bin_values=bin_values,
    )
