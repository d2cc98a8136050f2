"""The scale of a hot spot analysis chosen from the data, after ArcGIS Optimized Hot Spot Analysis.

:func:`choose_hotspot_scale` follows the steps Esri documents for Optimized Hot Spot Analysis and
Incremental Spatial Autocorrelation: locational outliers are found and left out of the distance
statistics; incidents are counted in square cells; global Moran's I of the cell counts is computed
over a run of distance bands that starts where every (non-outlier) location has a neighbour and
steps by the mean nearest-neighbour distance; the first peak of the z-score curve above 1.65 is the
scale of analysis, else the band with the largest z-score above 1.65, else a fallback distance
(the mean distance to the k-th nearest neighbour, capped at the standard distance). Every number
of the scan is kept on the result so a method note can say why the scale was chosen.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import stats
from scipy.spatial import cKDTree

from snt_geo._format import format_count, format_number
from snt_geo._method import MethodRecord
from snt_geo.linkage.grid import (
    GridResult,
    GridSpec,
    _area_geometries,
    _check_cell_size,
    _Grid,
    _grid_for,
    _incident_xy,
)
from snt_geo.linkage.hotspots import _disc_half_widths, _disc_sum

__all__ = ["choose_hotspot_scale", "HotspotScale", "ScaleMethod"]

#: Fewest incidents (with a location) the automatic scale is computed from.
MIN_INCIDENTS = 60
#: Fewest analysed cells: Moran's I and Gi* are unreliable on fewer than 30 features.
MIN_CELLS = 30
#: A location is a locational outlier when its nearest-neighbour distance exceeds the mean by more
#: than this many standard deviations.
OUTLIER_SD = 3.0
#: A band's Moran z-score must exceed this (90% confidence, one-sided) to be a candidate scale.
Z_THRESHOLD = 1.65
#: Distance bands scanned by default (ArcGIS's Incremental Spatial Autocorrelation default).
N_BANDS = 10
#: Upper bound on the cells of the scan grid; a larger grid gets bigger cells (recorded).
MAX_SCAN_CELLS = 2_000_000

_RULES = ("first_peak", "largest_z", "fallback")


@dataclass(frozen=True, repr=False)
class ScaleMethod(MethodRecord):
    """What :func:`choose_hotspot_scale` ran and found, for a method note.

    Attributes
    ----------
    n_incidents, n_incidents_no_geometry, n_incidents_outside
        Incidents used (with a location inside the area); without a location; outside the area's
        polygons or every analysed cell (neither measured nor counted).
    n_locations
        Distinct incident locations (police.uk snaps incidents to shared map points, so distances
        are measured between distinct locations: a repeat at one point has no distance).
    n_outlier_locations, n_outlier_incidents, outlier_threshold_m
        Locational outliers (nearest-neighbour distance above ``outlier_threshold_m`` = mean +
        3 SD) and the incidents at them; left out of every distance statistic below, still
        counted in their cells.
    mean_nn_distance_m, max_nn_distance_m
        Mean and largest nearest-neighbour distance between the non-outlier locations.
    cell_size_m, cell_size_rule, n_cells
        Cell side of the scan grid, how it was chosen, and cells analysed.
    begin_distance_m, increment_m
        First band (every non-outlier location has a neighbour within it, and every cell at least
        one neighbouring cell) and the step between bands (the mean nearest-neighbour distance).
    distances_m, morans_i, z_scores
        The scan: band distances and global Moran's I of the cell counts with its z-score under
        randomisation (binary weights, cells whose centres are within the band).
    z_threshold
        A band must exceed this z-score to be chosen (1.65).
    rule, chosen_band
        ``"first_peak"`` (the first band whose z-score exceeds both neighbours' and the
        threshold), ``"largest_z"`` (no such peak: the band with the largest z-score above the
        threshold), or ``"fallback"`` (no band above the threshold); the chosen band's position
        in the scan (None for the fallback).
    neighbour_distance_m
        The chosen scale: the neighbour distance for Gi*.
    fallback_k, fallback_distance_m, standard_distance_m
        The fallback: k (5% of the non-outlier locations, clamped to 3..30), the mean distance to
        the k-th nearest neighbour capped at the standard distance, and the standard distance.
        Computed in every run; used only when ``rule`` is ``"fallback"``.
    area, grid
        What the cells cover; the grid.
    """

    n_incidents: int
    n_incidents_no_geometry: int
    n_incidents_outside: int
    n_locations: int
    n_outlier_locations: int
    n_outlier_incidents: int
    outlier_threshold_m: float
    mean_nn_distance_m: float
    max_nn_distance_m: float
    cell_size_m: float
    cell_size_rule: str
    n_cells: int
    begin_distance_m: float
    increment_m: float
    distances_m: tuple[float, ...]
    morans_i: tuple[float, ...]
    z_scores: tuple[float, ...]
    z_threshold: float
    rule: str
    chosen_band: int | None
    neighbour_distance_m: float
    fallback_k: int
    fallback_distance_m: float
    standard_distance_m: float
    area: str
    grid: GridSpec

    def describe(self) -> str:
        """One paragraph for a method note."""
        if self.rule == "fallback":
            why = (
                f"No band's Moran z-score exceeded {self.z_threshold:g}, so the scale is the mean "
                f"distance to the {self.fallback_k}th nearest neighbour, capped at the standard "
                f"distance ({format_number(self.standard_distance_m)} m)"
            )
        else:
            which = "the first peak" if self.rule == "first_peak" else "the largest z-score"
            band = self.chosen_band if self.chosen_band is not None else 0
            why = (
                f"The scale is {which} of the z-score curve above {self.z_threshold:g} "
                f"(z = {self.z_scores[band]:.2f} at band {band + 1} of {len(self.distances_m)})"
            )
        return (
            "Scale of analysis chosen after ArcGIS's Optimized Hot Spot Analysis: "
            f"{format_count(self.n_incidents)} incidents at {format_count(self.n_locations)} "
            f"distinct locations; {format_count(self.n_outlier_locations)} locational outliers "
            f"(nearest-neighbour distance above {format_number(self.outlier_threshold_m)} m, mean "
            "+ 3 SD) left out of the distance statistics. Incidents counted in "
            f"{format_count(self.n_cells)} cells of {format_number(self.cell_size_m)} m "
            f"({self.cell_size_rule}). Incremental spatial autocorrelation: global Moran's I of "
            f"the cell counts over {len(self.distances_m)} distance bands from "
            f"{format_number(self.begin_distance_m)} m in steps of "
            f"{format_number(self.increment_m)} m (the mean nearest-neighbour distance). {why}: "
            f"neighbour distance {format_number(self.neighbour_distance_m)} m."
        )


@dataclass(frozen=True)
class HotspotScale:
    """Result of :func:`choose_hotspot_scale`.

    Attributes
    ----------
    cell_size_m
        Cell side for Gi*, metres.
    neighbour_distance_m
        Neighbour distance for Gi*, metres (the chosen scale).
    scan
        DataFrame, one row per distance band, indexed by ``band`` (0, 1, ...): ``distance_m``,
        ``morans_i``, ``expected_i``, ``variance_i`` (under randomisation), ``z_score``,
        ``p_value`` (two-sided normal), ``is_peak`` (z above both neighbours' and the threshold)
        and ``chosen`` (the band chosen as the scale; none when the fallback was used).
    outliers
        Input index labels of the incidents at locational outliers.
    method
        :class:`ScaleMethod`.
    """

    cell_size_m: float
    neighbour_distance_m: float
    scan: pd.DataFrame
    outliers: pd.Index
    method: ScaleMethod

    def to_frame(self) -> pd.DataFrame:
        """Return the scan table with ``attrs["method"]`` set."""
        frame = self.scan.copy()
        frame.attrs["method"] = self.method
        return frame

    def _repr_html_(self) -> str:
        return f"<p>{self.method.describe()}</p>" + self.scan.to_html(float_format="{:.4g}".format)


def _fallback_k(n_locations: int) -> int:
    """K for the fallback distance: 5% of the locations (half up), clamped to 3..30."""
    return int(min(30, max(3, math.floor(0.05 * n_locations + 0.5))))


def _peaks(z: np.ndarray, z_threshold: float) -> np.ndarray:
    """Bands whose z-score exceeds the threshold and both neighbouring bands' z-scores.

    The first and last bands are never peaks: the curve is not seen on their outer side.
    """
    z = np.asarray(z, dtype="float64")
    peak = np.zeros(len(z), dtype=bool)
    if len(z) >= 3:
        with np.errstate(invalid="ignore"):
            inner = (z[1:-1] > z[:-2]) & (z[1:-1] > z[2:]) & (z[1:-1] > z_threshold)
        peak[1:-1] = inner
    return peak


def _choose_band(z: np.ndarray, z_threshold: float = Z_THRESHOLD) -> tuple[int | None, str]:
    """Return the chosen band and the rule.

    The first peak, else the largest z above the threshold, else None.

    >>> _choose_band([1, 2, 3, 2.5, 4, 3])
    (2, 'first_peak')
    >>> _choose_band([1.0, 1.2, 1.6, 1.1])
    (None, 'fallback')
    """
    z = np.asarray(z, dtype="float64")
    peak = _peaks(z, z_threshold)
    if peak.any():
        return int(np.flatnonzero(peak)[0]), "first_peak"
    with np.errstate(invalid="ignore"):
        above = z > z_threshold
    if above.any():
        return int(np.nanargmax(np.where(above, z, -np.inf))), "largest_z"
    return None, "fallback"


def _grid_morans_i(
    counts: np.ndarray, mask: np.ndarray, distance_m: float, cell_size_m: float
) -> tuple[float, float, float, float]:
    """Global Moran's I of the masked cells' values with binary distance-band weights.

    Neighbours are the other analysed cells whose centres lie within ``distance_m`` (inclusive);
    cells outside ``mask`` are absent. Returns ``(I, E[I], Var[I], z)`` with the variance under
    randomisation (Cliff & Ord 1981), NaN when undefined (no neighbours or no variation).
    """
    half = _disc_half_widths(distance_m, cell_size_m)
    y = counts[mask].astype("float64")
    n = len(y)
    dev = np.where(mask, counts - y.mean(), 0.0)
    z = dev[mask]
    lag = _disc_sum(dev, half)[mask] - z
    c = (_disc_sum(mask.astype(np.int64), half)[mask] - 1).astype("float64")
    s0 = c.sum()
    m2 = float((z * z).sum())
    expected = -1.0 / (n - 1)
    if s0 <= 0 or m2 <= 0 or n < 4:
        return float("nan"), expected, float("nan"), float("nan")
    i = n / s0 * float((z * lag).sum()) / m2
    s1 = 2.0 * s0
    s2 = 4.0 * float((c * c).sum())
    kurt = n * float((z**4).sum()) / m2**2
    a = n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s0 * s0)
    b = kurt * ((n * n - n) * s1 - 2 * n * s2 + 6 * s0 * s0)
    var = (a - b) / ((n - 1) * (n - 2) * (n - 3) * s0 * s0) - expected**2
    zscore = (i - expected) / math.sqrt(var) if var > 0 else float("nan")
    return i, expected, var, zscore


def _nearest_neighbour_stats(locations: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Nearest-neighbour distance of each location, the outlier mask and the outlier threshold."""
    nn = cKDTree(locations).query(locations, k=2)[0][:, 1]
    threshold = float(nn.mean() + OUTLIER_SD * nn.std())
    return nn, nn > threshold, threshold


def _fallback_distance(locations: np.ndarray, k: int) -> tuple[float, float]:
    """Mean distance to the k-th nearest neighbour, capped at the standard distance; and the SD."""
    kth = cKDTree(locations).query(locations, k=k + 1)[0][:, k]
    centre = locations.mean(axis=0)
    standard = float(math.sqrt(((locations - centre) ** 2).sum(axis=1).mean()))
    return min(float(kth.mean()), standard), standard


def _scan_cell_size(mean_nn_m: float, bounds: np.ndarray) -> tuple[float, str]:
    """Return the cell side for the scan grid and the rule that chose it.

    The mean nearest-neighbour distance (whole metres, >= 10 m), enlarged when the bounding box
    would hold more than :data:`MAX_SCAN_CELLS` cells.
    """
    size = max(10.0, float(math.ceil(mean_nn_m)))
    rule = "mean nearest-neighbour distance between non-outlier locations, rounded up to 1 m"
    extent = float((bounds[2] - bounds[0]) * (bounds[3] - bounds[1]))
    if extent / size**2 > MAX_SCAN_CELLS:
        size = float(math.ceil(math.sqrt(extent / MAX_SCAN_CELLS)))
        rule += f"; enlarged to keep the grid under {MAX_SCAN_CELLS:,} cells"
    return size, rule


def _in_area(xy: np.ndarray, area: gpd.GeoDataFrame | gpd.GeoSeries | None) -> np.ndarray:
    """Which points lie in (or on the edge of) the area's polygons; all of them without one."""
    if area is None:
        return np.ones(len(xy), dtype=bool)
    if isinstance(area, GridResult):
        row, col = area.grid.locate(xy[:, 0], xy[:, 1])
        inside = row >= 0
        inside[inside] = area.mask[row[inside], col[inside]]
        return inside
    parts = _area_geometries(area, argument="area")
    hit, _ = shapely.STRtree(parts).query(shapely.points(xy), predicate="intersects")
    inside = np.zeros(len(xy), dtype=bool)
    inside[hit] = True
    return inside


def _check_counts(n_incidents: int, n_locations: int) -> None:
    if n_incidents < MIN_INCIDENTS or n_locations < MIN_CELLS:
        raise ValueError(
            f"`incidents` has {n_incidents:,} incidents with a location at {n_locations:,} "
            f"distinct locations; choose_hotspot_scale needs at least {MIN_INCIDENTS} incidents "
            f"at {MIN_CELLS} or more locations to estimate a scale. Widen the period or the "
            "area, or pass `cell_size_m` and `neighbour_distance_m` to find_hotspots yourself."
        )


def _count_cells(grid: _Grid, xy: np.ndarray) -> tuple[np.ndarray, int]:
    spec = grid.spec
    row, col = spec.locate(xy[:, 0], xy[:, 1])
    inside = row >= 0
    flat = row * spec.n_cols + col
    inside[inside] = grid.mask.ravel()[flat[inside]]
    counts = np.bincount(flat[inside], minlength=spec.n_rows * spec.n_cols)
    return counts.reshape(spec.n_rows, spec.n_cols).astype(np.int64), int((~inside).sum())


def _scan_table(
    distances: np.ndarray, rows: list[tuple[float, float, float, float]]
) -> pd.DataFrame:
    i, e, v, z = (np.array(col, dtype="float64") for col in zip(*rows, strict=True))
    return pd.DataFrame(
        {
            "distance_m": distances,
            "morans_i": i,
            "expected_i": e,
            "variance_i": v,
            "z_score": z,
            "p_value": 2.0 * stats.norm.sf(np.abs(z)),
            "is_peak": _peaks(z, Z_THRESHOLD),
        },
        index=pd.RangeIndex(len(distances), name="band"),
    )


def choose_hotspot_scale(
    incidents: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    area: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    cell_size_m: float | None = None,
    n_bands: int = N_BANDS,
) -> HotspotScale:
    """Choose the cell size and neighbour distance for Gi* from the incidents themselves.

    Parameters
    ----------
    incidents
        Incident points with a CRS; reprojected to EPSG:27700. Rows without a location, and with
        ``area`` those outside its polygons, are left out (counted on the method record).
    area
        Study-area polygons (e.g. wards): the cells analysed are those overlapping them; or an
        earlier grid result (e.g. ``hotspot_grid(...)``), whose cells are reused. Default None:
        every cell of the incidents' bounding box.
    cell_size_m
        Cell side of the scan grid, metres. Default None: the mean nearest-neighbour distance
        between the non-outlier locations (rounded up to 1 m, at least 10 m).
    n_bands
        Distance bands in the scan (default 10, as ArcGIS's Incremental Spatial Autocorrelation).

    Returns
    -------
    HotspotScale
        ``cell_size_m`` and ``neighbour_distance_m`` for :func:`~snt_geo.linkage.find_hotspots`,
        the whole scan (``scan``: one row per band), the input index of the incidents at
        locational outliers (``outliers``) and the :class:`ScaleMethod` record.

    Warns
    -----
    UserWarning
        When the chosen band is the last one scanned (z still rising): the scale is then the end
        of the scan, not a peak.

    Raises
    ------
    ValueError
        With fewer than 60 located incidents or 30 distinct locations, or fewer than 30 analysed
        cells: a scale estimated from so little is not worth recording.

    Notes
    -----
    Steps, after Esri's "How Optimized Hot Spot Analysis works" and "How Incremental Spatial
    Autocorrelation works":

    1. Distances are between distinct incident locations. A location whose nearest-neighbour
       distance exceeds the mean by more than 3 standard deviations is a locational outlier: it is
       reported and left out of every distance statistic (its incidents are still counted).
    2. Incidents are counted in square cells whose side is the mean nearest-neighbour distance of
       the non-outlier locations (Esri does not publish its fishnet rule; this is snt_geo's).
    3. Global Moran's I (Moran 1950; randomisation variance, Cliff & Ord 1981) of the cell counts
       is computed for ``n_bands`` binary distance bands starting at the largest nearest-neighbour
       distance (so every non-outlier location has a neighbour; at least one cell) and stepping by
       the mean nearest-neighbour distance.
    4. The scale is the first peak of the z-score curve with z > 1.65; without a peak, the band
       with the largest z > 1.65; when no band exceeds 1.65, the mean distance to the k-th
       nearest neighbour (k = 5% of the non-outlier locations, clamped to 3..30), capped at the
       standard distance of the locations, and never below one cell.

    Moran's I per band equals esda's ``Moran(counts, DistanceBand(centres, d, binary=True),
    transform="B")`` ``I`` and ``z_rand``; it is computed as an exact filter over the count
    raster, so a London-wide scan takes seconds.
    """
    if isinstance(n_bands, bool) or not isinstance(n_bands, (int, np.integer)) or n_bands < 3:
        raise ValueError(f"`n_bands` must be a whole number of at least 3; got {n_bands!r}.")
    xy, has_point = _incident_xy(incidents)
    point_rows = np.flatnonzero(has_point)
    in_area = _in_area(xy, area)
    xy, point_rows = xy[in_area], point_rows[in_area]
    locations, location_of = np.unique(xy, axis=0, return_inverse=True)
    _check_counts(len(xy), len(locations))
    nn, outlier, threshold = _nearest_neighbour_stats(locations)
    kept = locations[~outlier]
    mean_nn, max_nn = float(nn[~outlier].mean()), float(nn[~outlier].max())
    k = min(_fallback_k(len(kept)), len(kept) - 1)
    fallback_m, standard_m = _fallback_distance(kept, k)

    bounds = np.concatenate([xy.min(axis=0), xy.max(axis=0)])
    if isinstance(area, GridResult) and cell_size_m is None:
        cell_m, cell_rule = area.grid.cell_size_m, "the cells of `area` (an earlier grid result)"
    elif cell_size_m is None:
        cell_m, cell_rule = _scan_cell_size(mean_nn, bounds)
    else:
        cell_m, cell_rule = _check_cell_size(cell_size_m), "given"
    grid = _grid_for(area, xy, cell_m)
    if grid.n_cells < MIN_CELLS:
        raise ValueError(
            f"`area` gives {grid.n_cells} cells of {cell_m:g} m; the scan needs at least "
            f"{MIN_CELLS}. Pass a larger area or more incidents."
        )
    counts, n_cell_outside = _count_cells(grid, xy)
    increment = max(mean_nn, 1.0)
    begin = max(max_nn, cell_m)
    distances = begin + increment * np.arange(n_bands)
    rows = [_grid_morans_i(counts, grid.mask, float(d), cell_m) for d in distances]
    scan = _scan_table(distances, rows)
    band, rule = _choose_band(scan["z_score"].to_numpy())
    if band == n_bands - 1:
        warnings.warn(
            f"choose_hotspot_scale: Moran's z-score is still rising at the last band "
            f"({distances[-1]:,.0f} m), so the scale is the end of the scan rather than a peak; "
            f"pass a larger `n_bands` (now {n_bands}) to look further.",
            UserWarning,
            stacklevel=2,
        )
    chosen = float(distances[band]) if band is not None else max(fallback_m, cell_m)
    scan["chosen"] = scan.index == band if band is not None else False

    outlier_rows = point_rows[outlier[np.asarray(location_of).ravel()]]
    index = incidents.index
    method = ScaleMethod(
        n_incidents=len(xy) - n_cell_outside,
        n_incidents_no_geometry=int((~has_point).sum()),
        n_incidents_outside=n_cell_outside + int((~in_area).sum()),
        n_locations=len(locations),
        n_outlier_locations=int(outlier.sum()),
        n_outlier_incidents=len(outlier_rows),
        outlier_threshold_m=threshold,
        mean_nn_distance_m=mean_nn,
        max_nn_distance_m=max_nn,
        cell_size_m=cell_m,
        cell_size_rule=cell_rule,
        n_cells=grid.n_cells,
        begin_distance_m=float(begin),
        increment_m=float(increment),
        distances_m=tuple(float(d) for d in distances),
        morans_i=tuple(float(r[0]) for r in rows),
        z_scores=tuple(float(r[3]) for r in rows),
        z_threshold=Z_THRESHOLD,
        rule=rule,
        chosen_band=band,
        neighbour_distance_m=chosen,
        fallback_k=k,
        fallback_distance_m=fallback_m,
        standard_distance_m=standard_m,
        area=grid.area_source,
        grid=grid.spec,
    )
    return HotspotScale(
        cell_size_m=cell_m,
        neighbour_distance_m=chosen,
        scan=scan,
        outliers=index[outlier_rows],
        method=method,
    )
