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
- peer: the same geopandas fishnet as the Gi* benchmark (``shapely.box`` over the bounding box,
  cells overlapping a ward), ``KernelDensity(kernel="epanechnikov", bandwidth=h).fit(points)``
  and ``score_samples(cell centres)``, density ``= 1e6 * n * exp(score)``.

Each side runs in its own forked child after the data are loaded; peak memory is the child's
peak RSS (VmHWM, reset through /proc/self/clear_refs) minus its RSS at the start. The script
prints how far the two surfaces differ (scikit-learn's log-space sums carry ~1e-13 absolute
rounding, so cells below 1e-9 of the peak must be exactly 0 here) and checks snt_geo against the
exact direct sum over all 1M points at 2,000 random cells and the 50 cells of largest difference
(1e-6 relative).

Run: flock /tmp/snt_bench.lock python benchmarks/bench_kde.py [cell_size_m]
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from snt_geo.io import read_police_uk, read_wards
from snt_geo.linkage.density import default_bandwidth_m, kernel_density

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CELL_M = float(sys.argv[1]) if len(sys.argv) > 1 else 50.0
N_POINTS = 1_000_000
JITTER_M = 100.0


def _status() -> dict[str, int]:
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS", "VmHWM")):
                out[line.split(":")[0]] = int(line.split()[1]) * 1024
    return out


def _reset_peak() -> int:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status()["VmRSS"]


def build_points(incidents: gpd.GeoDataFrame, rng: np.random.Generator) -> np.ndarray:
    xy = shapely.get_coordinates(incidents.geometry.to_numpy())
    locations, inverse = np.unique(xy, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    parts = [xy]
    while sum(len(p) for p in parts) < N_POINTS:
        shift = rng.uniform(-JITTER_M, JITTER_M, size=(len(locations), 2))
        parts.append(xy + shift[inverse])
    return np.vstack(parts)[:N_POINTS]


def ours(points: gpd.GeoDataFrame, wards: gpd.GeoDataFrame, h: float) -> gpd.GeoDataFrame:
    return kernel_density(
        points, area=wards, cell_size_m=CELL_M, bandwidth_m=h, kernel="epanechnikov"
    )


def peer(points: gpd.GeoDataFrame, wards: gpd.GeoDataFrame, h: float) -> gpd.GeoDataFrame:
    from sklearn.neighbors import KernelDensity

    s = CELL_M
    xmin, ymin, xmax, ymax = wards.total_bounds
    x0, y0 = np.floor(xmin / s) * s, np.floor(ymin / s) * s
    n_cols = int(np.floor((xmax - x0) / s)) + 1
    n_rows = int(np.floor((ymax - y0) / s)) + 1
    rows, cols = np.divmod(np.arange(n_rows * n_cols), n_cols)
    boxes = shapely.box(x0 + cols * s, y0 + rows * s, x0 + (cols + 1) * s, y0 + (rows + 1) * s)
    polys = wards.geometry.to_numpy()
    box_i, poly_i = shapely.STRtree(polys).query(boxes, predicate="intersects")
    keep = np.unique(box_i[~shapely.touches(boxes[box_i], polys[poly_i])])
    cells = gpd.GeoDataFrame(
        {"row": rows[keep], "col": cols[keep]},
        geometry=boxes[keep],
        crs=27700,
        index=pd.Index(keep, name="cell_id"),
    )
    xy = shapely.get_coordinates(points.geometry.to_numpy())
    centres = np.column_stack([x0 + (cols[keep] + 0.5) * s, y0 + (rows[keep] + 0.5) * s])
    kde = KernelDensity(kernel="epanechnikov", bandwidth=h).fit(xy)
    cells["density_per_km2"] = 1e6 * len(xy) * np.exp(kde.score_samples(centres))
    return cells


def _child(name, conn, points, wards, h):
    warnings.simplefilter("ignore")
    fn = ours if name == "ours" else peer
    base = _reset_peak()
    t0 = time.perf_counter()
    cells = fn(points, wards, h)
    seconds = time.perf_counter() - t0
    peak = _status()["VmHWM"] - base
    conn.send(
        {
            "seconds": seconds,
            "peak_bytes": peak,
            "cell_id": cells.index.to_numpy(),
            "density": cells["density_per_km2"].to_numpy(),
        }
    )
    conn.close()


def _run(name, points, wards, h):
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(name, child, points, wards, h))
    proc.start()
    result = parent.recv()
    proc.join()
    return result


def main() -> None:
    warnings.simplefilter("ignore")
    months = [f"2019-{m:02d}" for m in range(1, 13)]
    incidents = read_police_uk(DATA / "police-uk-metropolitan-street-burglary-only", months=months)
    wards = read_wards(
        DATA / "gla-statistical-gis-boundaries-london/ESRI/London_Ward_CityMerged.shp"
    )
    xy = build_points(incidents, np.random.default_rng(20190101))
    n_loc = len(np.unique(xy, axis=0))
    points = gpd.GeoDataFrame(geometry=shapely.points(xy), crs=27700)
    h = default_bandwidth_m(xy)
    print(
        f"data: {len(points):,} points from {len(incidents):,} Met burglaries 2019 "
        f"({n_loc:,} distinct locations, {len(points) / n_loc:.2f} rows per location), "
        f"{len(wards)} GLA wards, {CELL_M:g} m cells, Epanechnikov, bandwidth {h:.1f} m "
        "(ArcGIS default radius)"
    )
    a = _run("ours", points, wards, h)
    b = _run("peer", points, wards, h)
    for label, r in (("snt_geo kernel_density", a), ("scikit-learn KernelDensity", b)):
        print(f"{label:30s} {r['seconds']:8.2f} s   peak RSS +{r['peak_bytes'] / 2**20:8.0f} MiB")
    print(
        f"speed-up: {b['seconds'] / a['seconds']:.1f}x   "
        f"peak memory ratio: {a['peak_bytes'] / b['peak_bytes']:.2f}"
    )
    assert np.array_equal(a["cell_id"], b["cell_id"]), "cell sets differ"
    ours_d, sk = a["density"], b["density"]
    empty = sk < 1e-9 * sk.max()
    assert (ours_d[empty] == 0).all()
    rel = np.abs(ours_d[~empty] / sk[~empty] - 1)
    print(
        f"agree with scikit-learn: {len(sk):,} cells, max relative difference {rel.max():.1e} "
        f"(cells above 1e-4 of the peak: {rel[sk[~empty] > 1e-4 * sk.max()].max():.1e})"
    )
    # Exact reference: the direct sum over all 1M points at 2,000 random cells and at the 50
    # cells where the two surfaces differ most.
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(0)
    worst = np.flatnonzero(~empty)[np.argsort(rel)[-50:]]
    pick = np.unique(np.concatenate([rng.choice(len(sk), 2000, replace=False), worst]))
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
