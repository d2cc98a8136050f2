"""Tests for snt_geo.maps.emerging_layer: emerging hot spot cells as a map layer."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from snt_geo.errors import SchemaError
from snt_geo.linkage import emerging_hotspots
from snt_geo.linkage.emerging import EMERGING_CLASSES
from snt_geo.maps.compose import make_map
from snt_geo.maps.emerging_layer import EMERGING_LABELS, EMERGING_PALETTE, draw_emerging_cells


def _emerging():
    """A 1 km square, a background of about one incident per cell a month, and a block that
    turns hot in the last four of twelve months (a new or consecutive hot spot)."""
    rng = np.random.default_rng(5)
    xy, months = [], []
    for m in range(12):
        n = rng.poisson(100)
        xy.append(rng.uniform(530_000, 531_000, (n, 2)) + [0, -350_000])
        months += [f"2023-{m + 1:02d}"] * n
        if m >= 8:
            xy.append(rng.uniform([530_400, 180_400], [530_600, 180_600], (40, 2)))
            months += [f"2023-{m + 1:02d}"] * 40
    pts = np.vstack(xy)
    incidents = gpd.GeoDataFrame(
        {"month": pd.PeriodIndex(months, freq="M")}, geometry=shapely.points(pts), crs=27700
    )
    area = gpd.GeoDataFrame(geometry=[shapely.box(530_000, 180_000, 531_000, 181_000)], crs=27700)
    return emerging_hotspots(incidents, area=area, cell_size_m=100)


def test_layer_draws_cells_with_a_pattern_and_counts_the_rest():
    result = _emerging()
    counts = result.cells["emerging_class"].value_counts()
    layer = draw_emerging_cells(result, show=True)
    assert layer.info.n_drawn == int((result.cells["emerging_class"] != "no_pattern").sum()) > 0
    assert layer.info.n_not_drawn["no pattern"] == counts.get("no_pattern", 0)
    assert layer.info.choices["counts"] == {c: int(counts.get(c, 0)) for c in EMERGING_CLASSES}
    html = make_map(layer).get_root().render()
    drawn = [c for c in EMERGING_CLASSES if c != "no_pattern" and counts.get(c, 0)]
    for c in drawn:
        assert EMERGING_LABELS[c] in html  # legend entry in words
    assert set(EMERGING_PALETTE) == set(EMERGING_CLASSES)


def test_unknown_class_is_refused():
    cells = _emerging().cells.copy()
    cells["emerging_class"] = cells["emerging_class"].astype(str)
    cells.iloc[0, cells.columns.get_loc("emerging_class")] = "brand_new"
    with pytest.raises(SchemaError, match="'emerging_class' must hold only"):
        draw_emerging_cells(cells)


def test_result_and_its_frame_draw_the_same_layer():
    # From the result only the cells with a pattern are built as polygons; the layer (legend,
    # counts, drawn cells, rendered map) must equal the one drawn from the full cells frame.
    result = _emerging()
    from_result = draw_emerging_cells(result, show=True)
    from_frame = draw_emerging_cells(result.cells, show=True)
    assert from_result.info == from_frame.info
    assert make_map(from_result).get_root().render() == make_map(from_frame).get_root().render()
