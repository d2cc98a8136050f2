"""Benchmark: a full ward profile of ~1M incidents over the GLA wards vs geopandas sjoin + groupby.

Run (heavy: ~3 GB, ~1-2 min):  flock /tmp/snt_bench.lock python benchmarks/bench_profile.py
Quick (seconds): python benchmarks/bench_profile.py --quick  (10,000 real rows sampled, 2 replicas)

Data. The 78,997 real Met burglary rows of 2019 (police.uk, 35,287 distinct snap points, ~2.24 rows
per location) are replicated 13 times (1,026,961 rows). Replica 0 is the real data; in replica
r > 0 every distinct location is moved by one offset drawn for that (replica, location) pair,
uniform in +-150 m, so the rows that shared a snap point still share one: the ratio of rows to
distinct locations stays that of the real year (printed below). Odd replicas are moved a year
earlier (2018), so the profile has a previous / year-earlier baseline to test against. Crime
types are drawn per row from the 14 police.uk types with fixed weights (a rough London mix), so
every theme column is exercised. Wards: London_Ward_CityMerged (625); population from the GLA
ward profiles 2015.

Peer. The straightforward pipeline an analyst would write: ``geopandas.sjoin(incidents, wards,
predicate="intersects")``, the same boundary rule (first ward in ``wards`` order), then pandas
``groupby`` size per (ward, crime type) for the period and both baselines and per (ward, month,
crime type) for the monthly series, summed into themes. Both must give identical counts (period,
baselines, monthly, incident_count); ``ward_profile`` additionally computes rates, LQs, tests,
ranks and key locations inside its time.

Memory: peak of Python-tracked allocations (``tracemalloc``, which sees numpy and pandas buffers
but not GEOS's own allocations) plus pyarrow's pool, measured in a further, separate run of each
pipeline so that tracing does not distort the timings (_common.measure; time is the best of 2).
"""

from __future__ import annotations

import argparse
import time
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from _common import (
    SHARED,
    measure,
    read_gla_wards,
    read_met_burglary_2019,
    replicate_locations,
    report,
)

from snt_geo.profile.assignment import assign_wards
from snt_geo.profile.profile import profile_monthly, ward_profile
from snt_geo.themes import CRIME_TYPES, DEFAULT_THEMES

REPLICAS = 13
JITTER_M = 150.0
TYPE_WEIGHTS = {  # rough share of police.uk records in London; only needs to be fixed
    "Anti-social behaviour": 0.25,
    "Violence and sexual offences": 0.22,
    "Other theft": 0.09,
    "Vehicle crime": 0.08,
    "Burglary": 0.07,
    "Theft from the person": 0.05,
    "Criminal damage and arson": 0.05,
    "Public order": 0.05,
    "Shoplifting": 0.04,
    "Drugs": 0.03,
    "Robbery": 0.03,
    "Bicycle theft": 0.02,
    "Other crime": 0.01,
    "Possession of weapons": 0.01,
}


def build_incidents(
    rng: np.random.Generator, *, sample: int | None = None, replicas: int = REPLICAS
):
    """`replicas` jittered copies of the real year (or of `sample` real rows drawn from it)."""
    base = read_met_burglary_2019()
    if sample is not None:
        base = base.iloc[np.sort(rng.choice(len(base), sample, replace=False))]
    xy = shapely.get_coordinates(base.geometry.to_numpy())
    reps = replicate_locations(xy, n_rows=replicas * len(xy), jitter_m=JITTER_M, rng=rng)
    n_loc = len(np.unique(xy, axis=0))
    # Odd replicas a year earlier: the profile's previous / year-earlier baselines.
    month_all = np.tile(base["month"].array.asi8, replicas) - 12 * (reps.replica % 2)
    xy_all = reps.xy
    n = len(xy_all)
    names = list(TYPE_WEIGHTS)
    w = np.array([TYPE_WEIGHTS[t] for t in names])
    ctype = pd.Categorical.from_codes(rng.choice(len(names), size=n, p=w / w.sum()), names)
    frame = pd.DataFrame(
        {
            "month": pd.PeriodIndex.from_ordinals(month_all, freq="M"),
            "location": np.tile(base["location"].to_numpy(), replicas),
            "crime_type": ctype,
            "theme": pd.Categorical([DEFAULT_THEMES.primary_theme(t) for t in names])[ctype.codes],
        }
    )
    frame["location"] = frame["location"].astype("category")
    gdf = gpd.GeoDataFrame(
        frame, geometry=shapely.points(xy_all[:, 0], xy_all[:, 1]), crs="EPSG:27700"
    )
    n_distinct = len(np.unique(reps.location_id))
    print(
        f"incidents: {n:,} rows, {n_distinct:,} distinct locations "
        f"({n / n_distinct:.2f} rows per location; the real rows replicated: "
        f"{len(base) / n_loc:.2f})"
    )
    return gdf


def read_population() -> pd.DataFrame:
    raw = pd.read_csv(
        SHARED / "gla-ward-profiles-2015" / "ward-profiles-excel-version.csv", encoding="latin-1"
    )
    raw = raw.drop_duplicates("New code")
    return pd.DataFrame(
        {"population": raw["Population - 2015"].to_numpy()},
        index=pd.Index(raw["New code"].astype("string"), name="ward_code"),
    )


