"""Map fixtures: a headless Chromium with the network blocked, and small real-data layer inputs.

In CI (``CI=true``) a missing browser or driver FAILS the browser tests instead of skipping them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

CHROMEDRIVER = os.environ.get("SNT_CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    # Block the network: every proxied request goes to a closed port, every host name fails.
    "--proxy-server=127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--window-size=1200,900",
)
EVIL = "<img src=x onerror=alert(1)>"


def _missing_browser(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"headless browser unavailable in CI: {reason}")
    pytest.skip(f"headless browser unavailable: {reason}")


@dataclass
class Page:
    """What a loaded page reported: console entries (level, message) and the driver."""

    driver: object
    console: list[dict]

    @property
    def errors(self) -> list[dict]:
        return [e for e in self.console if e["level"] in ("SEVERE", "ERROR")]

    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session, fresh profile, network blocked."""
    yield from _chromium(CHROMIUM_FLAGS)


@pytest.fixture(scope="module")
def painting_browser():
    """Headless Chromium at 1400x1000 that paints the whole page into screenshots.

    Without ``--force-gpu-mem-available-mb`` headless Chromium runs out of tile memory and
    paints only the top few hundred pixels of a large map: a screenshot artefact, not a page bug.
    """
    flags = [f for f in CHROMIUM_FLAGS if not f.startswith("--window-size")]
    yield from _chromium((*flags, "--window-size=1400,1000", "--force-gpu-mem-available-mb=2048"))


def read_png(data: bytes) -> np.ndarray:
    """Decode an 8-bit RGB or RGBA PNG (as Chromium writes screenshots) to a (rows, cols, 4) array.

    zlib + numpy only (PNG specification, W3C 2003, sections 9 and 11): concatenated IDAT
    chunks are inflated and each scanline is unfiltered (None, Sub, Up, Average, Paeth).
    """
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(data):
        n = int.from_bytes(data[pos : pos + 4], "big")
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + n]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + n
    width, height = int.from_bytes(header[0:4], "big"), int.from_bytes(header[4:8], "big")
    depth, colour, interlace = header[8], header[9], header[12]
    assert depth == 8 and colour in (2, 6) and interlace == 0, "unsupported PNG"
    bpp = 4 if colour == 6 else 3
    stride = width * bpp
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8)
    raw = raw.reshape(height, stride + 1)
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int32)
    for r in range(height):
        kind, line = raw[r, 0], raw[r, 1:].astype(np.int32)
        if kind == 0:
            cur = line
        elif kind == 2:
            cur = (line + prev) & 255
        elif kind == 1:
            # Sub: running sum per channel, so a cumulative sum along each channel's bytes.
            cur = (np.cumsum(line.reshape(width, bpp), axis=0) & 255).reshape(stride)
        else:
            cur = line.copy()
            for i in range(0, stride, bpp):
                a = cur[i - bpp : i] if i else np.zeros(bpp, dtype=np.int32)
                b = prev[i : i + bpp]
                if kind == 3:
                    pred = (a + b) >> 1
                else:
                    c = prev[i - bpp : i] if i else np.zeros(bpp, dtype=np.int32)
                    p = a + b - c
                    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
                    pred = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
                cur[i : i + bpp] = (cur[i : i + bpp] + pred) & 255
        out[r] = cur
        prev = cur.astype(np.int32)
    pixels = out.reshape(height, width, bpp)
    if bpp == 3:
        pixels = np.concatenate([pixels, np.full((height, width, 1), 255, np.uint8)], axis=2)
    return pixels


