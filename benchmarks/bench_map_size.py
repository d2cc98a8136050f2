"""Map size and load time: snt_geo's aggregated offline map vs a plain folium marker map.

Data: the real Met police.uk burglary snap points for 2019 (78,997), replicated with Gaussian
jitter (sd 40 m, fixed rng) to ~1M incidents -- a London-scale year.

- ours: ward outlines + ward choropleth (incidents per km2) + Gi* hotspot cells (250 m grid,
  significant cells drawn; canvas renderer from 2,000 cells) + KDE surface (100 m grid, one PNG),
  via make_map + save_offline_html.
  The Gi* z-scores and the binned KDE are computed here with numpy/scipy only to feed the map;
  their statistics are tested in the linkage modules, not here.
- peer: folium.Map with one CircleMarker per incident, saved with Map.save. folium at 50k markers
  already makes a ~24 MB file, so the peer runs at 50k (not 1M); ours runs at 50k and at ~1M.

Load time (``benchmarks/_browser.py``): a fresh headless Chromium with the network blocked (same
flags as the tests) opens the file; we report the Navigation Timing loadEventEnd and the time of
the second animation frame after it ("painted": SVG layers exist at load, canvas layers paint on
the next frame), both in ms from navigation start. The peer's saved file loads Leaflet from CDNs,
which the blocked browser cannot reach, so for its load time the CDN tags are replaced by the same
inlined Leaflet (its size is reported as folium wrote it). Median of 3 loads.

Memory: peak Python heap during build + save, measured with tracemalloc in a separate pass (so the
timed pass runs without tracemalloc overhead).

Run (heavy, ~2 min, a few GB): flock /tmp/snt_bench.lock python benchmarks/bench_map_size.py
Smoke run (seconds): python benchmarks/bench_map_size.py --quick  (a random 3,000 of one jittered
replica; ours and the peer on the same 3,000, one load per page)
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import ndimage, stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _browser import build_folium_peer, load_times, offline_copy_of_peer  # noqa: E402
from _common import read_gla_wards, read_met_burglary_2019  # noqa: E402

from snt_geo.maps.compose import make_map  # noqa: E402
from snt_geo.maps.layers import (  # noqa: E402
    draw_hotspot_cells,
    draw_kde_surface,
    draw_ward_choropleth,
    draw_ward_outlines,
)
from snt_geo.maps.offline import save_offline_html  # noqa: E402
from snt_geo.profile.assignment import assign_wards  # noqa: E402

OUT = Path(tempfile.mkdtemp(prefix="snt-bench-map-"))
N_TARGET = 1_000_000
N_PEER = 50_000


def load_inputs() -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray]:
    wards = read_gla_wards()
    burglary = read_met_burglary_2019()
    x0, y0 = burglary.geometry.x.to_numpy(), burglary.geometry.y.to_numpy()
    reps = int(np.ceil(N_TARGET / len(x0)))
    rng = np.random.default_rng(20190101)
    x = np.tile(x0, reps) + rng.normal(0, 40, len(x0) * reps)
    y = np.tile(y0, reps) + rng.normal(0, 40, len(y0) * reps)
    return wards, x, y


def gi_star_cells(x, y, london, *, cell_m: float = 250.0) -> gpd.GeoDataFrame:
    """Counts on a grid over London and Getis-Ord Gi* z (queen neighbours + self, binary)."""
    xmin, ymin, xmax, ymax = london.bounds
    nx, ny = int(np.ceil((xmax - xmin) / cell_m)), int(np.ceil((ymax - ymin) / cell_m))
    counts, _, _ = np.histogram2d(
        y, x, bins=[ny, nx], range=[[ymin, ymin + ny * cell_m], [xmin, xmin + nx * cell_m]]
    )
    cx = xmin + (np.arange(nx) + 0.5) * cell_m
    cy = ymin + (np.arange(ny) + 0.5) * cell_m
    gx, gy = np.meshgrid(cx, cy)
    inside = shapely.contains_xy(london, gx, gy)
    v = np.where(inside, counts, 0.0)
    w = inside.astype(float)
    kernel = np.ones((3, 3))
    lag = ndimage.convolve(v, kernel, mode="constant")
    wsum = ndimage.convolve(w, kernel, mode="constant")
    n = inside.sum()
    mean = v[inside].mean()
    s = np.sqrt((v[inside] ** 2).mean() - mean**2)
    with np.errstate(invalid="ignore", divide="ignore"):  # cells outside London: 0/0, dropped
        z = (lag - mean * wsum) / (s * np.sqrt((n * wsum - wsum**2) / (n - 1)))
    z, c = z[inside], counts[inside]
    p = 2 * stats.norm.sf(np.abs(z))
    az = np.abs(z)
    sign = np.where(z > 0, "hot", "cold")
    level = np.select([az >= 2.576, az >= 1.960, az >= 1.645], ["_99", "_95", "_90"], "")
    cls = np.where(level == "", "not_significant", np.char.add(sign, level))
    x0, y0 = gx[inside] - cell_m / 2, gy[inside] - cell_m / 2
    return gpd.GeoDataFrame(
        {"incident_count": c.astype(int), "gi_star_z": z, "p_value": p, "hotspot_class": cls},
        geometry=shapely.box(x0, y0, x0 + cell_m, y0 + cell_m),
        crs="EPSG:27700",
    )


def kde_cells(x, y, london, *, cell_m: float = 100.0, bandwidth_m: float = 300.0):
    """Binned Gaussian KDE (density per km2) on a grid over London, positive cells only."""
    xmin, ymin, xmax, ymax = london.bounds
    nx, ny = int(np.ceil((xmax - xmin) / cell_m)), int(np.ceil((ymax - ymin) / cell_m))
    counts, _, _ = np.histogram2d(
        y, x, bins=[ny, nx], range=[[ymin, ymin + ny * cell_m], [xmin, xmin + nx * cell_m]]
    )
    dens = ndimage.gaussian_filter(counts, bandwidth_m / cell_m, mode="constant")
    dens = dens / (cell_m / 1000) ** 2
    keep = dens > dens.max() * 0.02
    jj, ii = np.nonzero(keep)
    x0, y0 = xmin + ii * cell_m, ymin + jj * cell_m
    return gpd.GeoDataFrame(
        {"density_per_km2": dens[keep]},
        geometry=shapely.box(x0, y0, x0 + cell_m, y0 + cell_m),
        crs="EPSG:27700",
    )


def build_ours(wards, x, y, path: Path) -> dict:
    london = wards.geometry.union_all()
    incidents = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs="EPSG:27700")
    ward_of = assign_wards(incidents, wards)
    per_ward = ward_of.value_counts().reindex(wards.index, fill_value=0)
    w = wards.assign(incidents_per_km2=per_ward.to_numpy() / (wards.area.to_numpy() / 1e6))
    cells = gi_star_cells(x, y, london)
    kde = kde_cells(x, y, london)
    layers = [
        draw_ward_outlines(w),
        draw_ward_choropleth(w, column="incidents_per_km2", name="Burglary per km2"),
        draw_kde_surface(kde),
        draw_hotspot_cells(cells),
    ]
    m = make_map(*layers, title="Burglary 2019 (replicated)")
    save_offline_html(m, path, title="bench")
    return {
        "cells_total": int(cells["incident_count"].sum()),
        "in_wards": int(ward_of.notna().sum()),
        "drawn_cells": layers[3].info.n_drawn,
        "kde_image": layers[2].info.choices["image_shape"],
    }


def build_peer(x, y, path: Path) -> dict:
    pts = gpd.GeoSeries(gpd.points_from_xy(x, y), crs="EPSG:27700").to_crs(4326)
    return {"markers": build_folium_peer(pts.y.to_numpy(), pts.x.to_numpy(), path)}


def timed(fn, *args) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t, out


def peak_mb(fn, *args) -> float:
    tracemalloc.start()
    fn(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def main() -> None:
    global N_TARGET, N_PEER
    quick = "--quick" in sys.argv
    repeats = 3
    if quick:  # a smoke run: a few thousand incidents, peer at the same size, one load each
        N_TARGET, N_PEER, repeats = 3_000, 3_000, 1
    wards, x, y = load_inputs()
    rng = np.random.default_rng(7)
    if quick:  # one replica (78,997) was built; keep a random N_TARGET of it
        keep = np.sort(rng.choice(len(x), N_TARGET, replace=False))
        x, y = x[keep], y[keep]
    n = len(x)
    pick = rng.choice(n, min(N_PEER, n), replace=False)
    xs, ys = x[pick], y[pick]
    n_peer = len(xs)
    print(
        f"incidents: {n:,} (Met burglary 2019 x {max(n // 78_997, 1)}"
        f"{', random subset' if quick else ''}, jitter sd 40 m); peer {n_peer:,}"
    )
    print(f"output folder: {OUT}")

    small, peer_label = f"ours {n_peer / 1000:g}k", f"folium {n_peer / 1000:g}k markers"
    pages = [
        (small, build_ours, (wards, xs, ys), "ours_small.html"),
        (peer_label, build_peer, (xs, ys), "peer_small.html"),
    ]
    big_label = f"ours {n / 1e6:.0f}M" if n >= 500_000 else f"ours {n // 1000}k"
    if n > n_peer:
        pages.insert(0, (big_label, build_ours, (wards, x, y), "ours_big.html"))
    rows, raw, infos = [], {}, {}
    for label, fn, args, fname in pages:
        path = OUT / fname
        seconds, info = timed(fn, *args, path)
        size_mb = path.stat().st_size / 1e6
        is_peer = fn is build_peer
        load_path = offline_copy_of_peer(path) if is_peer else path
        timing = load_times(load_path, repeats=repeats, page_load_timeout_s=300)
        mem = peak_mb(fn, *args, OUT / ("mem_" + fname))
        raw[label] = {"seconds": seconds, "heap_mb": mem}
        rows.append(
            {
                "map": label,
                "incidents": len(args[-1]),
                "build+save_s": round(seconds, 1),
                "peak_heap_MB": round(mem),
                "html_MB": round(size_mb, 2),
                "load_event_ms": round(timing["load_event_ms"]),
                "painted_ms": round(timing["painted_ms"]),
                "svg_paths": timing["svg_paths"],
                "console_errors": timing["errors"],
            }
        )
        infos[label] = info
        print(label, info, flush=True)
        if is_peer:
            assert timing["svg_paths"] == n_peer, (timing["svg_paths"], n_peer)
        else:
            # Agreement: every incident is in the Gi* grid's counts (those inside London's cells).
            n_in = len(args[-1])
            assert 0.97 * n_in < info["cells_total"] <= n_in, info
    table = pd.DataFrame(rows).set_index("map")
    print()
    print(table.to_string())
    a, b = table.loc[small], table.loc[peer_label]
    ra, rb = raw[small], raw[peer_label]
    print()
    print(
        f"agree: the Gi* grid counted {infos[small]['cells_total']:,} of {n_peer:,} incidents "
        f"(> 97%, the rest fall outside London's cells) and folium drew {int(b.svg_paths):,} "
        f"markers for {n_peer:,} incidents"
    )
    print(
        f"at {n_peer:,} incidents: folium/ours size {b.html_MB / a.html_MB:.1f}x, "
        f"speed-up {rb['seconds'] / ra['seconds']:.1f}x (build+save), "
        f"painted {b.painted_ms / a.painted_ms:.1f}x, "
        f"memory ratio {rb['heap_mb'] / ra['heap_mb']:.1f} (peak heap)"
    )
    if n > n_peer:
        big = table.loc[big_label]
        print(
            f"{big_label} vs folium at {n_peer // 1000}k: size {big.html_MB / b.html_MB:.2f}x, "
            f"painted {big.painted_ms / b.painted_ms:.2f}x"
        )
        print(
            f"targets at 1M: html < 15 MB -> {big.html_MB < 15}; "
            f"painted < 3000 ms -> {big.painted_ms < 3000}"
        )
    print(
        "memory: tracemalloc peak (Python heap incl. numpy), separate untimed pass; "
        f"loads per page: {repeats} (median)"
    )
    print(f"python {sys.version.split()[0]}, folium {folium.__version__}")


if __name__ == "__main__":
    main()
