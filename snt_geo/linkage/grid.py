"""Regular square grids over a study area, the common surface of every hotspot statistic.

A grid is whole square cells of ``cell_size_m`` metres in EPSG:27700, aligned to multiples of the
cell size on the British National Grid (so grids of the same cell size line up across runs), and
restricted to the cells that intersect the study area's polygons (not the points' convex hull).
Cells are never cut at the boundary, so every cell has the same area.

The area mask is built without testing a million boxes against the polygons: cell centres are
classified by an exact scan-line fill of the polygon rings (vectorised in numpy), and only the
cells that a ring passes near are tested with GEOS. Polygons are built only for the cells kept.
"""

from __future__ import annotations

import gc
import html
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from snt_geo._guard import check_cells, check_grid
from snt_geo._locations import distinct_objects
from snt_geo.crs import (
    WORKING_CRS,
    check_in_great_britain,
    is_british_national_grid,
    to_working_crs,
)
from snt_geo.errors import SchemaError

__all__ = ["GridSpec", "GridResult", "make_grid", "default_cell_size_m"]

#: Memory per cell of a result with one polygon per cell (a GeoDataFrame of cells), bytes.
POLYGON_BYTES_PER_CELL = 400

#: Cells along the shorter side of the area's bounding box under the automatic cell-size rule.
CELLS_ON_SHORTER_SIDE = 50


