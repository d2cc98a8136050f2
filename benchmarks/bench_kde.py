"""Benchmark: snt_geo kernel_density against scikit-learn KernelDensity at 1M incidents.

Data: 1,000,000 points built from the 78,997 real Met street-level burglaries of 2019 (police.uk,
35,287 distinct snap points, about 2.2 rows per location): the real rows once, then replicas in
which every distinct location is moved by its own uniform jitter of up to +-100 m in x and y (all
rows at a location move together, so each replica keeps ~2.2 rows per location), truncated to
1M rows (about 450k distinct locations). Cells: 50 m over the GLA's 625 London wards (641k cells).
Kernel: Epanechnikov on both sides (scikit-learn has no quartic kernel; it is the closest compact
kernel and gives identical numbers to compare), bandwidth ArcGIS's default search radius of the
1M points (computed once, passed to both sides).

Each side runs end to end, from the points and ward polygons to a GeoDataFrame of cells with
``density_per_km2``:

- snt_geo: ``kernel_density(points, area=wards, cell_size_m=50, bandwidth_m=h,
  kernel="epanechnikov")``.
- peer: the same geopandas fishnet as the Gi* benchmark (_common.peer_fishnet: ``shapely.box``
  over the bounding box, cells overlapping a ward),
  ``KernelDensity(kernel="epanechnikov", bandwidth=h).fit(points)`` and
  ``score_samples(cell centres)``, density ``= 1e6 * n * exp(score)``.

Each side runs in its own forked child after the data are loaded (_common.run_in_child); peak
memory is the child's peak RSS (VmHWM, reset through /proc/self/clear_refs just before the call)
minus its RSS at that moment. The script
prints how far the two surfaces differ (scikit-learn's log-space sums carry ~1e-13 absolute
rounding, so cells below 1e-9 of the peak must be exactly 0 here) and checks snt_geo against the
exact direct sum over all 1M points at 2,000 random cells and the 50 cells of largest difference
(1e-6 relative).

Run: flock /tmp/snt_bench.lock python benchmarks/bench_kde.py [cell_size_m]
Quick (seconds): python benchmarks/bench_kde.py --quick  (Westminster's wards; 20,000 points
replicated from the burglaries inside them, same jitter rule)
"""

from __future__ import annotations

import argparse

import geopandas as gpd
import numpy as np
import shapely
from _common import (
    QUICK_BOROUGH,
    QUICK_ROWS,
    peer_fishnet,
    print_ratio,
    print_rss,
    read_gla_wards,
    read_met_burglary_2019,
    replicate_locations,
    run_in_child,
)

from snt_geo.linkage.density import default_bandwidth_m, kernel_density

CELL_M = 50.0  # set from the command line in main()
N_POINTS = 1_000_000
JITTER_M = 100.0


def ours(points: gpd.GeoDataFrame, wards: gpd.GeoDataFrame, h: float) -> gpd.GeoDataFrame:
    return kernel_density(
        points, area=wards, cell_size_m=CELL_M, bandwidth_m=h, kernel="epanechnikov"
    )


def peer(points: gpd.GeoDataFrame, wards: gpd.GeoDataFrame, h: float) -> gpd.GeoDataFrame:
    from sklearn.neighbors import KernelDensity

    s = CELL_M
    cells, x0, y0, _, _ = peer_fishnet(wards, cell_size_m=s)
    rows, cols = cells["row"].to_numpy(), cells["col"].to_numpy()
    xy = shapely.get_coordinates(points.geometry.to_numpy())
    centres = np.column_stack([x0 + (cols + 0.5) * s, y0 + (rows + 0.5) * s])
    kde = KernelDensity(kernel="epanechnikov", bandwidth=h).fit(xy)
    cells["density_per_km2"] = 1e6 * len(xy) * np.exp(kde.score_samples(centres))
    return cells


def _side(meter, name, points, wards, h):
    fn = ours if name == "ours" else peer
    with meter:
        cells = fn(points, wards, h)
    return {"cell_id": cells.index.to_numpy(), "density": cells["density_per_km2"].to_numpy()}


