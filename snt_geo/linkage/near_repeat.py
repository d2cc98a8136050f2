"""Near-repeat victimisation: the Knox test of space-time clustering in bands.

Do incidents close in space also happen close in time more often than chance? The Knox test
counts pairs of incidents by distance band and time band and compares each count with what
shuffling the incidents' times gives (Knox 1964; the near-repeat calculator of Ratcliffe 2009;
Johnson et al. 2007).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from snt_geo._format import format_count, format_pvalue
from snt_geo._method import MethodRecord
from snt_geo._validate import check_choice, check_positive
from snt_geo.errors import SchemaError
from snt_geo.linkage.clusters import _incident_xy, _months_of

__all__ = ["knox_test", "KnoxMethod", "KnoxResult", "KNOX_COLUMNS"]

#: Columns of :attr:`KnoxResult.table`, in order.
KNOX_COLUMNS = (
    "distance_band",
    "time_band",
    "distance_from_m",
    "distance_to_m",
    "time_from",
    "time_to",
    "observed",
    "expected",
    "knox_ratio",
    "p_value",
    "expected_independence",
)


@dataclass(frozen=True, repr=False)
class KnoxMethod(MethodRecord):
    """What :func:`knox_test` ran (``KnoxResult.method``; ``table.attrs["method"]``).

    Attributes
    ----------
    time_unit
        ``"month"`` or ``"day"``: the unit of ``time_bands``, ``time_from`` and ``time_to``.
    permutations
        Number of Monte Carlo permutations of the incidents' times.
    n_incidents, n_pairs
        Incidents tested and their unordered pairs, ``n * (n - 1) / 2``.
    distance_bands_m, time_bands
        Band edges (metres; ``time_unit``).
    """

    time_unit: str
    permutations: int
    n_incidents: int
    n_pairs: int
    distance_bands_m: tuple[float, ...]
    time_bands: tuple[float, ...]

    def describe(self) -> str:
        """One paragraph for a method note."""
        return (
            f"Knox test of near repeats (Knox 1964; Johnson et al. 2007): "
            f"{format_count(self.n_incidents)} incidents, {format_count(self.n_pairs)} pairs, "
            f"counted by distance band (edges {', '.join(_fmt(v) for v in self.distance_bands_m)}"
            f" m) and time band (edges {', '.join(_fmt(v) for v in self.time_bands)} "
            f"{self.time_unit}s), each band closed on the left and open on the right; expected "
            f"counts and one-sided p-values from {self.permutations} permutations of the "
            "incidents' times."
        )


@dataclass(frozen=True, eq=False)
class KnoxResult:
    """Result of :func:`knox_test`.

    Attributes
    ----------
    table
        One row per (distance band, time band), columns :data:`KNOX_COLUMNS` (see
        :func:`knox_test`); ``attrs["method"]`` is :attr:`method`.
    method
        :class:`KnoxMethod`.
    permuted
        Counts per permutation, shape (permutations, n_distance_bands, n_time_bands).
    """

    table: pd.DataFrame
    method: KnoxMethod
    permuted: np.ndarray = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """Return the banded table (a copy, with ``attrs["method"]``)."""
        return self.table.copy()

    def knox_ratios(self) -> pd.DataFrame:
        """Knox ratios as a distance band x time band grid (the near-repeat calculator layout)."""
        return self.table.pivot(
            index="distance_band", columns="time_band", values="knox_ratio"
        ).loc[self.table["distance_band"].unique(), self.table["time_band"].unique()]

    def __repr__(self) -> str:
        """Return one line with the bands, pairs and strongest near-repeat cell."""
        m = self.method
        best = (
            self.table.loc[self.table["knox_ratio"].idxmax()]  # type: ignore[call-overload]  # stubs: any label
            if self.table["knox_ratio"].notna().any()
            else None
        )
        top = (
            f"; highest Knox ratio {best['knox_ratio']:.2f} at {best['distance_band']}, "
            f"{best['time_band']} ({format_pvalue(best['p_value'], prefix=True)})"
            if best is not None
            else ""
        )
        return (
            f"KnoxResult({len(m.distance_bands_m) - 1} distance x {len(m.time_bands) - 1} time "
            f"bands, {m.n_incidents:,} incidents, {m.n_pairs:,} pairs{top})"
        )

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.method.describe())}</p>" + self.table.to_html(index=False)


def _edges(values, name: str, unit: str) -> np.ndarray:
    try:
        edges = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"`{name}` must be a sequence of numbers ({unit}); got {values!r}."
        ) from exc
    if edges.ndim != 1 or len(edges) < 2:
        raise ValueError(
            f"`{name}` must list at least two band edges in {unit}, e.g. [0, 100, 200]; got "
            f"{values!r}."
        )
    if not np.isfinite(edges).all() or edges[0] < 0 or (np.diff(edges) <= 0).any():
        raise ValueError(
            f"`{name}` must be finite, non-negative and strictly increasing ({unit}); got "
            f"{values!r}."
        )
    return edges


def _fmt(v: float) -> str:
    return f"{v:g}"


def knox_test(
    incidents: gpd.GeoDataFrame,
    *,
    distance_bands_m,
    time_bands,
    permutations: int = 99,
    rng=None,
    time_unit: Literal["auto", "month", "day"] = "auto",
) -> KnoxResult:
    """Knox test for near repeats, by distance band and time band.

    Parameters
    ----------
    incidents
        Points with a CRS (reprojected to EPSG:27700) and a ``month`` column, or a ``date``
        column (datetime) for day resolution.
    distance_bands_m
        Band edges in metres, e.g. ``[0, 100, 200, 400]`` for the bands [0, 100), [100, 200) and
        [200, 400) m. Each band includes its lower end and excludes its upper end; pairs at or
        beyond the last edge are in no band.
    time_bands
        Band edges in ``time_unit`` for the absolute time between two incidents, e.g.
        ``[0, 1, 2, 3]`` months for [0, 1), [1, 2), [2, 3): with months, [0, 1) is "same
        month", [1, 2) "adjacent months". Same closed-open rule.
    permutations
        Monte Carlo permutations of the incidents' times among the incidents (positive, default
        99).
    rng
        Seed or ``numpy.random.Generator`` for the permutations.
    time_unit
        ``"month"``: calendar months from ``month`` (police.uk resolution). ``"day"``: whole
        days from ``date``. ``"auto"`` (default): days when a datetime ``date`` column exists,
        otherwise months.

    Returns
    -------
    KnoxResult
        ``table`` has one row per (distance band, time band), distance bands outer, with
        columns ``distance_band`` and ``time_band`` (labels such as ``"[0, 100) m"`` and
        ``"[0, 1) months"``), ``distance_from_m``, ``distance_to_m``, ``time_from``, ``time_to``
        (the band ends, lower included, upper excluded), ``observed`` (pairs in both bands),
        ``expected`` (mean count over the permutations), ``knox_ratio`` (observed / expected;
        NaN when expected is 0), ``p_value`` (one-sided Monte Carlo,
        ``(1 + #{permuted >= observed}) / (permutations + 1)``) and
        ``expected_independence`` (the closed form under independence of space and time,
        ``pairs in distance band * pairs in time band / all pairs``, as in Knox 1964 and
        ``pointpats.spacetime.Knox``).

    Raises
    ------
    ValueError
        Bad band edges, ``permutations`` or ``time_unit``.
    SchemaError
        No ``month`` (or ``date`` for days), missing values, rows without a point.

    Notes
    -----
    The near-repeat calculator (Ratcliffe 2009) labels its bands as if both ends were included
    ("0 to 100 m", "101 to 200 m"), which leaves gaps for real-valued distances; here every band
    is stated as a half-open interval. Permuting times keeps both the spatial pattern and the
    time profile (seasonality) and breaks only their link (Johnson et al. 2007). All pairs are
    listed once (``cKDTree.query_pairs`` up to the last distance edge), so memory grows with the
    number of pairs within the largest band.
    """
    d_edges = _edges(distance_bands_m, "distance_bands_m", "metres")
    check_choice("time_unit", time_unit, ("auto", "month", "day"))
    permutations = int(check_positive("permutations", permutations, integer=True))
    has_date = "date" in incidents.columns and pd.api.types.is_datetime64_any_dtype(
        incidents["date"]
    )
    unit = ("day" if has_date else "month") if time_unit == "auto" else time_unit
    t_edges = _edges(time_bands, "time_bands", f"{unit}s")
    xy = _incident_xy(incidents)
    t = _times(incidents, unit, has_date)
    n = len(xy)
    n_pairs = n * (n - 1) // 2
    nd, nt = len(d_edges) - 1, len(t_edges) - 1
    i, j, db = _pairs_in_distance_bands(xy, d_edges)

    def count(times: np.ndarray) -> np.ndarray:
        dt = np.abs(times[i] - times[j])
        tb = np.searchsorted(t_edges, dt, side="right") - 1
        ok = (tb >= 0) & (tb < nt)
        return np.bincount(db[ok] * nt + tb[ok], minlength=nd * nt).reshape(nd, nt)

    observed = count(t)
    gen = np.random.default_rng(rng)
    permuted = np.empty((permutations, nd, nt), dtype=np.int64)
    for p in range(permutations):
        permuted[p] = count(t[gen.permutation(n)])
    # Closed form: pairs per distance band times pairs per time band (over all pairs) / pairs.
    d_tot = np.bincount(db, minlength=nd).astype(np.float64)
    t_tot = _time_band_pairs(t, t_edges)
    with np.errstate(invalid="ignore", divide="ignore"):
        exp_ind = np.outer(d_tot, t_tot) / n_pairs if n_pairs else np.full((nd, nt), np.nan)
    method = KnoxMethod(
        time_unit=unit,
        permutations=permutations,
        n_incidents=int(n),
        n_pairs=int(n_pairs),
        distance_bands_m=tuple(float(v) for v in d_edges),
        time_bands=tuple(float(v) for v in t_edges),
    )
    table = _knox_table(observed, permuted, exp_ind, d_edges, t_edges, unit)
    table.attrs["method"] = method
    return KnoxResult(table=table, method=method, permuted=permuted)


def _times(incidents: pd.DataFrame, unit: str, has_date: bool) -> np.ndarray:
    """Each incident's time in whole ``unit``s (days since 1970, or months since year 0)."""
    if unit == "day":
        if not has_date:
            raise SchemaError(
                '`time_unit="day"` needs a datetime `date` column in `incidents` (e.g. from '
                'incidents_from_frame(..., date=...)); police.uk data has months only: use "month".'
            )
        date = incidents["date"]
        if date.isna().any():
            raise SchemaError(f"`incidents` has {int(date.isna().sum())} rows without a `date`.")
        return date.dt.normalize().to_numpy("datetime64[D]").astype(np.int64)
    months = _months_of(incidents)
    return (months.year * 12 + months.month - 1).to_numpy().astype(np.int64)


def _pairs_in_distance_bands(
    xy: np.ndarray, d_edges: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every unordered pair closer than the last edge, and its distance band."""
    from scipy.spatial import cKDTree

    if len(xy) < 2:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty
    pairs = cKDTree(xy).query_pairs(float(d_edges[-1]), output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    d = np.sqrt(((xy[i] - xy[j]) ** 2).sum(axis=1))
    db = np.searchsorted(d_edges, d, side="right") - 1
    keep = (db >= 0) & (db < len(d_edges) - 1)
    return i[keep], j[keep], db[keep]


def _knox_table(
    observed: np.ndarray,
    permuted: np.ndarray,
    exp_ind: np.ndarray,
    d_edges: np.ndarray,
    t_edges: np.ndarray,
    unit: str,
) -> pd.DataFrame:
    """One row per (distance band, time band): counts, expectations, ratio and p-value."""
    expected = permuted.mean(axis=0)
    p_value = (1 + (permuted >= observed[None]).sum(axis=0)) / (len(permuted) + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(expected > 0, observed / np.where(expected > 0, expected, 1), np.nan)
    rows = []
    for a in range(len(d_edges) - 1):
        for b in range(len(t_edges) - 1):
            rows.append(
                {
                    "distance_band": f"[{_fmt(d_edges[a])}, {_fmt(d_edges[a + 1])}) m",
                    "time_band": f"[{_fmt(t_edges[b])}, {_fmt(t_edges[b + 1])}) {unit}s",
                    "distance_from_m": float(d_edges[a]),
                    "distance_to_m": float(d_edges[a + 1]),
                    "time_from": float(t_edges[b]),
                    "time_to": float(t_edges[b + 1]),
                    "observed": int(observed[a, b]),
                    "expected": float(expected[a, b]),
                    "knox_ratio": float(ratio[a, b]),
                    "p_value": float(p_value[a, b]),
                    "expected_independence": float(exp_ind[a, b]),
                }
            )
    return pd.DataFrame(rows, columns=list(KNOX_COLUMNS))


def _time_band_pairs(t: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Unordered pairs of all incidents per time band, from the histogram of integer times."""
    nt = len(edges) - 1
    out = np.zeros(nt, dtype=np.float64)
    if len(t) < 2:
        return out
    values, counts = np.unique(t, return_counts=True)
    counts = counts.astype(np.float64)
    # Pairs at lag 0, then at every positive lag present (a sparse autocorrelation).
    lag0 = (counts * (counts - 1) / 2).sum()
    b0 = np.searchsorted(edges, 0, side="right") - 1
    if 0 <= b0 < nt:
        out[b0] += lag0
    max_lag = edges[-1]
    if len(values) > 1 and math.isfinite(max_lag):
        for k in range(1, len(values)):
            lag = values[k:] - values[:-k]
            ok = lag < max_lag
            if not ok.any() and (lag.min() >= max_lag):
                break
            prod = counts[k:][ok] * counts[:-k][ok]
            tb = np.searchsorted(edges, lag[ok], side="right") - 1
            good = (tb >= 0) & (tb < nt)
            np.add.at(out, tb[good], prod[good])
    return out
