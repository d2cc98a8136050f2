"""Kernel density of incidents on a square grid, and the dual (ratio) surface of two point sets.

The density at each cell centre is the exact kernel sum over the incidents within the bandwidth
(no binning of the points). The sum is organised by grid row: inside one row a point's kernel is a
polynomial in the cell's easting over a run of columns, so each (point, row) pair adds polynomial
coefficients at the run's two ends and running sums recover every cell's value. The work is
proportional to points x rows in the bandwidth, not points x cells in the disc. Coefficients are
expanded about local block centres to keep rounding small, and any cell whose value is small next
to the magnitudes summed into it is recomputed by direct summation, so every cell matches the
brute-force sum to well within 1e-9 relative.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from snt_geo._guard import check_grid
from snt_geo._locations import group_locations
from snt_geo._method import MethodRecord
from snt_geo.errors import SchemaError
from snt_geo.linkage.grid import (
    POLYGON_BYTES_PER_CELL,
    GridResult,
    GridSpec,
    _Grid,
    _grid_for,
    _incident_xy,
)

__all__ = [
    "kernel_density",
    "kernel_density_grid",
    "dual_kernel_density",
    "dual_kernel_density_grid",
    "DensityGrid",
    "default_bandwidth_m",
    "DensityMethod",
    "KERNELS",
]

#: Kernels: name -> (normalising constant c, so that K(d) = c / h^2 * profile(d / h), and the
#: profile's polynomial degree in (d / h)^2).
KERNELS = {"quartic": (3.0 / math.pi, 2), "epanechnikov": (2.0 / math.pi, 1)}

# Cell values below this fraction of the coefficient magnitudes summed into them are recomputed
# directly (rounding in the running sums is at most ~1e-16 x those magnitudes x steps).
_RECHECK_FRACTION = 1e-6
_PAIRS_PER_CHUNK = 500_000


@dataclass(frozen=True, repr=False)
class DensityMethod(MethodRecord):
    """What a kernel density surface used (``frame.attrs["method"]``).

    Attributes
    ----------
    kernel
        ``"quartic"`` (Silverman 1986, ArcGIS and CrimeStat's default) or ``"epanechnikov"``.
    bandwidth_m, bandwidth_rule
        Kernel radius in metres and how it was chosen.
    cell_size_m, cell_size_rule
        Cell side and how it was chosen.
    n_incidents
        Incidents (or total weight) in the sum.
    n_locations
        Distinct incident locations (the sum runs over these, weighted).
    n_incidents_no_geometry
        Incidents without a location (not in the sum).
    weight_column
        Column used as weights, or None (each incident counts once).
    area, grid
        What the cells cover; the grid's origin, cell size and shape.
    """

    kernel: str
    bandwidth_m: float
    bandwidth_rule: str
    cell_size_m: float
    cell_size_rule: str
    n_incidents: float
    n_locations: int
    n_incidents_no_geometry: int
    weight_column: str | None
    area: str
    grid: GridSpec

    def describe(self) -> str:
        """One sentence for a method note."""
        return (
            f"{self.kernel.capitalize()} kernel density (Silverman 1986) of {self.n_incidents:,g} "
            f"incidents at {self.n_locations:,} locations, bandwidth {self.bandwidth_m:,.0f} m "
            f"({self.bandwidth_rule}), evaluated at the centres of {self.cell_size_m:g} m cells "
            f"({self.cell_size_rule}) covering the {self.area}; densities are per km2."
        )


@dataclass(frozen=True, eq=False, repr=False)
class DensityGrid(GridResult):
    """A kernel density surface held as arrays.

    Built by :func:`kernel_density_grid` and :func:`dual_kernel_density_grid`.

    ``values`` holds, per analysed cell in increasing ``cell_id`` order, the columns of
    :func:`kernel_density` (``density_per_km2``) or :func:`dual_kernel_density`
    (``density_per_km2``, ``reference_density_per_km2``, ``density_ratio``, ``risk_ratio``).
    ``method`` is the incidents' :class:`DensityMethod`; ``reference_method`` the reference's
    (dual surfaces only, else None). ``to_frame("positive")`` keeps the cells with a density
    above zero (what a map paints).
    """

    method: DensityMethod
    reference_method: DensityMethod | None = None

    def _named_selection(self, name: str) -> np.ndarray:
        if name == "positive":
            return np.nan_to_num(self.values["density_per_km2"]) > 0
        raise ValueError(
            f"`cells` must be 'all', 'positive', study-area polygons or a boolean array over the "
            f"{self.n_cells:,} cells; got {name!r}."
        )

    def to_frame(self, cells: object = "all") -> gpd.GeoDataFrame:
        """Return the cells as :meth:`GridResult.to_frame` does.

        A dual surface also sets ``attrs["reference_method"]``.
        """
        frame = super().to_frame(cells)
        if self.reference_method is not None:
            frame.attrs["reference_method"] = self.reference_method
        return frame


def default_bandwidth_m(xy: np.ndarray, weights: np.ndarray | None = None) -> float:
    """ArcGIS Kernel Density's default search radius for points ``xy`` (EPSG:27700 metres).

    ``0.9 * min(SD, sqrt(1 / ln 2) * Dm) * n ** -0.2``, where SD is the standard distance and Dm
    the median distance of the points from their mean centre and n the number of points (all
    three weighted when ``weights`` is given, n then being the sum of weights). It is Silverman's
    rule of thumb made robust to outliers (ArcGIS Pro, "How Kernel Density works").

    Returns NaN when the rule is undefined (no points, or all at one place).
    """
    xy = np.asarray(xy, dtype="float64")
    w = np.ones(len(xy)) if weights is None else np.asarray(weights, dtype="float64")
    n = w.sum()
    if len(xy) == 0 or n <= 0:
        return float("nan")
    centre = (xy * w[:, None]).sum(axis=0) / n
    d2 = ((xy - centre) ** 2).sum(axis=1)
    sd = math.sqrt((w * d2).sum() / n)
    d = np.sqrt(d2)
    order = np.argsort(d, kind="stable")
    cum = np.cumsum(w[order])
    dm = float(d[order][np.searchsorted(cum, 0.5 * n)])
    h = 0.9 * min(sd, math.sqrt(1.0 / math.log(2.0)) * dm) * n**-0.2
    return h if h > 0 else float("nan")


def _unique_weighted(xy: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct locations and their summed weights (police.uk snap points repeat a lot)."""
    if len(xy) == 0:
        return xy.reshape(0, 2), w[:0]
    codes, uniq, _ = group_locations(xy[:, 0], xy[:, 1])
    return uniq, np.bincount(codes, weights=w, minlength=len(uniq))


def _coefficients(kernel: str, e: np.ndarray, q: np.ndarray) -> list[np.ndarray | float]:
    """Coefficients of the kernel profile as a polynomial in u, the cell's scaled easting.

    With t = u - q the scaled distance in x and a = 1 - (dy / h)^2, the profile is
    (a - t^2)^p; written with e = a - q^2 it is (e + 2 q u - u^2)^p.
    """
    if kernel == "quartic":
        return [e * e, 4 * e * q, 4 * q * q - 2 * e, -4 * q, 1.0]
    return [e, 2 * q, -1.0]


def _run_ends(
    centre: np.ndarray, half: np.ndarray, dy2: np.ndarray, h2: float, spec: GridSpec
) -> tuple[np.ndarray, np.ndarray]:
    """First and last column whose centre satisfies dx^2 + dy^2 < h^2 (dx from ``centre``).

    The columns come from the run's ends in closed form; only ends that land within rounding
    of a cell centre are settled with the direct test, so runs agree exactly with a brute-force
    sum's ``d^2 < h^2``.
    """
    s, x0 = spec.cell_size_m, spec.x0
    lo_f = (centre - half - x0) / s - 0.5
    hi_f = (centre + half - x0) / s - 0.5
    c_lo = np.ceil(lo_f).astype(np.int64)
    c_hi = np.floor(hi_f).astype(np.int64)
    for ends, f, step in ((c_lo, lo_f, -1), (c_hi, hi_f, 1)):
        near = np.flatnonzero(np.abs(f - np.rint(f)) < 1e-6)
        if len(near) == 0:
            continue
        c = np.rint(f[near]).astype(np.int64)
        for cand in (c + step, c, c - step):
            dx = x0 + (cand + 0.5) * s - centre[near]
            ok = dx * dx + dy2[near] < h2
            ends[near] = np.where(ok & (step * (cand - ends[near]) > 0), cand, ends[near])
        # Retreat if the nearest column itself fails the test.
        dx = x0 + (ends[near] + 0.5) * s - centre[near]
        bad = ~(dx * dx + dy2[near] < h2)
        ends[near[bad]] -= step
    return c_lo, c_hi


def _add_segments(
    acc: np.ndarray,
    count: np.ndarray,
    weight_in: np.ndarray,
    kernel: str,
    spec: GridSpec,
    h: float,
    block: int,
    n_blocks: int,
    row: np.ndarray,
    b: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    px: np.ndarray,
    e0: np.ndarray,
    ws: np.ndarray,
) -> None:
    """Add runs ``first..last`` of row ``row`` in block ``b`` to the difference arrays."""
    base = (row * n_blocks + b) * (block + 1) - b * block
    i_first = base + first
    i_stop = base + last + 1
    q = (px - (spec.x0 + (b * block + block / 2) * spec.cell_size_m)) / h
    e = e0 - q * q
    # Scattered adds touch only the run ends: a bincount with minlength would write the whole
    # (national-size) raster once per coefficient and chunk.
    np.add.at(weight_in, i_first, ws)
    np.add.at(weight_in, i_stop, ws)
    for k, c in enumerate(_coefficients(kernel, e, q)):
        cw = c * ws
        np.add.at(acc[k], i_first, cw)
        np.add.at(acc[k], i_stop, -cw)
    np.add.at(count, i_first, 1)
    np.add.at(count, i_stop, -1)


def _kernel_sums(
    xy: np.ndarray, w: np.ndarray, spec: GridSpec, h: float, kernel: str
) -> np.ndarray:
    """Sum over points of w * profile(d / h) at every cell centre of the raster (n_rows, n_cols).

    ``profile(r) = (1 - r^2)^p`` for r < 1 (p = 2 quartic, 1 Epanechnikov), else 0; a point
    contributes to the cells whose centres satisfy ``dx**2 + dy**2 < h**2``.
    """
    s, y0, n_rows, n_cols = spec.cell_size_m, spec.y0, spec.n_rows, spec.n_cols
    h2 = h * h
    # Blocks about 8 bandwidths wide: few runs cross a block edge, and the local coordinate
    # stays within +-4 (so coefficients stay small and rounding tiny).
    block = max(1, int(round(8 * h / s)), int(math.floor(2 * h / s)) + 2)
    n_blocks = -(-n_cols // block)
    width = block + 1
    size = n_rows * n_blocks * width
    n_coef = 2 * KERNELS[kernel][1] + 1
    acc = np.zeros((n_coef, size))
    count = np.zeros(size, dtype=np.int64)
    weight_in = np.zeros(size)

    # Rows are handled as a (points, m) array: row offsets 0..m-1 from each point's first row.
    m = int(math.floor(2 * h / s)) + 2
    chunk = max(1, _PAIRS_PER_CHUNK // m)
    offsets = np.arange(m)
    for start in range(0, len(xy), chunk):
        px = xy[start : start + chunk, 0][:, None]
        py = xy[start : start + chunk, 1][:, None]
        pw = w[start : start + chunk][:, None]
        row = np.ceil((py - h - y0) / s - 0.5).astype(np.int64) + offsets
        dy = y0 + (row + 0.5) * s - py
        dy2 = dy * dy
        ok = (dy2 < h2) & (row >= 0) & (row < n_rows)
        flat = np.flatnonzero(ok)
        pt = flat // m
        row, dy2 = row.ravel()[flat], dy2.ravel()[flat]
        ppx = px[pt, 0]
        c_lo, c_hi = _run_ends(ppx, np.sqrt(h2 - dy2), dy2, h2, spec)
        np.maximum(c_lo, 0, out=c_lo)
        np.minimum(c_hi, n_cols - 1, out=c_hi)
        ok = c_hi >= c_lo
        if not ok.all():
            pt, row, dy2, c_lo, c_hi, ppx = pt[ok], row[ok], dy2[ok], c_lo[ok], c_hi[ok], ppx[ok]
        ws = pw[pt, 0]
        e0 = 1.0 - dy2 / h2
        b = c_lo // block
        # A run is at most 2h/s + 1 columns and a block about 8h/s, so a run meets at most two
        # blocks: its part in the first block, then (for a few) its part in the next.
        edge = (b + 1) * block
        last = np.minimum(c_hi, edge - 1)
        _add_segments(
            acc, count, weight_in, kernel, spec, h, block, n_blocks, row, b, c_lo, last, ppx, e0, ws
        )
        more = np.flatnonzero(c_hi >= edge)
        if len(more):
            _add_segments(
                acc,
                count,
                weight_in,
                kernel,
                spec,
                h,
                block,
                n_blocks,
                row[more],
                b[more] + 1,
                edge[more],
                c_hi[more],
                ppx[more],
                e0[more],
                ws[more],
            )

    # Running sums only over the (row, block) runs that some kernel reaches: a national grid is
    # mostly empty.
    runs = (-1, width)
    touched = np.flatnonzero((count.reshape(runs) != 0).any(axis=1))
    u = ((np.arange(block) + 0.5 - block / 2) * s / h)[None, :]
    sub = np.zeros((len(touched), block))
    for k in range(n_coef - 1, -1, -1):
        sub = sub * u + np.cumsum(acc[k].reshape(runs)[touched], axis=1)[:, :block]
    n_in = np.cumsum(count.reshape(runs)[touched], axis=1)[:, :block]
    # Every coefficient is below (5 + 4)^4 x the weight for |u|, |q| <= 5, so this bounds the
    # magnitudes whose rounding can reach a cell's value.
    scale = 9.0 ** (n_coef - 1) * n_coef
    mag_in = scale * np.cumsum(weight_in.reshape(runs)[touched], axis=1)[:, :block]
    sub[n_in == 0] = 0.0
    value = np.zeros((n_rows * n_blocks, block))
    value[touched] = sub
    recheck = np.zeros((n_rows * n_blocks, block), dtype=bool)
    recheck[touched] = (n_in > 0) & (sub <= _RECHECK_FRACTION * mag_in)
    value = value.reshape(n_rows, n_blocks * block)[:, :n_cols]
    recheck = recheck.reshape(n_rows, n_blocks * block)[:, :n_cols]
    if recheck.any():
        rows, cols = np.nonzero(recheck)
        value[rows, cols] = _direct_sums(xy, w, spec, h, kernel, rows, cols)
    return value


def _direct_sums(
    xy: np.ndarray,
    w: np.ndarray,
    spec: GridSpec,
    h: float,
    kernel: str,
    rows: np.ndarray,
    cols: np.ndarray,
) -> np.ndarray:
    """Return the kernel sum at the centres of cells ``(rows, cols)`` by direct summation."""
    # Only points within h of a listed cell matter: find them through a dilated cell raster
    # (padded by the bandwidth, so points beyond the raster are handled too).
    s = spec.cell_size_m
    k = int(math.ceil(h / s)) + 1
    flag = np.zeros((spec.n_rows + 2 * k + 1, spec.n_cols + 2 * k + 1), dtype=np.int32)
    flag[rows + k + 1, cols + k + 1] = 1
    run = flag.cumsum(axis=0).cumsum(axis=1)
    pr = np.floor((xy[:, 1] - spec.y0) / s).astype(np.int64) + k + 1
    pc = np.floor((xy[:, 0] - spec.x0) / s).astype(np.int64) + k + 1
    on = (pr >= 1) & (pr < flag.shape[0]) & (pc >= 1) & (pc < flag.shape[1])
    pr, pc = pr[on], pc[on]
    r0, r1 = np.maximum(pr - k - 1, 0), np.minimum(pr + k, flag.shape[0] - 1)
    c0, c1 = np.maximum(pc - k - 1, 0), np.minimum(pc + k, flag.shape[1] - 1)
    near = (run[r1, c1] - run[r0, c1] - run[r1, c0] + run[r0, c0]) > 0
    pick = np.flatnonzero(on)[near]
    xy, w = xy[pick], w[pick]
    cx, cy = spec.centres(rows, cols)
    if len(xy) == 0:
        return np.zeros(len(rows))
    pairs = cKDTree(np.column_stack([cx, cy])).sparse_distance_matrix(
        cKDTree(xy), max_distance=h * (1 + 1e-9), output_type="ndarray"
    )
    i, j = pairs["i"], pairs["j"]
    dx = cx[i] - xy[j, 0]
    dy = cy[i] - xy[j, 1]
    d2 = dx * dx + dy * dy
    keep = d2 < h * h
    r = 1.0 - d2[keep] / (h * h)
    profile = r * r if kernel == "quartic" else r
    return np.bincount(i[keep], weights=w[j[keep]] * profile, minlength=len(rows))


def _check_kernel(kernel: object) -> str:
    if kernel not in KERNELS:
        raise ValueError(
            f"`kernel` must be one of {sorted(KERNELS)}; got {kernel!r}. 'quartic' is the usual "
            "choice for crime maps (ArcGIS, CrimeStat)."
        )
    return str(kernel)


def _weights(
    incidents: gpd.GeoDataFrame | gpd.GeoSeries,
    has_point: np.ndarray,
    weight_column: str | None,
    argument: str,
    column_argument: str,
) -> np.ndarray:
    if weight_column is None:
        return np.ones(int(has_point.sum()))
    if not isinstance(incidents, gpd.GeoDataFrame) or weight_column not in incidents.columns:
        raise SchemaError(
            f"`{column_argument}` = {weight_column!r} is not a column of `{argument}`; pass one of "
            f"its numeric columns or None."
        )
    values = pd.to_numeric(incidents[weight_column], errors="coerce").to_numpy("float64")
    values = values[has_point]
    if not np.isfinite(values).all() or (values < 0).any():
        raise SchemaError(
            f"`{column_argument}` column {weight_column!r} of `{argument}` must hold finite, "
            "non-negative numbers; fill or drop the missing or negative values first."
        )
    return values


def _bandwidth(
    bandwidth_m: float | None, uniq: np.ndarray, uw: np.ndarray, *, argument: str
) -> tuple[float, str]:
    if bandwidth_m is not None:
        try:
            value = float(bandwidth_m)
        except (TypeError, ValueError):
            value = float("nan")
        if isinstance(bandwidth_m, bool) or not (math.isfinite(value) and value > 0):
            raise ValueError(
                f"`bandwidth_m` must be a positive number of metres; got {bandwidth_m!r}. Pass "
                "e.g. 400, or None for ArcGIS's default search radius."
            )
        return value, "given"
    value = default_bandwidth_m(uniq, uw)
    if not math.isfinite(value):
        raise ValueError(
            f"`bandwidth_m` is None and ArcGIS's default search radius is undefined for "
            f"`{argument}` (fewer than two distinct locations); pass `bandwidth_m` in metres."
        )
    rule = "ArcGIS default search radius: 0.9 min(SD, sqrt(1/ln 2) Dm) n^-0.2"
    return value, f"{rule} of `{argument}`"


def _check_kernel_raster(grid: _Grid, h: float) -> None:
    """Refuse a kernel raster that would not fit in memory.

    The running-sum arrays take about 80 bytes per cell; the direct-sum check raster, padded by
    the bandwidth, about 20.
    """
    spec = grid.spec
    bounds = (
        spec.x0,
        spec.y0,
        spec.x0 + spec.n_cols * spec.cell_size_m,
        spec.y0 + spec.n_rows * spec.cell_size_m,
    )
    check_grid(bounds, cell_size_m=spec.cell_size_m, bytes_per_cell=80, what="the density raster")
    check_grid(
        bounds,
        cell_size_m=spec.cell_size_m,
        bytes_per_cell=20,
        pad_m=h,
        argument="bandwidth_m",
        what="the density's kernel raster",
    )


def _density(
    uniq: np.ndarray, uw: np.ndarray, grid: _Grid, h: float, kernel: str
) -> tuple[np.ndarray, int]:
    sums = _kernel_sums(uniq, uw, grid.spec, h, kernel)[grid.mask]
    return 1e6 * KERNELS[kernel][0] / (h * h) * sums, len(uniq)


def _smoothed(
    xy: np.ndarray, w: np.ndarray, grid: _Grid, bandwidth_m: float | None, kernel: str
) -> tuple[np.ndarray, int, float, str]:
    """Density of the incidents' distinct locations, its bandwidth and the bandwidth's rule."""
    uniq, uw = _unique_weighted(xy, w)
    h, rule = _bandwidth(bandwidth_m, uniq, uw, argument="incidents")
    _check_kernel_raster(grid, h)
    density, n_loc = _density(uniq, uw, grid, h, kernel)
    return density, n_loc, h, rule


def _method(
    kernel: str,
    h: float,
    rule: str,
    grid: _Grid,
    w: np.ndarray,
    n_loc: int,
    n_missing: int,
    weight_column: str | None,
) -> DensityMethod:
    """Build the incidents' :class:`DensityMethod` (a reference's is this with its own counts)."""
    return DensityMethod(
        kernel=kernel,
        bandwidth_m=h,
        bandwidth_rule=rule,
        cell_size_m=grid.spec.cell_size_m,
        cell_size_rule=grid.spec.cell_size_rule,
        n_incidents=float(w.sum()),
        n_locations=n_loc,
        n_incidents_no_geometry=n_missing,
        weight_column=weight_column,
        area=grid.area_source,
        grid=grid.spec,
    )


def kernel_density_grid(
    incidents: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    area: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    cell_size_m: float | None = None,
    bandwidth_m: float | None = None,
    kernel: str = "quartic",
    weight_column: str | None = None,
) -> DensityGrid:
    """Kernel density as arrays over the grid (no cell polygons built).

    The same surface, parameters and warnings as :func:`kernel_density`, for large grids.

    Parameters
    ----------
    incidents, area, cell_size_m, bandwidth_m, kernel, weight_column
        As for :func:`kernel_density`.

    Returns
    -------
    DensityGrid
        ``.values["density_per_km2"]`` over the analysed cells (increasing ``cell_id``),
        ``.mask``, ``.grid`` and ``.method`` (:class:`DensityMethod`); ``.raster(column)``,
        ``.to_frame(cells=...)``, ``.to_geotiff(path)``.
    """
    return _kde_grid(
        incidents,
        area=area,
        cell_size_m=cell_size_m,
        bandwidth_m=bandwidth_m,
        kernel=kernel,
        weight_column=weight_column,
    )


def kernel_density(
    incidents: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    area: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    cell_size_m: float | None = None,
    bandwidth_m: float | None = None,
    kernel: str = "quartic",
    weight_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Kernel density of incidents, per square kilometre, at the centres of square grid cells.

    Parameters
    ----------
    incidents
        Incident points with a CRS; reprojected to EPSG:27700. Every incident with a location
        contributes, including those outside ``area`` (their kernels reach into it).
    area
        Study-area polygons; cells overlapping them are returned. Default None: the incidents'
        bounding box. An earlier grid result (e.g. a :class:`~snt_geo.linkage.HotspotGrid`)
        reuses its cells as they are.
    cell_size_m
        Cell side in metres. Default None: the shorter side of the area's bounding box / 50,
        rounded down to 10 m.
    bandwidth_m
        Kernel radius h in metres. Default None: ArcGIS's default search radius
        (:func:`default_bandwidth_m`).
    kernel
        ``"quartic"`` (default) or ``"epanechnikov"``.
    weight_column
        Numeric column of ``incidents`` to weight each point by (e.g. population). Default None:
        each incident counts once.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per cell, indexed by ``cell_id``, with columns ``row``, ``col``,
        ``density_per_km2`` (float64) and ``geometry`` (square cells, EPSG:27700).
        ``attrs["method"]`` is a :class:`DensityMethod`.

    Warns
    -----
    UserWarning
        When incidents have no geometry (with the count), or there are no incidents (the density
        is then zero everywhere).

    Notes
    -----
    ``density_per_km2 = 1e6 * sum_i w_i K(d_i)`` over the incidents with ``d_i < h``, with the
    quartic kernel ``K(d) = 3 / (pi h^2) * (1 - (d/h)^2)^2`` (Silverman 1986, eq. 4.5; ArcGIS
    Kernel Density) or Epanechnikov ``2 / (pi h^2) * (1 - (d/h)^2)``, both integrating to 1, so
    the surface integrates to the number of incidents. Values are exact sums (not binned), equal
    to a brute-force double loop to within 1e-9 relative.

    See Also
    --------
    kernel_density_grid : the same surface as arrays, for grids too large for polygons.
    """
    return _kde_grid(
        incidents,
        area=area,
        cell_size_m=cell_size_m,
        bandwidth_m=bandwidth_m,
        kernel=kernel,
        weight_column=weight_column,
        bytes_per_cell=POLYGON_BYTES_PER_CELL,
    ).to_frame()


def _kde_grid(
    incidents: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    area: gpd.GeoDataFrame | gpd.GeoSeries | None,
    cell_size_m: float | None,
    bandwidth_m: float | None,
    kernel: str,
    weight_column: str | None,
    bytes_per_cell: int = 64,
) -> DensityGrid:
    """Run the engine of the two public KDE functions (warnings at stacklevel 3: their caller).

    ``kernel_density`` passes the memory of one polygon per cell as ``bytes_per_cell``.
    """
    kernel = _check_kernel(kernel)
    xy, has_point = _incident_xy(incidents)
    w = _weights(incidents, has_point, weight_column, "incidents", "weight_column")
    grid = _grid_for(area, xy, cell_size_m, bytes_per_cell=bytes_per_cell)
    n_missing = int((~has_point).sum())
    if n_missing:
        warnings.warn(
            f"{n_missing:,} incidents have no geometry and are not in the density.",
            UserWarning,
            stacklevel=3,
        )
    if len(xy) == 0 or w.sum() == 0:
        warnings.warn(
            "no incidents to smooth: the density is zero in every cell.", UserWarning, stacklevel=3
        )
        h = float(bandwidth_m) if bandwidth_m is not None else float("nan")
        rule = "given" if bandwidth_m is not None else "undefined (no incidents)"
        density, n_loc = np.zeros(grid.n_cells), 0
    else:
        density, n_loc, h, rule = _smoothed(xy, w, grid, bandwidth_m, kernel)
    method = _method(kernel, h, rule, grid, w, n_loc, n_missing, weight_column)
    return DensityGrid(
        grid=grid.spec, mask=grid.mask, values={"density_per_km2": density}, method=method
    )


def dual_kernel_density_grid(
    incidents: gpd.GeoDataFrame | gpd.GeoSeries,
    reference: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    area: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    cell_size_m: float | None = None,
    bandwidth_m: float | None = None,
    kernel: str = "quartic",
    weight_column: str | None = None,
    reference_weight_column: str | None = None,
) -> DensityGrid:
    """Dual kernel density as arrays over the grid (no cell polygons built).

    Parameters
    ----------
    incidents, reference, area, cell_size_m, bandwidth_m, kernel, weight_column, \
reference_weight_column
        As for :func:`dual_kernel_density`.

    Returns
    -------
    DensityGrid
        ``.values`` with ``density_per_km2``, ``reference_density_per_km2``, ``density_ratio``
        and ``risk_ratio``; ``.method`` and ``.reference_method`` (:class:`DensityMethod`).
    """
    return _dual_kde_grid(
        incidents,
        reference,
        area=area,
        cell_size_m=cell_size_m,
        bandwidth_m=bandwidth_m,
        kernel=kernel,
        weight_column=weight_column,
        reference_weight_column=reference_weight_column,
    )


def dual_kernel_density(
    incidents: gpd.GeoDataFrame | gpd.GeoSeries,
    reference: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    area: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    cell_size_m: float | None = None,
    bandwidth_m: float | None = None,
    kernel: str = "quartic",
    weight_column: str | None = None,
    reference_weight_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Dual kernel density: two point sets smoothed alike, and their ratio (risk surface).

    For example ASB against street crime (where is ASB high *relative to* street crime?), or
    incidents against population-weighted centroids (a smoothed rate per resident).

    Parameters
    ----------
    incidents
        The numerator points (with a CRS).
    reference
        The denominator points (with a CRS), e.g. another crime type or population centroids.
    area, cell_size_m, kernel
        As for :func:`kernel_density`; with ``area=None`` the grid covers both sets' bounding box.
    bandwidth_m
        One kernel radius for both surfaces (a ratio of surfaces smoothed differently is
        meaningless). Default None: ArcGIS's default search radius of ``incidents``.
    weight_column, reference_weight_column
        Optional numeric weight columns of each set (e.g. ``"population"`` on centroids).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per cell, indexed by ``cell_id``, with ``row``, ``col``, ``density_per_km2``
        (incidents), ``reference_density_per_km2``, ``density_ratio`` (incidents per reference
        unit: density / reference density), ``risk_ratio`` (relative risk: the ratio of the two
        densities each divided by its set's total, so 1 means the same share of both sets; Kelsall
        & Diggle 1995) and ``geometry``. Ratios are NaN where the reference density is zero.
        ``attrs["method"]`` is the incidents' :class:`DensityMethod` and
        ``attrs["reference_method"]`` the reference's.

    See Also
    --------
    dual_kernel_density_grid : the same surfaces as arrays.
    """
    return _dual_kde_grid(
        incidents,
        reference,
        area=area,
        cell_size_m=cell_size_m,
        bandwidth_m=bandwidth_m,
        kernel=kernel,
        weight_column=weight_column,
        reference_weight_column=reference_weight_column,
        bytes_per_cell=POLYGON_BYTES_PER_CELL,
    ).to_frame()


def _dual_kde_grid(
    incidents: gpd.GeoDataFrame | gpd.GeoSeries,
    reference: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    area: gpd.GeoDataFrame | gpd.GeoSeries | None,
    cell_size_m: float | None,
    bandwidth_m: float | None,
    kernel: str,
    weight_column: str | None,
    reference_weight_column: str | None,
    bytes_per_cell: int = 64,
) -> DensityGrid:
    """Run the engine of the two public dual KDE functions (warnings at stacklevel 3)."""
    kernel = _check_kernel(kernel)
    xy, has_point = _incident_xy(incidents)
    rxy, r_has_point = _incident_xy(reference, argument="reference")
    w = _weights(incidents, has_point, weight_column, "incidents", "weight_column")
    rw = _weights(
        reference, r_has_point, reference_weight_column, "reference", "reference_weight_column"
    )
    for name, mask in (("incidents", has_point), ("reference", r_has_point)):
        if (~mask).any():
            warnings.warn(
                f"{int((~mask).sum()):,} rows of `{name}` have no geometry and are not in the "
                "density.",
                UserWarning,
                stacklevel=3,
            )
    if len(xy) == 0 or len(rxy) == 0 or w.sum() == 0 or rw.sum() == 0:
        raise ValueError(
            "`incidents` and `reference` must each hold at least one located point with positive "
            f"weight; got {len(xy)} and {len(rxy)} located points."
        )
    grid = _grid_for(area, np.vstack([xy, rxy]), cell_size_m, bytes_per_cell=bytes_per_cell)
    density, n_loc, h, rule = _smoothed(xy, w, grid, bandwidth_m, kernel)
    ref_density, n_ref_loc = _density(*_unique_weighted(rxy, rw), grid, h, kernel)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(ref_density > 0, density / ref_density, np.nan)
    risk = ratio * (rw.sum() / w.sum())
    values = {
        "density_per_km2": density,
        "reference_density_per_km2": ref_density,
        "density_ratio": ratio,
        "risk_ratio": risk,
    }
    n_missing = int((~has_point).sum())
    method = _method(kernel, h, rule, grid, w, n_loc, n_missing, weight_column)
    # The reference shares the kernel, bandwidth and grid; only its own counts differ.
    reference_method = replace(
        method,
        n_incidents=float(rw.sum()),
        n_locations=n_ref_loc,
        n_incidents_no_geometry=int((~r_has_point).sum()),
        weight_column=reference_weight_column,
    )
    return DensityGrid(
        grid=grid.spec,
        mask=grid.mask,
        values=values,
        method=method,
        reference_method=reference_method,
    )
