"""snt_geo HDBSCAN vs the `hdbscan` package (and scikit-learn on a sample) on Met-like incidents.

Data: real Met street burglary 2019 rows (78,997 rows at 35,287 snap points) replicated and cut to
``--rows`` rows (default 1,000,000); in each replica every snap point moves by its own Gaussian
jitter (sd 30 m), so rows sharing a snap point keep sharing it (about 2.2 rows per location, as
in a real year of Met burglary). Row order shuffled.

Parameters: ``min_cluster_size`` 50, ``min_samples`` 10 counting the incident itself (scikit-learn
and snt_geo); the `hdbscan` package does not count the point itself, so it gets
``min_samples=9`` (its documented equivalence) and ``core_dist_n_jobs=2`` (snt_geo
also uses two threads).

Each side runs in its own fresh child process (_common.run_in_child, subprocess) on the same
coordinates; memory is process RSS from /proc/self/status (peak VmHWM, reset just before the
call, minus the RSS just before the call, plus the absolute peak). ``hdbscan`` is the package's
default, which builds an *approximate* minimum spanning tree (``approx_min_span_tree=True``);
``hdbscan_exact`` sets it to False. The spanning tree weight of each run is printed and the
tree of snt_geo is checked independently (it spans every row, and each edge weighs the mutual
reachability distance from scikit-learn's nearest neighbours), its weight must equal scikit-learn's
(exact) on the sample, and ``hdbscan_exact``'s can only be as heavy or heavier: the package's
Borůvka is known to return non-minimal trees even when asked for an exact one (its issues 404 and
729; at 1M rows it weighs 2.3e-7 relative more). Labels
are compared with the adjusted Rand index: HDBSCAN labels depend on how ties in the mutual
reachability distance are broken, so the implementations are not expected to agree exactly (see
cluster_incidents Notes); the spanning tree weight is also checked against scikit-learn in
tests/linkage/test_clusters.py.

    flock /tmp/snt_bench.lock python benchmarks/bench_hdbscan.py [--rows 1000000]

Quick (seconds; all four sides on one 10,000-row set): python benchmarks/bench_hdbscan.py --quick
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import (
    QUICK_ROWS,
    print_ratio,
    print_rss,
    read_met_burglary_2019,
    replicate_locations,
    run_in_child,
)

MIN_CLUSTER_SIZE = 50
MIN_SAMPLES = 10


def make_data(rows: int) -> np.ndarray:
    rng = np.random.default_rng(20190101)
    bur = read_met_burglary_2019()
    base = np.column_stack([bur.geometry.x.to_numpy(), bur.geometry.y.to_numpy()])
    xy = replicate_locations(
        base, n_rows=rows, jitter_m=30.0, distribution="normal", keep_real=False, rng=rng
    ).xy
    return xy[rng.permutation(len(xy))]


def _side(meter, side: str, xy: np.ndarray) -> dict:
    if side.startswith("hdbscan"):
        import hdbscan

        model = hdbscan.HDBSCAN(
            min_cluster_size=MIN_CLUSTER_SIZE,
            min_samples=MIN_SAMPLES - 1,
            core_dist_n_jobs=2,
            approx_min_span_tree=side == "hdbscan",
        )
        with meter:
            labels = model.fit_predict(xy)
        weight = float(model.single_linkage_tree_.to_numpy()[:, 2].sum())
    elif side == "sklearn":
        from sklearn.cluster import HDBSCAN

        model = HDBSCAN(min_cluster_size=MIN_CLUSTER_SIZE, min_samples=MIN_SAMPLES, copy=True)
        with meter:
            labels = model.fit_predict(xy)
        weight = float(model._single_linkage_tree_["value"].sum())
    else:
        import geopandas as gpd
        import sklearn.cluster._hdbscan.hdbscan as skh

        from snt_geo.linkage.clusters import cluster_incidents

        captured = {}
        process = skh._process_mst

        def spy(edges):  # read the spanning tree's weight on its way to scikit-learn
            captured["weight"] = float(edges["distance"].sum())
            captured["edges"] = np.column_stack([edges["current_node"], edges["next_node"]])
            captured["distance"] = np.asarray(edges["distance"], dtype=np.float64)
            return process(edges)

        skh._process_mst = spy
        frame = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)
        with meter:
            labels = cluster_incidents(
                frame,
                method="hdbscan",
                distance_m=None,
                min_incidents=MIN_SAMPLES,
                min_cluster_size=MIN_CLUSTER_SIZE,
            ).to_numpy()
        weight = captured["weight"]
        return {
            "labels": labels,
            "tree_weight": weight,
            "edges": captured["edges"],
            "distance": captured["distance"],
        }
    return {"labels": labels, "tree_weight": weight}


def check_spanning_tree(xy: np.ndarray, edges: np.ndarray, distance: np.ndarray) -> None:
    """Assert that snt_geo's tree spans the rows and weighs each edge by mutual reachability.

    Independent of snt_geo: core distances from scikit-learn's NearestNeighbors (the
    MIN_SAMPLES-th nearest row, the row itself included), connectivity from scipy.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from sklearn.neighbors import NearestNeighbors

    n = len(xy)
    assert len(edges) == n - 1, (len(edges), n)
    graph = coo_matrix((np.ones(n - 1), (edges[:, 0], edges[:, 1])), shape=(n, n))
    n_parts, _ = connected_components(graph, directed=False)
    assert n_parts == 1, n_parts
    core = NearestNeighbors(n_neighbors=MIN_SAMPLES).fit(xy).kneighbors(xy)[0][:, -1]
    a, b = edges[:, 0], edges[:, 1]
    d = np.hypot(*(xy[a] - xy[b]).T)
    want = np.maximum(np.maximum(core[a], core[b]), d)
    np.testing.assert_allclose(distance, want, rtol=1e-9, atol=1e-9)