def _chromium(flags):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:  # pragma: no cover - depends on the environment
        _missing_browser(f"selenium is not installed ({exc})")
    binary = next((p for p in CHROMIUM_CANDIDATES if Path(p).exists()), None)
    if binary is None or not Path(CHROMEDRIVER).exists():
        _missing_browser(f"need Chromium ({CHROMIUM_CANDIDATES}) and {CHROMEDRIVER}")
    profile = tempfile.mkdtemp(prefix="snt-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (*flags, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    except Exception as exc:  # pragma: no cover - depends on the environment
        shutil.rmtree(profile, ignore_errors=True)
        _missing_browser(f"Chromium did not start: {exc}")
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def open_page(browser):
    """Open a local HTML file; return a :class:`Page` with that page's console entries."""

    def _open(path: Path) -> Page:
        browser.get_log("browser")  # drop entries from earlier pages
        browser.get("about:blank")
        browser.get(Path(path).resolve().as_uri())
        return Page(driver=browser, console=browser.get_log("browser"))

    return _open


# ----------------------------------------------------------------------------- real-data inputs


@pytest.fixture(scope="session")
def city_wards(shared_data):
    """The 25 City of London wards (EPSG:27700), with a rate column and one hostile name."""
    from snt_geo.io import read_wards

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        wards = read_wards(
            shared_data / "gla-statistical-gis-boundaries-london" / "ESRI" / "London_Ward.shp"
        )
    wards = wards[wards["borough_code"] == "E09000001"].copy()
    wards["burglary_rate_per_1000"] = np.linspace(1.0, 25.0, len(wards))
    return wards


@pytest.fixture(scope="session")
def city_incidents(shared_data):
    """City of London police.uk incidents for 2019 (EPSG:27700 points)."""
    from snt_geo.io import read_police_uk

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return read_police_uk(
            shared_data / "police-uk-city-of-london" / "street",
            months=[f"2019-{m:02d}" for m in range(1, 13)],
        )


def grid_cells(incidents: gpd.GeoDataFrame, *, cell_size_m: float = 100.0) -> gpd.GeoDataFrame:
    """Square cells with incident counts, a z-score stand-in and a Gi*-style class per cell.

    The classes here only exercise drawing; the statistics belong to the hotspot module's tests.
    """
    x, y = incidents.geometry.x.to_numpy(), incidents.geometry.y.to_numpy()
    ix = np.floor(x / cell_size_m).astype(int)
    iy = np.floor(y / cell_size_m).astype(int)
    keys, counts = np.unique(np.column_stack([ix, iy]), axis=0, return_counts=True)
    z = (counts - counts.mean()) / counts.std()
    classes = np.select(
        [z > 2.58, z > 1.96, z > 1.65, z < -2.58, z < -1.96, z < -1.65],
        ["hot_99", "hot_95", "hot_90", "cold_99", "cold_95", "cold_90"],
        "not_significant",
    )
    x0, y0 = keys[:, 0] * cell_size_m, keys[:, 1] * cell_size_m
    return gpd.GeoDataFrame(
        {
            "incident_count": counts,
            "gi_star_z": z,
            "p_value": np.full(len(z), 0.01),
            "hotspot_class": classes,
            "density_per_km2": counts / (cell_size_m / 1000) ** 2,
        },
        geometry=shapely.box(x0, y0, x0 + cell_size_m, y0 + cell_size_m),
        crs="EPSG:27700",
    )


@pytest.fixture(scope="session")
def city_cells(city_incidents, city_wards):
    """100 m cells over the City with counts and Gi*-style classes (see :func:`grid_cells`).

    The City of London Police file holds a few snap points far outside the City; cells are
    built from the incidents inside the City wards' bounding box.
    """
    xmin, ymin, xmax, ymax = city_wards.total_bounds
    return grid_cells(city_incidents.cx[xmin:xmax, ymin:ymax])


@pytest.fixture(scope="session")
def png_reader():
    """:func:`read_png`, for test modules (conftest is not importable by name)."""
    return read_png


def check_offline_load(driver, console) -> None:
    """The page has Leaflet 1.9.4, no console error, and fetched nothing from the network."""
    assert driver.execute_script("return typeof L !== 'undefined' && L.version") == "1.9.4"
    assert [e for e in console if e["level"] in ("SEVERE", "ERROR")] == []
    # Nothing was fetched from the network (only the page itself and data: URIs).
    urls = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(u => !u.startsWith('data:'))"
    )
    assert urls == []


@pytest.fixture(scope="session")
def offline_load_check():
    """:func:`check_offline_load`, for test modules."""
    return check_offline_load


@pytest.fixture(scope="session")
def sample_assessment():
    """The bundled sample's full assessment (2023-01..06, every input, 99 permutations, rng 7).

    What the printed briefing, the Word report and the paper map are drawn from; built once.
    """
    from snt_geo.datasets import load_sample
    from snt_geo.tasking import tasking_assessment

    sample = load_sample()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return tasking_assessment(
            sample.wards,
            sample.incidents,
            demographics=sample.demographics,
            estates=sample.estates,
            priorities=sample.priorities,
            period=("2023-01", "2023-06"),
            permutations=99,
            rng=7,
        )
