"""Links from ASB around housing estates to nearby street-crime hotspots.

A *link* is a candidate connection between an estate and a street-crime hotspot: ASB recorded
around the estate, and a cluster of robbery / theft from the person within walking distance. The
evidence for a link is (1) spatial co-location: street crime is over-represented among the
incidents recorded near that ASB, tested against random relabelling of incident types, with
multiple-testing control across estates; and (2) timing: whether month-on-month changes in the two
series move together, and whether changes in ASB come first.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.spatial import cKDTree
from scipy.stats import false_discovery_control

from snt_geo.crs import WORKING_CRS, to_working_crs
from snt_geo.errors import SchemaError
from snt_geo.linkage.clusters import cluster_incidents
from snt_geo.themes import DEFAULT_THEMES, ThemeTable

__all__ = ["LINK_COLUMNS", "colocation_quotient", "link_asb_to_street_crime"]

#: Output columns of :func:`link_asb_to_street_crime`, in order (``geometry`` last).
LINK_COLUMNS = (
    "estate",
    "estate_name",
    "asb_count_near",
    "asb_selection",
    "hotspot",
    "hotspot_incidents",
    "hotspot_main_type",
    "distance_m",
    "centre_distance_m",
    "hotspot_weight_share",
    "street_share_near",
    "street_share_area",
    "colocation_quotient",
    "p_value",
    "p_adjusted",
    "significant",
    "temporal_r",
    "lead_lag_months",
    "lead_lag_r",
    "asb_leads",
    "n_month_pairs",
    "explanation",
    "geometry",
)

_CORRECTIONS = ("holm", "fdr_bh")
_PERMUTATION_CHUNK = 128
_MIN_MONTH_PAIRS = 6


# --------------------------------------------------------------------------------------------
# co-location quotient


def _gaussian_weights(
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


def _clq_core(
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


def colocation_quotient(
    focal: gpd.GeoDataFrame | gpd.GeoSeries,
    neighbours: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    target: np.ndarray | pd.Series,
    bandwidth_m: float,
    permutations: int = 999,
    rng: np.random.Generator | int | None = None,
) -> pd.Series:
    """Co-location quotient of a focal point set to a target category among neighbour points.

    Parameters
    ----------
    focal
        The focal points A (e.g. ASB near one estate); any CRS, measured in EPSG:27700.
    neighbours
        The points that can be neighbours of a focal point (e.g. every other incident). The focal
        points should not be among them.
    target
        Boolean, one per row of ``neighbours``: True for category B (e.g. street crime).
    bandwidth_m
        Kernel bandwidth in metres: neighbours within this distance of a focal point count, with
        weight ``exp(-0.5 (d / bandwidth_m)^2)``.
    permutations
        Random relabellings of ``neighbours`` for the p-value (0 for none).
    rng
        Seed or ``numpy.random.Generator``.

    Returns
    -------
    pandas.Series
        Index ``colocation_quotient``, ``p_value``, ``share_near`` (the mean over focal points of
        the kernel-weighted share of B among their neighbours), ``share_area`` (share of B among
        all neighbour points), ``n_focal``, ``n_focal_used`` (focal points with at least one
        neighbour within the bandwidth; the others are left out of the mean), ``n_neighbours``,
        ``bandwidth_m``, ``permutations``.

    Notes
    -----
    This is the global co-location quotient of Leslie & Kronenfeld (2011) computed as the mean of
    the local quotients of Wang et al. (2017): for focal point i,
    ``LCLQ_i = (sum_j w_ij b_j / sum_j w_ij) / (N_B / N)`` over the neighbour points j within the
    bandwidth, with the box-Gaussian kernel of Wang et al. and a fixed bandwidth. It differs from
    the textbook quotient in one respect: neighbours are drawn from a separate set (``neighbours``)
    rather than from all points but i, so the focal points' own clustering does not count against
    B. The p-value is one-sided (quotient at least as large as observed) from random relabelling
    of ``neighbours`` with their locations fixed: ``(1 + #{sim >= obs}) / (permutations + 1)``.
    Under that null, B is distributed like the other neighbour points, which is why the other
    points should be a sensible background (all recorded crime, not only the focal type).

    References
    ----------
    Leslie, T. F. & Kronenfeld, B. J. (2011). The colocation quotient: a new measure of spatial
    association between categorical subsets of points. Geographical Analysis 43(3), 306-326.
    Wang, F., Hu, Y., Wang, S. & Li, X. (2017). Local indicator of colocation quotient with a
    statistical significance test. Cartography and Geographic Information Science 44(2), 138-150.
    """
    _check_positive(bandwidth_m, "bandwidth_m")
    permutations = _check_permutations(permutations)
    f = to_working_crs(focal, argument="focal", check_bounds=False)
    nb = to_working_crs(neighbours, argument="neighbours", check_bounds=False)
    target = np.asarray(target, dtype=bool)
    if target.shape != (len(nb),):
        raise ValueError(
            f"`target` must hold one boolean per row of `neighbours` ({len(nb)}); got shape "
            f"{target.shape}."
        )
    fxy = shapely.get_coordinates(f.geometry.to_numpy())
    nxy = shapely.get_coordinates(nb.geometry.to_numpy())
    weights = _gaussian_weights(fxy, nxy, float(bandwidth_m))
    groups = sparse.csr_matrix(np.ones((1, len(fxy))))
    res = _clq_core(
        weights, groups, target, permutations=permutations, rng=np.random.default_rng(rng)
    )
    return pd.Series(
        {
            "colocation_quotient": res["clq"][0],
            "p_value": res["p_value"][0],
            "share_near": res["share_near"][0],
            "share_area": target.mean() if len(target) else np.nan,
            "n_focal": len(fxy),
            "n_focal_used": int(res["n_focal_used"][0]),
            "n_neighbours": len(nxy),
            "bandwidth_m": float(bandwidth_m),
            "permutations": permutations,
        },
        name="colocation",
        dtype=object,
    )


# --------------------------------------------------------------------------------------------
# helpers


def _check_positive(value: object, name: str) -> None:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or not np.isfinite(value) or value <= 0:
        raise ValueError(f"`{name}` must be a positive number of metres; got {value!r}.")


def _check_permutations(permutations: object) -> int:
    if (
        isinstance(permutations, bool)
        or not isinstance(permutations, (int, np.integer))
        or permutations < 0
    ):
        raise ValueError(
            f"`permutations` must be a whole number >= 0 (999 is usual); got {permutations!r}."
        )
    return int(permutations)


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


def _to_months(values: pd.Series, *, argument: str) -> pd.PeriodIndex:
    if isinstance(values.dtype, pd.PeriodDtype):
        return pd.PeriodIndex(values).asfreq("M")
    try:
        return pd.PeriodIndex(pd.to_datetime(values.astype(str), format="mixed"), freq="M")
    except (ValueError, TypeError) as exc:
        raise SchemaError(
            f"`{argument}` column 'month' could not be read as months (e.g. '2024-03'); got "
            f"values like {values.iloc[0]!r}."
        ) from exc


def _youth_mask(incidents: gpd.GeoDataFrame, youth: str | Callable | None) -> np.ndarray:
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


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values."""
    m = len(p)
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out


def _lagged_correlations(
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


def _r_bound(n: int) -> float:
    """Rough 95% bound for a correlation of n pairs under no association (1.96 / sqrt(n))."""
    return 1.96 / np.sqrt(n) if n > 0 else np.inf


def _fmt_p(p: float) -> str:
    if not np.isfinite(p):
        return "not tested"
    return f"p = {p:.3f}" if p >= 0.001 else "p < 0.001"


# --------------------------------------------------------------------------------------------
# the link finder


def link_asb_to_street_crime(
    incidents: gpd.GeoDataFrame,
    estates: gpd.GeoDataFrame,
    *,
    near_m: float = 100.0,
    link_m: float = 400.0,
    youth: str | Callable[[gpd.GeoDataFrame], Any] | None = None,
    hotspot_distance_m: float = 50.0,
    hotspot_min_incidents: int = 15,
    permutations: int = 999,
    alpha: float = 0.05,
    correction: str = "holm",
    min_asb: int = 5,
    max_lag_months: int = 3,
    asb_theme: str = "asb",
    street_crime_theme: str = "street_crime",
    themes: ThemeTable | None = None,
    rng: np.random.Generator | int | None = None,
) -> gpd.GeoDataFrame:
    """Candidate links from ASB around estates to nearby street-crime hotspots, with evidence.

    Parameters
    ----------
    incidents
        All recorded incidents of the area (the incidents schema: ``crime_type``, ``month`` and
        point geometry in any CRS; measured in EPSG:27700). Pass every crime type, not only ASB
        and street crime: the other incidents are the background that says where incidents
        happen at all (see Notes). Incidents without a location are left out and counted;
        incidents without a month count in space but not in the monthly series (counted too).
    estates
        Estates (the estates schema: index ``estate_id``, optional ``name``; polygons or points,
        any CRS).
    near_m
        ASB within this many metres of an estate (0 inside it) is *ASB near the estate*.
        Default 100 m.
    link_m
        Kernel bandwidth in metres: incidents within this distance of the ASB near an estate are
        its neighbours for the co-location quotient, and a hotspot is a candidate when one of its
        incidents lies within it. Default 400 m (about five minutes' walk).
    youth
        Selects the youth-related ASB: a boolean column of ``incidents``, or a callable taking
        ``incidents`` (in EPSG:27700) and returning one boolean per row. Default None: all ASB is
        used, which the explanation says (police.uk publishes no ages).
    hotspot_distance_m, hotspot_min_incidents
        Street-crime hotspots are DBSCAN clusters of the street-crime incidents with this
        neighbourhood radius (metres) and minimum number of incidents (counting the point itself).
        Defaults 50 m and 15.
    permutations
        Random relabellings for the co-location p-value. Default 999.
    alpha
        Significance level after multiple-testing control. Default 0.05.
    correction
        ``"holm"`` (Holm 1979, family-wise error across estates; default) or ``"fdr_bh"``
        (Benjamini & Hochberg 1995, false discovery rate).
    min_asb
        Estates with fewer ASB incidents near them (with any neighbour within ``link_m``) are not
        tested. Default 5.
    max_lag_months
        Largest lag, in months, of the temporal association. Default 3.
    asb_theme, street_crime_theme
        Theme keys in ``themes`` whose crime types are the ASB and the street crime. Defaults
        ``"asb"`` (Anti-social behaviour) and ``"street_crime"`` (Robbery, Theft from the person).
    themes
        Theme table; default :data:`snt_geo.themes.DEFAULT_THEMES`.
    rng
        Seed or ``numpy.random.Generator`` for the permutations.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:27700, one row per candidate (estate, hotspot) link, index ``link`` (0, 1, ...;
        sorted by estate, then distance). Columns, in order:

        - ``estate`` (index label of ``estates``), ``estate_name`` (its ``name`` or NA),
        - ``asb_count_near`` (ASB incidents near the estate, after ``youth``),
          ``asb_selection`` (``"youth"`` or ``"all ASB"``),
        - ``hotspot`` (cluster label), ``hotspot_incidents``, ``hotspot_main_type``,
        - ``distance_m`` (estate to the hotspot's convex hull; 0 if they overlap),
          ``centre_distance_m`` (estate to the hotspot's mean centre),
        - ``hotspot_weight_share`` (this hotspot's part of the kernel-weighted street crime near
          the estate's ASB),
        - ``street_share_near``, ``street_share_area``, ``colocation_quotient`` (their ratio),
          ``p_value`` (permutation, one-sided), ``p_adjusted`` (after ``correction`` across the
          tested estates), ``significant`` (bool: ``p_adjusted <= alpha`` and quotient > 1; the
          estate-level test, shared by the estate's candidate hotspots),
        - ``temporal_r`` (Pearson r of month-on-month changes at lag 0), ``lead_lag_months``
          (the lag in -max..max with the largest r; positive = ASB changes come first),
          ``lead_lag_r``, ``asb_leads`` (bool: that lag is positive, its r exceeds the lag-0 r
          and the rough 95% bound ``1.96 / sqrt(n_month_pairs)``; a guide, not a test),
          ``n_month_pairs`` (month pairs behind ``temporal_r``),
        - ``explanation`` (one sentence for a tasking meeting), ``geometry`` (LineString from
          the estate's representative point to the hotspot's mean centre).

        ``attrs["parameters"]`` records every option and automatic count (incidents used and
        left out, hotspots found, estates tested, the street-crime share of the area);
        ``attrs["estates"]`` is a list of one dict per estate with ``estate``,
        ``asb_count_near``, ``tested``, ``colocation_quotient``, ``p_value``, ``p_adjusted``,
        ``significant``, ``n_candidate_hotspots`` and ``note``, so estates with no link are
        accounted for too.

    Raises
    ------
    CRSError
        ``incidents`` or ``estates`` has no CRS.
    SchemaError
        Missing ``crime_type`` / ``month`` columns, an unknown theme, or a bad ``youth`` column.
    ValueError
        Invalid options (each message names the option).

    Notes
    -----
    *Co-location.* For each estate, the focal points are its ASB incidents within ``near_m``;
    the neighbours are all located incidents except the focal ASB of any estate. The estate's
    co-location quotient (Leslie & Kronenfeld 2011) is the mean over its focal points of the local
    quotient of Wang et al. (2017) with a fixed box-Gaussian kernel of bandwidth ``link_m``: the
    kernel-weighted share of street crime among a focal point's neighbours, divided by the share of
    street crime among all neighbours. Its p-value comes from relabelling the neighbours at random
    (street crime or not, locations fixed), all estates sharing the same relabellings. The null
    hypothesis is therefore "street crime is located like the other recorded incidents", which
    is why the background matters: with only ASB and street crime the background is the ASB not
    near any estate. Excluding the focal ASB from the neighbours keeps the ASB's own clustering
    from hiding street crime a few hundred metres away.

    *Multiple testing.* One test per estate with at least ``min_asb`` focal incidents; Holm's
    step-down correction (or Benjamini-Hochberg) across those tests. A link is significant when
    its estate's test is, and the hotspot is a candidate (within ``link_m`` of the ASB);
    ``hotspot_weight_share`` says how much of the nearby street crime each hotspot holds.

    *Timing.* Monthly counts of the estate's ASB and of the hotspot's street crime, over the
    months present in ``incidents`` (a gap in the data is not a month of zero crime); Pearson
    correlation of month-on-month changes, which removes shared trends such as lockdown falls.
    It is evidence for the narrative, not part of the significance test; at least
    6 month pairs are needed, else NaN.

    police.uk locations are snapped to anonymised map points, and ASB has no ages; treat a
    link as a prompt for joint tasking, not proof of the same offenders.
    """
    # ---- options
    _check_positive(near_m, "near_m")
    _check_positive(link_m, "link_m")
    _check_positive(hotspot_distance_m, "hotspot_distance_m")
    permutations = _check_permutations(permutations)
    for name, value, low in (
        ("hotspot_min_incidents", hotspot_min_incidents, 1),
        ("min_asb", min_asb, 1),
        ("max_lag_months", max_lag_months, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"`{name}` must be a whole number >= {low}; got {value!r}.")
    if not (isinstance(alpha, (int, float)) and 0 < alpha < 1):
        raise ValueError(f"`alpha` must be a probability between 0 and 1; got {alpha!r}.")
    if correction not in _CORRECTIONS:
        raise ValueError(f"`correction` must be 'holm' or 'fdr_bh'; got {correction!r}.")
    table = DEFAULT_THEMES if themes is None else themes
    missing_themes = [t for t in (asb_theme, street_crime_theme) if t not in table.themes]
    if missing_themes:
        raise SchemaError(
            "Unknown theme keys; pass keys of `themes` (e.g. 'asb', 'street_crime', 'robbery').",
            [f"{t!r} is not a theme" for t in missing_themes],
        )
    gen = np.random.default_rng(rng)

    # ---- inputs
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
    n_unlocated = int((~located).sum())
    if n_unlocated:
        warnings.warn(
            f"{n_unlocated} of {len(inc)} incidents have no location and are left out of the "
            "link analysis.",
            UserWarning,
            stacklevel=2,
        )
    youth_sel = _youth_mask(inc, youth)
    inc = inc[located]
    youth_sel = youth_sel[located]
    crime_type = inc["crime_type"].astype("string").to_numpy(dtype=object, na_value=None)
    is_asb = np.isin(crime_type, list(table.members(asb_theme)))
    is_street = np.isin(crime_type, list(table.members(street_crime_theme)))
    if len(inc):
        months = _to_months(inc["month"], argument="incidents")
    else:
        months = pd.PeriodIndex([], freq="M")
    # Incidents without a month still count in space; they are left out of the monthly series.
    coverage = months.dropna().unique().sort_values()
    month_code = coverage.get_indexer(months)
    n_without_month = int((month_code < 0).sum())
    xy = shapely.get_coordinates(inc.geometry.to_numpy()) if len(inc) else np.zeros((0, 2))
    focal_asb = is_asb & youth_sel

    # ---- ASB near each estate
    pgeom = places.geometry.to_numpy()
    if focal_asb.any() and len(places):
        tree = shapely.STRtree(pgeom)
        asb_pos = np.flatnonzero(focal_asb)
        hit_pt, hit_estate = tree.query(
            shapely.points(xy[asb_pos]), predicate="dwithin", distance=near_m
        )
        near_inc = asb_pos[hit_pt]
    else:
        near_inc = np.zeros(0, dtype=np.int64)
        hit_estate = np.zeros(0, dtype=np.int64)
    is_focal = np.zeros(len(inc), dtype=bool)
    is_focal[near_inc] = True
    n_near = np.bincount(hit_estate, minlength=len(places))

    # ---- street-crime hotspots
    street_pos = np.flatnonzero(is_street)
    labels = _cluster_street_crime(
        xy[street_pos], distance_m=hotspot_distance_m, min_incidents=hotspot_min_incidents
    )
    hotspot_of = np.full(len(inc), -1, dtype=np.int64)
    hotspot_of[street_pos] = labels
    hotspot_ids = np.unique(labels[labels >= 0])
    hotspots: dict[int, dict[str, Any]] = {}
    for h in hotspot_ids:
        members = street_pos[labels == h]
        pts = xy[members]
        types = pd.Series(crime_type[members]).value_counts()
        hotspots[int(h)] = {
            "members": members,
            "n": len(members),
            "main_type": str(types.index[0]),
            "hull": shapely.convex_hull(shapely.multipoints(pts)),
            "centre": shapely.Point(pts.mean(axis=0)),
        }

    # ---- co-location: focal locations x candidate neighbours
    cand = np.flatnonzero(~is_focal)
    cand_is_b = is_street[cand]
    # distinct (estate, location) pairs: multiplicity = number of focal incidents there
    loc_key = pd.DataFrame({"estate": hit_estate, "x": xy[near_inc, 0], "y": xy[near_inc, 1]})
    uniq_xy, loc_index = (
        np.unique(loc_key[["x", "y"]].to_numpy(), axis=0, return_inverse=True)
        if len(loc_key)
        else (np.zeros((0, 2)), np.zeros(0, dtype=np.int64))
    )
    loc_index = np.asarray(loc_index).ravel()
    weights = _gaussian_weights(uniq_xy, xy[cand], float(link_m))
    group_weights = sparse.csr_matrix(
        (np.ones(len(loc_index)), (hit_estate, loc_index)), shape=(len(places), len(uniq_xy))
    )
    n_used = np.asarray(
        (
            group_weights
            @ sparse.csr_matrix(
                (np.asarray(weights.sum(axis=1)).ravel() > 0).astype(float)[:, None]
            )
        ).todense()
    ).ravel()
    tested = n_used >= min_asb
    base = _clq_core(
        weights, group_weights, cand_is_b, permutations=permutations, rng=gen, test_groups=tested
    )
    tested &= np.isfinite(base["clq"])
    p_value = base["p_value"]
    p_adj = np.full(len(places), np.nan)
    if tested.any() and permutations > 0:
        pt = p_value[tested]
        p_adj[tested] = _holm(pt) if correction == "holm" else false_discovery_control(pt)
    clq = base["clq"]
    significant = np.nan_to_num(p_adj, nan=np.inf) <= alpha
    significant &= np.nan_to_num(clq, nan=0.0) > 1
    share_area = float(cand_is_b.mean()) if len(cand) else np.nan

    # hotspot shares of each estate's kernel-weighted street crime
    row_sum = np.asarray(weights.sum(axis=1)).ravel()
    inv = np.where(row_sum > 0, 1.0 / np.where(row_sum > 0, row_sum, 1.0), 0.0)
    contrib = (group_weights @ sparse.diags(inv) @ weights).tocsr()  # estates x candidates
    cand_hotspot = hotspot_of[cand]

    # ---- rows
    estate_labels = places.index
    names = (
        places["name"].astype("string")
        if "name" in places.columns
        else pd.Series(pd.NA, index=places.index, dtype="string")
    )
    asb_selection = "all ASB" if youth is None else "youth"
    street_types = " and ".join(t.lower() for t in table.members(street_crime_theme))
    street_types = street_types[:1].upper() + street_types[1:]
    family = int(tested.sum())
    rows = []
    records = []
    for e in range(len(places)):
        row = contrib.getrow(e)
        cols, vals = row.indices, row.data
        street_mask = cand_is_b[cols]
        hs = cand_hotspot[cols]
        total_street = vals[street_mask].sum()
        candidates = sorted(set(hs[street_mask & (hs >= 0)].tolist()))
        note = ""
        if n_near[e] == 0:
            note = "no ASB near the estate"
        elif not tested[e]:
            note = f"fewer than {min_asb} ASB incidents with neighbours; not tested"
        elif not candidates:
            note = "no street-crime hotspot within reach"
        records.append(
            {
                "estate": estate_labels[e],
                "asb_count_near": int(n_near[e]),
                "tested": bool(tested[e]),
                "colocation_quotient": float(clq[e]),
                "p_value": float(p_value[e]),
                "p_adjusted": float(p_adj[e]),
                "significant": bool(significant[e]),
                "n_candidate_hotspots": len(candidates),
                "note": note,
            }
        )
        if not candidates:
            continue
        focal_here = near_inc[hit_estate == e]
        a_codes = month_code[focal_here]
        a_series = np.bincount(a_codes[a_codes >= 0], minlength=len(coverage))
        origin = shapely.point_on_surface(pgeom[e])
        for h in candidates:
            info = hotspots[h]
            share_h = vals[street_mask & (hs == h)].sum() / total_street if total_street else 0.0
            b_codes = month_code[info["members"]]
            b_series = np.bincount(b_codes[b_codes >= 0], minlength=len(coverage))
            lags = _lagged_correlations(a_series, b_series, coverage, int(max_lag_months))
            r0, n0 = lags[0]
            finite = {k: v[0] for k, v in lags.items() if np.isfinite(v[0])}
            if finite:
                best = max(finite, key=lambda k: (finite[k], -abs(k)))
                best_r = finite[best]
            else:
                best, best_r = np.nan, np.nan
            # A rough guide, not a test: r beyond the normal-approximation 95% bound 1.96/sqrt(n).
            asb_leads = (
                bool(finite)
                and best > 0
                and best_r > _r_bound(lags[best][1])
                and best_r > np.nan_to_num(r0, nan=-1.0)
            )
            rows.append(
                {
                    "estate": estate_labels[e],
                    "estate_name": names.iloc[e],
                    "asb_count_near": int(n_near[e]),
                    "asb_selection": asb_selection,
                    "hotspot": h,
                    "hotspot_incidents": info["n"],
                    "hotspot_main_type": info["main_type"],
                    "distance_m": float(shapely.distance(pgeom[e], info["hull"])),
                    "centre_distance_m": float(shapely.distance(pgeom[e], info["centre"])),
                    "hotspot_weight_share": float(share_h),
                    "street_share_near": float(base["share_near"][e]),
                    "street_share_area": share_area,
                    "colocation_quotient": float(clq[e]),
                    "p_value": float(p_value[e]),
                    "p_adjusted": float(p_adj[e]),
                    "significant": bool(significant[e]),
                    "temporal_r": r0,
                    "lead_lag_months": best,
                    "lead_lag_r": best_r,
                    "asb_leads": asb_leads,
                    "n_month_pairs": int(n0),
                    "geometry": shapely.LineString([origin, info["centre"]]),
                }
            )
    out = gpd.GeoDataFrame(
        rows, columns=list(LINK_COLUMNS[:-2]) + ["geometry"], geometry="geometry", crs=WORKING_CRS
    )
    out = out.sort_values(["estate", "distance_m"], kind="stable").reset_index(drop=True)
    out.index.name = "link"
    out = out.astype(
        {
            "asb_count_near": "int64",
            "hotspot": "int64",
            "hotspot_incidents": "int64",
            "significant": "bool",
            "asb_leads": "bool",
            "n_month_pairs": "int64",
            "lead_lag_months": "float64",
        }
    )
    out["explanation"] = [
        _explain(
            r,
            near_m=near_m,
            link_m=link_m,
            youth=youth,
            street_types=street_types,
            correction=correction,
            family=family,
            permutations=permutations,
            alpha=alpha,
        )
        for r in out.itertuples()
    ]
    out = out[list(LINK_COLUMNS)]
    out.attrs["parameters"] = {
        "near_m": float(near_m),
        "link_m": float(link_m),
        "youth": None if youth is None else (youth if isinstance(youth, str) else repr(youth)),
        "hotspot_distance_m": float(hotspot_distance_m),
        "hotspot_min_incidents": int(hotspot_min_incidents),
        "hotspot_method": "dbscan",
        "permutations": permutations,
        "alpha": float(alpha),
        "correction": correction,
        "min_asb": int(min_asb),
        "max_lag_months": int(max_lag_months),
        "asb_types": list(table.members(asb_theme)),
        "street_crime_types": list(table.members(street_crime_theme)),
        "n_incidents": len(incidents),
        "n_incidents_without_location": n_unlocated,
        "n_incidents_without_month": n_without_month,
        "n_asb": int(is_asb.sum()),
        "n_asb_selected": int(focal_asb.sum()),
        "n_street_crime": int(is_street.sum()),
        "n_neighbour_candidates": len(cand),
        "street_share_area": share_area,
        "n_hotspots": len(hotspots),
        "n_estates": len(places),
        "n_estates_tested": family,
        "months": [str(m) for m in coverage],
        "kernel": "box-Gaussian, fixed bandwidth link_m (Wang et al. 2017)",
    }
    out.attrs["estates"] = records
    return out


def _pct(x: float) -> str:
    return f"{x:.1%}" if np.isfinite(x) else "n/a"


def _explain(r, *, near_m, link_m, youth, street_types, correction, family, permutations, alpha):
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
        f"{verdict}: {name} and street-crime hotspot {r.hotspot} ({r.hotspot_incidents} "
        f"incidents, mostly {r.hotspot_main_type.lower()}), {r.distance_m:.0f} m away, which "
        f"holds {r.hotspot_weight_share:.0%} of the distance-weighted street crime near the "
        f"estate's ASB. {asb} within {near_m:.0f} m of the estate."
    )
    if np.isfinite(r.p_value):
        evidence = (
            f" Street crime ({street_types.lower()}) is {r.colocation_quotient:.1f} times as "
            f"common among incidents within {link_m:.0f} m of that ASB as across the area "
            f"({_pct(r.street_share_near)} against {_pct(r.street_share_area)}; "
            f"{_fmt_p(r.p_value)} from {permutations} random relabellings; adjusted "
            f"{_fmt_p(r.p_adjusted)} with {corr} correction over {family} "
            f"estate{'' if family == 1 else 's'} tested)."
        )
    elif permutations == 0:
        evidence = " No permutations were run, so the link was not tested."
    else:
        evidence = " Too little ASB near the estate to test the link."
    if np.isfinite(r.temporal_r):
        bound = _r_bound(r.n_month_pairs)
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
