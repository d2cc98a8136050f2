"""Incident clusters: which incidents belong together, and whose wards they fall in.

:func:`cluster_incidents` labels incidents with DBSCAN (spatial or space-time) or HDBSCAN;
:func:`summarise_clusters` turns the labels into one row per cluster with a hull polygon, its
crime-type and theme mix, its months, its density and the wards it touches.

police.uk snaps every incident to one of a fixed set of map points, so many incidents share
coordinates (a year of Met burglary has about 2.2 incidents per distinct location). Both
clustering methods work on the distinct locations with incident counts as weights, which gives
exactly the answer of running them on every incident (see the Notes of :func:`cluster_incidents`).
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from snt_geo.crs import WORKING_CRS, to_working_crs
from snt_geo.errors import SchemaError
from snt_geo.themes import DEFAULT_THEMES

__all__ = ["cluster_incidents", "summarise_clusters", "CLUSTER_COLUMNS", "MIN_HULL_RADIUS_M"]

#: Days per month used to turn ``window_months`` into days when incidents carry exact dates
#: (the mean Gregorian month, 365.2425 / 12).
DAYS_PER_MONTH = 365.2425 / 12

#: Radius (metres) of the smallest hull polygon: a cluster whose hull is a point, a line or a
#: polygon thinner than this is buffered to it, so every cluster has a valid, non-empty area.
MIN_HULL_RADIUS_M = 25.0

#: Columns of :func:`summarise_clusters` output, in order (geometry last).
CLUSTER_COLUMNS = (
    "incident_count",
    "location_count",
    "crime_type_counts",
    "theme_mix",
    "dominant_theme",
    "dominant_theme_share",
    "first_month",
    "last_month",
    "area_km2",
    "density_per_km2",
    "hull_kind",
    "wards",
    "ward_shares",
    "boroughs",
    "borough_shares",
    "outside_wards",
    "geometry",
)

_METHODS = ("dbscan", "hdbscan")
# HDBSCAN candidate graph: pairs within this multiple of a core distance, and Delaunay edges of
# the level sets {core distance <= t} for t growing by this factor (see cluster_incidents Notes).
_LEVEL_RATIO = 2.0
# Threads for the HDBSCAN triangulations and neighbour queries (the machine may be shared).
_THREADS = 2
# Point pairs handled per vectorised step: bounds the working memory of the neighbourhood search
# (about 60 bytes per pair) independently of the number of incidents.
_PAIR_CHUNK = 120_000


# --------------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------------


def _incident_xy(incidents: gpd.GeoDataFrame, *, argument: str = "incidents") -> np.ndarray:
    pts = to_working_crs(incidents, argument=argument, check_bounds=False)
    geom = pts.geometry.to_numpy()
    bad = shapely.is_missing(geom) | shapely.is_empty(geom)
    if bad.any():
        first = pts.index[np.flatnonzero(bad)[0]]
        raise SchemaError(
            f"`{argument}` has {int(bad.sum())} rows without a point geometry (e.g. row "
            f"{first!r}); drop them first, e.g. `{argument}[~{argument}.geometry.is_empty & "
            f"{argument}.geometry.notna()]`."
        )
    kinds = shapely.get_type_id(geom)
    if len(geom) and not (kinds == 0).all():
        kind = shapely.GeometryType(int(kinds[kinds != 0][0])).name
        raise SchemaError(
            f"`{argument}` must hold points; found {kind} geometries. Use their centroids "
            "(`frame.geometry.centroid`) if that is meant."
        )
    xy = shapely.get_coordinates(geom)
    if not np.isfinite(xy).all():
        raise SchemaError(f"`{argument}` has points with non-finite coordinates; drop them first.")
    return xy


def _check_positive(value, name: str, *, integer: bool = False) -> None:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    ok = ok and math.isfinite(value) and value > 0
    if integer:
        ok = ok and float(value).is_integer()
    if not ok:
        kind = "a positive whole number" if integer else "a positive number of metres"
        raise ValueError(f"`{name}` must be {kind}; got {value!r}.")


def _months_of(incidents: pd.DataFrame, *, argument: str = "incidents") -> pd.PeriodIndex:
    if "month" not in incidents.columns:
        raise SchemaError(
            f"`{argument}` has no `month` column, which space-time clustering needs; read it "
            "with snt_geo.io.read_police_uk or incidents_from_frame(..., month=...)."
        )
    month = incidents["month"]
    try:
        if isinstance(month.dtype, pd.PeriodDtype):
            out = pd.PeriodIndex(month)
        else:
            out = pd.PeriodIndex(pd.to_datetime(month.astype(str)), freq="M")
    except (ValueError, TypeError) as exc:
        raise SchemaError(f"`{argument}['month']` is not month-like: {exc}") from exc
    if out.isna().any():
        raise SchemaError(
            f"`{argument}` has {int(out.isna().sum())} rows without a month; drop them first."
        )
    return out


# --------------------------------------------------------------------------------------------
# Distinct locations
# --------------------------------------------------------------------------------------------


def _group_locations(
    keys: list[np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group rows sharing every (float) key value.

    Returns (row_to_group, first_row, weight): ``first_row`` is each group's first row position
    (also used as its representative row) and ``weight`` its number of rows. Rows are sorted by a
    64-bit hash of the keys' bit patterns (one quicksort instead of a lexicographic sort); equal
    hashes are then checked for equal keys, with a full lexicographic sort if two different
    locations ever collide.
    """
    n = len(keys[0])
    if n == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64)
    bits = []
    for k in keys:
        b = np.array(k, dtype=np.float64)  # a contiguous copy, normalised in place:
        b += 0.0  # -0.0 becomes 0.0
        bits.append(b.view(np.uint64))
    h = np.zeros(n, dtype=np.uint64)
    mult = np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        for b in bits:
            np.bitwise_xor(h, b, out=h)
            np.multiply(h, mult, out=h)
            np.bitwise_xor(h, h >> np.uint64(29), out=h)
    order = np.argsort(h)
    h = h[order]
    same_h = h[1:] == h[:-1]
    del h
    same = same_h.copy()
    for b in bits:
        bs = b[order]
        same &= bs[1:] == bs[:-1]
        del bs
    if not np.array_equal(same, same_h):  # a hash collision: sort properly
        order = np.lexsort(keys[::-1])
        same = np.ones(n - 1, dtype=bool)
        for b in bits:
            bs = b[order]
            same &= bs[1:] == bs[:-1]
    del bits, same_h
    new = np.ones(n, dtype=bool)
    new[1:] = ~same
    starts = np.flatnonzero(new)
    row_to_group = np.empty(n, dtype=np.int64)
    group_sorted = np.cumsum(new, dtype=np.int64)
    group_sorted -= 1
    row_to_group[order] = group_sorted
    del group_sorted
    first_row = np.minimum.reduceat(order, starts)
    weight = np.diff(np.append(starts, n))
    return row_to_group, first_row, weight


