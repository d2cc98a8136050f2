"""HDBSCAN on weighted distinct locations, finished by scikit-learn's own tree routines.

The engine behind ``cluster_incidents(method="hdbscan")`` (see its Notes). The minimum spanning
tree of mutual reachability is built here; the condensed tree and excess-of-mass selection are
scikit-learn's private ``sklearn.cluster._hdbscan`` routines, imported in this one place by
:func:`_sklearn_hdbscan_routines`.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse

from snt_geo.errors import SntGeoError

#: scikit-learn releases whose private ``sklearn.cluster._hdbscan`` routines (``_process_mst``,
#: ``tree_to_labels``, ``MST_edge_dtype``) this module was tested against. They are private, so
#: a later release may move or change them; the import fails with a clear error if so.
SKLEARN_HDBSCAN_TESTED = ">=1.3,<1.10"

# HDBSCAN candidate graph: pairs within this multiple of a core distance, and Delaunay edges of
# the level sets {core distance <= t} for t growing by this factor (see cluster_incidents Notes).
_LEVEL_RATIO = 2.0
# Threads for the HDBSCAN triangulations and neighbour queries (the machine may be shared).
_THREADS = 2


def _sklearn_hdbscan_routines():
    """scikit-learn's private HDBSCAN routines: ``(_process_mst, tree_to_labels, MST_edge_dtype)``.

    Raises
    ------
    SntGeoError
        (also an ImportError) when the installed scikit-learn lacks them, naming the installed
        version and the tested range.
    """
    import sklearn

    try:
        from sklearn.cluster._hdbscan._linkage import MST_edge_dtype
        from sklearn.cluster._hdbscan._tree import tree_to_labels
        from sklearn.cluster._hdbscan.hdbscan import _process_mst
    except ImportError as exc:
        raise HdbscanRoutinesError(
            'method="hdbscan" uses scikit-learn\'s private HDBSCAN routines '
            "(sklearn.cluster._hdbscan: _process_mst, tree_to_labels, MST_edge_dtype), which "
            f"scikit-learn {sklearn.__version__} does not have at those paths; snt_geo was "
            f"tested with scikit-learn{SKLEARN_HDBSCAN_TESTED}. Install one, e.g. `pip install "
            f'"scikit-learn{SKLEARN_HDBSCAN_TESTED}"`, or use method="dbscan".'
        ) from exc
    return _process_mst, tree_to_labels, MST_edge_dtype


class HdbscanRoutinesError(SntGeoError, ImportError):
    """scikit-learn's private HDBSCAN routines are missing or moved."""


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

    _process_mst, tree_to_labels, MST_edge_dtype = _sklearn_hdbscan_routines()

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
        d_min, d_max = float(positive.min()), float(positive.max())
        n_levels = int(math.ceil(math.log(d_max / d_min) / math.log(_LEVEL_RATIO))) + 1
        levels += list(d_min * _LEVEL_RATIO ** np.arange(n_levels))
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
        dtype=[("current_node", np.intp), ("next_node", np.intp), ("distance", np.float64)],
    ).astype(MST_edge_dtype)
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
