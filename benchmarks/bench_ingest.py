"""Benchmark: read 1M police.uk rows and assign each to a GLA ward.

Ours: snt_geo.io.read_police_uk + snt_geo.profile.assign_wards.
Peer: pandas.read_csv + geopandas.points_from_xy + to_crs + geopandas.sjoin (the textbook pipeline).
Both run in this process on the same files; the ward of every row must agree.

    python benchmarks/bench_ingest.py [--rows 1000000]
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
    GLA_WARDS,
    measure,
    real_met_burglary_2019,
    replicate_rows,
    report,
    write_monthly_files,
)

from snt_geo.io import read_police_uk, read_wards
from snt_geo.profile import assign_wards


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
    args = ap.parse_args()
    raw = real_met_burglary_2019()
    rows, ratio = replicate_rows(raw, args.rows)
    folder = DATA_DIR / "ingest"
    shutil.rmtree(folder, ignore_errors=True)
    files = write_monthly_files(rows, folder)
    print(
        f"{len(rows):,} rows in {len(files)} monthly files; {ratio:.2f} rows per distinct "
        f"location (real Met burglary 2019: "
        f"{replicate_rows(raw, len(raw))[1]:.2f})"
    )
    warnings.simplefilter("ignore", UserWarning)
    wards = read_wards(GLA_WARDS)
    a = measure(ours, folder, wards)
    b = measure(peer, files, wards)
    got, ref = a[0], b[0]
    assert len(got) == len(ref), (len(got), len(ref))
    # Boundary points: sjoin keeps one of the touching wards, assign_wards the first in `wards`
    # order. Compare where the peer found exactly one ward, and count the rest.
    same = np.asarray(got["ward_code"].fillna("-")) == np.asarray(
        ref["ward_code"].fillna("-").astype(str)
    )
    print(f"same ward for {same.mean():.5%} of rows ({(~same).sum()} boundary/tie rows differ)")
    report("snt_geo read+assign", a, "pandas+geopandas sjoin", b)


if __name__ == "__main__":
    main()
