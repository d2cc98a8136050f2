"""Benchmark: snt_geo find_hotspots against libpysal DistanceBand + esda G_Local.

Same data on both sides: the 78,997 Met street-level burglaries of 2019 (police.uk) over the GLA's
625 London wards, 50 m cells (about 1.05M candidate cells, 641k overlapping London), neighbours
within 75 m (the 3 x 3 block), BH-FDR classes. Each side runs end to end, from the incidents and
ward polygons to the classified cells GeoDataFrame:

- snt_geo: ``hotspot_grid(incidents, area=wards, cell_size_m=50)``: the array result (no cell
  polygons; ``find_hotspots`` is the same call plus ``.to_frame()``), then
  ``.to_frame("significant")``, the polygons a map draws.
- peer: a geopandas fishnet over the wards' bounding box (``shapely.box``), cells kept where they
  overlap a ward (STRtree intersects, minus cells that only touch), incidents counted per cell,
  ``libpysal.weights.DistanceBand(centres, 75, binary=True)``, ``esda.G_Local(y, w,
  transform="B", star=True, permutations=0)`` (analytical z only: no permutations),
  ``scipy.stats.false_discovery_control`` and the same class rules, then the GeoDataFrame.

Each side runs in its own forked child process (_common.run_in_child, fork) after the data are
loaded, so both start from the same memory image. Peak memory is the child's peak resident set size
(VmHWM from /proc, reset through /proc/self/clear_refs just before the call) minus its resident
size at that moment: process RSS, which sees numpy, GEOS and libpysal allocations alike. Time is
wall clock (time.perf_counter) of the call alone. The script checks that both sides give the same
cells, the same z (to 1e-8) and the same classes.

Run (heavy: ~6 GB for the esda side):
    flock /tmp/snt_bench.lock python benchmarks/bench_hotspots.py [cell_size_m]
Quick (seconds; Westminster's wards and burglaries only, both sides):
    python benchmarks/bench_hotspots.py --quick
"""

from __future__ import annotations

import argparse

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from _common import (
    QUICK_BOROUGH,
    peer_fishnet,
    print_ratio,
    print_rss,
    read_gla_wards,
    read_met_burglary_2019,
    run_in_child,
)
from scipy import stats

from snt_geo.linkage.hotspots import HOTSPOT_CLASSES, hotspot_grid

CELL_M = 50.0  # set from the command line in main(); neighbours within 1.5 cells
BAND_M = 1.5 * CELL_M


def ours(incidents: gpd.GeoDataFrame, wards: gpd.GeoDataFrame):
    result = hotspot_grid(incidents, area=wards, cell_size_m=CELL_M)
    return result, result.to_frame("significant")


def peer(incidents: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    from esda import G_Local
    from libpysal.weights import DistanceBand

    s = CELL_M
    cells, x0, y0, n_cols, n_rows = peer_fishnet(wards, cell_size_m=s)
    keep = cells.index.to_numpy()
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


def _side(meter, name, incidents, wards):
    if name == "ours":
        with meter:
            result, significant = ours(incidents, wards)
        cls = np.asarray(result.values["hotspot_class"].astype(str))
        return {
            "cell_id": result.cell_ids,
            "z": np.asarray(result.values["gi_star_z"]),
            "cls": cls,
            "n": result.n_cells,
            "n_significant": len(significant),
        }
    with meter:
        cells = peer(incidents, wards)
    return {
        "cell_id": cells.index.to_numpy(),
        "z": cells["gi_star_z"].to_numpy(),
        "cls": cells["hotspot_class"].astype(str).to_numpy(),
        "n": len(cells),
    }


def main() -> None:
    global CELL_M, BAND_M
    ap = argparse.ArgumentParser()
    ap.add_argument("cell_size_m", nargs="?", type=float, default=50.0)
    ap.add_argument("--quick", action="store_true", help="Westminster only")
    args = ap.parse_args()
    # Module globals, so the forked children see them too.
    CELL_M, BAND_M = args.cell_size_m, 1.5 * args.cell_size_m
    incidents = read_met_burglary_2019()
    wards = read_gla_wards(borough_code=QUICK_BOROUGH if args.quick else None)
    where = "GLA wards"
    if args.quick:
        inside = incidents.sjoin(wards[["geometry"]], predicate="intersects").index.unique()
        incidents = incidents.loc[inside]
        where = f"GLA wards of {QUICK_BOROUGH} (Westminster) and the burglaries inside them"
    print(
        f"data: {len(incidents):,} Met burglaries 2019, {len(wards)} {where}, {CELL_M:g} m "
        f"cells, neighbours within {BAND_M:g} m"
    )
    print("memory: peak RSS (VmHWM) of each side's forked child minus its RSS just before the call")
    a = run_in_child(_side, "ours", incidents, wards)
    b = run_in_child(_side, "peer", incidents, wards)
    assert np.array_equal(a["cell_id"], b["cell_id"]), "cell sets differ"
    dz = float(np.nanmax(np.abs(a["z"] - b["z"])))
    assert dz < 1e-8, dz
    assert (a["cls"] == b["cls"]).all(), "classes differ"
    assert a["n_significant"] == int((b["cls"] != "not_significant").sum())
    print(f"agree: {a['n']:,} cells, max |z diff| = {dz:.1e}, classes identical")
    print_rss("snt_geo hotspot_grid + significant cells' polygons", a)
    print_rss("libpysal DistanceBand + esda G_Local", b)
    print_ratio(a, b)


if __name__ == "__main__":
    main()
