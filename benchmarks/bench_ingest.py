"""Benchmark: read 1M police.uk rows and assign each to a GLA ward.

Ours: snt_geo.io.read_police_uk + snt_geo.profile.assign_wards.
Peer: pandas.read_csv + geopandas.points_from_xy + to_crs + geopandas.sjoin (the textbook pipeline).
Both run in this process on the same files; the ward of every row must agree.

Memory: tracemalloc + pyarrow pool peak, in this process (see _common.measure).

    python benchmarks/bench_ingest.py [--rows 1000000 | --quick]
"""

from __future__ import annotations

import argparse
import shutil
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
from _common import (
    DATA_DIR,
    QUICK_ROWS,
    measure,
    read_gla_wards,
    real_met_burglary_2019,
    replicate_rows,
    report,
    write_monthly_files,
)

from snt_geo.io import read_police_uk
from snt_geo.profile.assignment import assign_wards


def ours(folder, wards):
    inc = read_police_uk(folder)
    return inc.assign(ward_code=assign_wards(inc, wards))


def peer(files, wards):
    df = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    df = df.dropna(subset=["Longitude", "Latitude"])
    pts = gpd.GeoDataFrame(
        df, geometry=gpd.points_from_xy(df["Longitude"], df["Latitude"]), crs="EPSG:4326"
    ).to_crs(27700)
    joined = gpd.sjoin(pts, wards[["geometry"]], how="left", predicate="intersects")
    return joined[~joined.index.duplicated(keep="first")]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS:,} rows, one timed run")
    args = ap.parse_args()
    n_rows, repeat = (QUICK_ROWS, 1) if args.quick else (args.rows, 3)
    raw = real_met_burglary_2019()
    rows, ratio = replicate_rows(raw, n_rows)
    folder = DATA_DIR / ("ingest_quick" if args.quick else "ingest")
    shutil.rmtree(folder, ignore_errors=True)
    files = write_monthly_files(rows, folder)
    print(
        f"{len(rows):,} rows in {len(files)} monthly files; {ratio:.2f} rows per distinct "
        f"location (real Met burglary 2019: "
        f"{replicate_rows(raw, len(raw))[1]:.2f})"
    )
    warnings.simplefilter("ignore", UserWarning)
    wards = read_gla_wards()
    a = measure(ours, folder, wards, repeat=repeat)
    b = measure(peer, files, wards, repeat=repeat)
    got, ref = a.result, b.result
    assert len(got) == len(ref), (len(got), len(ref))
    # Boundary points: sjoin keeps one of the touching wards, assign_wards the first in `wards`
    # order. Compare where the peer found exactly one ward, and count the rest.
    same = np.asarray(got["ward_code"].fillna("-")) == np.asarray(
        ref["ward_code"].fillna("-").astype(str)
    )
    assert same.mean() > 0.999, same.mean()
    print(
        f"agree: same ward for {same.mean():.5%} of rows ({(~same).sum()} boundary/tie rows differ)"
    )
    report("snt_geo read+assign", a, "pandas+geopandas sjoin", b)


if __name__ == "__main__":
    main()
