"""Shared benchmark plumbing: synthetic police.uk rows built from real ones, and measuring.

The 1M-row inputs are built from real Met burglary 2019 rows (../shared/data). Each *replica* of
the real year moves every distinct snap point by its own random offset (up to `jitter_m` metres), so
replicas add new distinct locations while keeping the real ratio of rows to distinct locations
(about 2.2 in a year of Met burglary). Nothing is inflated: a location repeats exactly as often as
the real one does.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
MET_BURGLARY = SHARED / "police-uk-metropolitan-street-burglary-only"
GLA_WARDS = SHARED / "gla-statistical-gis-boundaries-london" / "ESRI" / "London_Ward_CityMerged.shp"
DATA_DIR = ROOT / "benchmarks" / "_data"


def real_met_burglary_2019() -> pd.DataFrame:
    files = sorted(MET_BURGLARY.glob("2019-*-metropolitan-street.csv.gz"))
    return pd.concat([pd.read_csv(f) for f in files], ignore_index=True)


def replicate_rows(raw: pd.DataFrame, n_rows: int, *, jitter_m: float = 150.0, seed: int = 0):
    """`n_rows` police.uk rows made of jittered replicas of `raw` (see module docstring).

    Returns the frame and the ratio of located rows to distinct located coordinates.
    """
    rng = np.random.default_rng(seed)
    located = raw.dropna(subset=["Longitude", "Latitude"])
    loc_id, uniq = pd.factorize(
        pd.MultiIndex.from_arrays([located["Longitude"], located["Latitude"]])
    )
    lon0 = np.array([u[0] for u in uniq])
    lat0 = np.array([u[1] for u in uniq])
    parts, total, k = [], 0, 0
    while total < n_rows:
        rep = raw.copy()
        if k:
            # metres -> degrees at London's latitude
            dlon = rng.uniform(-jitter_m, jitter_m, len(uniq)) / 69_400.0
            dlat = rng.uniform(-jitter_m, jitter_m, len(uniq)) / 111_200.0
            idx = rep.index.isin(located.index)
            rep.loc[idx, "Longitude"] = np.round(lon0[loc_id] + dlon[loc_id], 6)
            rep.loc[idx, "Latitude"] = np.round(lat0[loc_id] + dlat[loc_id], 6)
            rep["Crime ID"] = rep["Crime ID"].astype("string") + f"-{k}"
        parts.append(rep)
        total += len(rep)
        k += 1
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


def measure(fn, *args, repeat: int = 3, **kwargs):
    """Best wall time over `repeat` runs and the peak memory of one run.

    Peak memory is Python-heap allocations seen by tracemalloc plus the peak of pyarrow's memory
    pool (Arrow allocates outside the Python heap), measured on a separate, final run so that
    tracing does not slow the timed runs.
    """
    import pyarrow as pa

    times = []
    result = None
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
    return result, min(times), peak + arrow_peak


def report(name_a: str, a: tuple, name_b: str, b: tuple) -> None:
    (_, ta, ma), (_, tb, mb) = a, b
    print(f"{'':28s} {'time (s)':>10s} {'peak MB':>10s}")
    print(f"{name_a:28s} {ta:10.2f} {ma / 1e6:10.1f}")
    print(f"{name_b:28s} {tb:10.2f} {mb / 1e6:10.1f}")
    print(f"speed-up {tb / ta:.1f}x; memory ratio {ma / mb:.2f} (ours / peer)")
