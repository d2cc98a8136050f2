"""Local Moran's I (LISA) on ward values: high-high/low-low clusters, high-low/low-high outliers.

Gi* on grid cells finds where incidents concentrate; analysts also ask which wards' *rates* form
clusters with their neighbours (Anselin 1995). :func:`find_ward_clusters` computes each ward's
local Moran's I with row-standardised contiguity weights, a conditional permutation p-value
(drawn through ``rng``), Benjamini-Hochberg FDR control across wards, and the quadrant class.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from snt_geo._format import format_count
from snt_geo._method import MethodRecord
from snt_geo._multitest import bh_adjust
from snt_geo.io.boundaries import check_wards
from snt_geo.linkage.shared_priorities import ward_adjacency

__all__ = ["find_ward_clusters", "WardClusterMethod", "WARD_CLUSTER_CLASSES"]

#: Values of ``cluster_class``: the four LISA quadrants when significant, else not significant.
WARD_CLUSTER_CLASSES = ("high_high", "low_low", "high_low", "low_high", "not_significant")

#: Permutations drawn per chunk (bounds memory at about chunk x wards x max neighbours floats).
_CHUNK = 500


@dataclass(frozen=True, repr=False)
class WardClusterMethod(MethodRecord):
    """What :func:`find_ward_clusters` ran, for a method note (``frame.attrs["method"]``).

    Attributes
    ----------
    value
        What was analysed (the Series name or column).
    n_wards, n_wards_no_value, n_wards_no_neighbours
        Wards analysed; left out for a missing value; with no neighbour among those analysed
        (no statistic, class ``not_significant``).
    adjacency, snap_m
        How neighbours were found (:func:`snt_geo.linkage.ward_adjacency`); weights are
        row-standardised.
    permutations, alpha, fdr
        Conditional permutations per ward; significance level; whether classes use
        Benjamini-Hochberg adjusted p-values across wards.
    n_significant
        Wards in a significant class.
    """

    value: str
    n_wards: int
    n_wards_no_value: int
    n_wards_no_neighbours: int
    adjacency: str
    snap_m: float
    permutations: int
    alpha: float
    fdr: bool
    n_significant: int

    def describe(self) -> str:
        """One paragraph for a method note."""
        correction = (
            "Benjamini-Hochberg false discovery rate control across wards"
            if self.fdr
            else "no multiple-testing correction"
        )
        return (
            f"Local Moran's I (Anselin 1995) of {self.value} over {format_count(self.n_wards)} "
            f"wards with row-standardised {self.adjacency} contiguity weights. Pseudo p-values "
            f"from {self.permutations:,} conditional permutations (one-sided, folded), "
            f"{correction}, significant at {self.alpha:g}: {format_count(self.n_significant)} "
            "wards in a high-high or low-low cluster or a high-low or low-high outlier. "
            f"{format_count(self.n_wards_no_value)} wards without a value and "
            f"{format_count(self.n_wards_no_neighbours)} without a neighbour were not tested."
        )


def _neighbour_table(pairs: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Neighbours as a padded (n, max_k) position table (-1 padding) and each ward's count."""
    both = np.concatenate([pairs, pairs[:, ::-1]]) if len(pairs) else np.empty((0, 2), int)
    order = np.lexsort((both[:, 1], both[:, 0]))
    both = both[order]
    k = np.bincount(both[:, 0], minlength=n)
    table = np.full((n, max(int(k.max(initial=0)), 1)), -1, dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(k)[:-1]])
    slot = np.arange(len(both)) - start[both[:, 0]]
    table[both[:, 0], slot] = both[:, 1]
    return table, k


