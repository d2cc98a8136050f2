"""Shared fixtures: paths to the real data in ../shared/data (read in place, never copied), and
the one point builder the test modules share (``make_points``)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(
            f"real test data not found at {SHARED_DATA}: CI places ../shared beside the clone"
        )
    return SHARED_DATA


def build_points(xy, *, crs=27700, months=None, index=None, **columns) -> gpd.GeoDataFrame:
    """Point incidents at ``xy`` ((n, 2) metres in ``crs``), with optional columns.

    ``months`` (police.uk ``"YYYY-MM"`` strings or Periods) becomes a ``month`` Period[M]
    column; every other keyword becomes a column; ``index`` is kept as given (non-unique too).
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    data = dict(columns)
    if months is not None:
        data["month"] = pd.PeriodIndex(months, freq="M")
    return gpd.GeoDataFrame(
        data, geometry=shapely.points(xy) if len(xy) else [], index=index, crs=crs
    )


@pytest.fixture(scope="session")
def make_points():
    """The shared point builder (:func:`build_points`): ``make_points(xy, months=..., crs=...)``.

    One builder for every test module instead of a copy per module.
    """
    return build_points
