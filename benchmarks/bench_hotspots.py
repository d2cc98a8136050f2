"""Benchmark: snt_geo find_hotspots against libpysal DistanceBand + esda G_Local.

Same data on both sides: the 78,997 Met street-level burglaries of 2019 (police.uk) over the GLA's
625 London wards, 50 m cells (about 1.05M candidate cells, 641k overlapping London), neighbours
within 75 m (the 3 x 3 block), BH-FDR classes. Each side runs end to end, from the incidents and
ward polygons to the classified cells GeoDataFrame:

- snt_geo: ``find_hotspots(incidents, area=wards, cell_size_m=50)``.
- peer: a geopandas fishnet over the wards' bounding box (``shapely.box``), cells kept where they
  overlap a ward (STRtree intersects, minus cells that only touch), incidents counted per cell,
  ``libpysal.weights.DistanceBand(centres, 75, binary=True)``, ``esda.G_Local(y, w,
  transform="B", star=True, permutations=0)`` (analytical z only: no permutations),
  ``scipy.stats.false_discovery_control`` and the same class rules, then the GeoDataFrame.

Each side runs in its own forked child process (multiprocessing, fork) after the data are loaded,
so both start from the same memory image. Peak memory is the child's peak resident set size
(VmHWM from /proc, reset through /proc/self/clear_refs at the start) minus its resident size at
the start: process RSS, which sees numpy, GEOS and libpysal allocations alike. Time is wall clock
(time.perf_counter) of the call alone. The script checks that both sides give the same cells, the
same z (to 1e-8) and the same classes.

Run (heavy: ~6 GB for the esda side):
    flock /tmp/snt_bench.lock python benchmarks/bench_hotspots.py
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
from scipy import stats

from snt_geo.io import read_police_uk, read_wards
from snt_geo.linkage.hotspots import HOTSPOT_CLASSES, find_hotspots

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
# Optional first argument: another cell size for a quick run (neighbours within 1.5 cells).
CELL_M = float(sys.argv[1]) if len(sys.argv) > 1 else 50.0
BAND_M = 1.5 * CELL_M


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


def ours(incidents: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return find_hotspots(incidents, area=wards, cell_size_m=CELL_M)


def peer(incidents: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    from esda import G_Local
    from libpysal.weights import DistanceBand

    s = CELL_M
    xmin, ymin, xmax, ymax = wards.total_bounds
    x0, y0 = np.floor(xmin / s) * s, np.floor(ymin / s) * s
    n_cols = int(np.floor((xmax - x0) / s)) + 1
    n_rows = int(np.floor((ymax - y0) / s)) + 1
    rows, cols = np.divmod(np.arange(n_rows * n_cols), n_cols)
    boxes = shapely.box(x0 + cols * s, y0 + rows * s, x0 + (cols + 1) * s, y0 + (rows + 1) * s)
    polys = wards.geometry.to_numpy()
    box_i, poly_i = shapely.STRtree(polys).query(boxes, predicate="intersects")
    inner = ~shapely.touches(boxes[box_i], polys[poly_i])
    keep = np.unique(box_i[inner])
    cells = gpd.GeoDataFrame(
        {"row": rows[keep], "col": cols[keep]},
        geometry=boxes[keep],
        crs=27700,
        index=pd.Index(keep, name="cell_id"),
    )
    xy = shapely.get_coordinates(incidents.geometry.to_numpy())
    pc = np.floor((xy[:, 0] - x0) / s).astype(int)
    pr = np.floor((xy[:, 1] - y0) / s).astype(int)
    ok = (pc >= 0) & (pc < n_cols) & (pr >= 0) & (pr < n_rows)
    counts = np.bincount(pr[ok] * n_cols + pc[ok], minlength=n_rows * n_cols)
    cells["incident_count"] = counts[keep]
    centres = cells.geometry.centroid
    w = DistanceBand(
        np.column_stack([centres.x, centres.y]),
        threshold=BAND_M,
        binary=True,
        silence_warnings=True,
    )
    g = G_Local(
        cells["incident_count"].to_numpy().astype(float),
        w,
        transform="B",
        star=True,
        permutations=0,
    )
    p = 2 * stats.norm.sf(np.abs(g.Zs))
    adjusted = stats.false_discovery_control(p)
    classes = np.full(len(p), "not_significant", dtype=object)
    for level, name in ((0.10, "90"), (0.05, "95"), (0.01, "99")):
        sig = adjusted <= level
        classes[sig & (g.Zs > 0)] = f"hot_{name}"
        classes[sig & (g.Zs < 0)] = f"cold_{name}"
    cells["gi_star_z"] = g.Zs
    cells["p_value"] = p
    cells["p_value_fdr"] = adjusted
    cells["hotspot_class"] = pd.Categorical(classes, categories=list(HOTSPOT_CLASSES))
    return cells


def _child(name, conn, incidents, wards):
    warnings.simplefilter("ignore")
    fn = ours if name == "ours" else peer
    base = _reset_peak()
    t0 = time.perf_counter()
    cells = fn(incidents, wards)
    seconds = time.perf_counter() - t0
    peak = _status()["VmHWM"] - base
    conn.send(
        {
            "seconds": seconds,
            "peak_bytes": peak,
            "cell_id": cells.index.to_numpy(),
            "z": cells["gi_star_z"].to_numpy(),
            "cls": cells["hotspot_class"].astype(str).to_numpy(),
            "n": len(cells),
        }
    )
    conn.close()


def _run(name, incidents, wards):
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(name, child, incidents, wards))
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
    print(
        f"data: {len(incidents):,} Met burglaries 2019, {len(wards)} GLA wards, {CELL_M:g} m "
        f"cells, neighbours within {BAND_M:g} m"
    )
    a = _run("ours", incidents, wards)
    b = _run("peer", incidents, wards)
    assert np.array_equal(a["cell_id"], b["cell_id"]), "cell sets differ"
    dz = float(np.nanmax(np.abs(a["z"] - b["z"])))
    assert dz < 1e-8, dz
    assert (a["cls"] == b["cls"]).all(), "classes differ"
    print(f"agree: {a['n']:,} cells, max |z diff| = {dz:.1e}, classes identical")
    for label, r in (("snt_geo find_hotspots", a), ("libpysal DistanceBand + esda G_Local", b)):
        print(f"{label:40s} {r['seconds']:8.2f} s   peak RSS +{r['peak_bytes'] / 2**20:8.0f} MiB")
    print(
        f"speed-up: {b['seconds'] / a['seconds']:.0f}x   "
        f"peak memory ratio: 1/{b['peak_bytes'] / a['peak_bytes']:.0f}"
    )


if __name__ == "__main__":
    main()