@dataclass(frozen=True)
class GridSpec:
    """Where a grid lies: origin, cell size and shape (EPSG:27700 metres).

    Cell ``(row, col)`` covers ``[x0 + col * cell_size_m, x0 + (col + 1) * cell_size_m)`` by
    ``[y0 + row * cell_size_m, y0 + (row + 1) * cell_size_m)``; rows count northwards from the
    south edge ``y0``, columns eastwards from the west edge ``x0``. ``cell_id`` is
    ``row * n_cols + col``.

    Attributes
    ----------
    x0, y0
        West and south edges of the grid's bounding rectangle, metres (multiples of the cell size).
    cell_size_m
        Side of every cell, metres.
    n_rows, n_cols
        Shape of the bounding rectangle, in cells.
    cell_size_rule
        ``"given"``, or the automatic rule that chose the cell size.
    """

    x0: float
    y0: float
    cell_size_m: float
    n_rows: int
    n_cols: int
    cell_size_rule: str = "given"

    @property
    def cell_area_km2(self) -> float:
        """Area of one cell in square kilometres."""
        return self.cell_size_m**2 / 1e6

    def centres(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Easting and northing of the centres of cells ``(rows, cols)``."""
        s = self.cell_size_m
        return self.x0 + (np.asarray(cols) + 0.5) * s, self.y0 + (np.asarray(rows) + 0.5) * s

    def locate(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of the cell holding each point (-1 outside the bounding rectangle).

        A point on a cell edge belongs to the cell to its east / north (cells are half-open).
        """
        s = self.cell_size_m
        col = np.floor((np.asarray(x, dtype="float64") - self.x0) / s)
        row = np.floor((np.asarray(y, dtype="float64") - self.y0) / s)
        bad = ~((col >= 0) & (col < self.n_cols) & (row >= 0) & (row < self.n_rows))
        col = np.where(bad, -1, col).astype(np.int64)
        row = np.where(bad, -1, row).astype(np.int64)
        return row, col


def _check_cell_size(cell_size_m: object, argument: str = "cell_size_m") -> float:
    try:
        value = float(cell_size_m)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = float("nan")
    if isinstance(cell_size_m, (bool, str)) or not (math.isfinite(value) and value > 0):
        raise ValueError(
            f"`{argument}` must be a positive number of metres; got {cell_size_m!r}. "
            "Pass e.g. 100 for 100 m cells, or None for the automatic rule."
        )
    return value


def default_cell_size_m(bounds: tuple[float, float, float, float] | np.ndarray) -> float:
    """Return the automatic cell size for an area with these EPSG:27700 bounds.

    The shorter side of the bounding box divided by 50 (sfhotspot's rule, Hoskins 2023), rounded
    down to a multiple of 10 m and never below 10 m. For the GLA's London wards (58 km x 45 km)
    this gives 900 m; for one inner-London ward about 20-40 m.
    """
    xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    shorter = min(xmax - xmin, ymax - ymin)
    if not math.isfinite(shorter):
        raise ValueError("the area has no extent, so no automatic cell size; pass `cell_size_m`.")
    return max(10.0, math.floor(shorter / CELLS_ON_SHORTER_SIDE / 10.0) * 10.0)


def _area_geometries(area: gpd.GeoDataFrame | gpd.GeoSeries, *, argument: str) -> np.ndarray:
    """Return the non-empty polygons of ``area`` in EPSG:27700, as a flat array of Polygon parts."""
    area = to_working_crs(area, argument=argument)
    geoms = area.geometry.to_numpy() if isinstance(area, gpd.GeoDataFrame) else area.to_numpy()
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    kinds = shapely.get_type_id(geoms)
    # 3 = Polygon, 6 = MultiPolygon, 7 = GeometryCollection (kept for its polygonal parts).
    bad = ~np.isin(kinds, (3, 6, 7))
    if bad.any():
        names = sorted(set(shapely.get_type_id(geoms[bad]).tolist()))
        raise SchemaError(
            f"`{argument}` must hold polygons (wards or any study-area polygons); found geometry "
            f"type ids {names} (0 = point, 1/5 = lines). Buffer points or lines first, e.g. "
            f"`{argument}.buffer(100)`."
        )
    parts = shapely.get_parts(geoms)
    parts = parts[shapely.get_type_id(parts) == 3]
    parts = parts[~shapely.is_empty(parts)]
    if len(parts) == 0:
        raise SchemaError(
            f"`{argument}` has no non-empty polygons, so there is no study area to grid. Pass ward "
            "polygons (e.g. snt_geo.io.read_wards) or leave `area=None` to use the incidents' "
            "bounding box."
        )
    return parts


def _spec_for_bounds(
    bounds: np.ndarray,
    cell_size_m: float | str | None,
    *,
    rule_source: str,
    bytes_per_cell: int = 64,
) -> GridSpec:
    if cell_size_m is None:
        s = default_cell_size_m(bounds)
        rule = f"shorter side of the {rule_source} bounding box / {CELLS_ON_SHORTER_SIDE}, "
        rule += "rounded down to 10 m (sfhotspot's rule)"
    else:
        s = _check_cell_size(cell_size_m)
        rule = "given"
    # Arrays only (mask, counts, running sums): about 64 bytes per candidate cell. A caller that
    # returns one polygon per cell passes 400, so a suggested cell size is one that completes.
    check_grid(bounds, cell_size_m=s, bytes_per_cell=bytes_per_cell, what="the grid")
    xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    x0 = math.floor(xmin / s) * s
    y0 = math.floor(ymin / s) * s
    # One more column/row when the east/north edge falls exactly on a cell edge, so a point on
    # that edge (cells are half-open) still has a cell.
    n_cols = max(1, int(math.floor((xmax - x0) / s)) + 1)
    n_rows = max(1, int(math.floor((ymax - y0) / s)) + 1)
    return GridSpec(x0=x0, y0=y0, cell_size_m=s, n_rows=n_rows, n_cols=n_cols, cell_size_rule=rule)


def _ring_edges(parts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edges of every ring as an (m, 4) array x1, y1, x2, y2, and the polygon part of each."""
    rings, part_of_ring = shapely.get_rings(parts, return_index=True)
    coords, ring_of_coord = shapely.get_coordinates(rings, return_index=True)
    same = ring_of_coord[1:] == ring_of_coord[:-1]
    start = np.flatnonzero(same)
    edges = np.column_stack([coords[start], coords[start + 1]])
    return edges, part_of_ring[ring_of_coord[start]]


def _centre_inside(edges: np.ndarray, part: np.ndarray, spec: GridSpec) -> np.ndarray:
    """Cells whose centre lies inside (or on the boundary of) any polygon part: scan-line fill.

    Each edge is intersected with the horizontal lines through the cell-centre rows it crosses,
    using the half-open rule ``f(ymin) <= row < f(ymax)`` with the same function ``f`` for both
    ends, so a shared vertex is counted exactly once and every (part, row) has an even number of
    crossings. Consecutive crossings pair into inside intervals (even-odd rule per part, which
    handles holes), and the centres in an interval are marked through a difference array.
    """
    s, x0, y0 = spec.cell_size_m, spec.x0, spec.y0
    ylo = np.minimum(edges[:, 1], edges[:, 3])
    yhi = np.maximum(edges[:, 1], edges[:, 3])
    r0 = np.ceil((ylo - y0) / s - 0.5).astype(np.int64)
    r1 = np.ceil((yhi - y0) / s - 0.5).astype(np.int64)
    r0 = np.clip(r0, 0, spec.n_rows)
    r1 = np.clip(r1, 0, spec.n_rows)
    n = r1 - r0
    keep = n > 0
    edges, part, r0, n = edges[keep], part[keep], r0[keep], n[keep]
    edge = np.repeat(np.arange(len(n)), n)
    row = r0[edge] + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
    x1, y1, x2, y2 = (edges[edge, k] for k in range(4))
    yc = y0 + (row + 0.5) * s
    xc = x1 + (yc - y1) * (x2 - x1) / (y2 - y1)
    order = np.lexsort((xc, row, part[edge]))
    xc, row = xc[order], row[order]
    xa, xb, rr = xc[0::2], xc[1::2], row[0::2]
    c_lo = np.clip(np.ceil((xa - x0) / s - 0.5).astype(np.int64), 0, spec.n_cols)
    c_hi = np.clip(np.floor((xb - x0) / s - 0.5).astype(np.int64) + 1, 0, spec.n_cols)
    ok = c_hi > c_lo
    width = spec.n_cols + 1
    diff = np.bincount(
        np.concatenate([rr[ok] * width + c_lo[ok], rr[ok] * width + c_hi[ok]]),
        weights=np.concatenate([np.ones(ok.sum()), -np.ones(ok.sum())]),
        minlength=spec.n_rows * width,
    ).reshape(spec.n_rows, width)
    return np.cumsum(diff, axis=1)[:, :-1] > 0.5


def _near_boundary(edges: np.ndarray, spec: GridSpec) -> tuple[np.ndarray, np.ndarray]:
    """(edge, flat cell id) pairs for every cell a ring edge could meet (a superset).

    Edges are cut into pieces no longer than one cell; each piece's bounding box, widened by a
    hair so that a piece lying on a cell edge also names the neighbouring cell, covers at most
    3 x 3 cells.
    """
    s, x0, y0 = spec.cell_size_m, spec.x0, spec.y0
    length = np.hypot(edges[:, 2] - edges[:, 0], edges[:, 3] - edges[:, 1])
    k = np.maximum(1, np.ceil(length / s)).astype(np.int64)
    edge = np.repeat(np.arange(len(k)), k)
    step = np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)
    t0 = step / k[edge]
    t1 = (step + 1) / k[edge]
    ex = edges[edge]
    xa = ex[:, 0] + t0 * (ex[:, 2] - ex[:, 0])
    xb = ex[:, 0] + t1 * (ex[:, 2] - ex[:, 0])
    ya = ex[:, 1] + t0 * (ex[:, 3] - ex[:, 1])
    yb = ex[:, 1] + t1 * (ex[:, 3] - ex[:, 1])
    hair = 1e-7
    c_lo = np.floor((np.minimum(xa, xb) - x0) / s - hair).astype(np.int64)
    c_hi = np.floor((np.maximum(xa, xb) - x0) / s + hair).astype(np.int64)
    r_lo = np.floor((np.minimum(ya, yb) - y0) / s - hair).astype(np.int64)
    r_hi = np.floor((np.maximum(ya, yb) - y0) / s + hair).astype(np.int64)
    which, ids = [], []
    for dr in range(3):
        for dc in range(3):
            r = r_lo + dr
            c = c_lo + dc
            ok = (r <= r_hi) & (c <= c_hi) & (r >= 0) & (r < spec.n_rows)
            ok &= (c >= 0) & (c < spec.n_cols)
            which.append(edge[ok])
            ids.append(r[ok] * spec.n_cols + c[ok])
    pairs = np.unique(np.column_stack([np.concatenate(ids), np.concatenate(which)]), axis=0)
    return pairs[:, 1], pairs[:, 0]


def _meets_open_cell(edges: np.ndarray, spec: GridSpec, cell: np.ndarray) -> np.ndarray:
    """Whether each segment ``edges[i]`` meets the interior of cell ``cell[i]`` (exact test).

    Liang-Barsky clipping against the open square: the segment P + t D, t in [0, 1], meets it
    when the open parameter intervals of the two slabs overlap each other and [0, 1]. A segment
    along a cell edge, or one that only touches a corner (t = 0 computed exactly), does not.
    """
    rows, cols = np.divmod(cell, spec.n_cols)
    s = spec.cell_size_m
    lo = np.full(len(cell), -np.inf)
    hi = np.full(len(cell), np.inf)
    inside = np.ones(len(cell), dtype=bool)
    for axis, low in ((0, spec.x0 + cols * s), (1, spec.y0 + rows * s)):
        p = edges[:, axis]
        d = edges[:, axis + 2] - p
        flat = d == 0
        inside &= ~flat | ((p > low) & (p < low + s))
        with np.errstate(divide="ignore", invalid="ignore"):
            ta = (low - p) / d
            tb = (low + s - p) / d
        lo = np.where(flat, lo, np.maximum(lo, np.minimum(ta, tb)))
        hi = np.where(flat, hi, np.minimum(hi, np.maximum(ta, tb)))
    return inside & (lo < hi) & (lo < 1) & (hi > 0)


def _boxes(spec: GridSpec, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Square polygons of cells ``(rows, cols)``, counter-clockwise from the south-east corner.

    Built from ragged coordinate arrays, about twice as fast as ``shapely.box`` per cell, in
    chunks so that the temporary coordinate and ring arrays stay small next to the polygons.
    """
    out = np.empty(len(rows), dtype=object)
    chunk = 131_072
    # Shapely geometries are tracked by the cyclic garbage collector, so creating a million of
    # them triggers hundreds of collections that rescan every live object (about half the time
    # here). They cannot form cycles, so collection is paused while they are made.
    collecting = gc.isenabled()
    gc.disable()
    try:
        _fill_boxes(out, spec, rows, cols, chunk)
    finally:
        if collecting:
            gc.enable()
    return out


def _fill_boxes(
    out: np.ndarray, spec: GridSpec, rows: np.ndarray, cols: np.ndarray, chunk: int
) -> None:
    s = spec.cell_size_m
    for start in range(0, len(out), chunk):
        r = np.asarray(rows[start : start + chunk], dtype="float64")
        c = np.asarray(cols[start : start + chunk], dtype="float64")
        m = len(r)
        xmin = spec.x0 + c * s
        ymin = spec.y0 + r * s
        coords = np.empty((m, 5, 2))
        coords[:, (0, 1, 4), 0] = (xmin + s)[:, None]
        coords[:, (2, 3), 0] = xmin[:, None]
        coords[:, (0, 3, 4), 1] = ymin[:, None]
        coords[:, (1, 2), 1] = (ymin + s)[:, None]
        offsets = (np.arange(0, 5 * m + 1, 5), np.arange(m + 1))
        out[start : start + m] = shapely.from_ragged_array(
            shapely.GeometryType.POLYGON, coords.reshape(-1, 2), offsets
        )


def _outer_edges(edges: np.ndarray) -> np.ndarray:
    """Drop edges shared by two polygon parts (the same segment in both).

    Such edges are interior to the area's union, so no cell near them needs the exact test (the
    cells are inside).

    Each end point is numbered by exact coordinates (complex128 hashing), so an edge is one
    int64 key (its two end numbers, smaller first) whatever its direction.
    """
    n = len(edges)
    if n == 0:
        return edges
    ends = np.concatenate([edges[:, 0] + 1j * edges[:, 1], edges[:, 2] + 1j * edges[:, 3]])
    codes, uniq = pd.factorize(ends)
    a, b = codes[:n].astype(np.int64), codes[n:].astype(np.int64)
    key = np.minimum(a, b) * np.int64(len(uniq)) + np.maximum(a, b)
    shared = pd.Series(key).duplicated(keep=False).to_numpy()
    return edges[~shared]


def _area_mask(parts: np.ndarray, spec: GridSpec) -> np.ndarray:
    """Boolean (n_rows, n_cols) raster: True for cells whose interior meets the area's interior.

    Such a cell either has its centre inside (or on the boundary of) the area, or a ring edge
    passes through its interior (the area's interior lies on one side of every ring edge). So
    only cells near a ring with their centre outside need the exact segment test. A cell that
    only shares an edge or a corner with the area holds none of it and is not kept.
    """
    edges, part = _ring_edges(parts)
    mask = _centre_inside(edges, part, spec)
    outer = _outer_edges(edges)
    which, cell = _near_boundary(outer, spec)
    todo = ~mask.ravel()[cell]
    which, cell = which[todo], cell[todo]
    if len(cell):
        hit = _meets_open_cell(outer[which], spec, cell)
        mask.ravel()[cell[hit]] = True
    return mask


@dataclass(frozen=True)
class _Grid:
    """A grid spec with its area mask (internal: shared by the hotspot statistics)."""

    spec: GridSpec
    mask: np.ndarray
    area_source: str

    @property
    def n_cells(self) -> int:
        return int(self.mask.sum())


def _grid_for(
    area: gpd.GeoDataFrame | gpd.GeoSeries | None,
    points_xy: np.ndarray,
    cell_size_m: float | str | None,
    *,
    area_argument: str = "area",
    bytes_per_cell: int = 64,
) -> _Grid:
    """Build the grid over ``area`` or, when it is None, over the points' bounding box.

    ``area`` may also be an earlier :class:`GridResult`: its cells are reused as they are (no
    polygon work), so a Gi* and a KDE over the same wards share one area mask.
    """
    if isinstance(area, GridResult):
        if cell_size_m is not None and _check_cell_size(cell_size_m) != area.grid.cell_size_m:
            raise ValueError(
                f"`cell_size_m` = {cell_size_m!r} differs from the cells of `{area_argument}` "
                f"({area.grid.cell_size_m:g} m); pass cell_size_m=None to reuse its cells."
            )
        source = getattr(area.method, "area", "earlier grid result")
        return _Grid(spec=area.grid, mask=area.mask, area_source=f"cells of {source}")
    if area is None:
        if len(points_xy) == 0:
            raise ValueError(
                "`area` is None and there are no incidents, so there is no extent to grid. Pass "
                "`area` (e.g. ward polygons from snt_geo.io.read_wards)."
            )
        bounds = np.concatenate([points_xy.min(axis=0), points_xy.max(axis=0)])
        spec = _spec_for_bounds(
            bounds, cell_size_m, rule_source="incidents'", bytes_per_cell=bytes_per_cell
        )
        mask = np.ones((spec.n_rows, spec.n_cols), dtype=bool)
        return _Grid(spec=spec, mask=mask, area_source="bounding box of the incidents")
    parts = _area_geometries(area, argument=area_argument)
    bounds = shapely.total_bounds(parts)
    spec = _spec_for_bounds(
        bounds, cell_size_m, rule_source="area's", bytes_per_cell=bytes_per_cell
    )
    return _Grid(spec=spec, mask=_area_mask(parts, spec), area_source=f"`{area_argument}` polygons")


def _cells_frame(grid: _Grid, columns: dict[str, object] | None = None) -> gpd.GeoDataFrame:
    """GeoDataFrame of the kept cells, indexed by ``cell_id`` in increasing order.

    ``columns`` values are arrays over the kept cells in that order (or pandas objects aligned
    with it).
    """
    spec = grid.spec
    flat = np.flatnonzero(grid.mask.ravel())
    rows, cols = np.divmod(flat, spec.n_cols)
    data: dict[str, object] = {"row": rows.astype(np.int32), "col": cols.astype(np.int32)}
    data.update(columns or {})
    geometry = gpd.array.from_shapely(_boxes(spec, rows, cols), crs=WORKING_CRS)
    return gpd.GeoDataFrame(data, geometry=geometry, index=pd.Index(flat, name="cell_id"))


def _read_only(values: np.ndarray | pd.Categorical) -> np.ndarray | pd.Categorical:
    if isinstance(values, pd.Categorical):
        return values  # its codes are already a read-only view
    out = np.asarray(values)
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class GridResult:
    """A statistic on a square grid, held as arrays: no cell polygon exists until one is asked for.

    The grid statistics (:func:`~snt_geo.linkage.hotspot_grid`,
    :func:`~snt_geo.linkage.kernel_density_grid`, :func:`~snt_geo.linkage.emerging_hotspots`)
    return a subclass. 641k cells of 50 m over London cost about 40 MiB as arrays, against about
    250 MiB more as shapely boxes; England and Wales at 50 m (about 60M cells) fit only as arrays.

    Attributes
    ----------
    grid
        :class:`GridSpec`: origin, cell size and shape (EPSG:27700).
    mask
        Boolean array of shape ``(grid.n_rows, grid.n_cols)`` (row 0 is the southern row): True
        for the analysed cells. Read-only.
    values
        Column name -> array over the analysed cells in increasing ``cell_id`` order (numpy arrays
        or ``pandas.Categorical``). Read-only.
    method
        The method record (``to_dict()``, ``describe()``).
    """

    grid: GridSpec
    mask: np.ndarray
    values: Mapping[str, np.ndarray | pd.Categorical]
    method: Any

    def __post_init__(self) -> None:
        """Check the mask and each ``values`` array against the grid; make them read-only."""
        mask = _read_only(np.asarray(self.mask, dtype=bool))
        if mask.shape != (self.grid.n_rows, self.grid.n_cols):
            raise ValueError(
                f"`mask` has shape {mask.shape}; the grid is {self.grid.n_rows} x "
                f"{self.grid.n_cols} cells."
            )
        n = int(mask.sum())
        values = {}
        for name, arr in self.values.items():
            if len(arr) != n:
                raise ValueError(f"`values[{name!r}]` has {len(arr)} entries; expected {n} cells.")
            values[name] = _read_only(arr)
        object.__setattr__(self, "mask", mask)  # frozen: set once, here, never after
        object.__setattr__(self, "values", MappingProxyType(values))

    @property
    def n_cells(self) -> int:
        """Number of analysed cells."""
        return int(self.mask.sum())

    @property
    def cell_ids(self) -> np.ndarray:
        """``cell_id`` (``row * n_cols + col``) of the analysed cells, increasing."""
        return np.flatnonzero(self.mask.ravel())

    def raster(self, column: str, *, fill: float = np.nan) -> np.ndarray:
        """``column`` as a float64 array of shape ``(n_rows, n_cols)``, row 0 southernmost.

        Cells outside the analysed area hold ``fill``. A categorical column gives its codes
        (the position in its categories).
        """
        values = self._column(column)
        if isinstance(values, pd.Categorical):
            values = values.codes
        out = np.full(self.mask.shape, fill, dtype="float64")
        out[self.mask] = values
        return out

    def _column(self, column: str) -> np.ndarray | pd.Categorical:
        if column not in self.values:
            raise KeyError(
                f"`column` {column!r} is not a column of this result; choose one of "
                f"{list(self.values)}."
            )
        return self.values[column]

    def _named_selection(self, name: str) -> np.ndarray:
        raise ValueError(
            f"`cells` must be 'all', study-area polygons or a boolean array over the "
            f"{self.n_cells:,} cells; got {name!r}."
        )

    def _select(self, cells: object) -> np.ndarray:
        """Boolean array over the analysed cells for a ``cells`` argument of :meth:`to_frame`."""
        if isinstance(cells, str):
            if cells == "all":
                return np.ones(self.n_cells, dtype=bool)
            return self._named_selection(cells)
        if isinstance(cells, (gpd.GeoDataFrame, gpd.GeoSeries)):
            inside = _area_mask(_area_geometries(cells, argument="cells"), self.grid)
            return inside[self.mask]
        pick = np.asarray(cells)
        if pick.dtype != bool or pick.shape != (self.n_cells,):
            raise ValueError(
                f"`cells` as an array must be boolean with one entry per analysed cell "
                f"({self.n_cells:,}); got dtype {pick.dtype} and shape {pick.shape}."
            )
        return pick

    def to_frame(self, cells: object = "all") -> gpd.GeoDataFrame:
        """Return a GeoDataFrame of the chosen cells, building their square polygons only.

        Parameters
        ----------
        cells
            Which cells: ``"all"`` (default), a named selection of the subclass (e.g.
            ``"significant"`` for Gi*), study-area polygons (a GeoDataFrame or GeoSeries with a
            CRS: the cells whose interior meets them), or a boolean array over the analysed cells.

        Returns
        -------
        geopandas.GeoDataFrame
            Indexed by ``cell_id`` (increasing), with ``row``, ``col`` (int32), the result's
            columns (see the producing function) and ``geometry`` (square cells, EPSG:27700).
            ``attrs["method"]`` is :attr:`method`.
        """
        pick = self._select(cells)
        check_cells(
            int(pick.sum()),
            bytes_per_cell=POLYGON_BYTES_PER_CELL,
            what="the cell polygons",
            fix="Ask for fewer cells (to_frame('significant') or an area), or keep the arrays "
            "(.values, .raster(), .to_geotiff()).",
        )
        flat = self.cell_ids[pick]
        rows, cols = np.divmod(flat, self.grid.n_cols)
        data: dict[str, object] = {"row": rows.astype(np.int32), "col": cols.astype(np.int32)}
        for name, arr in self.values.items():
            data[name] = arr[pick] if not pick.all() else arr.copy()
        geometry = gpd.array.from_shapely(_boxes(self.grid, rows, cols), crs=WORKING_CRS)
        frame = gpd.GeoDataFrame(data, geometry=geometry, index=pd.Index(flat, name="cell_id"))
        frame.attrs["method"] = self.method
        return frame

    def to_geotiff(self, path: str | os.PathLike, *, columns: Sequence[str] | None = None) -> Path:
        """Write the result as a GeoTIFF (one float64 band per column) for QGIS or ArcGIS.

        Parameters
        ----------
        path
            File to write (overwritten).
        columns
            Columns to write, one band each, in this order. Default None: every column.
            Categorical columns are written as their codes; the category names are stored in the
            band's ``categories`` tag.

        Returns
        -------
        pathlib.Path
            The file written. North-up, EPSG:27700, pixel = cell (origin and size from
            :attr:`grid`); cells outside the analysed area are NaN (the nodata value). Band
            descriptions are the column names; the method note is the ``method`` dataset tag.
        """
        try:
            import rasterio
            from rasterio.transform import Affine
        except ImportError as exc:  # pragma: no cover - rasterio is in the raster extra
            raise ImportError(
                'GeoTIFF export needs rasterio: pip install "snt-geo[raster]"'
            ) from exc
        names = list(self.values) if columns is None else list(columns)
        if not names:
            raise ValueError("`columns` is empty: name at least one column to write.")
        spec = self.grid
        s = spec.cell_size_m
        transform = Affine(s, 0.0, spec.x0, 0.0, -s, spec.y0 + spec.n_rows * s)
        path = Path(path)
        profile = dict(
            driver="GTiff",
            width=spec.n_cols,
            height=spec.n_rows,
            count=len(names),
            dtype="float64",
            crs=WORKING_CRS,
            transform=transform,
            nodata=np.nan,
            compress="deflate",
        )
        with rasterio.open(path, "w", **profile) as dst:
            for band, name in enumerate(names, start=1):
                dst.write(self.raster(name)[::-1], band)  # GeoTIFF rows run north to south
                dst.set_band_description(band, name)
                values = self.values[name]
                if isinstance(values, pd.Categorical):
                    dst.update_tags(band, categories=",".join(map(str, values.categories)))
            dst.update_tags(method=self.method.describe())
        return path

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.method.describe())}</p>"

    def __repr__(self) -> str:
        """Name the class, the cell count and size, and the value columns."""
        spec = self.grid
        return (
            f"{type(self).__name__}({self.n_cells:,} cells of {spec.cell_size_m:g} m, "
            f"columns {list(self.values)})"
        )


