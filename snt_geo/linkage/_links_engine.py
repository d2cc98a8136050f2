"""The engine behind :func:`snt_geo.linkage.links.link_asb_to_street_crime`, in named steps.

The public function reads top-down as: check the options, :func:`prepare` the incidents and
estates, find the :func:`asb_near_estates`, the :func:`street_clusters`, test the
:func:`colocation` of street crime with each estate's ASB, then build the :func:`link_rows`
(one per estate and candidate street-crime cluster, with its timing evidence and explanation) and
the per-estate account.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

from snt_geo._dates import to_months
from snt_geo._format import format_percent, format_pvalue
from snt_geo._locations import group_locations
from snt_geo._multitest import bh_adjust, holm_adjust
from snt_geo.crs import WORKING_CRS, to_working_crs
from snt_geo.errors import SchemaError
from snt_geo.linkage.clusters import cluster_incidents
from snt_geo.themes import ThemeTable

_PERMUTATION_CHUNK = 128
_MIN_MONTH_PAIRS = 6

#: Columns of the per-estate account (:attr:`snt_geo.linkage.links.Links.estates`), after the
#: ``estate`` index.
ESTATE_COLUMNS = (
    "estate_name",
    "asb_count_near",
    "tested",
    "colocation_quotient",
    "p_value",
    "p_adjusted",
    "significant",
    "n_candidate_clusters",
    "note",
)

# --------------------------------------------------------------------------------------------
# co-location quotient


def gaussian_weights(
    focal_xy: np.ndarray, cand_xy: np.ndarray, bandwidth_m: float
) -> sparse.csr_matrix:
    """Box-Gaussian kernel weights (Wang et al. 2017) from focal to candidate points.

    ``w = exp(-0.5 (d / h)^2)`` for ``d <= h``, else 0; zero distances (shared snap points) count
    with weight 1.
    """
    n_f, n_c = len(focal_xy), len(cand_xy)
    if n_f == 0 or n_c == 0:
        return sparse.csr_matrix((n_f, n_c))
    # ndarray output keeps zero distances (shared snap points), which a sparse matrix would drop.
    pairs = cKDTree(focal_xy).sparse_distance_matrix(
        cKDTree(cand_xy), bandwidth_m, output_type="ndarray"
    )
    rows, cols = pairs["i"], pairs["j"]
    w = np.exp(-0.5 * (pairs["v"] / bandwidth_m) ** 2)
    return sparse.csr_matrix((w, (rows, cols)), shape=(n_f, n_c))


def clq_core(
    weights: sparse.csr_matrix,
    group_weights: sparse.csr_matrix,
    is_target: np.ndarray,
    *,
    permutations: int,
    rng: np.random.Generator,
    test_groups: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Co-location quotients of focal groups to the target label, with permutation p-values.

    ``weights``: focal locations x candidates kernel weights. ``group_weights``: groups x focal
    locations, the number of focal incidents of each group at each location. Labels of the
    candidates are shuffled (locations fixed); one-sided p-value for "more target than chance",
    for the groups in ``test_groups`` (default all with a quotient).
    """
    n_groups = group_weights.shape[0]
    n_cand = len(is_target)
    out = {
        "clq": np.full(n_groups, np.nan),
        "share_near": np.full(n_groups, np.nan),
        "p_value": np.full(n_groups, np.nan),
        "n_focal_used": np.zeros(n_groups, dtype=np.int64),
    }
    n_target = int(is_target.sum())
    if n_cand == 0 or n_target == 0 or n_target == n_cand:
        return out
    share_area = n_target / n_cand
    row_sum = np.asarray(weights.sum(axis=1)).ravel()
    has_nb = row_sum > 0
    inv = np.zeros_like(row_sum)
    inv[has_nb] = 1.0 / row_sum[has_nb]
    w_norm = sparse.diags(inv) @ weights  # row-normalised: each focal location's neighbour mix
    g = group_weights @ sparse.diags(has_nb.astype(float))
    n_used = np.asarray(g.sum(axis=1)).ravel()
    out["n_focal_used"] = np.rint(n_used).astype(np.int64)
    ok = n_used > 0
    scale = np.zeros(n_groups)
    scale[ok] = 1.0 / n_used[ok]
    m = (sparse.diags(scale) @ g @ w_norm).tocsc()  # groups x candidates
    used = np.flatnonzero(np.diff(m.indptr) > 0)
    m = m[:, used]
    observed = m @ is_target[used].astype(float)
    out["share_near"] = np.where(ok, observed, np.nan)
    out["clq"] = np.where(ok, observed / share_area, np.nan)
    if test_groups is None:
        test_groups = ok
    test_groups = np.asarray(test_groups, dtype=bool) & ok
    m = m[np.flatnonzero(test_groups)]
    observed = observed[test_groups]
    if permutations > 0 and len(used) and test_groups.any():
        exceed = np.zeros(len(observed), dtype=np.int64)
        tol = 1e-12 * np.maximum(1.0, np.abs(observed))
        for start in range(0, permutations, _PERMUTATION_CHUNK):
            k = min(_PERMUTATION_CHUNK, permutations - start)
            # The labels a random permutation puts on the used candidates are a uniform sample
            # without replacement of the label vector.
            labels = np.empty((len(used), k))
            for c in range(k):
                labels[:, c] = is_target[rng.choice(n_cand, size=len(used), replace=False)]
            sims = m @ labels
            exceed += (sims >= (observed - tol)[:, None]).sum(axis=1)
        out["p_value"][test_groups] = (1 + exceed) / (permutations + 1)
    return out