def _local_moran(z: np.ndarray, table: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local Moran's I and the spatial lag of standardised values, row-standardised weights."""
    n = len(z)
    with np.errstate(invalid="ignore", divide="ignore"):
        lag = np.where(table >= 0, z[np.maximum(table, 0)], 0.0).sum(axis=1) / k
    lag = np.where(k > 0, lag, 0.0)
    return (n - 1) * z * lag / (z * z).sum(), lag


def _permutation_p(
    z: np.ndarray, k: np.ndarray, observed: np.ndarray, permutations: int, rng: np.random.Generator
) -> np.ndarray:
    """Folded one-sided pseudo p-values under conditional randomisation (Anselin 1995).

    For ward ``i`` each permutation draws ``k_i`` values without replacement from the other
    ``n - 1`` wards; ``p = (min(#{I* >= I}, P - #{I* >= I}) + 1) / (P + 1)``.
    """
    n, kmax = len(z), int(k.max())
    den = (z * z).sum()
    ward = np.arange(n)[None, :, None]
    column = np.arange(kmax)[None, None, :]
    used = column < k[None, :, None]
    larger = np.zeros(n, dtype=np.int64)
    done = 0
    while done < permutations:
        size = min(_CHUNK, permutations - done)
        # Distinct draws from 0..n-2 per permutation, shifted past ward i to skip it.
        draws = np.argsort(rng.random((size, n - 1)), axis=1)[:, :kmax][:, None, :]
        others = draws + (draws >= ward)
        lag = np.where(used, z[others], 0.0).sum(axis=2) / np.maximum(k, 1)
        larger += ((n - 1) * z * lag / den >= observed).sum(axis=0)
        done += size
    larger = np.minimum(larger, permutations - larger)
    return (larger + 1.0) / (permutations + 1.0)


def _values(wards: gpd.GeoDataFrame, values: pd.Series | str) -> tuple[np.ndarray, str]:
    if isinstance(values, str):
        if values not in wards.columns:
            raise ValueError(
                f"`values` names a column not in `wards`: {values!r}. Pass a column name or a "
                "Series indexed by ward code (e.g. smooth_ward_rates(...)['seb_rate_per_1000'])."
            )
        series, name = wards[values], values
    elif isinstance(values, pd.Series):
        if values.index.has_duplicates:
            raise ValueError("`values` has duplicate ward codes; give one value per ward.")
        series, name = values.reindex(wards.index), str(values.name or "values")
    else:
        raise TypeError(
            "`values` must be a Series indexed by ward code or a column name of `wards`; got "
            f"{type(values).__name__}."
        )
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64"), name


def find_ward_clusters(
    wards: gpd.GeoDataFrame,
    *,
    values: pd.Series | str,
    permutations: int = 999,
    alpha: float = 0.05,
    fdr: bool = True,
    adjacency: str = "queen",
    snap_m: float = 1.0,
    rng: np.random.Generator | int | None = None,
) -> gpd.GeoDataFrame:
    """Local Moran's I clusters and outliers of a ward-level value (e.g. a smoothed rate).

    Parameters
    ----------
    wards
        Ward polygons indexed by ward code (the wards schema, any CRS).
    values
        The value per ward: a Series indexed by ward code, or the name of a column of ``wards``.
        Wards with a missing value are left out (counted on the method record).
    permutations
        Conditional permutations per ward for the pseudo p-value (default 999).
    alpha
        Significance level for the classes (default 0.05).
    fdr
        Classify on Benjamini-Hochberg adjusted p-values across the wards tested (default True).
    adjacency, snap_m
        Contiguity, as in :func:`snt_geo.linkage.ward_adjacency` (default queen, 1 m snapping).
    rng
        Seed or ``numpy.random.Generator`` for the permutations.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed like ``wards`` (ward code): ``value``, ``spatial_lag`` (mean standardised value of
        the neighbours), ``local_i``, ``p_value`` (folded pseudo p-value), ``p_value_fdr``,
        ``quadrant`` (``HH``, ``LH``, ``LL``, ``HL``: the ward's standardised value above (H) or
        at/below (L) the mean, then its neighbours'), ``cluster_class`` (categorical:
        ``high_high``, ``low_low``, ``high_low``, ``low_high``, ``not_significant``),
        ``n_neighbours`` and ``geometry`` (EPSG:27700). Untested wards have NaN statistics.
        ``attrs["method"]`` is a :class:`WardClusterMethod`.

    Notes
    -----
    With ``z`` the values standardised by their mean and population standard deviation and
    ``w_ij = 1 / k_i`` for the ``k_i`` neighbours of ward ``i``,
    ``I_i = (n - 1) z_i sum_j w_ij z_j / sum_j z_j^2`` (Anselin 1995), as esda's
    ``Moran_Local(y, w, transformation="r")`` ``Is``; the p-values follow the same conditional
    randomisation, so they agree with esda's ``p_sim`` to within permutation error.
    """
    areas = check_wards(wards)
    permutations = _check_permutations(permutations)
    if not (isinstance(alpha, float) and 0 < alpha < 1):
        raise ValueError(f"`alpha` must be a number between 0 and 1, e.g. 0.05; got {alpha!r}.")
    y_all, name = _values(areas, values)
    ok = np.isfinite(y_all)
    kept = np.flatnonzero(ok)
    if len(kept) < 3:
        raise ValueError(f"`values` has {len(kept)} wards with a value; local Moran needs >= 3.")
    position = np.full(len(areas), -1)
    position[kept] = np.arange(len(kept))
    pairs = position[ward_adjacency(areas, adjacency=adjacency, snap_m=snap_m)]
    pairs = pairs[(pairs >= 0).all(axis=1)]
    table, k = _neighbour_table(pairs, len(kept))
    y = y_all[kept]
    z = (y - y.mean()) / y.std()
    local_i, lag = _local_moran(z, table, k)
    p = _permutation_p(z, k, local_i, permutations, np.random.default_rng(rng))
    p[k == 0] = np.nan
    local_i[k == 0] = np.nan
    frame = _result_frame(areas, kept, y, lag, local_i, p, k, alpha=alpha, fdr=fdr)
    n_sig = int((frame["cluster_class"] != "not_significant").sum())
    if (k == 0).any():
        warnings.warn(
            f"find_ward_clusters: {int((k == 0).sum())} wards have no neighbour and were not "
            "tested; see attrs['method'].",
            UserWarning,
            stacklevel=2,
        )
    frame.attrs["method"] = WardClusterMethod(
        value=name,
        n_wards=len(kept),
        n_wards_no_value=int((~ok).sum()),
        n_wards_no_neighbours=int((k == 0).sum()),
        adjacency=adjacency,
        snap_m=float(snap_m),
        permutations=permutations,
        alpha=float(alpha),
        fdr=bool(fdr),
        n_significant=n_sig,
    )
    return frame


def _check_permutations(permutations: object) -> int:
    if (
        isinstance(permutations, bool)
        or not isinstance(permutations, (int, np.integer))
        or permutations < 99
    ):
        raise ValueError(
            f"`permutations` must be a whole number of at least 99; got {permutations!r}. "
            "999 (the default) resolves p-values to 0.001."
        )
    return int(permutations)


def _result_frame(
    areas: gpd.GeoDataFrame,
    kept: np.ndarray,
    y: np.ndarray,
    lag: np.ndarray,
    local_i: np.ndarray,
    p: np.ndarray,
    k: np.ndarray,
    *,
    alpha: float,
    fdr: bool,
) -> gpd.GeoDataFrame:
    n = len(areas)

    def spread(values: np.ndarray, fill: float = np.nan) -> np.ndarray:
        out = np.full(n, fill)
        out[kept] = values
        return out

    p_fdr = bh_adjust(p)
    high, lag_high = y > y.mean(), lag > 0
    quadrant = np.where(high, np.where(lag_high, "HH", "HL"), np.where(lag_high, "LH", "LL"))
    names = {"HH": "high_high", "LL": "low_low", "HL": "high_low", "LH": "low_high"}
    test = p_fdr if fdr else p
    with np.errstate(invalid="ignore"):
        significant = test <= alpha
    classes = np.where(significant, [names[q] for q in quadrant], "not_significant")
    all_classes = np.full(n, "not_significant", dtype=object)
    all_classes[kept] = classes
    all_quadrants = np.full(n, None, dtype=object)
    all_quadrants[kept] = quadrant
    return gpd.GeoDataFrame(
        {
            "value": spread(y),
            "spatial_lag": spread(lag),
            "local_i": spread(local_i),
            "p_value": spread(p),
            "p_value_fdr": spread(p_fdr),
            "quadrant": pd.array(all_quadrants, dtype="string"),
            "cluster_class": pd.Categorical(all_classes, categories=list(WARD_CLUSTER_CLASSES)),
            "n_neighbours": spread(k, 0).astype(np.int64),
        },
        geometry=areas.geometry.to_crs(27700).to_numpy(),
        index=areas.index.copy(),
        crs=27700,
    )
