"""Getis-Ord Gi* hot and cold spots on a regular grid, with Benjamini-Hochberg FDR classes.

On a regular grid with binary distance-band weights, the neighbourhood sum of every cell is a
filter over the count raster. The filter is computed exactly (integer running sums along rows, one
per row offset of the disc), so Gi* needs no weights matrix: it reproduces esda's
``G_Local(y, w, transform="B", star=True)`` with a libpysal ``DistanceBand`` on the cell centres,
and ArcGIS's Hot Spot Analysis formula, in milliseconds for a million cells.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, cast

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import stats

from snt_geo._method import MethodRecord
from snt_geo._multitest import bh_adjust
from snt_geo.linkage.grid import (
    POLYGON_BYTES_PER_CELL,
    GridResult,
    GridSpec,
    _Grid,
    _grid_for,
    _incident_xy,
)

if TYPE_CHECKING:
    from snt_geo.linkage.scale import ScaleMethod

__all__ = ["find_hotspots", "hotspot_grid", "HotspotGrid", "HotspotMethod", "HOTSPOT_CLASSES"]

#: Values of ``hotspot_class``, hottest first (the categorical order).
HOTSPOT_CLASSES = (
    "hot_99",
    "hot_95",
    "hot_90",
    "not_significant",
    "cold_90",
    "cold_95",
    "cold_99",
)

#: Default neighbour distance in cells: 1.5 cells takes the 3 x 3 block around each cell.
NEIGHBOUR_DISTANCE_CELLS = 1.5

_LEVELS = (0.01, 0.05, 0.10)


@dataclass(frozen=True, repr=False)
class HotspotMethod(MethodRecord):
    """What :func:`find_hotspots` ran, for a method note (``frame.attrs["method"]``).

    Attributes
    ----------
    statistic
        The statistic and weights, in words.
    cell_size_m, cell_size_rule
        Cell side in metres and how it was chosen (``"given"`` or the automatic rule).
    neighbour_distance_m, neighbour_rule
        Distance band between cell centres (inclusive) and how it was chosen.
    neighbours_per_cell
        Cells in a full neighbourhood, the cell itself included (fewer at the area's edge).
    alpha
        Loosest significance level reported (0.10, 0.05 or 0.01).
    fdr
        Whether classes use Benjamini-Hochberg adjusted p-values (per level, across all cells).
    n_cells
        Cells analysed (those intersecting the area).
    n_incidents
        Incidents counted in the cells.
    n_incidents_outside
        Incidents with a point outside every analysed cell (not counted).
    n_incidents_no_geometry
        Incidents with a missing or empty geometry (not counted).
    area
        What the cells cover.
    grid
        The grid's origin, cell size and shape.
    scale
        The automatic scale scan (:class:`~snt_geo.linkage.ScaleMethod`: outliers, every band's
        Moran's I and z-score, the rule that chose) when ``cell_size_m`` or
        ``neighbour_distance_m`` was ``"auto"``; None otherwise.
    """

    statistic: str
    cell_size_m: float
    cell_size_rule: str
    neighbour_distance_m: float
    neighbour_rule: str
    neighbours_per_cell: int
    alpha: float
    fdr: bool
    n_cells: int
    n_incidents: int
    n_incidents_outside: int
    n_incidents_no_geometry: int
    area: str
    grid: GridSpec
    scale: ScaleMethod | None = None

    def describe(self) -> str:
        """One paragraph for a method note (with the scale scan's, when it was automatic)."""
        scale = f" {self.scale.describe()}" if self.scale is not None else ""
        correction = (
            "Benjamini-Hochberg false discovery rate control across all cells at each level"
            if self.fdr
            else "no multiple-testing correction"
        )
        return (
            f"Getis-Ord Gi* hot spot analysis (Ord & Getis 1995) of {self.n_incidents:,} incidents "
            f"counted in {self.n_cells:,} square cells of {self.cell_size_m:g} m covering the "
            f"{self.area} ({self.cell_size_rule}). Neighbours: cells whose centres lie within "
            f"{self.neighbour_distance_m:g} m ({self.neighbour_rule}; {self.neighbours_per_cell} "
            "cells including the cell itself), binary weights. Two-sided normal p-values, "
            f"{correction}; classes at 90/95/99% confidence, loosest reported level "
            f"{self.alpha:g}. {self.n_incidents_outside:,} incidents outside the cells and "
            f"{self.n_incidents_no_geometry:,} without a location were not counted.{scale}"
        )


def _check_distance(value: object, argument: str) -> float:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        out = float("nan")
    if isinstance(value, bool) or not (math.isfinite(out) and out > 0):
        raise ValueError(
            f"`{argument}` must be a positive number of metres; got {value!r}. Pass e.g. 150, or "
            "None for the default."
        )
    return out


def _disc_half_widths(distance_m: float, cell_size_m: float) -> np.ndarray:
    """Half-width in cells of the disc of cell centres within ``distance_m``, per row offset.

    Entry ``k + di`` is the largest ``dj`` with ``di**2 + dj**2 <= (distance_m / cell_size_m)**2``
    (a relative tolerance of 1e-9 keeps a neighbour whose distance equals the band).
    """
    r2 = (distance_m / cell_size_m) ** 2 * (1 + 1e-9)
    k = int(math.floor(math.sqrt(r2)))
    di = np.arange(-k, k + 1)
    half = np.floor(np.sqrt(np.maximum(r2 - di**2, 0.0))).astype(np.int64)
    # Guard the square root's rounding with exact integer checks.
    half = np.where((half + 1) ** 2 + di**2 <= r2, half + 1, half)
    half = np.where(half**2 + di**2 > r2, half - 1, half)
    return half


def _disc_sum(a: np.ndarray, half: np.ndarray) -> np.ndarray:
    """Sum of ``a`` over the disc around every cell (last two axes are rows, columns).

    Values outside the raster count as zero. Each row offset of the disc is a run of columns,
    summed as a difference of running sums, so integer input gives exact integer sums.
    """
    k = (len(half) - 1) // 2
    w = int(half.max())
    n_rows, n_cols = a.shape[-2:]
    padded = np.zeros(a.shape[:-2] + (n_rows + 2 * k, n_cols + 2 * w + 1), dtype=a.dtype)
    padded[..., k : k + n_rows, w + 1 : w + 1 + n_cols] = a
    run = np.cumsum(padded, axis=-1)
    out = np.zeros_like(a)
    for i, h in enumerate(half.tolist()):
        rows = slice(i, i + n_rows)
        out += run[..., rows, w + 1 + h : w + 1 + h + n_cols]
        out -= run[..., rows, w - h : w - h + n_cols]
    return out


def _gi_star_z(
    y: np.ndarray, neighbour_sum: np.ndarray, cardinality: np.ndarray, n: int
) -> np.ndarray:
    """Gi* z-scores (Ord & Getis 1995, self included, binary weights) given neighbourhood sums.

    ``y`` holds the values of all ``n`` analysed units (for the global mean and variance);
    ``neighbour_sum`` and ``cardinality`` are per unit to score. NaN where the statistic is
    undefined (no variation in ``y``, or a neighbourhood covering every unit).
    """
    mean = y.sum() / n
    var = (y * y).sum() / n - mean * mean
    sd = math.sqrt(var) if var > 0 else 0.0
    c = cardinality.astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (neighbour_sum - mean * c) / (sd * np.sqrt((n * c - c * c) / (n - 1)))
    z[~np.isfinite(z)] = np.nan
    return z


def _two_sided_p(z: np.ndarray) -> np.ndarray:
    return 2.0 * stats.norm.sf(np.abs(z))


def _classify(z: np.ndarray, p_for_test: np.ndarray, alpha: float) -> pd.Categorical[str]:
    codes = np.full(z.shape, HOTSPOT_CLASSES.index("not_significant"), dtype=np.int8)
    hot = z > 0
    for level, suffix in zip(_LEVELS[::-1], ("90", "95", "99"), strict=True):
        if level > alpha + 1e-12:
            continue
        sig = p_for_test <= level
        codes[sig & hot] = HOTSPOT_CLASSES.index(f"hot_{suffix}")
        codes[sig & ~hot] = HOTSPOT_CLASSES.index(f"cold_{suffix}")
    return pd.Categorical.from_codes(codes, categories=pd.Index(HOTSPOT_CLASSES))


def _check_alpha(alpha: object) -> float:
    if isinstance(alpha, bool) or not any(
        isinstance(alpha, (int, float)) and abs(float(alpha) - lv) < 1e-12 for lv in _LEVELS
    ):
        raise ValueError(
            f"`alpha` must be one of 0.10, 0.05 or 0.01 (the loosest confidence level to report: "
            f"90%, 95% or 99%); got {alpha!r}."
        )
    return float(alpha)  # type: ignore[arg-type]


def _count_raster(grid: _Grid, xy: np.ndarray) -> tuple[np.ndarray, int]:
    """Incident counts per raster cell (zero outside the mask) and the number not in a cell."""
    spec = grid.spec
    row, col = spec.locate(xy[:, 0], xy[:, 1])
    flat = row * spec.n_cols + col
    inside = row >= 0
    inside[inside] = grid.mask.ravel()[flat[inside]]
    counts = np.bincount(flat[inside], minlength=spec.n_rows * spec.n_cols)
    return counts.reshape(spec.n_rows, spec.n_cols).astype(np.int64), int((~inside).sum())


def _neighbour_rule(
    neighbour_distance_m: float | str | None, cell_size_m: float
) -> tuple[float, str]:
    if neighbour_distance_m is None:
        return (
            NEIGHBOUR_DISTANCE_CELLS * cell_size_m,
            f"default {NEIGHBOUR_DISTANCE_CELLS:g} x cell size: the 3 x 3 block of cells",
        )
    return _check_distance(neighbour_distance_m, "neighbour_distance_m"), "given"


@dataclass(frozen=True, eq=False, repr=False)
class HotspotGrid(GridResult):
    """Gi* hot and cold spots held as arrays (the result of :func:`hotspot_grid`).

    ``values`` holds, per analysed cell in increasing ``cell_id`` order, the columns of
    :func:`find_hotspots` (``incident_count``, ``neighbour_cells``, ``neighbour_incidents``,
    ``gi_star_z``, ``p_value``, ``p_value_fdr``, ``hotspot_class``); ``method`` is the
    :class:`HotspotMethod`. ``to_frame()`` gives exactly :func:`find_hotspots`' GeoDataFrame;
    ``to_frame("significant")`` only the hot and cold cells (what a map draws);
    ``to_geotiff(path)`` a raster for QGIS or ArcGIS (``hotspot_class`` as codes into
    :data:`HOTSPOT_CLASSES`).
    """

    method: HotspotMethod

    def _named_selection(self, name: str) -> np.ndarray:
        if name == "significant":
            classes = self.values["hotspot_class"]
            assert isinstance(classes, pd.Categorical)  # built by _classify
            return classes.codes != HOTSPOT_CLASSES.index("not_significant")
        raise ValueError(
            f"`cells` must be 'all', 'significant', study-area polygons or a boolean array over "
            f"the {self.n_cells:,} cells; got {name!r}."
        )

    def class_counts(self) -> dict[str, int]:
        """Cells per ``hotspot_class``, in :data:`HOTSPOT_CLASSES` order (zeros included)."""
        classes = self.values["hotspot_class"]
        assert isinstance(classes, pd.Categorical)  # built by _classify
        counts = np.bincount(classes.codes, minlength=len(HOTSPOT_CLASSES))
        return {c: int(k) for c, k in zip(HOTSPOT_CLASSES, counts, strict=True)}

    def _repr_html_(self) -> str:
        counts = pd.Series(self.class_counts(), name="cells").to_frame()
        return super()._repr_html_() + counts.to_html()


def hotspot_grid(
    incidents: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    area: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    cell_size_m: float | str | None = None,
    neighbour_distance_m: float | str | None = None,
    alpha: float = 0.10,
    fdr: bool = True,
) -> HotspotGrid:
    """Getis-Ord Gi* hot and cold spots as arrays over the grid (no cell polygons built).

    The same statistic, parameters and warnings as :func:`find_hotspots`, for large grids
    (London at 50 m, a region, a country): the result keeps the grid's origin, cell size and area
    mask and one array per column, and builds polygons only for the cells asked for.

    Parameters
    ----------
    incidents, area, cell_size_m, neighbour_distance_m, alpha, fdr
        As for :func:`find_hotspots`.

    Returns
    -------
    HotspotGrid
        ``.values`` (one array per column of :func:`find_hotspots`, over the analysed cells in
        increasing ``cell_id``), ``.mask``, ``.grid`` (:class:`GridSpec`) and ``.method``
        (:class:`HotspotMethod`). ``.to_frame(cells="all" | "significant" | polygons)``,
        ``.raster(column)``, ``.to_geotiff(path)``.

    Examples
    --------
    >>> import geopandas, shapely
    >>> xy = [[150, 150]] * 20 + [[250, 150]] * 20 + [[950, 950]]
    >>> pts = geopandas.GeoSeries(shapely.points(xy), crs=27700)
    >>> area = geopandas.GeoSeries([shapely.box(0, 0, 1000, 1000)], crs=27700)
    >>> result = hotspot_grid(pts, area=area, cell_size_m=100)
    >>> result.n_cells, result.class_counts()["hot_99"], len(result.to_frame("significant"))
    (100, 6, 10)
    """
    return _gi_star_grid(
        incidents,
        area=area,
        cell_size_m=cell_size_m,
        neighbour_distance_m=neighbour_distance_m,
        alpha=alpha,
        fdr=fdr,
    )


def find_hotspots(
    incidents: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    area: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    cell_size_m: float | str | None = None,
    neighbour_distance_m: float | str | None = None,
    alpha: float = 0.10,
    fdr: bool = True,
) -> gpd.GeoDataFrame:
    """Getis-Ord Gi* hot and cold spots of incident counts on a square grid.

    Parameters
    ----------
    incidents
        Incident points with a CRS (the incidents schema or any point GeoDataFrame/GeoSeries);
        reprojected to EPSG:27700. Rows with no geometry are not counted (reported in the warning
        and on ``attrs["method"]``).
    area
        Study-area polygons (e.g. wards). Cells that overlap them are analysed, including cells
        with no incidents. Default None: every cell of the incidents' bounding box. An earlier
        grid result (e.g. a :class:`~snt_geo.linkage.DensityGrid`) reuses its cells as they are.
    cell_size_m
        Cell side in metres. Default None: the shorter side of the area's bounding box / 50,
        rounded down to 10 m (:func:`~snt_geo.linkage.grid.default_cell_size_m`). ``"auto"``:
        chosen from the incidents by :func:`~snt_geo.linkage.choose_hotspot_scale` (after
        ArcGIS's Optimized Hot Spot Analysis).
    neighbour_distance_m
        Cells whose centres lie within this distance (inclusive) of a cell's centre are its
        neighbours, the cell itself included. Default None: 1.5 x ``cell_size_m``, the 3 x 3
        block (sfhotspot's default neighbourhood). ``"auto"``: the scale at which the cell counts
        cluster, from :func:`~snt_geo.linkage.choose_hotspot_scale`; the whole scan is recorded
        on ``attrs["method"].scale``.
    alpha
        Loosest confidence level reported: 0.10 (classes at 90, 95 and 99%), 0.05 or 0.01.
    fdr
        Classify on Benjamini-Hochberg adjusted p-values, applied across all cells at each level
        (ArcGIS's "Apply False Discovery Rate (FDR) Correction"). False classifies raw p-values.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per analysed cell, indexed by ``cell_id`` (increasing), with columns ``row``,
        ``col``, ``incident_count`` (int64), ``neighbour_cells`` (analysed cells in the
        neighbourhood, self included), ``neighbour_incidents`` (incidents in them),
        ``gi_star_z``, ``p_value`` (two-sided normal), ``p_value_fdr`` (Benjamini-Hochberg
        adjusted), ``hotspot_class`` (categorical: ``hot_99``, ``hot_95``, ``hot_90``,
        ``not_significant``, ``cold_90``, ``cold_95``, ``cold_99``) and ``geometry`` (square
        cells, EPSG:27700). ``attrs["method"]`` is a :class:`HotspotMethod` recording every
        parameter and automatic choice; ``attrs["method"].describe()`` is a method note.

    Warns
    -----
    UserWarning
        When incidents fall outside the analysed cells or have no geometry (with the counts), and
        when Gi* is undefined (no variation in the counts): such cells get NaN z and p-values and
        class ``not_significant``.

    Notes
    -----
    Gi* (Ord & Getis 1995) with binary weights and the cell in its own neighbourhood, for cell
    ``i`` with neighbourhood ``N(i)`` of size ``c_i`` among ``n`` analysed cells with counts
    ``x`` (mean ``xbar``, population standard deviation ``S``)::

        z_i = (sum_{j in N(i)} x_j - xbar c_i) / (S sqrt((n c_i - c_i^2) / (n - 1)))

    which is the ArcGIS formula and esda's ``G_Local(x, w, transform="B", star=True).Zs`` with a
    libpysal ``DistanceBand`` on the cell centres. Neighbourhood sums are an exact filter over
    the count raster (cells outside the area count as absent, not as zero-count neighbours).
    A cell is hot or cold at level ``a`` when its (adjusted) p-value is at most ``a``; with
    ``fdr`` the adjustment is Benjamini & Hochberg (1995) across all cells, so the classes agree
    with ``scipy.stats.false_discovery_control(p) <= a``. Gi* assumes approximately normal
    neighbourhood sums: with very sparse counts (mostly zero cells) p-values are approximate.

    Examples
    --------
    >>> import geopandas, shapely
    >>> xy = [[150, 150]] * 20 + [[250, 150]] * 20 + [[950, 950]]
    >>> pts = geopandas.GeoSeries(shapely.points(xy), crs=27700)
    >>> area = geopandas.GeoSeries([shapely.box(0, 0, 1000, 1000)], crs=27700)
    >>> cells = find_hotspots(pts, area=area, cell_size_m=100)
    >>> cells.loc[cells["incident_count"] == 20, "hotspot_class"].tolist()
    ['hot_99', 'hot_99']

    See Also
    --------
    hotspot_grid : the same result as arrays, for grids too large for one polygon per cell.
    """
    return _gi_star_grid(
        incidents,
        area=area,
        cell_size_m=cell_size_m,
        neighbour_distance_m=neighbour_distance_m,
        alpha=alpha,
        fdr=fdr,
        bytes_per_cell=POLYGON_BYTES_PER_CELL,
    ).to_frame()


def _gi_star_grid(
    incidents: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    area: gpd.GeoDataFrame | gpd.GeoSeries | None,
    cell_size_m: float | str | None,
    neighbour_distance_m: float | str | None,
    alpha: float,
    fdr: bool,
    bytes_per_cell: int = 64,
) -> HotspotGrid:
    """Run the engine of :func:`hotspot_grid` and :func:`find_hotspots`.

    :func:`find_hotspots` passes the memory of one polygon per cell as ``bytes_per_cell``, so an
    oversized grid is refused before the work.

    Called only from those two, so its warnings use stacklevel 3 to point at their caller.
    """
    alpha = _check_alpha(alpha)
    scale, cell_size_m, neighbour_distance_m = _auto_scale(
        incidents, area, cell_size_m, neighbour_distance_m
    )
    xy, has_point = _incident_xy(incidents)
    grid = _grid_for(area, xy, cell_size_m, bytes_per_cell=bytes_per_cell)
    spec = grid.spec
    distance_m, rule = _neighbour_rule(neighbour_distance_m, spec.cell_size_m)
    if scale is not None:
        spec, rule = _auto_rules(scale, spec, distance_m, rule)
    half = _disc_half_widths(distance_m, spec.cell_size_m)

    counts, n_outside = _count_raster(grid, xy)
    mask = grid.mask
    neighbour_sum = _disc_sum(counts, half)[mask]
    cardinality = _disc_sum(mask.astype(np.int32), half)[mask]
    y = counts[mask]
    n = int(mask.sum())
    z = _gi_star_z(y.astype("float64"), neighbour_sum.astype("float64"), cardinality, n)
    p = _two_sided_p(z)
    p_fdr = bh_adjust(p)
    classes = _classify(z, p_fdr if fdr else p, alpha)

    n_missing = int((~has_point).sum())
    _warn_dropped(n_outside, n_missing, grid.area_source, stacklevel=4)
    if n and np.isnan(z).any():
        warnings.warn(
            f"Gi* is undefined for {int(np.isnan(z).sum()):,} of {n:,} cells (no variation in the "
            "counts, or a neighbourhood covering every cell); they have NaN z and p-values and "
            "class 'not_significant'.",
            UserWarning,
            stacklevel=3,
        )
    values = {
        "incident_count": y,
        "neighbour_cells": cardinality.astype(np.int32),
        "neighbour_incidents": neighbour_sum,
        "gi_star_z": z,
        "p_value": p,
        "p_value_fdr": p_fdr,
        "hotspot_class": classes,
    }
    method = HotspotMethod(
        statistic="Getis-Ord Gi* (Ord & Getis 1995), binary distance-band weights, self included",
        cell_size_m=spec.cell_size_m,
        cell_size_rule=spec.cell_size_rule,
        neighbour_distance_m=distance_m,
        neighbour_rule=rule,
        neighbours_per_cell=int((2 * half + 1).sum()),
        alpha=alpha,
        fdr=bool(fdr),
        n_cells=n,
        n_incidents=int(y.sum()),
        n_incidents_outside=n_outside,
        n_incidents_no_geometry=n_missing,
        area=grid.area_source,
        grid=spec,
        scale=scale,
    )
    return HotspotGrid(grid=spec, mask=mask, values=values, method=method)


def _auto_scale(
    incidents: gpd.GeoDataFrame | gpd.GeoSeries,
    area: gpd.GeoDataFrame | gpd.GeoSeries | None,
    cell_size_m: float | str | None,
    neighbour_distance_m: float | str | None,
) -> tuple[ScaleMethod | None, float | str | None, float | str | None]:
    """Resolve ``"auto"`` cell size / neighbour distance with :func:`choose_hotspot_scale`."""
    auto_cell = isinstance(cell_size_m, str) and cell_size_m == "auto"
    auto_distance = isinstance(neighbour_distance_m, str) and neighbour_distance_m == "auto"
    if not (auto_cell or auto_distance):
        return None, cell_size_m, neighbour_distance_m
    # Imported here: scale.py builds on this module's grid filter.
    from snt_geo.linkage.scale import choose_hotspot_scale

    # A str other than "auto" is passed on as given, for choose_hotspot_scale's own check to
    # reject (at the same point as before).
    given_cell = None if auto_cell else cast("float | None", cell_size_m)
    scale = choose_hotspot_scale(incidents, area=area, cell_size_m=given_cell).method
    distance = scale.neighbour_distance_m if auto_distance else neighbour_distance_m
    return scale, scale.cell_size_m, distance


def _auto_rules(
    scale: ScaleMethod, spec: GridSpec, distance_m: float, rule: str
) -> tuple[GridSpec, str]:
    """Return the cell-size and neighbour rules in words where the scale scan chose them."""
    if scale.cell_size_rule != "given":
        spec = replace(spec, cell_size_rule=f"auto (choose_hotspot_scale): {scale.cell_size_rule}")
    if rule == "given" and distance_m == scale.neighbour_distance_m:
        words = {
            "first_peak": "the first peak of Moran's z-score over distance bands",
            "largest_z": "the largest Moran's z-score over distance bands (no peak)",
            "fallback": f"no band above z = {scale.z_threshold:g}, so the mean distance to the "
            f"{scale.fallback_k}th nearest neighbour",
        }
        rule = f"auto (choose_hotspot_scale): {words[scale.rule]}"
    return spec, rule


def _warn_dropped(n_outside: int, n_missing: int, area_source: str, *, stacklevel: int = 3) -> None:
    parts = []
    if n_outside:
        parts.append(f"{n_outside:,} incidents fall outside the cells covering the {area_source}")
    if n_missing:
        parts.append(f"{n_missing:,} incidents have no geometry")
    if parts:
        warnings.warn(
            "; ".join(parts) + "; they are not counted (see attrs['method']).",
            UserWarning,
            stacklevel=stacklevel,
        )
