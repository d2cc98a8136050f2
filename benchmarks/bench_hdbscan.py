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
exact ones (snt_geo, scikit-learn, hdbscan_exact) are asserted to agree to 1e-9 relative. Labels
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
    return {"labels": labels, "tree_weight": weight}


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
        exact = [s for s in ("snt_geo", "sklearn", "hdbscan_exact") if s in res]
        weights = np.array([res[s]["tree_weight"] for s in exact])
        rel = float(np.max(np.abs(weights / weights[0] - 1)))
        assert rel < 1e-9, f"exact spanning tree weights differ ({exact}: {weights})"
        print(f"agree: exact spanning tree weight of {', '.join(exact)} within {rel:.1e} relative")
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