def report(name: str, r: dict) -> None:
    lab = r["labels"]
    print_rss(
        name,
        r,
        width=14,
        extra=f"   clusters {lab.max() + 1:,}   noise {int((lab == -1).sum()):,}   spanning tree "
        f"weight {r['tree_weight']:.6f}",
    )


def main() -> None:
    from sklearn.metrics import adjusted_rand_score

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000, help="rows for the sklearn check")
    parser.add_argument("--quick", action="store_true", help=f"one {QUICK_ROWS // 2:,}-row set")
    args = parser.parse_args()
    all_sides = ("snt_geo", "sklearn", "hdbscan", "hdbscan_exact")
    if args.quick:
        plan = ((QUICK_ROWS // 2, all_sides),)
    else:
        plan = ((args.sample, all_sides), (args.rows, ("snt_geo", "hdbscan", "hdbscan_exact")))
    print(
        "memory: process RSS of each side's own fresh child: peak (VmHWM) minus RSS just before "
        "the call (delta), and the absolute peak"
    )
    for rows, sides in plan:
        xy = make_data(rows)
        n_loc = len(np.unique(xy, axis=0))
        print(
            f"\n== {rows:,} rows, {n_loc:,} distinct locations ({rows / n_loc:.2f} rows per "
            f"location), min_cluster_size {MIN_CLUSTER_SIZE}, min_samples {MIN_SAMPLES}"
        )
        res = {side: run_in_child(_side, side, xy, start="subprocess") for side in sides}
        for side, r in res.items():
            report(side, r)
        ours = res["snt_geo"]
        check_spanning_tree(xy, ours["edges"], ours["distance"])
        print(
            f"snt_geo's tree spans all {rows:,} rows; every edge weighs its mutual reachability "
            "distance (core distances from scikit-learn NearestNeighbors)"
        )
        if "sklearn" in res:  # scikit-learn's tree is exact (Prim's over the dense graph)
            rel = abs(res["sklearn"]["tree_weight"] / ours["tree_weight"] - 1)
            assert rel < 1e-9, ("sklearn", res["sklearn"]["tree_weight"], ours["tree_weight"])
            print(f"agree: minimum spanning tree weight equals scikit-learn's ({rel:.1e} relative)")
        # The hdbscan package's Borůvka can return a tree that is not minimal even with
        # approx_min_span_tree=False (scikit-learn-contrib/hdbscan issues 404 and 729), so its
        # weight is an upper bound: no spanning tree of the same graph can weigh less than ours.
        exact = res["hdbscan_exact"]["tree_weight"]
        assert ours["tree_weight"] <= exact * (1 + 1e-12), (ours["tree_weight"], exact)
        print(
            f"hdbscan_exact's tree weighs {exact / ours['tree_weight'] - 1:.1e} relative more than "
            "snt_geo's (a valid spanning tree can only weigh as much or more than a minimum one)"
        )
        for other in sides[1:]:
            ari = adjusted_rand_score(res["snt_geo"]["labels"], res[other]["labels"])
            print(f"ARI snt_geo vs {other}: {ari:.4f}")
        if "sklearn" in res:
            ari = adjusted_rand_score(res["sklearn"]["labels"], res["hdbscan"]["labels"])
            print(f"ARI sklearn vs hdbscan: {ari:.4f}")
        for name in ("hdbscan", "hdbscan_exact"):
            print_ratio(res["snt_geo"], res[name], peer_name=name)


if __name__ == "__main__":
    main()
