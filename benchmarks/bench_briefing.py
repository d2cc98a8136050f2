"""The TTCG briefing at London scale: HTML size and load time against a plain folium marker map.

Data: a year of London-scale incidents, ~1M rows built from the real Met police.uk burglary snap
points of 2019 (78,997 rows) by ``benchmarks._common.replicate_rows``: each replica of the year
moves every distinct snap point by its own uniform offset (up to 150 m), so the rows keep the real
ratio of rows to distinct locations (about 2.2). Wards: GLA ``London_Ward_CityMerged`` (625);
residents: GLA ward profiles 2015.

- ours: ``tasking_briefing`` (profile, suggested priorities, Gi* hotspots, DBSCAN clusters,
  cross-border hotspots, shared priorities; no estates, so no links) + ``Briefing.save``: one
  self-contained page with the map, tables and method note. Burglary has no ASB or street crime,
  so the briefing falls back to Gi* on all incidents (recorded in its method note).
- peer: ``folium.Map`` with one ``CircleMarker`` per incident, saved with ``Map.save``. folium at
  1M markers is unusable (a 50k-marker file is already ~24 MB and takes seconds to save and
  load), so the peer runs on a random 50k of the same incidents; ours runs at 50k and at 1M.

Load time (``benchmarks/_browser.py``): a fresh headless Chromium per load (fresh profile),
network blocked (same flags as the tests); Navigation Timing ``loadEventEnd`` and the time of the
second animation frame after load ("painted"), in ms from navigation start; median of 3 loads.
folium's page loads Leaflet, jQuery and Bootstrap from CDNs, which the blocked browser cannot
reach, so for its load time those tags are replaced by the same inlined Leaflet (its size is
reported as folium wrote it).

Memory: peak resident set size (RSS, from /proc/self/status, sampled every 20 ms in a thread)
during build + save, minus the RSS before; both builds run in this one process.

Run (heavy: ~2 min, a few GB): flock /tmp/snt_bench.lock python benchmarks/bench_briefing.py
Smoke run (seconds): python benchmarks/bench_briefing.py --quick  (3,000 incidents, ours and the
peer on the same 3,000, one load per page)
"""

from __future__ import annotations

import re
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import folium
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _browser import build_folium_peer, load_times, offline_copy_of_peer  # noqa: E402
from _common import (  # noqa: E402
    GLA_WARDS,
    SHARED,
    real_met_burglary_2019,
    replicate_rows,
    rss_bytes,
)

from snt_geo.io import incidents_from_frame, read_demographics, read_wards  # noqa: E402
from snt_geo.maps.briefing import tasking_briefing  # noqa: E402
from snt_geo.maps.offline import find_remote_references  # noqa: E402

N_TARGET = 1_000_000
N_PEER = 50_000
OUT = Path(tempfile.mkdtemp(prefix="snt-bench-briefing-"))
WARD_PROFILES = SHARED / "gla-ward-profiles-2015" / "ward-profiles-excel-version.csv"


class PeakRSS:
    """Peak RSS above the level at entry, sampled every 20 ms in a background thread."""

    def __enter__(self):
        self.base = rss_bytes()
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            time.sleep(0.02)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())
        self.delta = self.peak - self.base


