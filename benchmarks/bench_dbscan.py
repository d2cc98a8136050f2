"""snt_geo DBSCAN vs scikit-learn DBSCAN on 1M incidents.

Two data sets, both 1,000,000 rows, eps (``distance_m``) 100 m, ``min_samples``
(``min_incidents``) 5:

* ``distinct``: 1M distinct points uniform over a 4.5 km x 4.5 km square of central London
  (EPSG:27700; with ``--rows`` the square shrinks to keep that density), the dense synthetic
  case quoted in issue 5 (scikit-learn ~41 s, ~12.6 GB).
* ``repeated``: real Met street burglary 2019 rows (78,997 rows at 35,287 snap points) replicated
  13 times and cut to 1M rows; in each replica every snap point moves by its own Gaussian jitter
  (sd 30 m), so rows that share a snap point keep sharing it: about 2.2 rows per location, as in
  a real year of Met burglary. Row order is shuffled.

Each side runs in its own fresh child process (_common.run_in_child, subprocess: so peak memory is
each side's own) on the same coordinates; this parent process compares the labels and asserts
they are identical. Memory is process RSS from /proc/self/status: the peak (VmHWM, reset just
before the call via /proc/self/clear_refs) minus the RSS just before the call ("delta": what the
call itself needed), and the absolute peak. Times are wall-clock of the call only (our side
includes building nothing: it gets a GeoDataFrame, scikit-learn gets the coordinate array).

Run (needs ~13 GB for scikit-learn on ``distinct``; take the lock):

    flock /tmp/snt_bench.lock python benchmarks/bench_dbscan.py [--rows 1000000]

Quick (seconds, both sides): python benchmarks/bench_dbscan.py --quick   (20,000 rows)
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

EPS = 100.0
MIN_SAMPLES = 5


def make_data(n_rows: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20190101)
    out = {}
    # 4.5 km square at 1M rows; smaller runs shrink the square to keep the same density.
    side_m = 4500.0 * np.sqrt(n_rows / 1_000_000)
    out["distinct"] = rng.uniform(0.0, side_m, size=(n_rows, 2)) + np.array([529_000.0, 179_000.0])
    bur = read_met_burglary_2019()
    base = np.column_stack([bur.geometry.x.to_numpy(), bur.geometry.y.to_numpy()])
    xy = replicate_locations(
        base, n_rows=n_rows, jitter_m=30.0, distribution="normal", keep_real=False, rng=rng
    ).xy
    out["repeated"] = xy[rng.permutation(n_rows)]
    return out


def _side(meter, side: str, xy: np.ndarray) -> dict:
    if side == "sklearn":
        from sklearn.cluster import DBSCAN

        with meter:
            labels = DBSCAN(eps=EPS, min_samples=MIN_SAMPLES).fit_predict(xy)
        return {"labels": labels}
    import geopandas as gpd

    from snt_geo.linkage.clusters import cluster_incidents

    frame = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:27700")
    with meter:
        result = cluster_incidents(frame, distance_m=EPS, min_incidents=MIN_SAMPLES)
    return {"labels": result.to_numpy(), "n_locations": result.attrs["method"].n_locations}


def main() -> None:
    from sklearn.metrics import adjusted_rand_score

    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS:,} rows")
    args = ap.parse_args()
    n_rows = QUICK_ROWS if args.quick else args.rows
    print(
        "memory: process RSS of each side's own fresh child: peak (VmHWM) minus RSS just before "
        "the call (delta), and the absolute peak"
    )
    for name, xy in make_data(n_rows).items():
        n_loc = len(np.unique(xy, axis=0))
        print(
            f"\n== {name}: {len(xy):,} rows, {n_loc:,} distinct locations "
            f"({len(xy) / n_loc:.2f} rows per location), eps {EPS:g} m, "
            f"min_samples {MIN_SAMPLES}"
        )
        ours = run_in_child(_side, "snt_geo", xy, start="subprocess")
        theirs = run_in_child(_side, "sklearn", xy, start="subprocess")
        a, b = ours["labels"], theirs["labels"]
        print(f"clusters {b.max() + 1:,}, noise {int((b == -1).sum()):,}")
        assert np.array_equal(a, b), "labels differ from scikit-learn"
        print(
            f"agree: identical labels: {np.array_equal(a, b)}; same noise set: "
            f"{np.array_equal(a == -1, b == -1)}; ARI {adjusted_rand_score(a, b):.6f}"
        )
        print_rss("snt_geo", ours, width=8)
        print_rss("sklearn", theirs, width=8)
        print_ratio(ours, theirs)


if __name__ == "__main__":
    main()