def youth_mask(incidents: gpd.GeoDataFrame, youth: str | Callable | None) -> np.ndarray:
    if youth is None:
        return np.ones(len(incidents), dtype=bool)
    if isinstance(youth, str):
        if youth not in incidents.columns:
            raise SchemaError(
                f"`youth` names column {youth!r}, which `incidents` does not have; give a "
                "boolean column, a predicate such as lambda df: df['age'] < 18, or None for all "
                "ASB."
            )
        values = incidents[youth]
    elif callable(youth):
        values = youth(incidents)
    else:
        raise TypeError(
            f"`youth` must be a column name, a callable returning one boolean per incident, or "
            f"None; got {type(youth).__name__}."
        )
    values = pd.Series(values)
    if len(values) != len(incidents):
        raise ValueError(
            f"`youth` gave {len(values)} values for {len(incidents)} incidents; it must give one "
            "boolean per incident."
        )
    if not (pd.api.types.is_bool_dtype(values) or values.dropna().isin([True, False]).all()):
        raise SchemaError(
            f"`youth` must select incidents with booleans; got values like "
            f"{values.dropna().iloc[0]!r}."
        )
    return values.fillna(False).to_numpy(dtype=bool)


def lagged_correlations(
    a: np.ndarray, b: np.ndarray, months: pd.PeriodIndex, max_lag: int
) -> dict[int, tuple[float, int]]:
    """Pearson r of month-on-month changes, a at t against b at t + lag, for each lag.

    Changes are taken only between consecutive calendar months that are both covered, and a lag
    pairs calendar months, so a gap in the data never pairs unrelated months.
    """
    ordinal = months.asi8 if hasattr(months, "asi8") else np.asarray(months.astype("int64"))
    pos = {int(o): i for i, o in enumerate(ordinal)}
    da, db = {}, {}
    for o, i in pos.items():
        j = pos.get(o - 1)
        if j is not None:
            da[o] = a[i] - a[j]
            db[o] = b[i] - b[j]
    out = {}
    for lag in range(-max_lag, max_lag + 1):
        keys = [o for o in da if (o + lag) in db]
        n = len(keys)
        if n < _MIN_MONTH_PAIRS:
            out[lag] = (np.nan, n)
            continue
        x = np.array([da[o] for o in keys], dtype=float)
        y = np.array([db[o + lag] for o in keys], dtype=float)
        if x.std() == 0 or y.std() == 0:
            out[lag] = (np.nan, n)
            continue
        out[lag] = (float(np.corrcoef(x, y)[0, 1]), n)
    return out


