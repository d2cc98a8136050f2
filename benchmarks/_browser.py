"""Shared plumbing of the map benchmarks: headless Chromium load timing and the folium peer.

Load timing. Every load starts a fresh headless Chromium (``/usr/bin/chromium`` through
``/usr/bin/chromedriver``) with a fresh profile and the network blocked (`FLAGS`, the same flags
as the tests), opens the file and reports, in ms from navigation start:

- ``load_event_ms``: Navigation Timing ``loadEventEnd``;
- ``painted_ms``: the time of the second animation frame after load (SVG layers exist at load,
  canvas layers paint on the next frame); includes a few ms of driver latency.

Medians over the loads. Counts (drawn features, console errors) are those of the last load.

Peer. `build_folium_peer` writes a ``folium.Map`` with one ``CircleMarker`` per incident, saved
with ``Map.save``; `offline_copy_of_peer` swaps its CDN tags for the same inlined Leaflet that
snt_geo's pages carry, so the blocked browser can load it.
"""

from __future__ import annotations

import re
import shutil
import statistics
import tempfile
from pathlib import Path

import folium
import numpy as np

from snt_geo.maps.offline import find_remote_references, leaflet_assets

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
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

_PAINTED_JS = (
    "var done = arguments[0];"
    "requestAnimationFrame(function () { requestAnimationFrame(function () {"
    "  done(performance.now()); }); });"
)
_LOAD_EVENT_JS = "return performance.getEntriesByType('navigation')[0].loadEventEnd"
# Vector features Leaflet created (SVG paths and canvas-drawn shapes alike).
_LEAFLET_PATHS_JS = (
    "var n = 0; var seen = new Set();"
    "Object.values(window).forEach(function (v) {"
    "  if (v instanceof L.Map) { v.eachLayer(function (l) {"
    "    if (l instanceof L.Path && !seen.has(l)) { seen.add(l); n += 1; } }); } });"
    "return n;"
)
# SVG paths in the map panes (the attribution's flag icon is an SVG too; not counted).
_SVG_PATHS_JS = "return document.querySelectorAll('.leaflet-pane path').length"


def load_times(path: Path, *, repeats: int = 3, page_load_timeout_s: float = 600) -> dict:
    """Load `path` in `repeats` fresh headless Chromiums; median timings and last-load counts.

    Parameters
    ----------
    path : Path
        The HTML file to open (as a ``file://`` URI).
    repeats : int, default 3
        Number of loads, each in a new browser with a new profile.
    page_load_timeout_s : float, default 600
        Selenium page-load timeout, in seconds.

    Returns
    -------
    dict
        ``load_event_ms`` and ``painted_ms`` (medians, ms from navigation start),
        ``leaflet_paths`` (``L.Path`` layers on the page's maps, SVG or canvas), ``svg_paths``
        (``path`` elements in the Leaflet panes) and ``errors`` (SEVERE console entries).
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if repeats < 1:
        raise ValueError(f"repeats={repeats!r}: need at least one load; pass repeats=1 or more")
    painted, loaded, last = [], [], {}
    for _ in range(repeats):
        profile = tempfile.mkdtemp(prefix="snt-bench-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for f in (*FLAGS, f"--user-data-dir={profile}"):
            opts.add_argument(f)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        d.set_page_load_timeout(page_load_timeout_s)
        try:
            d.get(path.resolve().as_uri())
            painted.append(d.execute_async_script(_PAINTED_JS))
            loaded.append(d.execute_script(_LOAD_EVENT_JS))
            last = {
                "leaflet_paths": d.execute_script(_LEAFLET_PATHS_JS),
                "svg_paths": d.execute_script(_SVG_PATHS_JS),
                "errors": sum(e["level"] == "SEVERE" for e in d.get_log("browser")),
            }
        finally:
            d.quit()
            shutil.rmtree(profile, ignore_errors=True)
    return {
        "load_event_ms": statistics.median(loaded),
        "painted_ms": statistics.median(painted),
        **last,
    }


def build_folium_peer(lat: np.ndarray, lon: np.ndarray, path: Path) -> int:
    """The peer page: one folium ``CircleMarker`` per point (EPSG:4326 degrees); marker count."""
    m = folium.Map(location=[51.5, -0.12], zoom_start=10, tiles=None)
    for a, b in zip(lat, lon, strict=True):
        folium.CircleMarker([a, b], radius=2, weight=0, fill=True, fill_opacity=0.5).add_to(m)
    m.save(str(path))
    return len(lat)


def offline_copy_of_peer(path: Path) -> Path:
    """A copy of folium's page with its CDN tags replaced by the inlined Leaflet (``*_offline``)."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"<script src=\"https?://[^\"]+\"></script>", "", text)
    text = re.sub(r"<link rel=\"stylesheet\" href=\"https?://[^\"]+\"/>", "", text)
    text = text.replace("<head>", "<head>" + leaflet_assets().head_html(), 1)
    assert find_remote_references(text) == [], find_remote_references(text)[:3]
    out = path.with_name(path.stem + "_offline.html")
    out.write_text(text, encoding="utf-8")
    return out