def make_grid(
    area: gpd.GeoDataFrame | gpd.GeoSeries, *, cell_size_m: float | None = None
) -> gpd.GeoDataFrame:
    """Square cells covering a study area, keeping the cells that intersect its polygons.

    Parameters
    ----------
    area
        Study-area polygons (wards, a borough, any polygons) with a CRS; reprojected to
        EPSG:27700. Cells that overlap any polygon are kept; a cell that only touches the area
        along an edge or at a corner holds none of it and is not kept.
    cell_size_m
        Cell side in metres. Default None: the shorter side of the area's bounding box / 50,
        rounded down to a multiple of 10 m (see :func:`default_cell_size_m`).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per kept cell, indexed by ``cell_id`` (``row * n_cols + col``, increasing), with
        columns ``row``, ``col`` (int32; rows count northwards, columns eastwards) and
        ``geometry`` (square polygons, EPSG:27700). ``attrs["grid"]`` is the :class:`GridSpec`
        (origin, cell size, shape and the cell-size rule).

    Notes
    -----
    Cells are whole squares aligned to multiples of ``cell_size_m`` on the British National
    Grid, never cut at the boundary, so all cells have the same area (Chainey 2013 on grid
    thematic mapping). Intersection is exact (GEOS) for cells crossed by a boundary and by an
    exact scan-line fill for the rest.

    Examples
    --------
    >>> import geopandas, shapely
    >>> square = geopandas.GeoSeries([shapely.box(0, 0, 250, 100)], crs="EPSG:27700")
    >>> make_grid(square, cell_size_m=100).shape[0]
    3
    """
    grid = _grid_for(area, np.empty((0, 2)), cell_size_m, bytes_per_cell=POLYGON_BYTES_PER_CELL)
    frame = _cells_frame(grid)
    frame.attrs["grid"] = grid.spec
    return frame