def r_bound(n: int) -> float:
    """Rough 95% bound for a correlation of n pairs under no association (1.96 / sqrt(n))."""
    return 1.96 / np.sqrt(n) if n > 0 else np.inf


def _cluster_street_crime(xy: np.ndarray, *, distance_m: float, min_incidents: int) -> np.ndarray:
    """DBSCAN labels (-1 noise) of street-crime points in EPSG:27700 metres.

    :func:`snt_geo.linkage.clusters.cluster_incidents` with ``method="dbscan"``: the same
    partition as scikit-learn's DBSCAN (``eps=distance_m``, ``min_samples=min_incidents``).
    """
    if len(xy) == 0:
        return np.zeros(0, dtype=np.int64)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=WORKING_CRS)
    labels = cluster_incidents(
        points, method="dbscan", distance_m=distance_m, min_incidents=min_incidents
    )
    return np.asarray(labels, dtype=np.int64)


# --------------------------------------------------------------------------------------------
# steps of link_asb_to_street_crime


@dataclass(frozen=True, eq=False)
class Prepared:
    """Located incidents in EPSG:27700 and what each one is."""

    places: gpd.GeoDataFrame
    xy: np.ndarray
    crime_type: np.ndarray
    is_asb: np.ndarray
    is_street: np.ndarray
    focal_asb: np.ndarray
    coverage: pd.PeriodIndex
    month_code: np.ndarray
    n_unlocated: int
    n_without_month: int


def prepare(
    incidents: gpd.GeoDataFrame,
    estates: gpd.GeoDataFrame,
    *,
    youth: str | Callable | None,
    table: ThemeTable,
    asb_theme: str,
    street_crime_theme: str,
) -> Prepared:
    """Check the schemas, reproject, drop (and count) unlocated incidents, label ASB/street."""
    inc = to_working_crs(incidents, argument="incidents", check_bounds=False)
    places = to_working_crs(estates, argument="estates", check_bounds=False)
    problems = [f"missing column {c!r}" for c in ("crime_type", "month") if c not in inc.columns]
    if problems:
        raise SchemaError(
            "`incidents` must follow the incidents schema (read it with snt_geo.io.read_police_uk "
            "or incidents_from_frame).",
            problems,
        )
    if not places.index.is_unique:
        raise SchemaError(
            "`estates` must have a unique index (estate ids); use snt_geo.io.read_estates."
        )
    geom = inc.geometry.to_numpy()
    located = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
    youth_sel = youth_mask(inc, youth)[located]
    inc = inc[located]
    crime_type = inc["crime_type"].astype("string").to_numpy(dtype=object, na_value=None)
    is_asb = np.isin(crime_type, list(table.members(asb_theme)))
    months = to_months(inc["month"], argument="incidents['month']")
    # Incidents without a month still count in space; they are left out of the monthly series.
    coverage = months.dropna().unique().sort_values()
    month_code = coverage.get_indexer(months)
    return Prepared(
        places=places,
        xy=shapely.get_coordinates(inc.geometry.to_numpy()) if len(inc) else np.zeros((0, 2)),
        crime_type=crime_type,
        is_asb=is_asb,
        is_street=np.isin(crime_type, list(table.members(street_crime_theme))),
        focal_asb=is_asb & youth_sel,
        coverage=coverage,
        month_code=month_code,
        n_unlocated=int((~located).sum()),
        n_without_month=int((month_code < 0).sum()),
    )


