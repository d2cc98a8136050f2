"""The resource guard: estimate a grid's cells and memory before allocating it, refuse in time.

A 0.5 m grid over London has ten billion cells; allocating it runs for minutes and ends in a
``MemoryError`` (or a GEOS ``std::bad_alloc`` that takes the interpreter down). Every function
that builds a raster or a cell table asks :func:`check_grid` first: it costs microseconds and
refuses with the cell count, the memory it would need and the fix (the smallest cell size that
fits, or a smaller area).

The budget is 4 GiB per allocation by default; set the environment variable
``SNT_GEO_MEMORY_LIMIT_GB`` (e.g. ``16``) or pass ``max_bytes=`` to change it.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from snt_geo.errors import ResourceLimitError

__all__ = [
    "DEFAULT_MEMORY_LIMIT_GB",
    "GridEstimate",
    "memory_limit_bytes",
    "check_grid",
    "check_cells",
]

#: Default budget for one grid, in GiB (override with SNT_GEO_MEMORY_LIMIT_GB).
DEFAULT_MEMORY_LIMIT_GB = 4.0
_ENV = "SNT_GEO_MEMORY_LIMIT_GB"
_GIB = 1024**3


def memory_limit_bytes() -> int:
    """Return the memory budget for one grid, in bytes (``SNT_GEO_MEMORY_LIMIT_GB`` or 4 GiB)."""
    text = os.environ.get(_ENV)
    if text is None:
        return int(DEFAULT_MEMORY_LIMIT_GB * _GIB)
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(
            f"environment variable {_ENV} must be a positive number of GiB; got {text!r}."
        )
    return int(value * _GIB)


@dataclass(frozen=True)
class GridEstimate:
    """What a grid would cost: ``n_rows`` x ``n_cols`` cells of ``bytes_per_cell`` bytes."""

    n_rows: int
    n_cols: int
    bytes_per_cell: float

    @property
    def n_cells(self) -> int:
        return self.n_rows * self.n_cols

    @property
    def nbytes(self) -> float:
        return self.n_cells * self.bytes_per_cell


def _size(nbytes: float) -> str:
    for unit, scale in (("TiB", 1024**4), ("GiB", _GIB), ("MiB", 1024**2)):
        if nbytes >= scale:
            return f"{nbytes / scale:,.1f} {unit}"
    return f"{nbytes / 1024:,.1f} KiB"


def check_grid(
    bounds,
    *,
    cell_size_m: float,
    bytes_per_cell: float,
    what: str = "grid",
    argument: str = "cell_size_m",
    pad_m: float = 0.0,
    max_bytes: int | None = None,
) -> GridEstimate:
    """Refuse a grid of ``cell_size_m`` cells over ``bounds`` that would not fit in memory.

    Parameters
    ----------
    bounds
        (xmin, ymin, xmax, ymax) in EPSG:27700 metres.
    cell_size_m
        Cell side in metres (positive: validate it first).
    bytes_per_cell
        Peak bytes the caller holds per cell (all its arrays and objects together).
    what
        What is being built, for the message (``"the Gi* grid"``, ``"the density raster"``).
    argument
        The parameter the user should change (``"cell_size_m"`` or ``"bandwidth_m"``).
    pad_m
        Extra margin on every side, in metres (a kernel raster padded by its bandwidth).
    max_bytes
        Budget in bytes; default :func:`memory_limit_bytes`.

    Returns
    -------
    GridEstimate
        The rows, columns and bytes of the grid, when it fits.

    Raises
    ------
    ResourceLimitError
        With the cell count, the memory needed, the budget and the smallest cell size that fits.
    """
    xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    width = max(xmax - xmin, 0.0) + 2 * pad_m
    height = max(ymax - ymin, 0.0) + 2 * pad_m
    n_cols = math.floor(width / cell_size_m) + 1
    n_rows = math.floor(height / cell_size_m) + 1
    estimate = GridEstimate(n_rows, n_cols, float(bytes_per_cell))
    budget = memory_limit_bytes() if max_bytes is None else int(max_bytes)
    if estimate.nbytes <= budget:
        return estimate
    # Cells are about width * height / s^2; the smallest s that fits, rounded up to whole metres.
    smallest = math.ceil(math.sqrt(max(width * height, 1.0) * bytes_per_cell / budget))
    fix = (
        f"Pass {argument}={smallest:g} or more, or a smaller `area`"
        if argument == "cell_size_m"
        else f"Pass a smaller `{argument}` or a larger cell_size_m (at least {smallest:g} m)"
    )
    raise ResourceLimitError(
        f"`{argument}` is too {'small' if argument == 'cell_size_m' else 'large'} for this area: "
        f"{what} of {cell_size_m:g} m cells over {width / 1000:,.1f} km x {height / 1000:,.1f} km "
        f"would have {estimate.n_cells:,} cells and need about {_size(estimate.nbytes)} of memory "
        f"(limit {_size(budget)}, set by {_ENV}). {fix}."
    )


def check_cells(
    n_cells: int,
    *,
    bytes_per_cell: float,
    what: str,
    fix: str,
    max_bytes: int | None = None,
) -> None:
    """Refuse an allocation of ``n_cells`` items of ``bytes_per_cell`` bytes over the budget.

    For allocations that are not a plain grid over bounds (a kernel footprint, a pair list);
    ``fix`` is the sentence telling the user what to change.
    """
    nbytes = float(n_cells) * bytes_per_cell
    budget = memory_limit_bytes() if max_bytes is None else int(max_bytes)
    if nbytes > budget:
        raise ResourceLimitError(
            f"{what} would have {int(n_cells):,} cells and need about {_size(nbytes)} of memory "
            f"(limit {_size(budget)}, set by {_ENV}). {fix}"
        )