def load_inputs(n_rows: int):
    raw = real_met_burglary_2019()
    rows, ratio = replicate_rows(raw, n_rows, jitter_m=150.0, seed=0)
    rows = rows.dropna(subset=["Longitude", "Latitude"]).reset_index(drop=True)
    frame = rows.rename(columns={"Location": "location", "LSOA code": "lsoa_code"})[
        ["Month", "Longitude", "Latitude", "Crime type", "location", "lsoa_code"]
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        incidents = incidents_from_frame(
            frame,
            x="Longitude",
            y="Latitude",
            crs="EPSG:4326",
            month="Month",
            crime_type="Crime type",
        )
        wards = read_wards(GLA_WARDS)
        demographics = read_demographics(WARD_PROFILES, wards=wards)
    return incidents, ratio, wards, demographics


def build_ours(incidents, wards, demographics, path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        briefing = tasking_briefing(wards, incidents, demographics=demographics, rng=1)
    briefing.save(path)
    return briefing


def build_peer(incidents, path: Path) -> int:
    pts = incidents.geometry.to_crs(4326)
    return build_folium_peer(pts.y.to_numpy(), pts.x.to_numpy(), path)


def main() -> None:
    global N_TARGET, N_PEER
    quick = "--quick" in sys.argv
    repeats = 3
    if quick:  # a smoke run: a few thousand incidents, peer at the same size, one load each
        N_TARGET, N_PEER, repeats = 3_000, 3_000, 1
    incidents, ratio, wards, demographics = load_inputs(N_TARGET)
    n = len(incidents)
    rng = np.random.default_rng(7)
    subset = incidents.iloc[np.sort(rng.choice(n, min(N_PEER, n), replace=False))]
    n_peer = len(subset)
    print(
        f"incidents: {n:,} located rows (Met burglary 2019 replicas, per-replica jitter <= 150 m; "
        f"{ratio:.2f} rows per distinct location); wards: {len(wards)}; peer: {n_peer:,}"
    )
    print(f"output folder: {OUT}")
    rows = []
    raw = {}
    checks = {}
    pages = [
        (f"ours briefing {n_peer / 1000:g}k", "ours", subset),
        (f"folium {n_peer / 1000:g}k CircleMarkers", "peer", subset),
    ]
    if n > n_peer:
        pages.insert(0, (f"ours briefing {n // 1000}k", "ours", incidents))
    for label, kind, data in pages:
        path = OUT / (re.sub(r"\W+", "_", label) + ".html")
        with PeakRSS() as mem:
            t = time.perf_counter()
            if kind == "ours":
                result = build_ours(data, wards, demographics, path)
            else:
                result = build_peer(data, path)
            seconds = time.perf_counter() - t
        text = path.read_text(encoding="utf-8")
        load_path = offline_copy_of_peer(path) if kind == "peer" else path
        timing = load_times(load_path, repeats=repeats)
        if kind == "ours":
            acc = result.profile.method.accounting
            checks[label] = {
                "rows": acc["rows"],
                "in_period": acc["in_period"],
                "in_wards": acc["in_period_in_wards"],
                "outside": acc["in_period_outside_wards"],
                "hotspot_cells": int(sum(len(c) for c in result.hotspots.values())),
                "hot_cells": int(
                    sum(
                        c["hotspot_class"].astype(str).str.startswith("hot").sum()
                        for c in result.hotspots.values()
                    )
                ),
                "clusters": len(result.clusters),
                "remote_refs": len(find_remote_references(text)),
            }
            # Agreement: the briefing counted every incident it was given, once.
            assert acc["rows"] == len(data), (acc["rows"], len(data))
            assert acc["in_period_in_wards"] + acc["in_period_outside_wards"] == acc["in_period"]
            assert checks[label]["remote_refs"] == 0
        else:
            checks[label] = {"markers": result}
            assert timing["leaflet_paths"] == len(data), (timing["leaflet_paths"], len(data))
        raw[kind if data is subset else "big"] = {"seconds": seconds, "rss": mem.delta}
        rows.append(
            {
                "page": label,
                "incidents": len(data),
                "build+save_s": round(seconds, 1),
                "peak_rss_MB": round(mem.delta / 1e6),
                "html_MB": round(path.stat().st_size / 1e6, 2),
                "load_event_ms": round(timing["load_event_ms"]),
                "painted_ms": round(timing["painted_ms"]),
                "features_drawn": timing["leaflet_paths"],
                "console_errors": timing["errors"],
            }
        )
        print(label, checks[label], flush=True)
    table = pd.DataFrame(rows).set_index("page")
    print()
    print(table.to_string())
    small, peer = table.iloc[-2], table.iloc[-1]
    print()
    print(
        f"agree: every briefing counted each of its incidents once (rows == input, in wards + "
        f"outside == in period, no remote references); folium drew {int(peer.features_drawn):,} "
        f"markers for {n_peer:,} incidents"
    )
    print(
        f"at {n_peer:,} incidents: folium / ours: html {peer.html_MB / small.html_MB:.1f}x, "
        f"speed-up {raw['peer']['seconds'] / raw['ours']['seconds']:.1f}x (build+save), "
        f"painted {peer.painted_ms / small.painted_ms:.1f}x, memory ratio "
        f"{raw['peer']['rss'] / max(raw['ours']['rss'], 1):.2f} (peak RSS delta)"
    )
    if "big" in raw:
        big = table.iloc[0]
        print(
            f"ours at {n // 1000}k vs folium at {n_peer // 1000}k: html "
            f"{big.html_MB / peer.html_MB:.2f}x, painted {big.painted_ms / peer.painted_ms:.2f}x"
        )
        print(
            f"targets at ~1M: html < 15 MB -> {big.html_MB < 15}; "
            f"painted < 3000 ms -> {big.painted_ms < 3000}"
        )
    print(
        "memory: peak RSS above the level before each build (/proc/self/status, sampled every "
        f"20 ms); loads per page: {repeats} (median)"
    )
    print(f"python {sys.version.split()[0]}, folium {folium.__version__}, pandas {pd.__version__}")


if __name__ == "__main__":
    main()