# --------------------------------------------------------------------------------------------
# DBSCAN on weighted distinct locations (grid search, memory bounded)
# --------------------------------------------------------------------------------------------


class _Grid:
    """Points bucketed in square cells of side just under ``eps / sqrt(2)``.

    Any two points in one cell are then closer than ``eps``; a point's ``eps`` neighbours lie in
    the 5 x 5 block of cells around its own.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, eps: float) -> None:
        side = eps / math.sqrt(2.0) * (1.0 - 1e-9)
        ix = np.floor((x - x.min()) / side).astype(np.int64)
        ix += 2
        self.stride = int(np.floor((y.max() - y.min()) / side)) + 5
        key = ix * self.stride
        self.size = (int(ix.max()) + 3) * self.stride
        del ix
        key += np.floor((y - y.min()) / side).astype(np.int64)
        key += 2
        self.order = np.argsort(key, kind="stable")
        key = key[self.order]
        new = np.ones(len(key), dtype=bool)
        np.not_equal(key[1:], key[:-1], out=new[1:])
        self.start = np.flatnonzero(new)
        self.end = np.append(self.start[1:], len(key))
        self.keys = key[self.start]
        del key
        cell = np.cumsum(new, dtype=np.int64)
        cell -= 1
        self.cell_of_sorted = cell
        self.x = x[self.order]
        self.y = y[self.order]

    def offsets(self, half: bool = False) -> np.ndarray:
        out = [
            dx * self.stride + dy
            for dx in range(-2, 3)
            for dy in range(-2, 3)
            if not half or dx > 0 or (dx == 0 and dy > 0)
        ]
        return np.array(out, dtype=np.int64)


def _bbox(x: np.ndarray, y: np.ndarray, starts: np.ndarray) -> np.ndarray:
    return np.stack(
        [
            np.minimum.reduceat(x, starts),
            np.minimum.reduceat(y, starts),
            np.maximum.reduceat(x, starts),
            np.maximum.reduceat(y, starts),
        ],
        axis=1,
    )


class _CellPairs:
    """Pairs of cells (query cell, target cell) at given grid offsets that may hold points within
    eps of each other, produced one offset at a time so memory stays bounded."""

    def __init__(self, t_keys: np.ndarray, t_box: np.ndarray, grid_size: int) -> None:
        self.t_keys, self.t_box = t_keys, t_box
        self.lookup = None
        # A direct lookup table is fastest but costs 4 bytes per grid cell: only when the
        # occupied cells fill the grid well enough; otherwise binary search on sorted keys.
        if grid_size <= 4 * len(t_keys) + 1_000_000:
            self.lookup = np.full(grid_size, -1, dtype=np.int32)
            self.lookup[t_keys] = np.arange(len(t_keys), dtype=np.int32)

    def at(self, q_keys, q_box, off, eps2):
        """(qc, tc, surely): candidate cell pairs at offset ``off``; ``surely`` marks pairs whose
        every point pair is within eps."""
        t_keys = self.t_keys
        if self.lookup is not None:
            pos = self.lookup[q_keys + off]
            qc = np.flatnonzero(pos >= 0)
            tc = pos[qc].astype(np.int64)
        else:
            pos = np.searchsorted(t_keys, q_keys + off)
            pos_c = np.minimum(pos, len(t_keys) - 1)
            qc = np.flatnonzero((pos < len(t_keys)) & (t_keys[pos_c] == q_keys + off))
            tc = pos_c[qc]
        a, b = q_box[qc], self.t_box[tc]
        # Float subtraction and squaring are monotonic, so these box bounds hold for the
        # distances computed point by point: pruning neither loses nor invents a pair.
        gx = np.maximum(np.maximum(b[:, 0] - a[:, 2], a[:, 0] - b[:, 2]), 0.0)
        gy = np.maximum(np.maximum(b[:, 1] - a[:, 3], a[:, 1] - b[:, 3]), 0.0)
        near = gx * gx + gy * gy <= eps2
        fx = np.maximum(b[:, 2] - a[:, 0], a[:, 2] - b[:, 0])
        fy = np.maximum(b[:, 3] - a[:, 1], a[:, 3] - b[:, 1])
        return qc[near], tc[near], (fx * fx + fy * fy <= eps2)[near]


def _expand(
    q_start: np.ndarray,
    q_len: np.ndarray,
    t_start: np.ndarray,
    t_len: np.ndarray,
):
    """Yield (pair_id, q_index, t_index) chunks of every point pair of the given cell pairs."""
    sizes = q_len.astype(np.int64) * t_len.astype(np.int64)
    bounds = np.cumsum(sizes)
    lo = 0
    while lo < len(sizes):
        base = bounds[lo - 1] if lo else 0
        hi = int(np.searchsorted(bounds, base + _PAIR_CHUNK, side="right"))
        hi = max(hi, lo + 1)
        sz = sizes[lo:hi]
        pid = np.repeat(np.arange(lo, hi), sz)
        r = np.arange(int(sz.sum()), dtype=np.int64) - np.repeat(bounds[lo:hi] - sz - base, sz)
        tl = t_len[pid]
        yield pid, q_start[pid] + r // tl, t_start[pid] + r % tl
        lo = hi


def _within(x, y, i, j, eps2) -> np.ndarray:
    # Same arithmetic as scikit-learn's Euclidean reduced distance: (xi - xj)^2 + (yi - yj)^2.
    dx = x[i] - x[j]
    dy = y[i] - y[j]
    return dx * dx + dy * dy <= eps2


def _count_at_offset(
    g, pairs, sparse_cells, box, cell_w, cell_len, w, off, eps2, min_samples, count, cell_count
) -> None:
    """Add to ``count`` / ``cell_count`` the incidents within eps at one grid offset.

    A function of its own so every temporary is released before the next offset.
    """
    n = len(count)
    gx, gy = g.x, g.y
    qc, tc, surely = pairs.at(g.keys[sparse_cells], box[sparse_cells], off, eps2)
    qc = sparse_cells[qc]
    # Whole target cells within eps of the whole query cell (its own cell included).
    cell_count += np.bincount(qc[surely], weights=cell_w[tc[surely]], minlength=len(cell_w))
    qc, tc = qc[~surely], tc[~surely]
    # Then point by target cell: wholly within eps, wholly beyond, or to be examined.
    ones = np.ones(len(qc), dtype=np.int64)
    todo_i, todo_c = [], []
    for pid, i, _ in _expand(g.start[qc], cell_len[qc], ones, ones):
        t = tc[pid]
        bx0, by0, bx1, by1 = box[t, 0], box[t, 1], box[t, 2], box[t, 3]
        px, py = gx[i], gy[i]
        fx = np.maximum(px - bx0, bx1 - px)
        fy = np.maximum(py - by0, by1 - py)
        whole = fx * fx + fy * fy <= eps2
        count += np.bincount(i[whole], weights=cell_w[t[whole]], minlength=n)
        ex = np.maximum(np.maximum(bx0 - px, px - bx1), 0.0)
        ey = np.maximum(np.maximum(by0 - py, py - by1), 0.0)
        part = ~whole & (ex * ex + ey * ey <= eps2)
        todo_i.append(i[part])
        todo_c.append(t[part])
    # Points not yet known to be core: examine them against those target cells.
    ti = np.concatenate([np.empty(0, np.int64), *todo_i])
    tcell = np.concatenate([np.empty(0, np.int64), *todo_c])
    del todo_i, todo_c
    undecided = count[ti] + cell_count[g.cell_of_sorted[ti]] < min_samples
    ti, tcell = ti[undecided], tcell[undecided]
    ones = np.ones(len(ti), dtype=np.int64)
    for _, i, j in _expand(ti, ones, g.start[tcell], cell_len[tcell]):
        ok = _within(gx, gy, i, j, eps2)
        count += np.bincount(i[ok], weights=w[j[ok]], minlength=n)


def _dbscan_weighted(
    x: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    first_row: np.ndarray,
    eps: float,
    min_samples: int,
) -> tuple[np.ndarray, np.ndarray]:
    """DBSCAN labels and core flags of weighted distinct points, in scikit-learn's numbering."""
    n = len(x)
    labels = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return labels, np.zeros(0, dtype=bool)
    eps2 = float(eps) * float(eps)
    g = _Grid(x, y, eps)
    gx, gy = g.x, g.y
    w = weight[g.order]
    cell_w = np.add.reduceat(w, g.start)
    cell_len = g.end - g.start
    box = _bbox(gx, gy, g.start)
    offsets = g.offsets()

    # 1. Core points. A cell holding min_samples incidents makes all its points core.
    core = np.repeat(cell_w >= min_samples, cell_len)
    sparse_cells = np.flatnonzero(cell_w < min_samples)
    if len(sparse_cells):
        pairs = _CellPairs(g.keys, box, g.size)
        cell_count = np.zeros(len(cell_w), dtype=np.float64)
        count = np.zeros(n, dtype=np.float64)
        for off in offsets:
            _count_at_offset(
                g, pairs, sparse_cells, box, cell_w, cell_len, w, off, eps2, min_samples,
                count, cell_count,
            )  # fmt: skip
        del pairs
        count += np.repeat(cell_count, cell_len)
        core |= count >= min_samples
        del count
    del box, cell_w, sparse_cells

    # 2. Clusters: connected components of core points, joined cell by cell.
    core_idx = np.flatnonzero(core)
    if not len(core_idx):
        out = np.zeros(n, dtype=bool)
        return labels, out
    c_cell = g.cell_of_sorted[core_idx]
    new = np.ones(len(core_idx), dtype=bool)
    new[1:] = c_cell[1:] != c_cell[:-1]
    c_start = np.flatnonzero(new)
    c_len = np.diff(np.append(c_start, len(core_idx)))
    c_keys = g.keys[c_cell[c_start]]
    del c_cell, new
    cx, cy = gx[core_idx], gy[core_idx]
    c_box = _bbox(cx, cy, c_start)
    n_cells = len(c_start)
    # Cell pairs, one offset at a time: joined for sure when every point pair is within eps;
    # otherwise a cheap sufficient test first, the point of each cell furthest towards the other
    # (nearest of eight compass directions), which joins most touching cells; what remains is
    # examined point by point below.
    pairs = _CellPairs(c_keys, c_box, g.size)
    ext: dict[int, np.ndarray] = {}
    edges = _Edges(n_cells)
    left_a, left_b = [], []
    for off in g.offsets(half=True):
        qc, tc, surely = pairs.at(c_keys, c_box, off, eps2)
        edges.add(qc[surely], tc[surely])
        qc, tc = qc[~surely], tc[~surely]
        if not len(qc):
            continue
        ddx, ddy = divmod(int(off) + 2, g.stride)
        ddy -= 2
        k = int(round(math.atan2(ddy, ddx) / (math.pi / 4))) % 8
        for kk in (k, (k + 4) % 8):
            if kk not in ext:
                a = kk * math.pi / 4
                ext[kk] = _extreme(cx, cy, c_start, math.cos(a), math.sin(a))
        ok = _within(cx, cy, ext[k][qc], ext[(k + 4) % 8][tc], eps2)
        edges.add(qc[ok], tc[ok])
        left_a.append(qc[~ok].astype(np.int32))
        left_b.append(tc[~ok].astype(np.int32))
    del ext, pairs
    qc = np.concatenate([np.empty(0, np.int32), *left_a]).astype(np.int64)
    tc = np.concatenate([np.empty(0, np.int32), *left_b]).astype(np.int64)
    del left_a, left_b
    comp = edges.components()
    # Exact test for the remaining pairs of cells not yet in one cluster, smallest first,
    # re-reading the components between batches so pairs already joined are skipped.
    o = np.argsort(c_len[qc] * c_len[tc], kind="stable")
    qc, tc = qc[o], tc[o]
    del o
    while len(qc):
        keep = comp[qc] != comp[tc]
        qc, tc = qc[keep], tc[keep]
        if not len(qc):
            break
        sizes = np.cumsum(c_len[qc] * c_len[tc])
        stop = max(int(np.searchsorted(sizes, _PAIR_CHUNK)), 1)
        qb, tb = qc[:stop], tc[:stop]
        for pid, i, j in _expand(c_start[qb], c_len[qb], c_start[tb], c_len[tb]):
            hit = np.unique(pid[_within(cx, cy, i, j, eps2)])
            edges.add(qb[hit], tb[hit])
        comp = edges.components()
        qc, tc = qc[stop:], tc[stop:]
    del edges, qc, tc

    # scikit-learn numbers clusters in the order of their first core row.
    comp_pt = np.repeat(comp, c_len)
    n_comp = int(comp.max()) + 1
    comp_first = np.full(n_comp, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(comp_first, comp_pt, first_row[g.order[core_idx]])
    rank = np.empty(n_comp, dtype=np.int64)
    rank[np.argsort(comp_first, kind="stable")] = np.arange(n_comp)
    core_lab = rank[comp_pt]
    del comp_pt, comp_first, rank
    labels_sorted = np.full(n, -1, dtype=np.int64)
    labels_sorted[core_idx] = core_lab

    # 3. Border points: the lowest-numbered cluster with a core point within eps, which is the
    # cluster scikit-learn's expansion reaches first.
    border = np.flatnonzero(~core)
    if len(border):
        b_cell = g.cell_of_sorted[border]
        new = np.ones(len(border), dtype=bool)
        new[1:] = b_cell[1:] != b_cell[:-1]
        b_start = np.flatnonzero(new)
        b_len = np.diff(np.append(b_start, len(border)))
        b_keys = g.keys[b_cell[b_start]]
        bx, by = gx[border], gy[border]
        b_box = _bbox(bx, by, b_start)
        best = np.full(len(border), np.iinfo(np.int64).max, dtype=np.int64)
        pairs = _CellPairs(c_keys, c_box, g.size)
        for off in offsets:
            qc, tc, _ = pairs.at(b_keys, b_box, off, eps2)
            for _, i, j in _expand(b_start[qc], b_len[qc], c_start[tc], c_len[tc]):
                dxx = bx[i] - cx[j]
                dyy = by[i] - cy[j]
                ok = dxx * dxx + dyy * dyy <= eps2
                np.minimum.at(best, i[ok], core_lab[j[ok]])
        has = best != np.iinfo(np.int64).max
        labels_sorted[border[has]] = best[has]
    labels[g.order] = labels_sorted
    core_out = np.empty(n, dtype=bool)
    core_out[g.order] = core
    return labels, core_out


class _Edges:
    """Edges between cells, compacted to one edge per cell (to its component's first cell)
    whenever they pile up, so memory stays near the number of cells."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.a: list[np.ndarray] = []
        self.b: list[np.ndarray] = []
        self.size = 0

    def add(self, a: np.ndarray, b: np.ndarray) -> None:
        self.a.append(a.astype(np.int32))
        self.b.append(b.astype(np.int32))
        self.size += len(a)
        if self.size > self.n + 250_000:
            self.components()

    def components(self) -> np.ndarray:
        comp = _components(self.n, self.a, self.b)
        first = np.full(int(comp.max()) + 1 if self.n else 0, self.n, dtype=np.int64)
        np.minimum.at(first, comp, np.arange(self.n))
        keep = first[comp] != np.arange(self.n)
        self.a = [np.flatnonzero(keep).astype(np.int32)]
        self.b = [first[comp[keep]].astype(np.int32)]
        self.size = len(self.a[0])
        return comp


def _extreme(cx, cy, c_start, dx, dy) -> np.ndarray:
    """Index of each cell's point furthest along the direction (dx, dy)."""
    proj = cx * float(dx) + cy * float(dy)
    top = np.maximum.reduceat(proj, c_start)
    lens = np.diff(np.append(c_start, len(cx)))
    cand = np.where(proj == np.repeat(top, lens), np.arange(len(cx), dtype=np.int32), len(cx))
    return np.minimum.reduceat(cand, c_start).astype(np.int32)


def _components(n: int, edges_a: list[np.ndarray], edges_b: list[np.ndarray]) -> np.ndarray:
    a = np.concatenate(edges_a) if edges_a else np.empty(0, dtype=np.int64)
    b = np.concatenate(edges_b) if edges_b else np.empty(0, dtype=np.int64)
    graph = sparse.coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n)).tocsr()
    return connected_components(graph, directed=False)[1].astype(np.int64)