def main() -> None:
    global CELL_M
    ap = argparse.ArgumentParser()
    ap.add_argument("cell_size_m", nargs="?", type=float, default=50.0)
    ap.add_argument("--quick", action="store_true", help=f"Westminster, {QUICK_ROWS:,} points")
    args = ap.parse_args()
    CELL_M = args.cell_size_m  # a module global, so the forked children see it too
    incidents = read_met_burglary_2019()
    wards = read_gla_wards(borough_code=QUICK_BOROUGH if args.quick else None)
    n_points, where = N_POINTS, "GLA wards"
    if args.quick:
        inside = incidents.sjoin(wards[["geometry"]], predicate="intersects").index.unique()
        incidents = incidents.loc[inside]
        n_points, where = QUICK_ROWS, f"GLA wards of {QUICK_BOROUGH} (Westminster)"
    reps = replicate_locations(
        shapely.get_coordinates(incidents.geometry.to_numpy()),
        n_rows=n_points,
        jitter_m=JITTER_M,
        rng=np.random.default_rng(20190101),
    )
    xy = reps.xy
    n_loc = len(np.unique(xy, axis=0))
    points = gpd.GeoDataFrame(geometry=shapely.points(xy), crs=27700)
    h = default_bandwidth_m(xy)
    print(
        f"data: {len(points):,} points from {len(incidents):,} Met burglaries 2019 "
        f"({n_loc:,} distinct locations, {len(points) / n_loc:.2f} rows per location), "
        f"{len(wards)} {where}, {CELL_M:g} m cells, Epanechnikov, bandwidth {h:.1f} m "
        "(ArcGIS default radius)"
    )
    print("memory: peak RSS (VmHWM) of each side's forked child minus its RSS just before the call")
    a = run_in_child(_side, "ours", points, wards, h)
    b = run_in_child(_side, "peer", points, wards, h)
    print_rss("snt_geo kernel_density", a, width=30)
    print_rss("scikit-learn KernelDensity", b, width=30)
    print_ratio(a, b)
    assert np.array_equal(a["cell_id"], b["cell_id"]), "cell sets differ"
    ours_d, sk = a["density"], b["density"]
    empty = sk < 1e-9 * sk.max()
    assert (ours_d[empty] == 0).all()
    rel = np.abs(ours_d[~empty] / sk[~empty] - 1)
    print(
        f"agree with scikit-learn: {len(sk):,} cells, max relative difference {rel.max():.1e} "
        f"(cells above 1e-4 of the peak: {rel[sk[~empty] > 1e-4 * sk.max()].max():.1e})"
    )
    # Exact reference: the direct sum over all the points at 2,000 random cells and at the 50
    # cells where the two surfaces differ most.
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(0)
    worst = np.flatnonzero(~empty)[np.argsort(rel)[-50:]]
    pick = np.unique(
        np.concatenate([rng.choice(len(sk), min(2000, len(sk)), replace=False), worst])
    )
    x0 = np.floor(wards.total_bounds[0] / CELL_M) * CELL_M
    y0 = np.floor(wards.total_bounds[1] / CELL_M) * CELL_M
    n_cols = int(np.floor((wards.total_bounds[2] - x0) / CELL_M)) + 1
    rows, cols = np.divmod(a["cell_id"][pick], n_cols)
    cx, cy = x0 + (cols + 0.5) * CELL_M, y0 + (rows + 0.5) * CELL_M
    exact = np.zeros(len(pick))
    near_lists = cKDTree(xy).query_ball_point(np.column_stack([cx, cy]), r=h)
    for k, near in enumerate(near_lists):
        d2 = (xy[near, 0] - cx[k]) ** 2 + (xy[near, 1] - cy[k]) ** 2
        exact[k] = np.clip(1 - d2 / h**2, 0, None).sum()
    exact *= 1e6 * 2 / (np.pi * h * h)
    nz = exact > 0
    err_ours = np.max(np.abs(ours_d[pick][nz] / exact[nz] - 1))
    err_sk = np.max(np.abs(sk[pick][nz] / exact[nz] - 1))
    assert (ours_d[pick][~nz] == 0).all() and err_ours < 1e-6, err_ours
    print(
        f"against the direct sum at {len(pick):,} cells: snt_geo max relative error "
        f"{err_ours:.1e}, scikit-learn {err_sk:.1e}"
    )


if __name__ == "__main__":
    main()