def asb_near_estates(prep: Prepared, *, near_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return focal ASB (incident, estate) position pairs within ``near_m`` and estate counts."""
    places = prep.places
    if prep.focal_asb.any() and len(places):
        tree = shapely.STRtree(places.geometry.to_numpy())
        asb_pos = np.flatnonzero(prep.focal_asb)
        hit_pt, hit_estate = tree.query(
            shapely.points(prep.xy[asb_pos]), predicate="dwithin", distance=near_m
        )
        near_inc = asb_pos[hit_pt]
    else:
        near_inc = np.zeros(0, dtype=np.int64)
        hit_estate = np.zeros(0, dtype=np.int64)
    return near_inc, hit_estate, np.bincount(hit_estate, minlength=len(places))


def street_clusters(
    prep: Prepared, *, distance_m: float, min_incidents: int
) -> tuple[np.ndarray, dict[int, dict[str, Any]]]:
    """DBSCAN street-crime clusters: each incident's cluster (-1 none) and each cluster's facts."""
    street_pos = np.flatnonzero(prep.is_street)
    labels = _cluster_street_crime(
        prep.xy[street_pos], distance_m=distance_m, min_incidents=min_incidents
    )
    cluster_of = np.full(len(prep.xy), -1, dtype=np.int64)
    cluster_of[street_pos] = labels
    clusters: dict[int, dict[str, Any]] = {}
    for h in np.unique(labels[labels >= 0]):
        members = street_pos[labels == h]
        pts = prep.xy[members]
        types = pd.Series(prep.crime_type[members]).value_counts()
        clusters[int(h)] = {
            "members": members,
            "n": len(members),
            "main_type": str(types.index[0]),
            "hull": shapely.convex_hull(shapely.multipoints(pts)),
            "centre": shapely.Point(pts.mean(axis=0)),
        }
    return cluster_of, clusters


@dataclass(frozen=True, eq=False)
class Colocation:
    """The estate-level co-location test and each estate's kernel-weighted neighbours."""

    cand: np.ndarray
    cand_is_street: np.ndarray
    contrib: sparse.csr_matrix
    tested: np.ndarray
    clq: np.ndarray
    share_near: np.ndarray
    p_value: np.ndarray
    p_adjusted: np.ndarray
    significant: np.ndarray
    share_area: float


def colocation(
    prep: Prepared,
    near_inc: np.ndarray,
    hit_estate: np.ndarray,
    *,
    link_m: float,
    min_asb: int,
    permutations: int,
    alpha: float,
    correction: str,
    rng: np.random.Generator,
) -> Colocation:
    """Co-location quotient of street crime with each estate's ASB, tested and adjusted."""
    n_estates = len(prep.places)
    is_focal = np.zeros(len(prep.xy), dtype=bool)
    is_focal[near_inc] = True
    cand = np.flatnonzero(~is_focal)
    cand_is_b = prep.is_street[cand]
    # distinct focal locations; an estate's weight at one is its number of focal incidents there
    loc_index, uniq_xy, _ = group_locations(prep.xy[near_inc, 0], prep.xy[near_inc, 1])
    weights = gaussian_weights(uniq_xy, prep.xy[cand], float(link_m))
    group_weights = sparse.csr_matrix(
        (np.ones(len(loc_index)), (hit_estate, loc_index)), shape=(n_estates, len(uniq_xy))
    )
    row_sum = np.asarray(weights.sum(axis=1)).ravel()
    n_used = group_weights @ (row_sum > 0).astype(float)
    tested = n_used >= min_asb
    base = clq_core(
        weights, group_weights, cand_is_b, permutations=permutations, rng=rng, test_groups=tested
    )
    tested &= np.isfinite(base["clq"])
    p_adj = np.full(n_estates, np.nan)
    if tested.any() and permutations > 0:
        adjust = holm_adjust if correction == "holm" else bh_adjust
        p_adj[tested] = adjust(base["p_value"][tested])
    significant = np.nan_to_num(p_adj, nan=np.inf) <= alpha
    significant &= np.nan_to_num(base["clq"], nan=0.0) > 1
    inv = np.where(row_sum > 0, 1.0 / np.where(row_sum > 0, row_sum, 1.0), 0.0)
    return Colocation(
        cand=cand,
        cand_is_street=cand_is_b,
        contrib=(group_weights @ sparse.diags(inv) @ weights).tocsr(),  # estates x candidates
        tested=tested,
        clq=base["clq"],
        share_near=base["share_near"],
        p_value=base["p_value"],
        p_adjusted=p_adj,
        significant=significant,
        share_area=float(cand_is_b.mean()) if len(cand) else np.nan,
    )


def _timing(a_series: np.ndarray, b_series: np.ndarray, coverage, max_lag: int) -> dict:
    """Lag-0 r, the best lag and whether ASB changes come first (a guide, not a test)."""
    lags = lagged_correlations(a_series, b_series, coverage, max_lag)
    r0, n0 = lags[0]
    finite = {k: v[0] for k, v in lags.items() if np.isfinite(v[0])}
    best_lag = max(finite, key=lambda k: (finite[k], -abs(k))) if finite else None
    best_r = finite[best_lag] if best_lag is not None else np.nan
    # A rough guide, not a test: r beyond the normal-approximation 95% bound 1.96/sqrt(n).
    asb_leads = (
        best_lag is not None
        and best_lag > 0
        and best_r > r_bound(lags[best_lag][1])
        and best_r > np.nan_to_num(r0, nan=-1.0)
    )
    return {
        "temporal_r": r0,
        "lead_lag_months": np.nan if best_lag is None else best_lag,
        "lead_lag_r": best_r,
        "asb_leads": asb_leads,
        "n_month_pairs": int(n0),
    }


def link_rows(
    prep: Prepared,
    near_inc: np.ndarray,
    hit_estate: np.ndarray,
    n_near: np.ndarray,
    cluster_of: np.ndarray,
    clusters: dict[int, dict[str, Any]],
    co: Colocation,
    *,
    min_asb: int,
    max_lag_months: int,
    asb_selection: str,
) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """Return one row per (estate, candidate cluster), and the per-estate account."""
    places = prep.places
    pgeom = places.geometry.to_numpy()
    names = (
        places["name"].astype("string")
        if "name" in places.columns
        else pd.Series(pd.NA, index=places.index, dtype="string")
    )
    cand_cluster = cluster_of[co.cand]
    n_months = len(prep.coverage)
    rows: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    for e in range(len(places)):
        row = co.contrib.getrow(e)
        cols, vals = row.indices, row.data
        street_mask = co.cand_is_street[cols]
        hs = cand_cluster[cols]
        total_street = vals[street_mask].sum()
        candidates = sorted(set(hs[street_mask & (hs >= 0)].tolist()))
        estate_test = {
            "colocation_quotient": float(co.clq[e]),
            "p_value": float(co.p_value[e]),
            "p_adjusted": float(co.p_adjusted[e]),
            "significant": bool(co.significant[e]),
        }
        records.append(
            {
                "estate": places.index[e],
                "estate_name": names.iloc[e],
                "asb_count_near": int(n_near[e]),
                "tested": bool(co.tested[e]),
                **estate_test,
                "n_candidate_clusters": len(candidates),
                "note": _no_link_note(n_near[e], co.tested[e], candidates, min_asb),
            }
        )
        if not candidates:
            continue
        a_codes = prep.month_code[near_inc[hit_estate == e]]
        a_series = np.bincount(a_codes[a_codes >= 0], minlength=n_months)
        origin = shapely.point_on_surface(pgeom[e])
        for h in candidates:
            info = clusters[h]
            share_h = vals[street_mask & (hs == h)].sum() / total_street if total_street else 0.0
            b_codes = prep.month_code[info["members"]]
            b_series = np.bincount(b_codes[b_codes >= 0], minlength=n_months)
            rows.append(
                {
                    "estate": places.index[e],
                    "estate_name": names.iloc[e],
                    "asb_count_near": int(n_near[e]),
                    "asb_selection": asb_selection,
                    "street_cluster": h,
                    "street_cluster_incidents": info["n"],
                    "street_cluster_main_type": info["main_type"],
                    "distance_m": float(shapely.distance(pgeom[e], info["hull"])),
                    "centre_distance_m": float(shapely.distance(pgeom[e], info["centre"])),
                    "street_cluster_weight_share": float(share_h),
                    "street_share_near": float(co.share_near[e]),
                    "street_share_area": co.share_area,
                    **estate_test,
                    **_timing(a_series, b_series, prep.coverage, int(max_lag_months)),
                    "geometry": shapely.LineString([origin, info["centre"]]),
                }
            )
    return rows, _estates_frame(records)


def _no_link_note(n_near: int, tested: bool, candidates: list[int], min_asb: int) -> str:
    """Return why an estate has no tested link ('' when it has one)."""
    if n_near == 0:
        return "no ASB near the estate"
    if not tested:
        return f"fewer than {min_asb} ASB incidents with neighbours; not tested"
    if not candidates:
        return "no street-crime cluster within reach"
    return ""


def _estates_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Return the per-estate account indexed by ``estate``, columns :data:`ESTATE_COLUMNS`."""
    estates = pd.DataFrame(records, columns=["estate", *ESTATE_COLUMNS]).set_index("estate")
    return estates.astype(
        {
            "asb_count_near": "int64",
            "tested": "bool",
            "significant": "bool",
            "n_candidate_clusters": "int64",
            "note": "string",
            "estate_name": "string",
        }
    )


def explain(r, *, near_m, link_m, youth, street_types, correction, family, permutations) -> str:
    """One sentence per link for a tasking meeting."""
    name = r.estate_name if isinstance(r.estate_name, str) and r.estate_name else str(r.estate)
    asb = (
        f"{r.asb_count_near} youth-related ASB incidents"
        if youth is not None
        else f"{r.asb_count_near} ASB incidents (all ASB was used: police.uk publishes no ages)"
    )
    corr = "Holm" if correction == "holm" else "Benjamini-Hochberg"
    if r.significant:
        verdict = "Significant link"
    elif np.isfinite(r.p_value):
        verdict = "No significant link"
    else:
        verdict = "Link not tested"
    head = (
        f"{verdict}: {name} and street-crime cluster {r.street_cluster} "
        f"({r.street_cluster_incidents} incidents, mostly {r.street_cluster_main_type.lower()}), "
        f"{r.distance_m:.0f} m away, which holds {format_percent(r.street_cluster_weight_share)} "
        f"of the distance-weighted street crime near the estate's ASB. {asb} within "
        f"{near_m:.0f} m of the estate."
    )
    if np.isfinite(r.p_value):
        evidence = (
            f" Street crime ({street_types.lower()}) is {r.colocation_quotient:.1f} times as "
            f"common among incidents within {link_m:.0f} m of that ASB as across the area "
            f"({format_percent(r.street_share_near, digits=1)} against "
            f"{format_percent(r.street_share_area, digits=1)}; "
            f"{format_pvalue(r.p_value, prefix=True)} from {permutations} random relabellings; "
            f"adjusted {format_pvalue(r.p_adjusted, prefix=True)} with {corr} correction over "
            f"{family} estate{'' if family == 1 else 's'} tested)."
        )
    elif permutations == 0:
        evidence = " No permutations were run, so the link was not tested."
    else:
        evidence = " Too little ASB near the estate to test the link."
    if np.isfinite(r.temporal_r):
        bound = r_bound(r.n_month_pairs)
        if r.temporal_r > bound:
            timing = (
                f" Month to month the two series rise and fall together (r = {r.temporal_r:.2f})"
            )
        elif r.temporal_r < -bound:
            timing = (
                " Month to month the two series move in opposite directions "
                f"(r = {r.temporal_r:.2f})"
            )
        else:
            timing = f" Month to month there is no clear association (r = {r.temporal_r:.2f})"
        if r.asb_leads:
            timing += (
                f", and changes in ASB tend to come {int(r.lead_lag_months)} month(s) before "
                f"changes in street crime (r = {r.lead_lag_r:.2f})."
            )
        else:
            timing += "; there is no sign that changes in ASB come first."
    else:
        timing = " Too few months to judge the timing."
    action = (
        " The ASB work around the estate can be one strand of the street-crime plan."
        if r.significant
        else ""
    )
    return head + evidence + timing + action
