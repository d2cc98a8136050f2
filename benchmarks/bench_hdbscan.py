"""snt_geo HDBSCAN vs the `hdbscan` package (and scikit-learn on a sample) on Met-like incidents.

Data: real Met street burglary 2019 rows (78,997 rows at 35,287 snap points) replicated and cut to
``--rows`` rows (default 1,000,000); in each replica every snap point moves by its own Gaussian
jitter (sd 30 m), so rows sharing a snap point keep sharing it (about 2.2 rows per location, as
in a real year of Met burglary). Row order shuffled.

Parameters: ``min_cluster_size`` 50, ``min_samples`` 10 counting the incident itself (scikit-learn
and snt_geo); the `hdbscan` package does not count the point itself, so it gets
``min_samples=9`` (its documented equivalence) and ``core_dist_n_jobs=2`` (snt_geo
also uses two threads).

Each side runs in its own child process on the same coordinates; memory is process RSS from
/proc/self/status (peak VmHWM, reset just before the call, minus the RSS just before the call,
plus the absolute peak). ``hdbscan`` is the package's default, which builds an *approximate*
minimum spanning tree (``approx_min_span_tree=True``); ``hdbscan_exact`` sets it to False. The
spanning tree weight of each run is printed: the exact ones must agree. Labels are compared
with the adjusted Rand index: HDBSCAN labels depend on how ties in the mutual reachability
distance are broken, so the implementations are not expected to agree exactly (see
cluster_incidents Notes); the spanning tree weight is also checked against scikit-learn in
tests/linkage/test_clusters.py.

    flock /tmp/snt_bench.lock python benchmarks/bench_hdbscan.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
BURGLARY = DATA / "police-uk-metropolitan-street-burglary-only"
MIN_CLUSTER_SIZE = 50
MIN_SAMPLES = 10


def _rss(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    raise RuntimeError(field)


def _reset_peak() -> int:
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    return _rss("VmRSS")


def make_data(path: Path, rows: int) -> None:
    from snt_geo.io import read_police_uk

    rng = np.random.default_rng(20190101)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        bur = read_police_uk(BURGLARY, months=[f"2019-{m:02d}" for m in range(1, 13)])
    base = np.column_stack([bur.geometry.x.to_numpy(), bur.geometry.y.to_numpy()])
    _, inv = np.unique(base, axis=0, return_inverse=True)
    inv = inv.ravel()
    n_loc = int(inv.max()) + 1
    reps = [
        base + rng.normal(0.0, 30.0, size=(n_loc, 2))[inv]
        for _ in range(int(np.ceil(rows / len(base))))
    ]
    xy = np.concatenate(reps)[:rows]
    np.save(path, xy[rng.permutation(len(xy))])


def child(side: str, path: str, labels_out: str) -> None:
    xy = np.load(path)
    if side.startswith("hdbscan"):
        import hdbscan

        model = hdbscan.HDBSCAN(
            min_cluster_size=MIN_CLUSTER_SIZE,
            min_samples=MIN_SAMPLES - 1,
            core_dist_n_jobs=2,
            approx_min_span_tree=side == "hdbscan",
        )
        before = _reset_peak()
        t0 = time.perf_counter()
        labels = model.fit_predict(xy)
        weight = float(model.single_linkage_tree_.to_numpy()[:, 2].sum())
    elif side == "sklearn":
        from sklearn.cluster import HDBSCAN

        model = HDBSCAN(min_cluster_size=MIN_CLUSTER_SIZE, min_samples=MIN_SAMPLES, copy=True)
        before = _reset_peak()
        t0 = time.perf_counter()
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
        before = _reset_peak()
        t0 = time.perf_counter()
        labels = cluster_incidents(
            frame,
            method="hdbscan",
            distance_m=None,
            min_incidents=MIN_SAMPLES,
            min_cluster_size=MIN_CLUSTER_SIZE,
        ).to_numpy()
        weight = captured["weight"]
    seconds = time.perf_counter() - t0
    peak = _rss("VmHWM")
    np.save(labels_out, labels)
    print(json.dumps({"seconds": seconds, "before": before, "peak": peak, "tree_weight": weight}))


def run_side(side: str, path: Path, tmp: Path) -> dict:
    out = tmp / f"{path.stem}_{side}.npy"
    proc = subprocess.run(
        [sys.executable, __file__, "--child", side, str(path), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res["labels"] = np.load(out)
    return res


def report(name: str, r: dict) -> None:
    lab = r["labels"]
    print(
        f"{name:8s} {r['seconds']:8.2f} s   peak RSS {r['peak'] / 1e6:8.1f} MB   delta "
        f"{(r['peak'] - r['before']) / 1e6:8.1f} MB   clusters {lab.max() + 1:,}   "
        f"noise {int((lab == -1).sum()):,}   spanning tree weight {r['tree_weight']:.6f}"
    )


def main() -> None:
    from sklearn.metrics import adjusted_rand_score

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000, help="rows for the sklearn check")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="snt_bench_hdbscan_") as tmpname:
        tmp = Path(tmpname)
        plan = (
            (args.sample, ("snt_geo", "sklearn", "hdbscan", "hdbscan_exact")),
            (args.rows, ("snt_geo", "hdbscan", "hdbscan_exact")),
        )
        for rows, sides in plan:
            path = tmp / f"rows{rows}.npy"
            make_data(path, rows)
            xy = np.load(path)
            n_loc = len(np.unique(xy, axis=0))
            print(
                f"\n== {rows:,} rows, {n_loc:,} distinct locations ({rows / n_loc:.2f} rows per "
                f"location), min_cluster_size {MIN_CLUSTER_SIZE}, min_samples {MIN_SAMPLES}"
            )
            res = {side: run_side(side, path, tmp) for side in sides}
            for side, r in res.items():
                report(side, r)
            for other in sides[1:]:
                ari = adjusted_rand_score(res["snt_geo"]["labels"], res[other]["labels"])
                print(f"ARI snt_geo vs {other}: {ari:.4f}")
            if "sklearn" in res:
                ari = adjusted_rand_score(res["sklearn"]["labels"], res["hdbscan"]["labels"])
                print(f"ARI sklearn vs hdbscan: {ari:.4f}")
            ours = res["snt_geo"]
            for name in ("hdbscan", "hdbscan_exact"):
                peer = res[name]
                d_peer = peer["peak"] - peer["before"]
                d_ours = max(ours["peak"] - ours["before"], 1)
                print(
                    f"vs {name}: speed-up {peer['seconds'] / ours['seconds']:.2f}x; peak RSS "
                    f"ratio {peer['peak'] / ours['peak']:.2f}x; delta ratio {d_peer / d_ours:.2f}x"
                )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        main()