def _dbscan_from_pairs(
    n: int,
    i: np.ndarray,
    j: np.ndarray,
    weight: np.ndarray,
    first_row: np.ndarray,
    min_samples: int,
) -> np.ndarray:
    """DBSCAN given the neighbour pairs (i < j, both directions implied) of weighted points."""
    count = weight.astype(np.float64).copy()
    count += np.bincount(i, weights=weight[j], minlength=n)
    count += np.bincount(j, weights=weight[i], minlength=n)
    core = count >= min_samples
    labels = np.full(n, -1, dtype=np.int64)
    if not core.any():
        return labels
    cc = core[i] & core[j]
    graph = sparse.coo_matrix((np.ones(int(cc.sum()), dtype=np.int8), (i[cc], j[cc])), (n, n))
    _, comp = connected_components(graph.tocsr(), directed=False)
    n_comp = int(comp.max()) + 1
    comp_first = np.full(n_comp, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(comp_first, comp[core], first_row[core])
    present = comp_first != np.iinfo(np.int64).max
    rank = np.full(n_comp, -1, dtype=np.int64)
    rank[np.argsort(comp_first, kind="stable")[: int(present.sum())]] = np.arange(present.sum())
    labels[core] = rank[comp[core]]
    best = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    for a, b in ((i, j), (j, i)):
        m = ~core[a] & core[b]
        np.minimum.at(best, a[m], labels[b[m]])
    border = ~core & (best != np.iinfo(np.int64).max)
    labels[border] = best[border]
    return labels


def _space_time_pairs(
    x: np.ndarray, y: np.ndarray, t: np.ndarray, eps: float, window: float
) -> tuple[np.ndarray, np.ndarray]:
    from scipy.spatial import cKDTree

    eps2 = float(eps) * float(eps)
    tree = cKDTree(np.column_stack([x, y]))
    # A slightly larger search radius, then the exact test used everywhere else.
    pairs = tree.query_pairs(eps * (1 + 1e-9) + 1e-9, output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    ok = _within(x, y, i, j, eps2) & (np.abs(t[i] - t[j]) <= window)
    return i[ok], j[ok]


# --------------------------------------------------------------------------------------------
# HDBSCAN on weighted distinct locations
# --------------------------------------------------------------------------------------------


def _hdbscan_weighted(
    xy: np.ndarray,
    weight: np.ndarray,
    rep_row: np.ndarray,
    row_to_group: np.ndarray,
    min_cluster_size: int,
    min_samples: int,
) -> np.ndarray:
    """scikit-learn HDBSCAN labels of the rows, computed from the distinct locations."""
    from scipy.sparse.csgraph import minimum_spanning_tree
    from scipy.spatial import cKDTree

    try:
        from sklearn.cluster._hdbscan._tree import tree_to_labels
        from sklearn.cluster._hdbscan.hdbscan import _process_mst
    except ImportError as exc:  # pragma: no cover - depends on the scikit-learn release
        raise ImportError(
            'method="hdbscan" needs scikit-learn >= 1.3 (sklearn.cluster.HDBSCAN); '
            "upgrade with `pip install -U scikit-learn`."
        ) from exc

    n = len(xy)
    n_rows = int(weight.sum())
    tree = cKDTree(xy)
    # Core distance: distance to the min_samples-th nearest incident, the incident itself
    # included (scikit-learn's convention); incidents at one location count separately.
    k = min(min_samples, n)
    dist, idx = tree.query(xy, k=k, workers=_THREADS)
    dist = dist.reshape(n, k)
    idx = idx.reshape(n, k)
    cum = np.cumsum(weight[idx], axis=1)
    kth = np.argmax(cum >= min_samples, axis=1)
    core_d = dist[np.arange(n), kth]
    core_d[cum[:, -1] < min_samples] = np.inf  # only when fewer incidents than min_samples
    if not np.isfinite(core_d).all():
        core_d = _core_distance_far(tree, xy, weight, min_samples, core_d)

    # Candidate edges that contain a minimum spanning tree of the mutual reachability graph
    # (proof in the Notes of cluster_incidents): pairs within _LEVEL_RATIO times either core
    # distance, and the Delaunay edges of every level set {core distance <= ratio^i * smallest}.
    ei, ej = [], []
    radius = _LEVEL_RATIO * core_d
    for lo in range(0, n, 20_000):
        # In chunks, so the neighbour lists (Python objects) never pile up.
        hi = min(n, lo + 20_000)
        nb = tree.query_ball_point(
            xy[lo:hi], radius[lo:hi] * (1 + 1e-9), return_sorted=False, workers=_THREADS
        )
        lens = np.fromiter((len(a) for a in nb), dtype=np.int64, count=hi - lo)
        a = np.repeat(np.arange(lo, hi, dtype=np.int32), lens)
        b = np.concatenate(nb).astype(np.int32)
        del nb
        keep = a != b
        ei.append(np.minimum(a[keep], b[keep]))
        ej.append(np.maximum(a[keep], b[keep]))
    positive = core_d[core_d > 0]
    levels = [0.0]
    if len(positive):
        lo, hi = float(positive.min()), float(positive.max())
        n_levels = int(math.ceil(math.log(hi / lo) / math.log(_LEVEL_RATIO))) + 1
        levels += list(lo * _LEVEL_RATIO ** np.arange(n_levels))
    for a, b in _level_delaunay_edges(xy, core_d, levels):
        ei.append(np.minimum(a, b).astype(np.int32))
        ej.append(np.maximum(a, b).astype(np.int32))
    # Each candidate pair once: the sparse matrix would add up repeats.
    key = np.concatenate([a.astype(np.int64) * n + b for a, b in zip(ei, ej, strict=True)])
    del ei, ej
    key.sort()
    key = key[np.append(True, key[1:] != key[:-1])] if len(key) else key
    i, j = key // n, key % n
    del key
    d = np.sqrt(((xy[i] - xy[j]) ** 2).sum(axis=1))
    mrd = np.maximum(np.maximum(core_d[i], core_d[j]), d)
    # Zero weights would be dropped by the sparse MST: shift every weight by one.
    graph = sparse.coo_matrix((mrd + 1.0, (i, j)), shape=(n, n)).tocsr()
    mst = minimum_spanning_tree(graph).tocoo()

    # Row-level tree: each location's incidents chained at its core distance, then the location
    # tree between one representative incident per location.
    extra = np.flatnonzero(weight > 1)
    order = np.argsort(row_to_group, kind="stable")
    grp_sorted = row_to_group[order]
    first_pos = np.searchsorted(grp_sorted, np.arange(n))
    chain_a, chain_b, chain_d = [], [], []
    if len(extra):
        lens = weight[extra] - 1
        pid = np.repeat(extra, lens)
        r = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens)
        chain_a.append(order[first_pos[pid] + r])
        chain_b.append(order[first_pos[pid] + r + 1])
        chain_d.append(core_d[pid])
    cur = np.concatenate([rep_row[mst.row], *chain_a])
    nxt = np.concatenate([rep_row[mst.col], *chain_b])
    mi, mj = mst.row.astype(np.int64), mst.col.astype(np.int64)
    md = np.sqrt(((xy[mi] - xy[mj]) ** 2).sum(axis=1))
    md = np.maximum(np.maximum(core_d[mi], core_d[mj]), md)
    dd = np.concatenate([md, *chain_d])
    if len(cur) != n_rows - 1:  # a disconnected candidate graph: never expected
        raise RuntimeError("internal error: the HDBSCAN spanning tree is not connected")
    edges = np.rec.fromarrays(
        [cur.astype(np.intp), nxt.astype(np.intp), dd.astype(np.float64)],
        names="current_node,next_node,distance",
    )
    from sklearn.cluster._hdbscan._linkage import MST_edge_dtype

    edges = edges.astype(MST_edge_dtype)
    slt = _process_mst(edges)
    labels, _ = tree_to_labels(slt, min_cluster_size, "eom", False, 0.0, None)
    return np.asarray(labels, dtype=np.int64)


def _core_distance_far(tree, xy, weight, min_samples, core_d):
    """Core distances of locations whose min_samples incidents need more than k locations."""
    n = len(xy)
    todo = np.flatnonzero(~np.isfinite(core_d))
    k = min(n, 2 * min_samples)
    while len(todo):
        dist, idx = tree.query(xy[todo], k=k)
        dist = dist.reshape(len(todo), k)
        idx = idx.reshape(len(todo), k)
        cum = np.cumsum(weight[idx], axis=1)
        done = cum[:, -1] >= min_samples
        kth = np.argmax(cum >= min_samples, axis=1)
        core_d[todo[done]] = dist[np.flatnonzero(done), kth[done]]
        todo = todo[~done]
        if k == n:
            break
        k = min(n, 2 * k)
    return core_d


def _level_delaunay_edges(xy: np.ndarray, core_d: np.ndarray, levels: list[float]):
    """Yield the Delaunay edges (as point indices) of each distinct level set {core_d <= t}.

    Qhull releases the GIL, so two level sets are triangulated at a time. (Growing one
    triangulation with Qhull's incremental mode was tried: far slower than rebuilding.)
    """
    from concurrent.futures import ThreadPoolExecutor

    sets, seen = [], -1
    for t in levels:
        members = np.flatnonzero(core_d <= t)
        if len(members) != seen and len(members) >= 2:
            sets.append(members)
            seen = len(members)

    def edges(members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = _delaunay_edges(xy[members])
        return members[a], members[b]

    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        yield from pool.map(edges, sets)


def _delaunay_edges(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from scipy.spatial import Delaunay, QhullError

    m = len(pts)
    if m <= 3:
        a, b = np.triu_indices(m, 1)
        return a, b
    try:
        tri = Delaunay(pts)
    except QhullError:
        # Collinear points: consecutive points along the line are the Delaunay edges.
        o = np.lexsort((pts[:, 1], pts[:, 0]))
        return o[:-1], o[1:]
    s = tri.simplices
    a = np.concatenate([s[:, 0], s[:, 1], s[:, 2]])
    b = np.concatenate([s[:, 1], s[:, 2], s[:, 0]])
    if len(tri.coplanar):
        # Points Qhull set aside as (near) duplicates of a vertex: join them to that vertex.
        a = np.concatenate([a, tri.coplanar[:, 0]])
        b = np.concatenate([b, tri.coplanar[:, 2]])
    return a, b


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def cluster_incidents(
    incidents: gpd.GeoDataFrame,
    *,
    method: str = "dbscan",
    distance_m: float | None = None,
    min_incidents: int = 5,
    window_months: float | None = None,
    min_cluster_size: int | None = None,
) -> pd.Series:
    """Label incidents with the cluster they belong to.

    Parameters
    ----------
    incidents
        Points with a CRS (the incidents schema from :mod:`snt_geo.io`, or any point
        GeoDataFrame). Reprojected to EPSG:27700; never modified. For DBSCAN, row order changes
        only the cluster numbers and which cluster a border incident within reach of two
        clusters joins, exactly as it does in scikit-learn.
    method
        ``"dbscan"`` (default): density-based clusters at a fixed distance, exactly
        ``sklearn.cluster.DBSCAN(eps=distance_m, min_samples=min_incidents)`` on the EPSG:27700
        coordinates, optionally in space-time (``window_months``). ``"hdbscan"``: the semantics
        of ``sklearn.cluster.HDBSCAN(min_cluster_size=min_cluster_size,
        min_samples=min_incidents)`` (same spanning tree; ties can be broken differently, see
        Notes); no distance needed, ``distance_m`` and ``window_months`` must be None.
    distance_m
        DBSCAN neighbourhood radius in metres (a neighbour may be exactly this far away), e.g.
        100. Required for ``"dbscan"``; leave None for ``"hdbscan"``.
    min_incidents
        DBSCAN: incidents within ``distance_m`` (the incident itself included) that make an
        incident a core incident. HDBSCAN: ``min_samples`` (the neighbour count that sets core
        distances, the incident itself included). Default 5.
    window_months
        Space-time DBSCAN: two incidents are neighbours only when they are also at most this many
        months apart. Months are compared as whole calendar months (police.uk dates are months:
        January and March are 2 months apart). When ``incidents`` has a ``date`` column
        (datetime, e.g. from ``incidents_from_frame(..., date=...)``) exact dates are used
        instead: at most ``window_months * 365.2425 / 12`` days apart. None (default): space only.
    min_cluster_size
        HDBSCAN only: the smallest group of incidents that counts as a cluster; default
        ``min_incidents``.

    Returns
    -------
    pandas.Series
        Integer labels named ``cluster``, indexed like ``incidents``: 0, 1, ... for clusters and
        -1 for noise. ``.attrs`` records what ran: ``method``, ``distance_m``, ``min_incidents``,
        ``window_months``, ``min_cluster_size``, ``time_basis`` (``"month"``, ``"date"`` or
        None), ``n_locations`` (distinct points clustered) and ``incidents_per_location``.

    Raises
    ------
    ValueError
        An unknown ``method`` or a non-positive ``distance_m`` / ``min_incidents`` /
        ``window_months`` / ``min_cluster_size``.
    SchemaError
        Rows without a point geometry; ``window_months`` without a ``month`` column.
    CRSError
        ``incidents`` has no CRS.

    Notes
    -----
    *DBSCAN* (Ester et al. 1996). Incidents at one location have identical neighbourhoods, so
    clustering the distinct locations with incident counts as weights is exact (scikit-learn's
    ``sample_weight``). Neighbours are found on a grid of cells of side just under
    ``distance_m / sqrt(2)`` (any two points in a cell are neighbours; a cell holding
    ``min_incidents`` incidents is all core), clusters are connected components of core points
    joined cell by cell (Gunawan 2013; de Berg, Gunawan & Roeloffzen 2019), and point pairs are
    examined in bounded batches, so memory does not grow with the number of neighbours. Distances
    are compared as ``dx*dx + dy*dy <= distance_m**2``, scikit-learn's arithmetic. Cluster numbers
    follow scikit-learn: clusters are numbered in the order of their first core incident in
    ``incidents``, and a border incident (within ``distance_m`` of core incidents of several
    clusters) joins the lowest-numbered one, which is the cluster scikit-learn's expansion reaches
    first. The labels therefore equal ``DBSCAN(...).fit_predict(xy)`` exactly, not only up to
    renumbering.

    *Space-time DBSCAN* (Birant & Kut 2007): neighbours must satisfy both the distance and the
    time window; the rest is DBSCAN as above (core weights count incidents at the same location
    and time unit). Neighbour pairs are listed in full, so memory grows with their number; it is
    meant for a borough-year of incidents rather than millions.

    *HDBSCAN* (Campello, Moulavi & Sander 2013; McInnes & Healy 2017). The minimum spanning tree
    of the mutual reachability distance ``max(core_i, core_j, d_ij)`` is computed over the
    distinct locations from a candidate graph that provably contains one: the pairs within twice
    either point's core distance, plus the Delaunay edges of each level set
    ``{core distance <= t}`` for t doubling from the smallest positive core distance.
    (A pair with ``d_ij > 2 * max(core_i, core_j)`` has a level t in ``[max core, d_ij]``; if it
    is not a Gabriel edge of that level set, a point of the set inside its diametral circle gives
    two shorter links of no greater reachability, and by induction a path of no greater
    reachability exists.) Incidents sharing a location are chained at that location's core
    distance, which gives the row-level tree; scikit-learn's own condensed-tree and
    excess-of-mass routines (``sklearn.cluster._hdbscan``) then produce the labels, so cluster
    selection is scikit-learn's. The tree's total weight equals scikit-learn's exactly (tested),
    but mutual reachability has many equal weights (every edge of a sparse point weighs its core
    distance), so the tree is not unique, and HDBSCAN's labels depend on which tied tree is
    used: scikit-learn's own labels change when the rows are permuted (adjusted Rand index 0.97
    between two row orders of 8,000 Met burglary points). Labels here can differ from
    scikit-learn's by that much; they do not depend on row order, except for cluster numbers.
    """
    if method not in _METHODS:
        raise ValueError(f"`method` must be one of {_METHODS}; got {method!r}.")
    _check_positive(min_incidents, "min_incidents", integer=True)
    min_incidents = int(min_incidents)
    time_basis = None
    if method == "dbscan":
        if distance_m is None:
            raise ValueError('`distance_m` is required for method="dbscan"; e.g. distance_m=100.')
        _check_positive(distance_m, "distance_m")
        if min_cluster_size is not None:
            raise ValueError(
                f'`min_cluster_size` applies to method="hdbscan" only; got {min_cluster_size!r} '
                'with method="dbscan". Drop it, or use method="hdbscan".'
            )
        if window_months is not None:
            _check_positive(window_months, "window_months")
    else:
        if window_months is not None:
            raise ValueError(
                '`window_months` applies to method="dbscan" only (space-time DBSCAN); got '
                f"{window_months!r}."
            )
        if distance_m is not None:
            raise ValueError(
                f'`distance_m` is not used by method="hdbscan" (it has no fixed radius); got '
                f'{distance_m!r}. Pass distance_m=None, or use method="dbscan".'
            )
        distance_m = None
        if min_cluster_size is None:
            min_cluster_size = min_incidents
        _check_positive(min_cluster_size, "min_cluster_size", integer=True)
        min_cluster_size = int(min_cluster_size)
        if min_cluster_size < 2:
            raise ValueError(f"`min_cluster_size` must be at least 2; got {min_cluster_size!r}.")

    xy = _incident_xy(incidents)
    n_rows = len(xy)
    keys = [xy[:, 0], xy[:, 1]]
    if window_months is not None:
        if "date" in incidents.columns and pd.api.types.is_datetime64_any_dtype(incidents["date"]):
            date = incidents["date"]
            if date.isna().any():
                raise SchemaError(
                    f"`incidents` has {int(date.isna().sum())} rows without a `date`; drop them "
                    "or drop the `date` column to cluster by month."
                )
            t = (date.to_numpy("datetime64[ns]").astype(np.int64) / 86_400e9).astype(np.float64)
            window = float(window_months) * DAYS_PER_MONTH
            time_basis = "date"
        else:
            months = _months_of(incidents)
            t = (months.year * 12 + months.month - 1).to_numpy().astype(np.float64)
            window = float(window_months)
            time_basis = "month"
        keys.append(t)
    row_to_group, first_row, weight = _group_locations(keys)
    rep_row = first_row
    n_loc = len(weight)
    ux, uy = xy[rep_row, 0], xy[rep_row, 1]

    if n_rows == 0:
        out = np.empty(0, dtype=np.int64)
    elif method == "dbscan" and window_months is None:
        loc_labels, _ = _dbscan_weighted(ux, uy, weight, first_row, distance_m, min_incidents)
        out = loc_labels[row_to_group]
    elif method == "dbscan":
        tu = keys[2][rep_row]
        i, j = _space_time_pairs(ux, uy, tu, distance_m, window)
        loc_labels = _dbscan_from_pairs(n_loc, i, j, weight, first_row, min_incidents)
        out = loc_labels[row_to_group]
    else:
        if n_rows < max(min_incidents, 2):
            raise ValueError(
                f'method="hdbscan" needs at least `min_incidents` ({min_incidents}) and 2 '
                f"incidents; got {n_rows}."
            )
        out = _hdbscan_weighted(
            np.column_stack([ux, uy]),
            weight,
            rep_row,
            row_to_group,
            min_cluster_size,
            min_incidents,
        )
    labels = pd.Series(out.astype(np.int64), index=incidents.index, name="cluster")
    labels.attrs.update(
        method=method,
        distance_m=None if distance_m is None else float(distance_m),
        min_incidents=min_incidents,
        window_months=window_months,
        min_cluster_size=min_cluster_size,
        time_basis=time_basis,
        n_locations=int(n_loc),
        incidents_per_location=float(n_rows / n_loc) if n_loc else float("nan"),
    )
    return labels


def _align_labels(incidents: pd.DataFrame, labels) -> np.ndarray:
    if not isinstance(labels, pd.Series):
        raise TypeError(
            f"`labels` must be the pandas Series from cluster_incidents; got "
            f"{type(labels).__name__}."
        )
    if len(labels) != len(incidents):
        raise ValueError(
            f"`labels` has {len(labels)} rows but `incidents` has {len(incidents)}; pass the "
            "labels cluster_incidents returned for these incidents."
        )
    if not labels.index.equals(incidents.index):
        if (
            labels.index.is_unique
            and incidents.index.is_unique
            and labels.index.sort_values().equals(incidents.index.sort_values())
        ):
            labels = labels.reindex(incidents.index)
        else:
            raise ValueError(
                "`labels` is not indexed like `incidents`; pass the labels cluster_incidents "
                "returned for these incidents (same index)."
            )
    values = pd.to_numeric(labels, errors="coerce")
    if values.isna().any() or not np.allclose(values, np.round(values)):
        raise ValueError("`labels` must hold whole-number cluster labels (-1 for noise).")
    return values.to_numpy().astype(np.int64)


def summarise_clusters(
    incidents: gpd.GeoDataFrame,
    labels: pd.Series,
    *,
    wards: gpd.GeoDataFrame | None = None,
    min_hull_radius_m: float = MIN_HULL_RADIUS_M,
) -> gpd.GeoDataFrame:
    """One row per cluster: its hull, size, crime mix, months, density and wards.

    Parameters
    ----------
    incidents
        The incidents that were clustered (any labelled CRS; reprojected to EPSG:27700). Uses
        ``crime_type`` and ``theme`` (or derives the theme from ``crime_type`` with the default
        theme table) and ``month`` when present.
    labels
        The Series from :func:`cluster_incidents` for these incidents (same index; -1 = noise,
        which is left out).
    wards
        Ward polygons indexed by ward code (:func:`snt_geo.io.read_wards`). When given, each
        incident is placed in a ward with :func:`snt_geo.profile.assignment.assign_wards` and
        the ward and borough columns are filled; otherwise they are None.
    min_hull_radius_m
        Smallest hull, in metres: a cluster whose convex hull is a point (stacked incidents), a
        line (collinear incidents) or a polygon of area under ``pi * min_hull_radius_m**2`` gets
        its hull buffered by this radius instead. Default 25 m.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``cluster`` (the labels, ascending), EPSG:27700, with columns

        ``incident_count`` (int), ``location_count`` (distinct points), ``crime_type_counts``
        (dict crime type -> incidents, largest first), ``theme_mix`` (dict theme -> share of the
        cluster's incidents, largest first, summing to 1; primary themes), ``dominant_theme``
        and ``dominant_theme_share`` (ties go to the theme named first alphabetically),
        ``first_month`` and ``last_month`` (``pandas.Period``; NaT without a ``month`` column),
        ``area_km2`` (area of the hull polygon), ``density_per_km2`` (incidents per km2 of
        hull), ``hull_kind`` (``"convex"`` or ``"convex_buffered"``), ``wards`` (tuple of
        ward codes touched, by share then code), ``ward_shares`` (dict ward code -> share of
        the cluster's incidents that fall inside a ward: shares sum to 1 whenever any incident
        is inside a ward), ``boroughs`` and ``borough_shares`` (the same by ``borough_code`` of
        ``wards``), ``outside_wards`` (incidents in no ward: left out of the shares) and
        ``geometry`` (the hull polygon). Ward columns are None when ``wards`` is None.
        ``.attrs`` records ``hull`` (``"convex"``), ``min_hull_radius_m`` and the clustering
        attrs of ``labels``.

    Notes
    -----
    Hulls are convex: a concave hull of snap points depends on a tuning ratio and can split or
    self-touch, while the convex hull is unique and always one valid polygon (it can cover
    ground between arms of an L-shaped cluster; read ``density_per_km2`` with that in mind).
    """
    _check_positive(min_hull_radius_m, "min_hull_radius_m")
    lab = _align_labels(incidents, labels)
    xy = _incident_xy(incidents)
    in_cluster = lab >= 0
    ids = np.unique(lab[in_cluster])
    columns = [c for c in CLUSTER_COLUMNS if c != "geometry"]
    if not len(ids):
        empty = gpd.GeoDataFrame(
            {c: pd.Series([], dtype=object) for c in columns},
            geometry=gpd.GeoSeries([], crs=WORKING_CRS),
            crs=WORKING_CRS,
        )
        empty.index = pd.Index([], dtype=np.int64, name="cluster")
        empty.attrs.update(hull="convex", min_hull_radius_m=float(min_hull_radius_m))
        return empty
    pos = np.searchsorted(ids, lab[in_cluster])
    pts = xy[in_cluster]
    n_inc = np.bincount(pos, minlength=len(ids))

    # Hulls from the distinct points of each cluster.
    key = pd.DataFrame({"c": pos, "x": pts[:, 0], "y": pts[:, 1]}).drop_duplicates()
    n_loc = np.bincount(key["c"].to_numpy(), minlength=len(ids))
    key = key.sort_values("c", kind="stable")
    multi = shapely.multipoints(key[["x", "y"]].to_numpy(), indices=key["c"].to_numpy())
    hull = shapely.convex_hull(multi)
    small = (shapely.get_type_id(hull) != 3) | (
        shapely.area(hull) < math.pi * float(min_hull_radius_m) ** 2
    )
    hull = np.where(small, shapely.buffer(hull, float(min_hull_radius_m)), hull)
    hull = shapely.make_valid(hull)
    area_km2 = shapely.area(hull) / 1e6

    frame = incidents.loc[in_cluster] if isinstance(incidents, pd.DataFrame) else None
    if "crime_type" in incidents.columns:
        ct = incidents["crime_type"].to_numpy()[in_cluster].astype(object)
    else:
        ct = np.full(len(pos), None, dtype=object)
    if "theme" in incidents.columns:
        theme = incidents["theme"].to_numpy()[in_cluster].astype(object)
    else:
        theme = np.array(
            [DEFAULT_THEMES.primary_theme(c) if c is not None else None for c in ct], dtype=object
        )
    ct = np.where(pd.isna(ct), "unknown", ct)
    theme = np.where(pd.isna(theme), "unknown", theme)
    del frame

    def mix(values: np.ndarray, *, share: bool) -> list[dict]:
        tables = _tables(pos, values, len(ids))
        if share:
            return [{k: v / sum(t.values()) for k, v in t.items()} for t in tables]
        return tables

    crime_counts = mix(ct, share=False)
    theme_mix = mix(theme, share=True)
    dominant = [next(iter(m)) for m in theme_mix]
    dominant_share = [m[d] for m, d in zip(theme_mix, dominant, strict=True)]

    if "month" in incidents.columns:
        months = _months_of(incidents)[in_cluster]
        ordinal = np.asarray(months.asi8)
        first = pd.Series(ordinal).groupby(pos).min()
        last = pd.Series(ordinal).groupby(pos).max()
        first_month = pd.PeriodIndex.from_ordinals(first.reindex(range(len(ids))), freq="M")
        last_month = pd.PeriodIndex.from_ordinals(last.reindex(range(len(ids))), freq="M")
    else:
        first_month = last_month = pd.PeriodIndex([pd.NaT] * len(ids), freq="M")

    out = pd.DataFrame(
        {
            "incident_count": n_inc.astype(np.int64),
            "location_count": n_loc.astype(np.int64),
            "crime_type_counts": crime_counts,
            "theme_mix": theme_mix,
            "dominant_theme": dominant,
            "dominant_theme_share": dominant_share,
            "first_month": first_month,
            "last_month": last_month,
            "area_km2": area_km2,
            "density_per_km2": n_inc / area_km2,
            "hull_kind": np.where(small, "convex_buffered", "convex"),
        },
        index=pd.Index(ids, name="cluster"),
    )
    if wards is not None:
        from snt_geo.profile.assignment import assign_wards

        ward_of = assign_wards(incidents, wards).to_numpy()[in_cluster]
        shares, touched, outside = _shares(pos, ward_of, len(ids))
        out["wards"] = touched
        out["ward_shares"] = shares
        if "borough_code" in wards.columns:
            borough_map = wards["borough_code"].astype(object)
            bor = np.array(
                [borough_map.get(w) if not pd.isna(w) else None for w in ward_of], dtype=object
            )
            b_shares, b_touched, _ = _shares(pos, bor, len(ids))
            out["boroughs"] = b_touched
            out["borough_shares"] = b_shares
        else:
            out["boroughs"] = None
            out["borough_shares"] = None
        out["outside_wards"] = outside
    else:
        for c in ("wards", "ward_shares", "boroughs", "borough_shares", "outside_wards"):
            out[c] = None
    result = gpd.GeoDataFrame(out[columns], geometry=hull, crs=WORKING_CRS)
    result.attrs.update(labels.attrs)
    result.attrs.update(hull="convex", min_hull_radius_m=float(min_hull_radius_m))
    return result


def _tables(pos: np.ndarray, values: np.ndarray, n: int) -> list[dict]:
    """Per cluster position 0..n-1: dict value -> count, largest count first, then by name."""
    tab = pd.DataFrame({"c": pos, "v": np.asarray(values).astype(str)})
    counts = tab.groupby(["c", "v"], sort=False).size().reset_index(name="n")
    counts["neg"] = -counts["n"]
    counts = counts.sort_values(["c", "neg", "v"], kind="stable")
    out: list[dict] = [{} for _ in range(n)]
    cols = (counts["c"].to_numpy(), counts["v"].to_numpy(), counts["n"].to_numpy())
    for c, v, k in zip(*cols, strict=True):
        out[c][v] = int(k)
    return out


def _shares(pos: np.ndarray, area_of: np.ndarray, n: int):
    """Per cluster: dict area -> share of in-area incidents, tuple of areas, count outside."""
    missing = pd.isna(area_of)
    outside = np.bincount(pos[missing], minlength=n).astype(np.int64)
    tables = _tables(pos[~missing], area_of[~missing], n)
    shares = [{k: v / sum(t.values()) for k, v in t.items()} for t in tables]
    return shares, [tuple(t) for t in tables], outside
