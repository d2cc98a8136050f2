"""Shared benchmark plumbing: Met-like inputs built from real rows, memory meters, child runs.

Inputs. The large inputs are built from the real Met burglary 2019 rows (../shared/data). Each
*replica* of the real year moves every distinct snap point by its own random offset (uniform up
to `jitter_m` metres in x and y, or Gaussian with sd `jitter_m`), and every row at that point moves
with it. Replicas therefore add new distinct locations while keeping the real ratio of rows to
distinct locations (about 2.2 in a year of Met burglary). Nothing is inflated: a location repeats
exactly as often as the real one does.

Memory. Two meters, and each script says which it prints:

- `measure`: peak of Python-heap allocations seen by tracemalloc plus the peak of pyarrow's memory
  pool, in this process (GEOS's own allocations are not seen).
- `run_in_child`: the side runs in its own child process; peak memory is the child's peak resident
  set size (VmHWM from /proc/self/status, reset through /proc/self/clear_refs just before the
  call) minus its resident size at that moment ("delta"), and the absolute peak. Process RSS sees
  numpy, GEOS and compiled-extension allocations alike.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import time
import traceback
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
MET_BURGLARY = SHARED / "police-uk-metropolitan-street-burglary-only"
GLA_WARDS = SHARED / "gla-statistical-gis-boundaries-london" / "ESRI" / "London_Ward_CityMerged.shp"
DATA_DIR = ROOT / "benchmarks" / "_data"
MONTHS_2019 = [f"2019-{m:02d}" for m in range(1, 13)]
# Quick runs use one borough: Westminster (E09000033), dense and small enough for every peer.
QUICK_BOROUGH = "E09000033"
QUICK_ROWS = 20_000


# --- inputs -------------------------------------------------------------------------------------


def real_met_burglary_2019() -> pd.DataFrame:
    """The raw police.uk rows (CSV columns) of Met street burglary 2019."""
    files = sorted(MET_BURGLARY.glob("2019-*-metropolitan-street.csv.gz"))
    return pd.concat([pd.read_csv(f) for f in files], ignore_index=True)


def read_met_burglary_2019():
    """Met street burglary 2019 through `read_police_uk` (78,997 incidents, EPSG:27700)."""
    from snt_geo.io import read_police_uk

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return read_police_uk(MET_BURGLARY, months=MONTHS_2019)


def read_gla_wards(*, borough_code: str | None = None):
    """The 625 GLA wards (London_Ward_CityMerged), or those of one borough."""
    from snt_geo.io import read_wards

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        wards = read_wards(GLA_WARDS)
    if borough_code is not None:
        wards = wards[wards["borough_code"] == borough_code]
    return wards


class Replicas(NamedTuple):
    """Rows built by `replicate_locations`.

    xy: (n_rows, 2) coordinates; location_id: one id per (replica, distinct location), so
    ``len(np.unique(location_id))`` is the number of distinct locations; replica: 0, 1, ... per row.
    """

    xy: np.ndarray
    location_id: np.ndarray
    replica: np.ndarray

    @property
    def rows_per_location(self) -> float:
        return len(self.xy) / len(np.unique(self.location_id))


def replicate_locations(
    xy: np.ndarray,
    *,
    n_rows: int,
    jitter_m: float,
    distribution: str = "uniform",
    keep_real: bool = True,
    rng: np.random.Generator,
) -> Replicas:
    """Replicate real coordinates to `n_rows`, moving each distinct location once per replica.

    `distribution` "uniform" draws offsets in +-`jitter_m` on each axis, "normal" draws them with
    sd `jitter_m`. With `keep_real` replica 0 is the real data unmoved. The last replica is cut so
    that exactly `n_rows` rows come back, in replica order.
    """
    xy = np.asarray(xy, dtype=float)
    _, loc = np.unique(xy, axis=0, return_inverse=True)
    loc = loc.ravel()
    n_loc = int(loc.max()) + 1 if len(loc) else 0
    draw = {
        "uniform": lambda: rng.uniform(-jitter_m, jitter_m, size=(n_loc, 2)),
        "normal": lambda: rng.normal(0.0, jitter_m, size=(n_loc, 2)),
    }[distribution]
    n_rep = int(np.ceil(n_rows / len(xy)))
    parts = []
    for r in range(n_rep):
        shift = np.zeros((n_loc, 2)) if (r == 0 and keep_real) else draw()
        parts.append(xy + shift[loc])
    return Replicas(
        np.concatenate(parts)[:n_rows],
        np.concatenate([loc + r * n_loc for r in range(n_rep)])[:n_rows],
        np.repeat(np.arange(n_rep), len(xy))[:n_rows],
    )


# Metres per degree at London's latitude, for jittering raw longitude / latitude.
_M_PER_DEG_LON = 69_400.0
_M_PER_DEG_LAT = 111_200.0


def replicate_rows(raw: pd.DataFrame, n_rows: int, *, jitter_m: float = 150.0, seed: int = 0):
    """`n_rows` police.uk CSV rows made of jittered replicas of `raw` (see module docstring).

    Uniform jitter, replica 0 the real rows; rows without coordinates are copied unchanged; crime
    ids get a "-<replica>" suffix. Returns the frame and the ratio of located rows to distinct
    located coordinates.
    """
    n_rep = int(np.ceil(n_rows / len(raw)))
    has_xy = raw[["Longitude", "Latitude"]].notna().all(axis=1).to_numpy()
    lonlat = raw.loc[has_xy, ["Longitude", "Latitude"]].to_numpy()
    scale = np.array([_M_PER_DEG_LON, _M_PER_DEG_LAT])
    reps = replicate_locations(
        lonlat * scale,
        n_rows=n_rep * len(lonlat),
        jitter_m=jitter_m,
        rng=np.random.default_rng(seed),
    )
    moved = np.round(reps.xy / scale, 6)
    parts = []
    for k in range(n_rep):
        rep = raw.copy()
        if k:
            part = moved[k * len(lonlat) : (k + 1) * len(lonlat)]
            rep.loc[has_xy, "Longitude"] = part[:, 0]
            rep.loc[has_xy, "Latitude"] = part[:, 1]
            rep["Crime ID"] = rep["Crime ID"].astype("string") + f"-{k}"
        parts.append(rep)
    out = pd.concat(parts, ignore_index=True).iloc[:n_rows]
    loc = out.dropna(subset=["Longitude", "Latitude"])
    ratio = len(loc) / len(loc.drop_duplicates(["Longitude", "Latitude"]))
    return out, ratio


def write_monthly_files(
    rows: pd.DataFrame, folder: Path, force: str = "metropolitan"
) -> list[Path]:
    """Write police.uk-layout files YYYY-MM/YYYY-MM-<force>-street.csv."""
    paths = []
    for month, part in rows.groupby("Month", sort=True):
        sub = folder / month
        sub.mkdir(parents=True, exist_ok=True)
        path = sub / f"{month}-{force}-street.csv"
        part.to_csv(path, index=False)
        paths.append(path)
    return paths


class Fishnet(NamedTuple):
    """The peers' grid: `cells` (index cell_id = row * n_cols + col; columns row, col, geometry)."""

    cells: Any
    x0: float
    y0: float
    n_cols: int
    n_rows: int


