"""Smoothed ward rates: empirical Bayes (global) and spatial empirical Bayes.

A raw rate (incidents per 1,000 residents) of a small-population ward swings with every incident;
empirical Bayes shrinks it towards a reference rate by as much as its population leaves it
uncertain. Global empirical Bayes (Marshall 1991) shrinks every ward towards the rate of the
whole study area; spatial empirical Bayes shrinks each ward towards the rate of its neighbourhood
(the ward and the wards adjacent to it). Both follow the method-of-moments estimators that PySAL's
``esda.smoothing.Empirical_Bayes`` and ``Spatial_Empirical_Bayes`` implement, and agree with them
on London's wards (tests/profile/test_smoothing.py).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from snt_geo._format import format_count, format_rate
from snt_geo._method import MethodRecord
from snt_geo.io.boundaries import check_wards
from snt_geo.linkage.shared_priorities import ward_adjacency

__all__ = [
    "smooth_ward_rates",
    "smooth_ward_rate_columns",
    "RateSmoothingMethod",
    "SMOOTHED_RATE_COLUMNS",
]


#: Output columns of :func:`smooth_ward_rates` (rates per 1,000 residents, the default).
SMOOTHED_RATE_COLUMNS = (
    "events",
    "population",
    "rate_per_1000",
    "eb_rate_per_1000",
    "seb_rate_per_1000",
    "seb_neighbours",
)


@dataclass(frozen=True, repr=False)
class RateSmoothingMethod(MethodRecord):
    """What :func:`smooth_ward_rates` ran, for a method note (``frame.attrs["method"]``).

    Attributes
    ----------
    per_residents
        Rates are per this many residents.
    n_wards, n_wards_no_population
        Wards in the output; wards with a missing or non-positive population (NaN rates, left out
        of every estimate).
    counts
        The count columns smoothed (``("events",)`` for :func:`smooth_ward_rates`); the tuples
        below have one entry per column, in this order.
    n_events, n_events_unmatched
        Events counted in the wards; events given for ward codes not in ``wards`` (not used).
    global_rate
        Events per ``per_residents`` over all wards with a population: the global prior mean.
    prior_variance
        Method-of-moments variance of the true ward rates around it (per resident squared;
        clamped at 0, in which case every ward gets the global rate).
    adjacency, snap_m
        How spatial empirical Bayes finds each ward's neighbours (see
        :func:`snt_geo.linkage.ward_adjacency`).
    n_wards_no_neighbours
        Wards with no adjacent ward: their spatial empirical Bayes rate is their raw rate.
    """

    per_residents: int
    n_wards: int
    n_wards_no_population: int
    counts: tuple[str, ...]
    n_events: tuple[int, ...]
    n_events_unmatched: tuple[int, ...]
    global_rate: tuple[float, ...]
    prior_variance: tuple[float, ...]
    adjacency: str
    snap_m: float
    n_wards_no_neighbours: int

    def describe(self) -> str:
        """One paragraph for a method note."""
        overall = ", ".join(
            f"{name} {format_rate(r, digits=2)}"
            for name, r in zip(self.counts, self.global_rate, strict=True)
        )
        return (
            f"Rates per {self.per_residents:,} residents for {format_count(self.n_wards)} wards, "
            "raw and smoothed by empirical Bayes (Marshall 1991, method of moments): globally, "
            f"towards the rate of all wards ({overall} per {self.per_residents:,}), and "
            f"spatially, towards the rate of each ward's {self.adjacency} neighbourhood (the "
            "ward and the wards adjacent to it). Each raw rate is shrunk in proportion to the "
            "uncertainty its population leaves, so small-population wards move most. "
            f"{format_count(self.n_wards_no_population)} wards without a population have no "
            f"rate; {format_count(sum(self.n_events_unmatched))} events given for unknown ward "
            "codes were not used."
        )


def _global_eb(e: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Global empirical Bayes rates per resident, the prior mean and the prior variance."""
    m = e.sum() / b.sum()
    r = e / b
    variance = float((b * (r - m) ** 2).sum() / b.sum() - m / b.mean())
    variance = max(variance, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = np.where(variance > 0, variance / (variance + m / b), 0.0)
    return weight * r + (1.0 - weight) * m, float(m), variance


def _spatial_eb(e: np.ndarray, b: np.ndarray, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spatial empirical Bayes rates per resident and each ward's neighbourhood size (self in).

    ``pairs`` are (i, j) positions of adjacent wards, each pair once. The neighbourhood of ``i``
    is ``i`` and its neighbours; its prior mean is the neighbourhood's pooled rate and its prior
    variance the population-weighted spread of the neighbourhood's rates, less the mean Poisson
    noise, clamped at 0.
    """
    n = len(e)
    rows = np.concatenate([pairs[:, 0], pairs[:, 1], np.arange(n)])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0], np.arange(n)])
    e_hood = np.bincount(rows, weights=e[cols], minlength=n)
    b_hood = np.bincount(rows, weights=b[cols], minlength=n)
    size = np.bincount(rows, minlength=n).astype("float64")
    r = e / b
    m = e_hood / b_hood
    spread = np.bincount(rows, weights=b[cols] * (r[cols] - m[rows]) ** 2, minlength=n) / b_hood
    variance = np.maximum(spread - m / (b_hood / size), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        denominator = variance + m / b
        weight = np.where(denominator > 0, variance / denominator, 0.0)
    return m + (r - m) * weight, size.astype(np.int64)


def _align_counts(counts: pd.Series, index: pd.Index) -> tuple[np.ndarray, int]:
    if not isinstance(counts, pd.Series):
        raise TypeError(
            "`counts` must be a pandas Series of incident counts indexed by ward code (e.g. "
            f"assign_wards(incidents, wards).value_counts()); got {type(counts).__name__}."
        )
    values = pd.to_numeric(counts, errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.any():
        raise ValueError(
            f"`counts` must hold non-negative numbers of incidents; {int(bad.sum())} entries do "
            f"not, e.g. {counts[bad].index[0]!r}: {counts[bad].iloc[0]!r}."
        )
    unmatched = int(values[~values.index.isin(index)].sum())
    aligned = values.groupby(level=0).sum().reindex(index, fill_value=0)
    return aligned.to_numpy(dtype="float64"), unmatched


def _align_population(population: pd.Series, index: pd.Index) -> np.ndarray:
    if not isinstance(population, pd.Series):
        raise TypeError(
            "`population` must be a pandas Series of residents indexed by ward code (e.g. "
            f"read_demographics(...)['population']); got {type(population).__name__}."
        )
    if population.index.has_duplicates:
        raise ValueError(
            "`population` has duplicate ward codes, e.g. "
            f"{population.index[population.index.duplicated()][0]!r}; give one figure per ward."
        )
    values = pd.to_numeric(population, errors="coerce").reindex(index)
    return values.to_numpy(dtype="float64")


def smooth_ward_rates(
    wards: gpd.GeoDataFrame,
    *,
    counts: pd.Series,
    population: pd.Series,
    per_residents: int = 1000,
    adjacency: str = "queen",
    snap_m: float = 1.0,
) -> pd.DataFrame:
    """Raw, empirical Bayes and spatial empirical Bayes incident rates per ward.

    Parameters
    ----------
    wards
        Ward polygons indexed by ward code (the wards schema, any CRS).
    counts
        Incidents per ward, indexed by ward code (a ward missing from it has 0 incidents; a code
        not in ``wards`` is counted on the method record and not used).
    population
        Residents per ward, indexed by ward code (e.g. ``read_demographics(...)["population"]``).
        A ward with a missing or non-positive population gets NaN rates and is left out of every
        estimate.
    per_residents
        Rates are per this many residents (default 1,000; it names the columns).
    adjacency, snap_m
        Neighbours for spatial empirical Bayes, as in :func:`snt_geo.linkage.ward_adjacency`
        (default queen contiguity with a 1 m snapping tolerance for slivers).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``wards`` (ward code): ``events`` (float: counts as given), ``population``,
        ``rate_per_1000`` (raw), ``eb_rate_per_1000`` (global empirical Bayes),
        ``seb_rate_per_1000`` (spatial empirical Bayes) and ``seb_neighbours`` (wards in the
        neighbourhood, the ward included); the suffix follows ``per_residents``.
        ``attrs["method"]`` is a :class:`RateSmoothingMethod`.

    Warns
    -----
    UserWarning
        When wards lack a population or counts name unknown ward codes (with the numbers).

    Notes
    -----
    Global empirical Bayes (Marshall 1991): with ward rates ``r_i = e_i / b_i``, the pooled rate
    ``m = sum e / sum b`` and ``s2 = sum b_i (r_i - m)^2 / sum b - m / mean(b)`` (clamped at 0),
    the smoothed rate is ``m + w_i (r_i - m)`` with ``w_i = s2 / (s2 + m / b_i)``. Spatial
    empirical Bayes uses the same estimator within each ward's neighbourhood (the ward and its
    adjacent wards) for ``m`` and ``s2``, as PySAL's ``Spatial_Empirical_Bayes`` does. Equal to
    ``esda.smoothing.Empirical_Bayes`` whenever ``s2 > 0`` (esda does not clamp the global
    variance) and to ``Spatial_Empirical_Bayes`` with queen weights.

    Examples
    --------
    >>> from snt_geo.datasets import load_sample
    >>> sample = load_sample()
    >>> from snt_geo.profile import assign_wards
    >>> june = sample.incidents[sample.incidents["month"] == "2023-06"]
    >>> counts = assign_wards(june, sample.wards).value_counts()
    >>> rates = smooth_ward_rates(
    ...     sample.wards, counts=counts, population=sample.demographics["population"]
    ... )
    >>> columns = ["events", "population", "rate_per_1000", "eb_rate_per_1000"]
    >>> rates.loc["E05000002", columns].round(1)
    events               20.0
    population          352.7
    rate_per_1000        56.7
    eb_rate_per_1000     56.9
    Name: E05000002, dtype: float64
    """
    areas = check_wards(wards)
    e_all, unmatched = _align_counts(counts, areas.index)
    prep = _prepare(areas, population, per_residents, adjacency, snap_m, [unmatched])
    e = e_all[prep.kept]
    eb, prior_mean, prior_var = _global_eb(e, prep.b)
    seb, size = _spatial_eb(e, prep.b, prep.pairs)
    suffix = f"per_{per_residents}"
    frame = pd.DataFrame({"events": e_all, "population": prep.b_all}, index=areas.index.copy())
    for name, values in (("rate", e / prep.b), ("eb_rate", eb), ("seb_rate", seb)):
        frame[f"{name}_{suffix}"] = prep.spread(values * per_residents)
    frame["seb_neighbours"] = prep.spread(size, fill=0).astype(np.int64)
    frame.attrs["method"] = prep.method(
        ("events",), [e_all], [unmatched], [prior_mean], [prior_var]
    )
    return frame


def smooth_ward_rate_columns(
    wards: gpd.GeoDataFrame,
    *,
    counts: pd.DataFrame,
    population: pd.Series,
    per_residents: int = 1000,
    adjacency: str = "queen",
    snap_m: float = 1.0,
) -> pd.DataFrame:
    """Empirical Bayes and spatial empirical Bayes rates for several count columns at once.

    For a ward profile: one call smooths every theme's counts with one neighbour search.

    Parameters
    ----------
    wards
        Ward polygons indexed by ward code.
    counts
        One column of incident counts per theme (``burglary``, ``asb``, ...), indexed by ward
        code; the column names name the output columns.
    population, per_residents, adjacency, snap_m
        As for :func:`smooth_ward_rates`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``wards``: for each column ``c`` of ``counts``, ``c_eb_rate_per_1000`` and
        ``c_seb_rate_per_1000`` (suffix from ``per_residents``), NaN where the ward has no
        population. ``attrs["method"]`` is a :class:`RateSmoothingMethod` with one entry per
        column in its tuples.
    """
    if not isinstance(counts, pd.DataFrame):
        raise TypeError(
            "`counts` must be a DataFrame with one column of counts per theme, indexed by ward "
            f"code; got {type(counts).__name__}. For one column use smooth_ward_rates."
        )
    areas = check_wards(wards)
    columns = [str(c) for c in counts.columns]
    aligned = [_align_counts(counts[c].rename(None), areas.index) for c in counts.columns]
    prep = _prepare(areas, population, per_residents, adjacency, snap_m, [u for _, u in aligned])
    suffix = f"per_{per_residents}"
    out = pd.DataFrame(index=areas.index.copy())
    means, variances = [], []
    for name, (e_all, _) in zip(columns, aligned, strict=True):
        e = e_all[prep.kept]
        eb, prior_mean, prior_var = _global_eb(e, prep.b)
        seb, _ = _spatial_eb(e, prep.b, prep.pairs)
        out[f"{name}_eb_rate_{suffix}"] = prep.spread(eb * per_residents)
        out[f"{name}_seb_rate_{suffix}"] = prep.spread(seb * per_residents)
        means.append(prior_mean)
        variances.append(prior_var)
    out.attrs["method"] = prep.method(
        tuple(columns), [e for e, _ in aligned], [u for _, u in aligned], means, variances
    )
    return out


@dataclass(frozen=True)
class _Prepared:
    """Population, the wards kept and their adjacency, shared by every column smoothed."""

    b_all: np.ndarray
    kept: np.ndarray
    pairs: np.ndarray
    per_residents: int
    adjacency: str
    snap_m: float

    @property
    def b(self) -> np.ndarray:
        return self.b_all[self.kept]

    def spread(self, values: np.ndarray, fill: float = np.nan) -> np.ndarray:
        out = np.full(len(self.b_all), fill, dtype="float64")
        out[self.kept] = values
        return out

    def method(self, columns, e_all, unmatched, means, variances) -> RateSmoothingMethod:
        size = np.bincount(self.pairs.ravel(), minlength=len(self.kept))
        return RateSmoothingMethod(
            per_residents=self.per_residents,
            n_wards=len(self.b_all),
            n_wards_no_population=len(self.b_all) - len(self.kept),
            counts=tuple(columns),
            n_events=tuple(int(e.sum()) for e in e_all),
            n_events_unmatched=tuple(int(u) for u in unmatched),
            global_rate=tuple(float(m) * self.per_residents for m in means),
            prior_variance=tuple(float(v) for v in variances),
            adjacency=self.adjacency,
            snap_m=float(self.snap_m),
            n_wards_no_neighbours=int((size == 0).sum()),
        )


def _prepare(
    areas: gpd.GeoDataFrame,
    population: pd.Series,
    per_residents: int,
    adjacency: str,
    snap_m: float,
    unmatched: list[int],
) -> _Prepared:
    if isinstance(per_residents, bool) or not isinstance(per_residents, int) or per_residents < 1:
        raise ValueError(
            f"`per_residents` must be a positive whole number; got {per_residents!r}. Pass "
            "e.g. 1000 for rates per 1,000 residents."
        )
    b_all = _align_population(population, areas.index)
    ok = np.isfinite(b_all) & (b_all > 0)
    if not ok.any():
        raise ValueError(
            "`population` has no positive figure for any ward in `wards`; check that both are "
            "indexed by the same ward codes."
        )
    _warn_unused(int((~ok).sum()), sum(unmatched))
    kept = np.flatnonzero(ok)
    position = np.full(len(areas), -1)
    position[kept] = np.arange(len(kept))
    pairs = position[ward_adjacency(areas, adjacency=adjacency, snap_m=snap_m)]
    pairs = pairs[(pairs >= 0).all(axis=1)]
    return _Prepared(b_all, kept, pairs, per_residents, adjacency, snap_m)


def _warn_unused(n_no_population: int, n_unmatched: int) -> None:
    parts = []
    if n_no_population:
        parts.append(f"{n_no_population:,} wards have no positive population (NaN rates)")
    if n_unmatched:
        parts.append(f"{n_unmatched:,} counted incidents name ward codes not in `wards`")
    if parts:
        warnings.warn(
            "smooth_ward_rates: " + "; ".join(parts) + "; see attrs['method'].",
            UserWarning,
            stacklevel=4,
        )