def peer_pipeline(wards: gpd.GeoDataFrame, incidents: gpd.GeoDataFrame, period, baselines):
    """Straightforward geopandas + pandas: sjoin, then groupby counts summed into themes."""
    joined = gpd.sjoin(incidents, wards[["geometry"]], how="left", predicate="intersects")
    # Boundary rule of the library: the first ward in `wards` order wins.
    joined["wpos"] = wards.index.get_indexer(joined["ward_code"].fillna("~"))
    joined.loc[joined["wpos"] < 0, "wpos"] = len(wards)
    joined = joined.sort_values("wpos", kind="stable")
    joined = joined[~joined.index.duplicated(keep="first")]
    joined = joined[joined["wpos"] < len(wards)]
    keys = [
        k
        for k in DEFAULT_THEMES.themes
        if set(DEFAULT_THEMES.members(k)) & set(joined["crime_type"].unique())
    ]

    def theme_counts(rows: pd.DataFrame, by: list[str]) -> pd.DataFrame:
        table = rows.groupby([*by, "crime_type"], observed=True).size().unstack(fill_value=0)
        out = pd.DataFrame(index=table.index)
        for key in keys:
            members = [c for c in DEFAULT_THEMES.members(key) if c in table.columns]
            out[key] = table[members].sum(axis=1)
        return out

    results = {}
    for name, (start, end) in {"period": period, **baselines}.items():
        rows = joined[(joined["month"] >= start) & (joined["month"] <= end)]
        results[name] = theme_counts(rows, ["ward_code"]).reindex(wards.index, fill_value=0)
        if name == "period":
            results["incident_count"] = (
                rows.groupby("ward_code").size().reindex(wards.index, fill_value=0)
            )
    lo = min([period[0], *(s for s, _ in baselines.values())])
    rows = joined[(joined["month"] >= lo) & (joined["month"] <= period[1])]
    results["monthly"] = theme_counts(rows, ["ward_code", "month"])
    return results


def check_agree(result, peer: dict) -> None:
    info = result.method
    profile = result.wards
    np.testing.assert_array_equal(
        profile["incident_count"].to_numpy(), peer["incident_count"].to_numpy()
    )
    for key in info.themes:
        np.testing.assert_array_equal(
            profile[f"{key}_count"].to_numpy(), peer["period"][key].to_numpy()
        )
        for b in info.baselines:
            np.testing.assert_array_equal(
                profile[f"{key}_count_{b}"].to_numpy(dtype=np.int64), peer[b][key].to_numpy()
            )
    monthly = profile_monthly(result).pivot_table(
        index=["ward_code", "month"], columns="theme", values="count", observed=True
    )
    peer_m = peer["monthly"].reindex(monthly.index, fill_value=0)
    np.testing.assert_array_equal(
        monthly[list(info.themes)].to_numpy(), peer_m[list(info.themes)].to_numpy()
    )
    assert int(peer["monthly"].to_numpy().sum()) == int(monthly.to_numpy().sum())


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="10,000 sampled real rows x 2 replicas")
    args = ap.parse_args()
    rng = np.random.default_rng(20190101)
    wards = read_gla_wards()
    if args.quick:
        incidents = build_incidents(rng, sample=10_000, replicas=2)
    else:
        incidents = build_incidents(rng)
    demo = read_population()
    period = (pd.Period("2019-01", "M"), pd.Period("2019-12", "M"))
    baselines = {
        "previous": (pd.Period("2018-01", "M"), pd.Period("2018-12", "M")),
        "year_earlier": (pd.Period("2018-01", "M"), pd.Period("2018-12", "M")),
    }
    print(f"wards: {len(wards)}; crime types: {len(CRIME_TYPES)}; period {period[0]}..{period[1]}")

    def ours():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return ward_profile(wards, incidents, demographics=demo)

    def peer():
        return peer_pipeline(wards, incidents, period, baselines)

    a = measure(ours, repeat=2)
    b = measure(peer, repeat=2)
    profile, peer_out = a.result, b.result
    check_agree(profile, peer_out)
    info = profile.method
    print(
        f"agreement: identical counts for {len(info.themes)} themes x {len(wards)} wards "
        f"(period, {len(info.baselines)} baselines, {len(profile_monthly(profile)):,} monthly "
        f"cells) and incident_count; {info.accounting['in_period_outside_wards']:,} period "
        "incidents outside every ward in both"
    )
    report("ward_profile", a, "sjoin + groupby peer", b)

    # The ward lookup alone, on the distinct locations: assign_wards (each ward prepared once and
    # scanned in bands of x on every core) against sjoin with the same first-ward rule.
    xy = np.unique(shapely.get_coordinates(incidents.geometry.to_numpy()), axis=0)
    pts = gpd.GeoDataFrame(geometry=shapely.points(xy), crs="EPSG:27700")
    got, t_ours = timed(assign_wards, pts, wards)
    joined, t_sjoin = timed(gpd.sjoin, pts, wards[["geometry"]], predicate="intersects")
    first = pd.Series(wards.index.get_indexer(joined["ward_code"]), index=joined.index)
    first = first.groupby(level=0).min().reindex(pts.index, fill_value=-1)
    np.testing.assert_array_equal(wards.index.get_indexer(got.fillna("none")), first.to_numpy())
    print(
        f"ward lookup of {len(xy):,} distinct locations: assign_wards {t_ours:.2f} s, "
        f"sjoin {t_sjoin:.2f} s ({t_sjoin / t_ours:.1f}x; identical wards)"
    )


if __name__ == "__main__":
    main()
