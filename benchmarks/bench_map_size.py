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

Load time: a fresh headless Chromium with the network blocked (same flags as the tests) opens the
file; we report the Navigation Timing loadEventEnd and the time of the second animation frame
after it ("painted": SVG layers exist at load, canvas layers paint on the next frame), both in ms
from navigation start. The peer's
saved file loads Leaflet from CDNs, which the blocked browser cannot reach, so for its load time
the CDN tags are replaced by the same inlined Leaflet (its size is reported as folium wrote it).
Median of 3 loads.

Memory: peak Python heap during build + save, measured with tracemalloc in a separate pass (so the
timed pass runs without tracemalloc overhead).

Run (heavy, ~2 min, a few GB): flock /tmp/snt_bench.lock python benchmarks/bench_map_size.py
"""

from __future__ import annotations

import re
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import ndimage, stats

from snt_geo.io import read_police_uk, read_wards
from snt_geo.maps.compose import make_map
from snt_geo.maps.layers import (
    draw_hotspot_cells,
    draw_kde_surface,
    draw_ward_choropleth,
    draw_ward_outlines,
)
from snt_geo.maps.offline import find_remote_references, leaflet_assets, save_offline_html
from snt_geo.profile.assignment import assign_wards

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
OUT = Path(tempfile.mkdtemp(prefix="snt-bench-map-"))
N_TARGET = 1_000_000
N_PEER = 50_000
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--proxy-server=127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--window-size=1200,900",
)


def load_inputs() -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        wards = read_wards(
            DATA / "gla-statistical-gis-boundaries-london" / "ESRI" / "London_Ward_CityMerged.shp"
        )
        burglary = read_police_uk(
            DATA / "police-uk-metropolitan-street-burglary-only",
            months=[f"2019-{m:02d}" for m in range(1, 13)],
        )
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
    lon, lat = (
        gpd.GeoSeries(gpd.points_from_xy(x, y), crs="EPSG:27700")
        .to_crs(4326)
        .pipe(lambda s: (s.x.to_numpy(), s.y.to_numpy()))
    )
    m = folium.Map(location=[51.5, -0.12], zoom_start=10, tiles=None)
    for a, b in zip(lat, lon, strict=True):
        folium.CircleMarker([a, b], radius=2, weight=0, fill=True, fill_opacity=0.5).add_to(m)
    m.save(str(path))
    return {"markers": len(lat)}


def offline_copy_of_peer(path: Path) -> Path:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"<script src=\"https?://[^\"]+\"></script>", "", text)
    text = re.sub(r"<link rel=\"stylesheet\" href=\"https?://[^\"]+\"/>", "", text)
    text = text.replace("<head>", "<head>" + leaflet_assets().head_html(), 1)
    assert find_remote_references(text) == [], find_remote_references(text)[:3]
    out = path.with_name(path.stem + "_offline.html")
    out.write_text(text, encoding="utf-8")
    return out


def load_times(path: Path, *, repeats: int = 3) -> tuple[float, float, int, int]:
    """Median ms to first paint after load and to loadEventEnd, SVG path count, console errors.

    A fresh browser (fresh profile) per load.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    times, load_end, paths, errors = [], [], 0, 0
    for _ in range(repeats):
        profile = tempfile.mkdtemp(prefix="snt-bench-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = "/usr/bin/chromium"
        for f in (*FLAGS, f"--user-data-dir={profile}"):
            opts.add_argument(f)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
        d.set_page_load_timeout(300)
        try:
            d.get(path.resolve().as_uri())
            # Time to the first frame painted after the load event (canvas layers draw on an
            # animation frame), in ms from navigation start; includes a few ms of driver latency.
            times.append(
                d.execute_async_script(
                    "var done = arguments[0];"
                    "requestAnimationFrame(function () { requestAnimationFrame(function () {"
                    "  done(performance.now()); }); });"
                )
            )
            load_end.append(
                d.execute_script(
                    "return performance.getEntriesByType('navigation')[0].loadEventEnd"
                )
            )
            # Paths in the map panes (the attribution's flag icon is an SVG too; not counted).
            paths = d.execute_script(
                "return document.querySelectorAll('.leaflet-pane path').length"
            )
            errors = sum(e["level"] == "SEVERE" for e in d.get_log("browser"))
        finally:
            d.quit()
            shutil.rmtree(profile, ignore_errors=True)
    return statistics.median(times), statistics.median(load_end), paths, errors


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
    if "--quick" in sys.argv:  # a smoke run of the script itself
        N_TARGET, N_PEER = 100_000, 2_000
    wards, x, y = load_inputs()
    n = len(x)
    rng = np.random.default_rng(7)
    pick = rng.choice(n, N_PEER, replace=False)
    xs, ys = x[pick], y[pick]
    print(f"incidents: {n:,} (Met burglary 2019 x {n // 78_997}, jitter sd 40 m); peer {N_PEER:,}")
    print(f"output folder: {OUT}")

    rows = []
    for label, fn, args, fname in [
        ("ours 1M", build_ours, (wards, x, y), "ours_1m.html"),
        ("ours 50k", build_ours, (wards, xs, ys), "ours_50k.html"),
        ("folium 50k markers", build_peer, (xs, ys), "peer_50k.html"),
    ]:
        path = OUT / fname
        seconds, info = timed(fn, *args, path)
        size_mb = path.stat().st_size / 1e6
        load_path = offline_copy_of_peer(path) if label.startswith("folium") else path
        load_ms, load_event_ms, n_paths, n_err = load_times(load_path)
        mem = peak_mb(fn, *args, OUT / ("mem_" + fname))
        rows.append(
            {
                "map": label,
                "incidents": len(args[-1]),
                "build+save_s": round(seconds, 1),
                "peak_heap_MB": round(mem),
                "html_MB": round(size_mb, 2),
                "load_event_ms": round(load_event_ms),
                "painted_ms": round(load_ms),
                "svg_paths": n_paths,
                "console_errors": n_err,
            }
        )
        print(label, info, flush=True)
        if label == "ours 1M":
            # Agreement: every incident is in the Gi* grid's counts (those inside London's cells).
            assert info["cells_total"] <= n and info["cells_total"] > 0.97 * n, info
        if label == "ours 50k":
            assert info["cells_total"] > 0.97 * N_PEER, info
        if label.startswith("folium"):
            assert n_paths == N_PEER, (n_paths, N_PEER)
    table = pd.DataFrame(rows).set_index("map")
    print()
    print(table.to_string())
    a, b = table.loc["ours 50k"], table.loc["folium 50k markers"]
    big = table.loc["ours 1M"]
    print()
    print(
        f"at 50k incidents: folium/ours size {b.html_MB / a.html_MB:.1f}x, "
        f"build+save {b['build+save_s'] / a['build+save_s']:.1f}x, "
        f"painted {b.painted_ms / a.painted_ms:.1f}x, "
        f"peak heap {b.peak_heap_MB / a.peak_heap_MB:.1f}x"
    )
    print(
        f"ours at 1M vs folium at 50k: size {big.html_MB / b.html_MB:.2f}x, "
        f"painted {big.painted_ms / b.painted_ms:.2f}x"
    )
    print(
        f"targets at 1M: html < 15 MB -> {big.html_MB < 15}; "
        f"painted < 3000 ms -> {big.painted_ms < 3000}"
    )
    print("memory: tracemalloc peak (Python heap incl. numpy), separate untimed pass")
    print(f"python {sys.version.split()[0]}, folium {folium.__version__}")


if __name__ == "__main__":
    main()
