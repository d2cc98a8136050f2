"""Benchmark: expected counts for a month (find_exceptions) vs a statsmodels GLM with ward dummies.

Run (~1 min, the peer is the slow side):  python benchmarks/bench_exceptions.py
Quick (seconds): python benchmarks/bench_exceptions.py --quick  (the wards of three boroughs)

Data. Real police.uk Met burglary, 2024-01 .. 2025-02 (14 months, ~60,700 located rows); the
month tested is 2025-02, fitted on the 13 before it. Wards: London_Ward_CityMerged (625; quick:
Barnet, Camden and Westminster).

Peer. What an analyst would write with statsmodels: ward counts per month by a geopandas spatial
join (the same boundary rule: the first ward in order), then
``smf.glm("y ~ C(ward) + C(moy) + t", family=Poisson)`` on the history and ``predict`` for every
ward-month. Wards with no incident in the history are left out of the peer's fit (their ward
effect has no finite maximum; ``find_exceptions`` calls them ``no_history``). Both must give the
same expected counts (relative difference below 1e-6). ``find_exceptions`` also computes the
prediction intervals, p-values and Benjamini-Hochberg classes inside its time.

Memory: Python-tracked peak (tracemalloc) plus pyarrow's pool, from a separate run of each
(_common.measure; time is the best of the timed runs).
"""

from __future__ import annotations

import argparse
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
from _common import GLA_WARDS, MET_BURGLARY, measure, report

from snt_geo.io import read_police_uk, read_wards
from snt_geo.profile import find_exceptions

MONTHS = [f"2024-{m:02d}" for m in range(1, 13)] + ["2025-01", "2025-02"]
QUICK_BOROUGHS = ("Barnet", "Camden", "Westminster")


def peer(incidents: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> pd.Series:
    """Expected counts per (ward, month) from a Poisson GLM with one dummy per ward."""
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    polygons = wards[["geometry"]].reset_index(drop=True)
    joined = gpd.sjoin(incidents[["month", "geometry"]], polygons, predicate="intersects")
    joined = joined.sort_values("index_right", kind="stable")
    joined = joined[~joined.index.duplicated(keep="first")]
    joined["ward"] = wards.index.to_numpy()[joined["index_right"].to_numpy()]
    grid = pd.MultiIndex.from_product(
        [wards.index, pd.PeriodIndex(MONTHS, freq="M")], names=["ward", "month"]
    )
    data = joined.groupby(["ward", "month"]).size().reindex(grid, fill_value=0)
    data = data.rename("y").reset_index()
    data["t"] = [(m - pd.Period(MONTHS[0], "M")).n for m in data["month"]]
    data["moy"] = [m.month for m in data["month"]]
    history = data[data["month"] < pd.Period(MONTHS[-1], "M")]
    history = history[history.groupby("ward")["y"].transform("sum") > 0]
    fit = smf.glm("y ~ C(ward) + C(moy) + t", history, family=sm.families.Poisson()).fit()
    fitted = data[data["ward"].isin(set(history["ward"]))]
    return pd.Series(
        fit.predict(fitted).to_numpy(), index=pd.MultiIndex.from_frame(fitted[["ward", "month"]])
    )


def ours(incidents: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> pd.Series:
    result = find_exceptions(incidents, wards, theme_keys=["burglary"])
    out = result.monthly.xs("burglary", level="theme")["expected_count"]
    out.index.names = ["ward", "month"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="three boroughs, one timed run")
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        incidents = read_police_uk(MET_BURGLARY, months=MONTHS)
        wards = read_wards(GLA_WARDS)
    if args.quick:
        wards = wards[wards["borough_name"].isin(QUICK_BOROUGHS)]
    print(f"{len(incidents):,} incidents, {len(wards)} wards, {len(MONTHS)} months")
    repeat = 1 if args.quick else 2
    a = measure(ours, incidents, wards, repeat=repeat)
    b = measure(peer, incidents, wards, repeat=repeat)
    got = a.result.loc[b.result.index].to_numpy()
    rel = np.abs(got / b.result.to_numpy() - 1.0)
    assert np.all(rel < 1e-6), f"expected counts differ: max relative difference {rel.max():.2e}"
    print(
        f"agree: {len(rel):,} ward-month expected counts equal to the GLM's (max relative "
        f"difference {rel.max():.1e})"
    )
    report("find_exceptions", a, "statsmodels GLM (ward dummies)", b)


if __name__ == "__main__":
    main()
