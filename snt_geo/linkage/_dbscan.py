"""DBSCAN on weighted distinct locations: grid search, memory bounded.

The engine behind ``cluster_incidents(method="dbscan")`` (see its Notes). Points are the distinct
locations with incident counts as weights (scikit-learn's ``sample_weight``); labels come out in
scikit-learn's numbering.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

# Point pairs handled per vectorised step: bounds the working memory of the neighbourhood search
# (about 60 bytes per pair) independently of the number of incidents.
_PAIR_CHUNK = 120_000


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
    """Pairs of cells (query cell, target cell) at given grid offsets.

    The pairs may hold points within eps of each other; they are produced one offset at a time,
    so memory stays bounded.
    """

    def __init__(self, t_keys: np.ndarray, t_box: np.ndarray, grid_size: int) -> None:
        self.t_keys, self.t_box = t_keys, t_box
        self.lookup = None
        # A direct lookup table is fastest but costs 4 bytes per grid cell: only when the
        # occupied cells fill the grid well enough; otherwise binary search on sorted keys.
        if grid_size <= 4 * len(t_keys) + 1_000_000:
            self.lookup = np.full(grid_size, -1, dtype=np.int32)
            self.lookup[t_keys] = np.arange(len(t_keys), dtype=np.int32)

    def at(self, q_keys, q_box, off, eps2):
        """Return (qc, tc, surely): candidate cell pairs at offset ``off``.

        ``surely`` marks pairs whose every point pair is within eps.
        """
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
    """Edges between cells, compacted to one edge per cell whenever they pile up.

    Each cell keeps one edge, to its component's first cell, so memory stays near the number of
    cells.
    """

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
