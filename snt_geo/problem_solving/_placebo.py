"""Placebo areas: copies of the treated footprint tiled over the data, counted in one pass.

The treated area and its buffer fit in a bounding box (the *footprint*). Tiling the plane with
copies of that box, every incident falls in exactly one tile; moved into the first tile (its
position modulo the tile size) it lies in the tile's copy of the treated area, of the buffer, or
neither. So the counts of every copy come from two vectorised point-in-polygon tests and a
bincount, whatever the number of copies. ``shifts`` tilings offset by fractions of a tile (in x
and y) give ``shifts**2`` times as many copies: overlapping each other, which is fine for a
reference distribution, and needed in a borough, where one tiling holds a few dozen copies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy import stats

#: Tilings per axis (offsets 0, 1/3 and 2/3 of a tile): 9 tilings in all.
SHIFTS = 3
#: A copy is untouched when it lies at least this many footprints away in x or in y (its
#: footprint is then a full footprint clear of the treated one).
CLEARANCE_TILES = 2.0


@dataclass(frozen=True)
class Tiles:
    """Counts per tile copy of the treated area and of its buffer.

    ``col``, ``row`` are tile positions in tile units (0, 0 is the real treated area; shifted
    tilings have fractional positions); ``treated`` and ``buffer`` are (n_tiles, 2)
    harm-weighted counts (before, after); ``treated_sq`` and ``buffer_sq`` the same sums of
    squared weights (their Poisson variances).
    """

    col: np.ndarray
    row: np.ndarray
    treated: np.ndarray
    buffer: np.ndarray
    treated_sq: np.ndarray
    buffer_sq: np.ndarray
    tile_width_m: float
    tile_height_m: float


def _one_tiling(x, y, weight, period, treated, buffer, corner, shift, width, height):
    """Count incidents per tile; tile (0, 0) is the footprint moved by ``shift``."""
    col = np.floor((x - corner[0] - shift[0]) / width).astype(np.int64)
    row = np.floor((y - corner[1] - shift[1]) / height).astype(np.int64)
    # Move each point by its tile's offset from the footprint, where the shapes are.
    lx = x - shift[0] - col * width
    ly = y - shift[1] - row * height
    in_t = shapely.contains_xy(treated, lx, ly)
    in_b = shapely.contains_xy(buffer, lx, ly) & ~in_t
    # One int64 key per tile (columns and rows are far below 2**31 for any real extent).
    key = (col - col.min()) * (1 << 31) + (row - row.min())
    uniq, inverse = np.unique(key, return_inverse=True)
    cols = uniq // (1 << 31) + col.min()
    rows = uniq % (1 << 31) + row.min()
    n = len(uniq)
    counts = {}
    for name, mask in (("treated", in_t), ("buffer", in_b)):
        out = np.zeros((n, 2))
        sq = np.zeros((n, 2))
        for p in (0, 1):
            sel = mask & (period == p)
            out[:, p] = np.bincount(inverse[sel], weights=weight[sel], minlength=n)
            sq[:, p] = np.bincount(inverse[sel], weights=weight[sel] ** 2, minlength=n)
        counts[name] = out
        counts[name + "_sq"] = sq
    return cols, rows, counts


def count_tiles(
    x: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    period: np.ndarray,
    *,
    treated: shapely.Geometry,
    buffer: shapely.Geometry,
    within: shapely.Geometry | None,
    shifts: int = SHIFTS,
) -> Tiles:
    """Count incidents in every tile copy of ``treated`` and ``buffer``.

    ``period`` is 0 before, 1 after.

    Incidents with ``period`` -1 are ignored. Tiles with no incident are not listed; tiles whose
    centre is outside ``within`` (when given) are left out, except the treated tile itself.
    """
    minx, miny, maxx, maxy = shapely.union(treated, buffer).bounds
    # A hair wider than the footprint, so a point on the far edge is not in two tiles.
    width = (maxx - minx) * (1 + 1e-9) + 1e-6
    height = (maxy - miny) * (1 + 1e-9) + 1e-6
    keep = period >= 0
    x, y, weight, period = x[keep], y[keep], weight[keep], period[keep]
    parts: dict[str, list[np.ndarray]] = {}
    for sx in range(shifts):
        for sy in range(shifts):
            fx, fy = sx / shifts, sy / shifts
            cols, rows, counts = _one_tiling(
                x,
                y,
                weight,
                period,
                treated,
                buffer,
                (minx, miny),
                (fx * width, fy * height),
                width,
                height,
            )
            parts.setdefault("col", []).append(cols + fx)
            parts.setdefault("row", []).append(rows + fy)
            for k, v in counts.items():
                parts.setdefault(k, []).append(v)
    out = {k: np.concatenate(v) for k, v in parts.items()} if parts else {}
    if not out:
        empty = np.zeros((0, 2))
        return Tiles(np.zeros(0), np.zeros(0), empty, empty, empty, empty, width, height)
    if within is not None:
        cx = minx + (out["col"] + 0.5) * width
        cy = miny + (out["row"] + 0.5) * height
        inside = shapely.contains_xy(within, cx, cy) | ((out["col"] == 0) & (out["row"] == 0))
        out = {k: v[inside] for k, v in out.items()}
    return Tiles(
        out["col"],
        out["row"],
        out["treated"],
        out["buffer"],
        out["treated_sq"],
        out["buffer_sq"],
        width,
        height,
    )


def reference(
    tiles: Tiles, *, centre: tuple[float, float], target_before: float, n: int, which: str
) -> np.ndarray:
    """Positions of the ``n`` untouched copies closest in before count to ``target_before``.

    Untouched: at least :data:`CLEARANCE_TILES` footprints from ``centre`` in x or in y.
    ``which`` is ``"treated"`` or ``"buffer"`` (whose before counts are matched).
    """
    pool = np.flatnonzero(
        (np.abs(tiles.col - centre[0]) >= CLEARANCE_TILES - 1e-9)
        | (np.abs(tiles.row - centre[1]) >= CLEARANCE_TILES - 1e-9)
    )
    counts = tiles.treated if which == "treated" else tiles.buffer
    return pool[nearest_by_count(counts[pool, 0], target_before, n)]


def log_change(counts: np.ndarray, months: tuple[int, int]) -> np.ndarray:
    """Log ratio of the after to the before monthly rate, with 0.5 added to each count."""
    counts = np.atleast_2d(counts)
    return np.log((counts[:, 1] + 0.5) / months[1]) - np.log((counts[:, 0] + 0.5) / months[0])


def log_change_variance(counts: np.ndarray, squares: np.ndarray) -> np.ndarray:
    """Poisson (delta-method) variance of :func:`log_change`: ``sum(w**2) / (sum(w) + 0.5)**2``."""
    counts = np.atleast_2d(counts)
    squares = np.atleast_2d(squares)
    return ((squares + 0.5) / (counts + 0.5) ** 2).sum(axis=1)


@dataclass(frozen=True)
class PlaceboTest:
    """The treated value against its reference: robust z (used) and the rank p-value."""

    estimate: float  # value minus the reference median (log scale)
    se: float
    z: float
    p_value: float
    rank_p_value: float
    median: float
    extra_variance: float


def placebo_test(
    value: float,
    variance: float,
    reference: np.ndarray,
    reference_variance: np.ndarray,
) -> PlaceboTest:
    """Robust placebo z of ``value`` among ``reference`` (log changes of untouched areas).

    The reference's spread has two parts: Poisson noise (``reference_variance``) and real
    extra-Poisson variation, shared by every area of the kind. The extra part is estimated
    robustly, as the squared normal-consistent median absolute deviation of the reference minus
    its median Poisson variance (at least 0), and added to the treated value's own Poisson
    variance: ``z = (value - median) / sqrt(variance + extra)``, two-sided normal p-value.
    """
    n = len(reference)
    if n < 3:
        nan = float("nan")
        return PlaceboTest(nan, nan, nan, nan, rank_pvalue(value, reference), nan, nan)
    median = float(np.median(reference))
    mad = float(stats.median_abs_deviation(reference, scale="normal"))
    extra = max(0.0, mad**2 - float(np.median(reference_variance)))
    se = float(np.sqrt(variance + extra))
    z = (value - median) / se
    return PlaceboTest(
        estimate=float(value - median),
        se=se,
        z=float(z),
        p_value=float(2 * stats.norm.sf(abs(z))),
        rank_p_value=rank_pvalue(value, reference),
        median=median,
        extra_variance=extra,
    )


def is_significant(test: PlaceboTest, alpha: float) -> bool:
    """Return the verdict's rule.

    Robust z p-value below ``alpha`` and rank p-value at most ``2 alpha``.

    The robust z carries the power; the exact rank guards against a reference whose median
    absolute deviation understates its tails (overlapping copies in a small study area).
    """
    return bool(test.p_value < alpha and test.rank_p_value <= 2 * alpha)


def nearest_by_count(pool_before: np.ndarray, target_before: float, n: int) -> np.ndarray:
    """Positions of the ``n`` pool entries closest to ``target_before`` in log count (stable)."""
    distance = np.abs(np.log(pool_before + 0.5) - np.log(target_before + 0.5))
    return np.argsort(distance, kind="stable")[:n]


def rank_pvalue(value: float, reference: np.ndarray) -> float:
    """Two-sided placebo p-value: twice the smaller tail share, counting the value itself."""
    n = len(reference)
    if n == 0:
        return float("nan")
    low = (1 + np.count_nonzero(reference <= value)) / (n + 1)
    high = (1 + np.count_nonzero(reference >= value)) / (n + 1)
    return float(min(1.0, 2 * min(low, high)))
