"""snt_geo DBSCAN vs scikit-learn DBSCAN on 1M incidents.

Two data sets, both 1,000,000 rows, eps (``distance_m``) 100 m, ``min_samples``
(``min_incidents``) 5:

* ``distinct``: 1M distinct points uniform over a 4.5 km x 4.5 km square of central London
  (EPSG:27700), the dense synthetic case quoted in issue 5 (scikit-learn ~41 s, ~12.6 GB).
* ``repeated``: real Met street burglary 2019 rows (78,997 rows at 35,287 snap points) replicated
  13 times and cut to 1M rows; in each replica every snap point moves by its own Gaussian jitter
  (sd 30 m), so rows that share a snap point keep sharing it: about 2.2 rows per location, as in
  a real year of Met burglary. Row order is shuffled.

Each side runs in its own child process (so peak memory is each side's own), on the same
coordinates saved once to a temporary .npy file; this parent process compares the labels.
Memory is process RSS from /proc/self/status: the peak (VmHWM, reset just before the call via
/proc/self/clear_refs) minus the RSS just before the call ("delta": what the call itself needed),
and the absolute peak. Times are wall-clock of the call only (our side includes building nothing:
it gets a GeoDataFrame, scikit-learn gets the coordinate array).

Run (needs ~13 GB for scikit-learn on ``distinct``; take the lock):

    flock /tmp/snt_bench.lock python benchmarks/bench_dbscan.py
"""

from __future__ import annotations

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
N = 1_000_000
EPS = 100.0
MIN_SAMPLES = 5


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


def make_data(tmp: Path) -> dict[str, Path]:
    from snt_geo.io import read_police_uk

    rng = np.random.default_rng(20190101)
    out = {}
    xy = rng.uniform(0.0, 4500.0, size=(N, 2)) + np.array([529_000.0, 179_000.0])
    out["distinct"] = tmp / "distinct.npy"
    np.save(out["distinct"], xy)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        bur = read_police_uk(BURGLARY, months=[f"2019-{m:02d}" for m in range(1, 13)])
    base = np.column_stack([bur.geometry.x.to_numpy(), bur.geometry.y.to_numpy()])
    _, inv = np.unique(base, axis=0, return_inverse=True)
    inv = inv.ravel()
    n_loc = int(inv.max()) + 1
    reps = []
    for _ in range(int(np.ceil(N / len(base)))):
        reps.append(base + rng.normal(0.0, 30.0, size=(n_loc, 2))[inv])
    xy = np.concatenate(reps)[:N]
    xy = xy[rng.permutation(N)]
    out["repeated"] = tmp / "repeated.npy"
    np.save(out["repeated"], xy)
    return out


def child(side: str, path: str, labels_out: str) -> None:
    xy = np.load(path)
    if side == "sklearn":
        from sklearn.cluster import DBSCAN

        before = _reset_peak()
        t0 = time.perf_counter()
        labels = DBSCAN(eps=EPS, min_samples=MIN_SAMPLES).fit_predict(xy)
        seconds = time.perf_counter() - t0
        extra = {}
    else:
        import geopandas as gpd

        from snt_geo.linkage.clusters import cluster_incidents

        frame = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:27700")
        before = _reset_peak()
        t0 = time.perf_counter()
        result = cluster_incidents(frame, distance_m=EPS, min_incidents=MIN_SAMPLES)
        seconds = time.perf_counter() - t0
        labels = result.to_numpy()
        extra = {"n_locations": result.attrs["n_locations"]}
    peak = _rss("VmHWM")
    np.save(labels_out, labels)
    print(json.dumps({"seconds": seconds, "before": before, "peak": peak, **extra}))


def run_side(side: str, path: Path, tmp: Path) -> dict:
    labels_out = tmp / f"{path.stem}_{side}_labels.npy"
    proc = subprocess.run(
        [sys.executable, __file__, "--child", side, str(path), str(labels_out)],
        capture_output=True,
        text=True,
        check=True,
    )
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res["labels"] = np.load(labels_out)
    return res


def main() -> None:
    from sklearn.metrics import adjusted_rand_score

    with tempfile.TemporaryDirectory(prefix="snt_bench_dbscan_") as tmpname:
        tmp = Path(tmpname)
        paths = make_data(tmp)
        for name, path in paths.items():
            xy = np.load(path)
            n_loc = len(np.unique(xy, axis=0))
            print(
                f"\n== {name}: {len(xy):,} rows, {n_loc:,} distinct locations "
                f"({len(xy) / n_loc:.2f} rows per location), eps {EPS:g} m, "
                f"min_samples {MIN_SAMPLES}"
            )
            ours = run_side("snt_geo", path, tmp)
            theirs = run_side("sklearn", path, tmp)
            a, b = ours["labels"], theirs["labels"]
            print(f"clusters {b.max() + 1:,}, noise {int((b == -1).sum()):,}")
            print(
                f"identical labels: {np.array_equal(a, b)}; same noise set: "
                f"{np.array_equal(a == -1, b == -1)}; ARI {adjusted_rand_score(a, b):.6f}"
            )
            for label, r in (("snt_geo", ours), ("sklearn", theirs)):
                print(
                    f"{label:8s} {r['seconds']:7.2f} s   peak RSS {r['peak'] / 1e6:8.1f} MB   "
                    f"delta (peak - RSS before call) {(r['peak'] - r['before']) / 1e6:8.1f} MB"
                )
            d_ours = ours["peak"] - ours["before"]
            d_theirs = theirs["peak"] - theirs["before"]
            print(
                f"speed-up {theirs['seconds'] / ours['seconds']:.1f}x; memory: delta ratio "
                f"{d_theirs / max(d_ours, 1):.1f}x less, absolute peak ratio "
                f"{theirs['peak'] / ours['peak']:.1f}x less"
            )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        main()
