"""Tests for snt_geo/_guard.py: refuse grids that would not fit in memory, before allocating."""

from __future__ import annotations

import math

import pytest

from snt_geo._guard import (
    DEFAULT_MEMORY_LIMIT_GB,
    GridEstimate,
    check_cells,
    check_grid,
    memory_limit_bytes,
)
from snt_geo.errors import ResourceLimitError

#: Bounds of the GLA's London wards (London_Ward_CityMerged), EPSG:27700.
LONDON = (503568.2, 155850.8, 561957.5, 200933.9)


def test_london_half_metre_grid_refused_with_numbers_and_fix():
    with pytest.raises(ResourceLimitError, match=r"`cell_size_m` is too small") as info:
        check_grid(LONDON, cell_size_m=0.5, bytes_per_cell=400, what="the Gi* grid")
    message = str(info.value)
    n_cells = (math.floor((LONDON[2] - LONDON[0]) / 0.5) + 1) * (
        math.floor((LONDON[3] - LONDON[1]) / 0.5) + 1
    )
    assert f"{n_cells:,} cells" in message
    assert "3.8 TiB" in message  # n_cells * 400 bytes
    assert "limit 4.0 GiB" in message
    # The suggested cell size fits; one metre less does not.
    smallest = int(message.split("Pass cell_size_m=")[1].split(" ")[0])
    assert check_grid(LONDON, cell_size_m=smallest, bytes_per_cell=400).nbytes <= 4 * 1024**3
    with pytest.raises(ResourceLimitError):
        check_grid(LONDON, cell_size_m=smallest - 1, bytes_per_cell=400)


def test_estimate_counts_rows_and_columns_like_the_grid():
    est = check_grid((0, 0, 1000, 500), cell_size_m=100, bytes_per_cell=8)
    assert est == GridEstimate(n_rows=6, n_cols=11, bytes_per_cell=8.0)
    assert est.n_cells == 66 and est.nbytes == 528


def test_padding_for_a_kernel_names_bandwidth():
    with pytest.raises(
        ResourceLimitError, match=r"`bandwidth_m` is too large.*smaller `bandwidth_m`"
    ):
        check_grid(LONDON, cell_size_m=100, bytes_per_cell=20, pad_m=1e7, argument="bandwidth_m")


def test_budget_from_environment(monkeypatch):
    assert memory_limit_bytes() == int(DEFAULT_MEMORY_LIMIT_GB * 1024**3)
    monkeypatch.setenv("SNT_GEO_MEMORY_LIMIT_GB", "0.001")
    with pytest.raises(ResourceLimitError, match=r"limit 1.0 MiB, set by SNT_GEO_MEMORY_LIMIT_GB"):
        check_grid((0, 0, 10_000, 10_000), cell_size_m=10, bytes_per_cell=8)
    monkeypatch.setenv("SNT_GEO_MEMORY_LIMIT_GB", "lots")
    with pytest.raises(ValueError, match="SNT_GEO_MEMORY_LIMIT_GB must be a positive number"):
        memory_limit_bytes()


def test_explicit_budget_and_check_cells():
    check_grid((0, 0, 100, 100), cell_size_m=1, bytes_per_cell=8, max_bytes=10**6)
    with pytest.raises(ResourceLimitError, match=r"the pair list would have 2,000,000 cells.*Use"):
        check_cells(2_000_000, bytes_per_cell=8, what="the pair list", fix="Use less.", max_bytes=1)
    check_cells(10, bytes_per_cell=8, what="x", fix="y")


def test_error_is_a_value_error():
    assert issubclass(ResourceLimitError, ValueError)