def peer_fishnet(wards, *, cell_size_m: float) -> Fishnet:
    """The geopandas fishnet the Gi* and KDE peers build: ``shapely.box`` cells over the wards'
    bounding box (origin snapped to a multiple of the cell size), kept where they overlap a ward
    (STRtree intersects, minus cells that only touch), EPSG:27700."""
    import geopandas as gpd
    import shapely

    s = cell_size_m
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
    return Fishnet(cells, x0, y0, n_cols, n_rows)


# --- in-process meter (tracemalloc + pyarrow pool) -----------------------------------------------


class Measured(NamedTuple):
    result: Any
    seconds: float  # best of `runs`
    peak_bytes: int
    runs: list[float]


def measure(fn: Callable, *args, repeat: int = 3, **kwargs) -> Measured:
    """Best wall time over `repeat` runs and the peak memory of one further run.

    Peak memory is Python-heap allocations seen by tracemalloc plus the peak of pyarrow's memory
    pool (Arrow allocates outside the Python heap), measured on a separate, final run so that
    tracing does not slow the timed runs.
    """
    import pyarrow as pa

    times = []
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        result = fn(*args, **kwargs)
        times.append(time.perf_counter() - t)
        del result
    gc.collect()
    pool = pa.default_memory_pool()
    base_arrow = pool.bytes_allocated()
    # Arrow's pool keeps its high-water mark for the whole process: compare with the current level.
    arrow_peak_before = pool.max_memory()
    tracemalloc.start()
    result = fn(*args, **kwargs)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    arrow_peak = max(0, pool.max_memory() - max(arrow_peak_before, base_arrow))
    return Measured(result, min(times), peak + arrow_peak, times)


def report(name_a: str, a: Measured, name_b: str, b: Measured) -> None:
    """Table of two `measure` results and the speed-up / memory ratio line."""
    print(f"{'':28s} {'time (s)':>10s} {'peak MB':>10s}  (tracemalloc + pyarrow pool)")
    for name, m in ((name_a, a), (name_b, b)):
        runs = ", ".join(f"{t:.2f}" for t in m.runs)
        print(f"{name:28s} {m.seconds:10.2f} {m.peak_bytes / 1e6:10.1f}  (runs {runs})")
    print(
        f"speed-up {b.seconds / a.seconds:.1f}x; memory ratio {a.peak_bytes / b.peak_bytes:.2f} "
        "(ours / peer)"
    )