def _incident_xy(
    incidents: gpd.GeoDataFrame | gpd.GeoSeries, *, argument: str = "incidents"
) -> tuple[np.ndarray, np.ndarray]:
    """EPSG:27700 coordinates of the incidents that have a point geometry.

    Returns ``(xy, has_point)``: an (n_valid, 2) float array and a boolean mask over the input
    rows (False for missing or empty geometries, which the caller reports).
    """
    if isinstance(incidents, gpd.GeoDataFrame):
        # Only the geometry is needed: reprojecting it alone avoids copying every column.
        try:
            incidents = incidents.geometry
        except AttributeError:
            pass
    if isinstance(incidents, gpd.GeoSeries) and is_british_national_grid(incidents.crs):
        # Already in metres: no copy, and the Great Britain check runs on the coordinates.
        geoms = incidents.to_numpy()
        projected = False
    else:
        frame = to_working_crs(incidents, argument=argument)
        geoms = frame.geometry.to_numpy() if isinstance(frame, gpd.GeoDataFrame) else frame.values
        geoms = np.asarray(geoms)
        projected = True
    codes, objects = distinct_objects(np.asarray(geoms))
    kinds = shapely.get_type_id(objects)
    other = np.flatnonzero(kinds > 0)
    other = other[~shapely.is_empty(objects[other])]
    if len(other):
        raise SchemaError(
            f"`{argument}` must hold point geometries (one per incident); found geometry type "
            f"ids {sorted(set(kinds[other].tolist()))}. Use "
            f"`{argument}.representative_point()` or the incidents readers in snt_geo.io."
        )
    points = np.flatnonzero(kinds == 0)
    object_xy, which = shapely.get_coordinates(objects[points], return_index=True)
    located = np.full(len(objects), -1, dtype=np.int64)
    located[points[which]] = np.arange(len(which))
    row_located = located[codes]
    has_point = row_located >= 0
    xy = object_xy[row_located[has_point]]
    if not projected and len(xy):
        check_in_great_britain(xy[:, 0], xy[:, 1], argument=argument)
    return xy, has_point