# --- child-process meter (process RSS) -----------------------------------------------------------


def rss_bytes(field: str = "VmRSS") -> int:
    """`field` (VmRSS, VmHWM) of this process from /proc/self/status, in bytes."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def reset_peak_rss() -> int:
    """Reset this process's VmHWM to its current RSS (clear_refs 5); return that RSS in bytes."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    return rss_bytes("VmRSS")


class Meter:
    """Context manager around the measured call: wall time and RSS peak of the block."""

    seconds: float
    before: int
    peak: int

    def __enter__(self) -> Meter:
        gc.collect()
        self.before = reset_peak_rss()
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._t0
        self.peak = rss_bytes("VmHWM")


def _call_measured(fn, args) -> dict:
    warnings.simplefilter("ignore")
    meter = Meter()
    out = dict(fn(meter, *args) or {})
    if not hasattr(meter, "peak"):
        raise RuntimeError(f"{fn.__name__} never entered `with meter:`")
    out.update(seconds=meter.seconds, before=meter.before, peak=meter.peak)
    out["delta"] = meter.peak - meter.before
    return out


def _fork_child(fn, conn, args) -> None:
    try:
        conn.send(_call_measured(fn, args))
    except BaseException:
        conn.send({"error": traceback.format_exc()})
    finally:
        conn.close()


def run_in_child(fn: Callable, *args, start: str = "fork") -> dict:
    """Run ``fn(meter, *args)`` in a child process; `fn` wraps the measured call in ``with meter:``.

    `fn` returns a small dict (labels, values to compare); it comes back with ``seconds``,
    ``before`` (RSS just before the call), ``peak`` (VmHWM after it) and ``delta`` (peak - before),
    all bytes. `start` "fork" shares the loaded data with a forked child (its absolute peak
    includes the parent's image); "subprocess" runs `fn` in a fresh interpreter (`fn` must be a
    module-level function of a script, `args` must pickle), so the absolute peak is the side's own.
    A fresh interpreter rather than multiprocessing's "spawn": the `hdbscan` package's joblib
    workers hang inside a multiprocessing child.
    """
    if start == "subprocess":
        return _run_subprocess(fn, args)
    ctx = mp.get_context(start)
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_fork_child, args=(fn, child, args))
    proc.start()
    child.close()
    try:
        out = parent.recv()
    except EOFError:
        out = {"error": "child process died without a result"}
    proc.join()
    if "error" in out:
        raise RuntimeError(f"{fn.__name__} failed in the child:\n{out['error']}")
    return out


def _run_subprocess(fn: Callable, args: tuple) -> dict:
    import pickle
    import subprocess
    import sys
    import tempfile

    script = sys.modules[fn.__module__].__file__
    with tempfile.TemporaryDirectory(prefix="snt_bench_") as tmp:
        job, result = Path(tmp) / "job.pkl", Path(tmp) / "result.pkl"
        job.write_bytes(pickle.dumps((script, fn.__name__, args), protocol=5))
        proc = subprocess.run(
            [sys.executable, __file__, str(job), str(result)], capture_output=True, text=True
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{fn.__name__} failed in the child:\n{proc.stderr}")
        return pickle.loads(result.read_bytes())


def _subprocess_main(job: str, result: str) -> None:
    import importlib.util
    import pickle
    import sys

    script, name, args = pickle.loads(Path(job).read_bytes())
    sys.path.insert(0, str(Path(script).parent))
    spec = importlib.util.spec_from_file_location("_bench_child", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = _call_measured(getattr(module, name), args)
    Path(result).write_bytes(pickle.dumps(out, protocol=5))


def print_rss(label: str, r: dict, *, width: int = 40, extra: str = "") -> None:
    """One table line for a `run_in_child` result."""
    print(
        f"{label:{width}s} {r['seconds']:8.2f} s   peak RSS +{r['delta'] / 2**20:8.0f} MiB "
        f"(absolute {r['peak'] / 2**20:,.0f} MiB){extra}"
    )


def print_ratio(ours: dict, peer: dict, *, peer_name: str = "") -> None:
    """The speed-up and memory ratio line (peer / ours) for two `run_in_child` results."""
    vs = f"vs {peer_name}: " if peer_name else ""
    print(
        f"{vs}speed-up {peer['seconds'] / ours['seconds']:.2f}x; memory: peak RSS delta ratio "
        f"(peer / ours) {peer['delta'] / max(ours['delta'], 1):.2f}, absolute peak ratio "
        f"{peer['peak'] / ours['peak']:.2f}"
    )


if __name__ == "__main__":
    import sys

    _subprocess_main(sys.argv[1], sys.argv[2])
